//! The errors the sandbox answers with: Cloudflare's codes, messages and HTTP
//! statuses, in one place.
//!
//! Codes and messages come from live responses (see the Cloudflare API reference,
//! §11). Where no live sample shows what Cloudflare sends, the constant says so
//! and the sandbox answers with the closest documented code.

use super::wire::{ResponseEnvelope, ResponseMessage};

use super::config::PlanTier;

/// Error codes.
pub mod code {
    /// Wrapper for record validation errors; the causes are in `error_chain`.
    pub const DNS_VALIDATION: u32 = 1004;
    /// Wrapper for malformed authentication headers.
    pub const INVALID_HEADERS: u32 = 6003;
    pub const AUTHORIZATION_FORMAT: u32 = 6111;
    pub const EMAIL_FORMAT: u32 = 6102;
    pub const KEY_FORMAT: u32 = 6103;
    pub const NO_ROUTE: u32 = 7000;
    pub const BAD_OBJECT_ID: u32 = 7003;
    pub const NAME_INVALID: u32 = 9000;
    pub const CONTENT_INVALID: u32 = 9005;
    pub const TTL_INVALID: u32 = 9021;
    pub const NOT_PROXIABLE: u32 = 9041;
    pub const UNKNOWN_KEY: u32 = 9103;
    pub const INVALID_TOKEN: u32 = 9109;
    pub const BODY_INVALID: u32 = 9207;
    pub const TAG_QUOTA: u32 = 9300;
    pub const COMMENT_TOO_LONG: u32 = 9313;
    pub const AUTHENTICATION: u32 = 10000;
    pub const RECORD_NOT_FOUND: u32 = 81044;
    pub const CNAME_CONFLICT: u32 = 81053;
    pub const CNAME_EXISTS: u32 = 81054;
    pub const IDENTICAL_RECORD: u32 = 81058;
    pub const RATE_LIMITED: u32 = 971;
    /// No live sample shows the code for an injected server error; the sandbox's own.
    pub const SERVER_ERROR: u32 = 10001;
}

/// A failed call: the HTTP status and the `errors` of the failure envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedCall {
    pub status: u16,
    pub errors: Vec<ResponseMessage>,
}

