//! What can go wrong talking to Cloudflare, and what a user must do about it.
//!
//! Every error names what happened in Cloudflare's terms (HTTP status, error
//! codes and messages) and, where one exists, the fix. No error ever carries a
//! credential: requests are described by method and path only.

use std::fmt;
use std::time::Duration;

use super::types::ApiMessage;

/// Cloudflare error codes the client acts on.
pub mod code {
    /// Invalid request headers (the cause is in `error_chain`).
    pub const INVALID_HEADERS: u32 = 6003;
    /// Invalid format for the Authorization header.
    pub const INVALID_AUTHORIZATION: u32 = 6111;
    /// Invalid format for the X-Auth-Key header.
    pub const INVALID_AUTH_KEY: u32 = 6103;
    /// Invalid access token: unknown, revoked, or used from a forbidden address.
    pub const INVALID_TOKEN: u32 = 9109;
    /// Authentication error: the token lacks a permission or the zone.
    pub const NOT_AUTHORIZED: u32 = 10000;
    /// Rate limited.
    pub const RATE_LIMITED: u32 = 971;
    /// Record does not exist.
    pub const RECORD_NOT_FOUND: u32 = 81044;
    /// An identical record already exists.
    pub const IDENTICAL_RECORD: u32 = 81058;
    /// The record already exists.
    pub const RECORD_EXISTS: u32 = 81057;
}

/// A failed Cloudflare call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Cloudflare answered and refused the request.
    #[error("{what}: Cloudflare answered HTTP {status}: {}", describe(.errors))]
    Refused {
        what: String,
        status: u16,
        errors: Vec<ApiMessage>,
    },
    /// Still rate limited after waiting as Cloudflare asked.
    #[error(
        "{what}: Cloudflare is rate limiting this token (HTTP 429); it asked to wait {retry_after:?}"
    )]
    RateLimited { what: String, retry_after: Duration },
    /// A write was sent but no answer came back (time-out, connection reset): it
    /// may or may not have been applied, so it must not be sent again blindly.
    #[error(
        "{what}: no answer from Cloudflare ({reason}); the change may or may not have been applied"
    )]
    OutcomeUnknown { what: String, reason: String },
    /// Cloudflare could not be reached (after retries).
    #[error("{what}: cannot reach Cloudflare: {reason}")]
    Unreachable { what: String, reason: String },
    /// Cloudflare answered with something that is not its API's JSON.
    #[error("{what}: unexpected answer from Cloudflare (HTTP {status}): {reason}")]
    Unexpected {
        what: String,
        status: u16,
        reason: String,
    },
}

fn describe(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error details".to_string();
    }
    errors
        .iter()
        .map(|e| {
            let mut text = format!("{} {}", e.code, e.message);
            if !e.error_chain.is_empty() {
                text.push_str(&format!(" ({})", describe(&e.error_chain)));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// Whether Cloudflare's answer carries `code` (at the top level or in an
    /// `error_chain`).
    pub fn has_code(&self, code: u32) -> bool {
        match self {
            ApiError::Refused { errors, .. } => errors.iter().any(|e| e.has_code(code)),
            _ => false,
        }
    }

    /// Whether the request was refused for what it asked (so retrying the same
    /// request cannot help), as opposed to a transient condition or refused
    /// credentials (which refuse every request alike: a revoked token is no
    /// reason to give up on a change).
    pub fn is_refusal(&self) -> bool {
        matches!(self, ApiError::Refused { status, .. } if (400..500).contains(status) && *status != 408 && *status != 429)
            && !self.is_auth()
    }

    /// Whether the credentials themselves were refused.
    pub fn is_auth(&self) -> bool {
        self.has_code(code::INVALID_HEADERS)
            || self.has_code(code::INVALID_TOKEN)
            || self.has_code(code::NOT_AUTHORIZED)
            || matches!(
                self,
                ApiError::Refused {
                    status: 401 | 403,
                    ..
                }
            )
    }

    /// A short, fixed label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            ApiError::Refused { .. } if self.is_auth() => "auth",
            ApiError::Refused { .. } => "refused",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::OutcomeUnknown { .. } => "outcome-unknown",
            ApiError::Unreachable { .. } => "unreachable",
            ApiError::Unexpected { .. } => "unexpected",
        }
    }
}

/// Where the credentials come from, for messages that say what to fix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialOrigin {
    /// `<secret>/<key>` of the Kubernetes Secret the token is read from, when the
    /// deployment says (the chart sets `FLAREDNS_TOKEN_SECRET_REF`).
    pub secret_ref: Option<String>,
    /// Whether an API token (rather than a global API key) is used.
    pub token: bool,
}

