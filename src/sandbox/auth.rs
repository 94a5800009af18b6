//! Who is calling: API tokens (`Authorization: Bearer`) and legacy global keys
//! (`X-Auth-Email` + `X-Auth-Key`), checked as the live API checks them, and what
//! each credential may see and change.

use super::config::{
    ApiKeyConfig, TokenConfig, ZoneAccess, is_email_format, is_key_format, is_token_format,
};
use super::error::{FailedCall, code};
use super::wire::ResponseMessage;

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An API token, by its public id.
    Token {
        id: String,
        zones: ZoneAccess,
        can_write: bool,
    },
    /// A global API key: every zone, read and write.
    ApiKey,
}

impl Principal {
    /// Whether the caller may see the zone named `zone_name`.
    pub fn may_see(&self, zone_name: &str) -> bool {
        match self {
            Principal::Token { zones, .. } => zones.allows(zone_name),
            Principal::ApiKey => true,
        }
    }

    /// Whether the caller holds DNS Write.
    pub fn may_write(&self) -> bool {
        match self {
            Principal::Token { can_write, .. } => *can_write,
            Principal::ApiKey => true,
        }
    }
}

/// The authentication headers of a request, as text (a header that is not
/// valid text is passed as an empty string, which no check accepts).
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthHeaders<'a> {
    pub authorization: Option<&'a str>,
    pub email: Option<&'a str>,
    pub key: Option<&'a str>,
}

/// The credentials the sandbox accepts; tokens can be revoked and restored.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    tokens: Vec<TokenConfig>,
    keys: Vec<ApiKeyConfig>,
}

impl Credentials {
    pub fn new(tokens: Vec<TokenConfig>, keys: Vec<ApiKeyConfig>) -> Self {
        Credentials { tokens, keys }
    }

    /// Identifies the caller. A Bearer token is used when an `Authorization`
    /// header is sent, else the global key headers; with neither, the request is
    /// refused as having a malformed `Authorization` header.
    pub fn authenticate(&self, headers: AuthHeaders<'_>) -> Result<Principal, FailedCall> {
        if let Some(authorization) = headers.authorization {
            return self.bearer(authorization);
        }
        if headers.email.is_some() || headers.key.is_some() {
            return self.global_key(headers.email, headers.key);
        }
        Err(FailedCall::authorization_format())
    }

    /// Identifies a caller that must use a token (`/user/tokens/verify`).
    pub fn authenticate_token(&self, headers: AuthHeaders<'_>) -> Result<Principal, FailedCall> {
        match headers.authorization {
            Some(authorization) => self.bearer(authorization),
            None => Err(FailedCall::authorization_format()),
        }
    }