impl std::fmt::Display for FailedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        for error in &self.errors {
            write!(f, "; {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FailedCall {}

impl FailedCall {
    fn one(status: u16, code: u32, message: impl Into<String>) -> Self {
        FailedCall {
            status,
            errors: vec![ResponseMessage::new(code, message)],
        }
    }

    /// The failure envelope to send.
    pub fn envelope(&self) -> ResponseEnvelope<()> {
        ResponseEnvelope::failure(self.errors.clone())
    }

    /// Whether the error or one of its causes carries `code`.
    pub fn has_code(&self, code: u32) -> bool {
        self.errors.iter().any(|e| e.has_code(code))
    }

    /// 6003 with its causes: the authentication headers are malformed.
    pub fn invalid_headers(causes: Vec<ResponseMessage>) -> Self {
        FailedCall {
            status: 400,
            errors: vec![ResponseMessage::with_chain(
                code::INVALID_HEADERS,
                "Invalid request headers",
                causes,
            )],
        }
    }

    /// 6003 ← 6111: no usable `Authorization` header.
    pub fn authorization_format() -> Self {
        FailedCall::invalid_headers(vec![ResponseMessage::new(
            code::AUTHORIZATION_FORMAT,
            "Invalid format for Authorization header",
        )])
    }

    /// 9109: the token is unknown or revoked.
    pub fn invalid_token() -> Self {
        FailedCall::one(403, code::INVALID_TOKEN, "Invalid access token")
    }

    /// 9103: the e-mail and global key pair is unknown.
    pub fn unknown_key() -> Self {
        FailedCall::one(403, code::UNKNOWN_KEY, "Unknown X-Auth-Key or X-Auth-Email")
    }

    /// 10000: the credential is valid but may not do this.
    pub fn authentication() -> Self {
        FailedCall::one(403, code::AUTHENTICATION, "Authentication error")
    }

    /// 7000: nothing answers at this path and method.
    pub fn no_route() -> Self {
        FailedCall::one(400, code::NO_ROUTE, "No route for that URI")
    }

    /// 7003 (with 7000): an id in the path is malformed or unknown. `path` is the
    /// path below `/client/v4`.
    pub fn bad_object_id(path: &str) -> Self {
        FailedCall {
            status: 400,
            errors: vec![
                ResponseMessage::new(
                    code::BAD_OBJECT_ID,
                    format!(
                        "Could not route to {path}, perhaps your object identifier is invalid?"
                    ),
                ),
                ResponseMessage::new(code::NO_ROUTE, "No route for that URI"),
            ],
        }
    }

    /// 81044: no record has this id in the zone.
    pub fn record_not_found() -> Self {
        FailedCall::one(404, code::RECORD_NOT_FOUND, "Record does not exist.")
    }

    /// 9207: the body is not the JSON the endpoint expects, or (read strictly)
    /// holds a field the API does not define. The reference gives no message or
    /// status for 9207; the sandbox answers HTTP 400 with this message.
    pub fn body_invalid() -> Self {
        FailedCall::one(400, code::BODY_INVALID, "Request body is invalid.")
    }

    /// 9207: a body sent without `Content-Type: application/json`.
    pub fn content_type() -> Self {
        FailedCall::one(
            400,
            code::BODY_INVALID,
            "Content-type must be application/json.",
        )
    }

    /// 1004 with its causes: the record itself is invalid.
    pub fn validation(causes: Vec<ResponseMessage>) -> Self {
        FailedCall {
            status: 400,
            errors: vec![ResponseMessage::with_chain(
                code::DNS_VALIDATION,
                "DNS Validation Error",
                causes,
            )],
        }
    }

    /// 81053: a CNAME would share its name with an A, AAAA or CNAME record.
    pub fn cname_conflict() -> Self {
        FailedCall::one(
            400,
            code::CNAME_CONFLICT,
            "An A, AAAA, or CNAME record with that host already exists.",
        )
    }

    /// 81054: an A or AAAA record would share its name with a CNAME.
    pub fn cname_exists() -> Self {
        FailedCall::one(
            400,
            code::CNAME_EXISTS,
            "A CNAME record with that host already exists.",
        )
    }

    /// 81058: the same name, type and content exist already.
    pub fn identical_record() -> Self {
        FailedCall::one(
            400,
            code::IDENTICAL_RECORD,
            "An identical record already exists.",
        )
    }

    /// A batch larger than the plan allows. No live sample shows Cloudflare's code
    /// for this; the sandbox answers a 1004 validation error naming the limit.
    pub fn batch_too_large(operations: usize, plan: PlanTier) -> Self {
        FailedCall::one(
            400,
            code::DNS_VALIDATION,
            format!(
                "The batch holds {operations} operations; the {} plan allows at most {} per request.",
                plan.legacy_id(),
                plan.batch_limit()
            ),
        )
    }

    /// 971: the rate limit is used up.
    pub fn rate_limited() -> Self {
        FailedCall::one(
            429,
            code::RATE_LIMITED,
            "Please wait and consider throttling your request speed",
        )
    }

    /// An injected server error.
    pub fn server_error(status: u16) -> Self {
        FailedCall::one(status, code::SERVER_ERROR, "Internal server error")
    }
}

/// Causes inside a 1004 validation error.
pub mod cause {
    use super::{ResponseMessage, code};
    use crate::endpoint::RecordType;

    pub fn name_invalid() -> ResponseMessage {
        ResponseMessage::new(code::NAME_INVALID, "DNS name is invalid.")
    }

    pub fn content_invalid(record_type: RecordType) -> ResponseMessage {
        let what = if record_type == RecordType::Aaaa {
            "IPv6"
        } else {
            "IPv4"
        };
        ResponseMessage::new(
            code::CONTENT_INVALID,
            format!("Content for {record_type} record must be a valid {what} address."),
        )
    }

    pub fn content_missing(record_type: RecordType) -> ResponseMessage {
        ResponseMessage::new(
            code::CONTENT_INVALID,
            format!("Content for {record_type} record is invalid."),
        )
    }

    pub fn ttl_invalid() -> ResponseMessage {
        // The live message still names older bounds; it is kept word for word.
        ResponseMessage::new(
            code::TTL_INVALID,
            "Invalid TTL. Must be between 120 and 2,147,483,647 seconds, or 1 for automatic",
        )
    }

    pub fn not_proxiable() -> ResponseMessage {
        ResponseMessage::new(
            code::NOT_PROXIABLE,
            "Invalid proxied mode. Record cannot be proxied",
        )
    }

    pub fn comment_too_long(limit: usize) -> ResponseMessage {
        ResponseMessage::new(
            code::COMMENT_TOO_LONG,
            format!("DNS record comment exceeds the maximum length of {limit} characters."),
        )
    }

    /// No live sample shows the code for a comment with a line break; the sandbox
    /// reuses the comment code.
    pub fn comment_line_break() -> ResponseMessage {
        ResponseMessage::new(
            code::COMMENT_TOO_LONG,
            "DNS record comment must not contain line breaks.",
        )
    }

    /// No live sample shows the code for an MX record without a priority (the
    /// schema requires one); the sandbox reuses the wrapper's code.
    pub fn priority_missing(record_type: RecordType) -> ResponseMessage {
        ResponseMessage::new(
            code::DNS_VALIDATION,
            format!("Priority is required for {record_type} records."),
        )
    }

    pub fn tag_quota(tags: usize, quota: usize) -> ResponseMessage {
        ResponseMessage::new(
            code::TAG_QUOTA,
            format!("DNS record has {tags} tags, exceeding the quota of {quota}."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_carry_their_causes() {
        let err = FailedCall::authorization_format();
        assert_eq!(err.status, 400);
        assert!(err.has_code(code::INVALID_HEADERS));
        assert!(err.has_code(code::AUTHORIZATION_FORMAT));
        let err = FailedCall::validation(vec![cause::ttl_invalid()]);
        assert!(err.has_code(code::TTL_INVALID));
        assert!(!err.has_code(code::NOT_PROXIABLE));
    }

    #[test]
    fn messages_match_the_live_api() {
        assert_eq!(
            cause::content_invalid(crate::endpoint::RecordType::A).message,
            "Content for A record must be a valid IPv4 address."
        );
        assert_eq!(
            FailedCall::bad_object_id("/zones/x").errors[0].message,
            "Could not route to /zones/x, perhaps your object identifier is invalid?"
        );
        let envelope = serde_json::to_value(FailedCall::rate_limited().envelope()).unwrap();
        assert_eq!(
            envelope,
            serde_json::json!({"success": false, "errors": [{"code": 971,
                "message": "Please wait and consider throttling your request speed"}],
                "messages": [], "result": null})
        );
    }
}