impl CredentialOrigin {
    /// Reads `FLAREDNS_TOKEN_SECRET_REF` and whether `CF_API_TOKEN` is set.
    pub fn from_environment() -> Self {
        CredentialOrigin {
            secret_ref: std::env::var("FLAREDNS_TOKEN_SECRET_REF")
                .ok()
                .filter(|v| !v.is_empty()),
            token: std::env::var_os("CF_API_TOKEN").is_some(),
        }
    }
}

/// What a user must do about a start-up failure: one line, naming the fix.
pub fn explain_startup(error: &ApiError, origin: &CredentialOrigin) -> String {
    if error.has_code(code::INVALID_HEADERS)
        || error.has_code(code::INVALID_AUTHORIZATION)
        || error.has_code(code::INVALID_AUTH_KEY)
    {
        let secret = match &origin.secret_ref {
            Some(reference) => {
                let (name, key) = reference.split_once('/').unwrap_or((reference, "?"));
                format!("the chart reads key {key:?} of Secret {name:?}")
            }
            None => "check which Secret key the deployment reads CF_API_TOKEN from".to_string(),
        };
        return format!(
            "Cloudflare rejected the credentials' format ({error}). The token has invisible \
             characters (a trailing newline, spaces) or the Secret key name is wrong: {secret}. \
             Re-create the Secret with the bare token."
        );
    }
    if error.has_code(code::INVALID_TOKEN) {
        return format!(
            "Cloudflare does not accept the API token ({error}): it is unknown, revoked, expired, \
             or restricted to client IP addresses this cluster does not use. Create a token with \
             Zone:Read and DNS:Edit and update the Secret."
        );
    }
    if error.has_code(code::NOT_AUTHORIZED) {
        return format!(
            "The API token is valid but not allowed to do this ({error}): give it Zone:Read and \
             DNS:Edit on the zone, under Zone Resources."
        );
    }
    if let ApiError::RateLimited { .. } = error {
        return format!(
            "{error}. Another user of the same token may be spending its budget of 1,200 \
             requests per 5 minutes."
        );
    }
    error.to_string()
}

/// No zone the token can see matches the domain filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoZone {
    pub domain_filters: Vec<String>,
    pub visible: Vec<String>,
}

impl fmt::Display for NoZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let filters = if self.domain_filters.is_empty() {
            "(no --domain-filter)".to_string()
        } else {
            self.domain_filters
                .iter()
                .map(|d| format!("--domain-filter={d}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if self.visible.is_empty() {
            write!(
                f,
                "the API token sees no zone at all; give it Zone:Read on the zone that holds {filters}"
            )
        } else {
            write!(
                f,
                "no zone visible to the API token matches {filters}; it sees: {}. Fix the filter, \
                 or give the token the zone under Zone Resources",
                self.visible.join(", ")
            )
        }
    }
}

impl std::error::Error for NoZone {}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, errors: Vec<ApiMessage>) -> ApiError {
        ApiError::Refused {
            what: "GET /user/tokens/verify".to_string(),
            status,
            errors,
        }
    }

    #[test]
    fn a_malformed_token_points_at_the_secret() {
        let err = refused(
            400,
            vec![ApiMessage::with_chain(
                6003,
                "Invalid request headers",
                vec![ApiMessage::new(
                    6111,
                    "Invalid format for Authorization header",
                )],
            )],
        );
        let origin = CredentialOrigin {
            secret_ref: Some("cloudflare-api-token/apiToken".to_string()),
            token: true,
        };
        let text = explain_startup(&err, &origin);
        assert!(text.contains("invisible characters"), "{text}");
        assert!(
            text.contains("key \"apiToken\" of Secret \"cloudflare-api-token\""),
            "{text}"
        );
        assert!(err.is_auth());
        assert_eq!(err.label(), "auth");
    }

    #[test]
    fn revoked_and_unauthorised_tokens_are_told_apart() {
        let revoked = refused(403, vec![ApiMessage::new(9109, "Invalid access token")]);
        assert!(explain_startup(&revoked, &CredentialOrigin::default()).contains("revoked"));
        let scoped = refused(403, vec![ApiMessage::new(10000, "Authentication error")]);
        assert!(explain_startup(&scoped, &CredentialOrigin::default()).contains("DNS:Edit"));
    }

    #[test]
    fn refusals_and_transient_errors_differ() {
        assert!(refused(400, vec![ApiMessage::new(81058, "x")]).is_refusal());
        assert!(!refused(429, vec![]).is_refusal());
        assert!(!refused(503, vec![]).is_refusal());
    }

    #[test]
    fn no_zone_lists_what_the_token_sees() {
        let text = NoZone {
            domain_filters: vec!["example.com".into()],
            visible: vec!["example.org".into()],
        }
        .to_string();
        assert!(text.contains("--domain-filter=example.com") && text.contains("example.org"));
    }
}