    fn bearer(&self, authorization: &str) -> Result<Principal, FailedCall> {
        let token = authorization
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| is_token_format(token))
            .ok_or_else(FailedCall::authorization_format)?;
        let known = self
            .tokens
            .iter()
            .find(|t| t.active && t.value == token)
            .ok_or_else(FailedCall::invalid_token)?;
        Ok(Principal::Token {
            id: known.id.clone(),
            zones: known.zones.clone(),
            can_write: known.can_write,
        })
    }

    fn global_key(&self, email: Option<&str>, key: Option<&str>) -> Result<Principal, FailedCall> {
        let mut causes = Vec::new();
        let email = email.filter(|e| is_email_format(e));
        let key = key.filter(|k| is_key_format(k));
        if email.is_none() {
            causes.push(ResponseMessage::new(
                code::EMAIL_FORMAT,
                "Invalid format for X-Auth-Email header",
            ));
        }
        if key.is_none() {
            causes.push(ResponseMessage::new(
                code::KEY_FORMAT,
                "Invalid format for X-Auth-Key header",
            ));
        }
        let (Some(email), Some(key)) = (email, key) else {
            return Err(FailedCall::invalid_headers(causes));
        };
        self.keys
            .iter()
            .find(|k| k.email.eq_ignore_ascii_case(email) && k.key == key)
            .map(|_| Principal::ApiKey)
            .ok_or_else(FailedCall::unknown_key)
    }

    /// Revokes (`active = false`) or restores a token, named by its value or its
    /// id. Returns whether such a token exists.
    pub fn set_active(&mut self, token: &str, active: bool) -> bool {
        let mut found = false;
        for t in self
            .tokens
            .iter_mut()
            .filter(|t| t.value == token || t.id == token)
        {
            t.active = active;
            found = true;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> (Credentials, TokenConfig, ApiKeyConfig) {
        let token = TokenConfig::random();
        let key = ApiKeyConfig {
            email: "ops@example.com".into(),
            key: "0123456789abcdef0123456789abcdef01234".into(),
        };
        (
            Credentials::new(vec![token.clone()], vec![key.clone()]),
            token,
            key,
        )
    }

    fn bearer(value: &str) -> AuthHeaders<'_> {
        AuthHeaders {
            authorization: Some(value),
            ..AuthHeaders::default()
        }
    }

    #[test]
    fn tokens_are_checked_for_shape_then_known() {
        let (creds, token, _) = credentials();
        let ok = format!("Bearer {}", token.value);
        assert!(matches!(
            creds.authenticate(bearer(&ok)),
            Ok(Principal::Token { .. })
        ));
        let err = creds.authenticate(bearer("Bearer short")).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.has_code(code::AUTHORIZATION_FORMAT));
        let err = creds.authenticate(bearer(&token.value)).unwrap_err();
        assert!(err.has_code(code::AUTHORIZATION_FORMAT), "no scheme");
        let other = format!("Bearer {}", "x".repeat(40));
        let err = creds.authenticate(bearer(&other)).unwrap_err();
        assert_eq!((err.status, err.errors[0].code), (403, code::INVALID_TOKEN));
        let err = creds.authenticate(AuthHeaders::default()).unwrap_err();
        assert!(err.has_code(code::AUTHORIZATION_FORMAT));
    }

    #[test]
    fn revoked_tokens_are_refused_until_restored() {
        let (mut creds, token, _) = credentials();
        let header = format!("Bearer {}", token.value);
        assert!(creds.set_active(&token.id, false));
        assert!(
            creds
                .authenticate(bearer(&header))
                .unwrap_err()
                .has_code(code::INVALID_TOKEN)
        );
        assert!(creds.set_active(&token.value, true));
        assert!(creds.authenticate(bearer(&header)).is_ok());
        assert!(!creds.set_active("nope", true));
    }

    #[test]
    fn global_keys_need_both_headers() {
        let (creds, _, key) = credentials();
        let headers = AuthHeaders {
            authorization: None,
            email: Some(&key.email),
            key: Some(&key.key),
        };
        assert_eq!(creds.authenticate(headers), Ok(Principal::ApiKey));
        let err = creds
            .authenticate(AuthHeaders {
                key: Some("a-token-sent-as-a-key"),
                ..headers
            })
            .unwrap_err();
        assert!(err.has_code(code::KEY_FORMAT));
        assert!(!err.has_code(code::EMAIL_FORMAT));
        let err = creds
            .authenticate(AuthHeaders {
                email: None,
                ..headers
            })
            .unwrap_err();
        assert!(err.has_code(code::EMAIL_FORMAT));
        let err = creds
            .authenticate(AuthHeaders {
                email: Some("someone@example.com"),
                ..headers
            })
            .unwrap_err();
        assert_eq!((err.status, err.errors[0].code), (403, code::UNKNOWN_KEY));
    }

    #[test]
    fn scopes_limit_zones_and_writes() {
        let scoped = Principal::Token {
            id: "t".into(),
            zones: ZoneAccess::Only(vec!["example.com".into()]),
            can_write: false,
        };
        assert!(scoped.may_see("Example.com"));
        assert!(!scoped.may_see("example.org"));
        assert!(!scoped.may_write());
        assert!(Principal::ApiKey.may_write());
    }
}
