//! The sandbox's own JSON: the request bodies it reads and the answers it sends,
//! written from Cloudflare's API documentation and published OpenAPI schema (the
//! subset in `tests/data/cloudflare-openapi-dns.json`), not from flaredns's
//! client. A client mistake (a misnamed field, a wrong nesting) therefore meets
//! an independent reading instead of its own mirror image.
//!
//! Request bodies name every field the schema defines for them, at every depth
//! (`settings`, `data`), so that a strict reading (see `body`) can refuse
//! anything else. Answers carry the fields the live API sends for the records
//! and zones the sandbox holds.
//!
//! What it leaves out:
//! - `data` is read and echoed as sent; each of its keys is any JSON value, not
//!   checked against the record type, and `content` is not derived from it;
//! - `settings` keys and `private_routing` are accepted on every record type;
//! - the zone object carries fixed `meta`, owner and account values, and none of
//!   `vanity_name_servers`, `verification_key` or `cname_suffix`;
//! - the legacy record fields `zone_id`, `zone_name` and `locked` are not sent,
//!   and `meta` has only `auto_added` and `source` (no shadowing metadata);
//! - token answers have no `not_before` or `expires_on`, as sandbox tokens never
//!   expire.

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::endpoint::RecordType;

/// The TTL Cloudflare reads as "automatic".
pub const AUTO_TTL: u32 = 1;

fn auto_ttl() -> u32 {
    AUTO_TTL
}

/// Reads `null` as the type's default (an empty list), as the live API does for
/// `tags` and the batch lists.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

// ---------------------------------------------------------------- answers

/// The envelope around every answer, success or failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseEnvelope<T> {
    pub success: bool,
    pub errors: Vec<ResponseMessage>,
    pub messages: Vec<ResponseMessage>,
    /// The object or list on success; `null` on failure.
    pub result: Option<T>,
    /// Paging information, on list endpoints only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_info: Option<PageInfo>,
}

impl<T> ResponseEnvelope<T> {
    /// A success carrying `result`.
    pub fn ok(result: T) -> Self {
        ResponseEnvelope {
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
            result: Some(result),
            result_info: None,
        }
    }

    /// A successful page of a list endpoint.
    pub fn page(result: T, info: PageInfo) -> Self {
        ResponseEnvelope {
            result_info: Some(info),
            ..ResponseEnvelope::ok(result)
        }
    }

    /// A failure: `success: false`, the errors, and `result: null`.
    pub fn failure(errors: Vec<ResponseMessage>) -> Self {
        ResponseEnvelope {
            success: false,
            errors,
            messages: Vec::new(),
            result: None,
            result_info: None,
        }
    }
}

/// One entry of `errors` or `messages`: a code (at least 1000, except the rate
/// limit's 971) and a message, with the causes of a wrapper error such as 1004
/// or 6003 in `error_chain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResponseMessage {
    pub code: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ResponseMessage>,
}

impl ResponseMessage {
    /// A message without causes.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ResponseMessage {
            code,
            message: message.into(),
            error_chain: Vec::new(),
        }
    }

    /// A wrapper message with its causes.
    pub fn with_chain(code: u32, message: impl Into<String>, chain: Vec<ResponseMessage>) -> Self {
        ResponseMessage {
            error_chain: chain,
            ..ResponseMessage::new(code, message)
        }
    }

    /// Whether this message or one of its causes carries `code`.
    pub fn has_code(&self, code: u32) -> bool {
        self.code == code || self.error_chain.iter().any(|c| c.has_code(code))
    }
}

impl std::fmt::Display for ResponseMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        for cause in &self.error_chain {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

/// `result_info` of a list answer. The published schema lists the first four
/// keys; the live API also sends `total_pages`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    /// Items on this page.
    pub count: u64,
    /// Items matching the filters, on all pages.
    pub total_count: u64,
    pub total_pages: u64,
}

impl PageInfo {
    /// Page `page` of `per_page` items, holding `count` of `total_count`.
    pub fn new(page: u64, per_page: u64, count: u64, total_count: u64) -> Self {
        PageInfo {
            page,
            per_page,
            count,
            total_count,
            total_pages: if per_page == 0 {
                0
            } else {
                total_count.div_ceil(per_page)
            },
        }
    }
}

/// The result of `GET /user/tokens/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenObject {
    /// The token's public id, never its value.
    pub id: String,
    /// `active`, `disabled` or `expired`.
    pub status: &'static str,
}

/// A zone, as `GET /zones` and `GET /zones/{id}` return it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ZoneObject {
    pub id: String,
    pub name: String,
    /// `initializing`, `pending`, `active` or `moved`.
    pub status: String,
    pub paused: bool,
    /// `full`, `partial` or `secondary`.
    #[serde(rename = "type")]
    pub zone_type: String,
    pub plan: PlanObject,
    pub account: AccountObject,
    pub owner: OwnerObject,
    pub development_mode: i64,
    pub name_servers: Vec<String>,
    // The four fields below are nullable in the schema and always sent.
    pub original_name_servers: Option<Vec<String>>,
    pub original_registrar: Option<String>,
    pub original_dnshost: Option<String>,
    pub activated_on: Option<String>,
    pub created_on: String,
    pub modified_on: String,
    pub meta: ZoneMeta,
    pub permissions: Vec<String>,
}

/// A zone's plan; `legacy_id` (`free`, `pro`, …) is the key clients use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanObject {
    pub id: String,
    pub name: String,
    pub legacy_id: String,
}

/// The account a zone belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountObject {
    pub id: String,
    pub name: String,
}

/// A zone's owner (a user or an organisation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OwnerObject {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub owner_type: String,
}

/// A zone's `meta`: quotas and the setup step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ZoneMeta {
    pub step: u32,
    pub custom_certificate_quota: u32,
    pub page_rule_quota: u32,
    pub phishing_detected: bool,
}

/// A DNS record as the API returns it, and as the sandbox stores it.
///
/// It is read back from state files, which may have been written by hand or
/// saved from the live API, so reading is lenient: fields the sandbox does not
/// keep are ignored and missing ones take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordObject {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub proxiable: bool,
    #[serde(default)]
    pub proxied: bool,
    #[serde(default = "auto_ttl")]
    pub ttl: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// Left out rather than `null`: the published schema does not allow `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<RecordDataFields>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub settings: SettingsObject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_routing: Option<bool>,
    #[serde(default)]
    pub meta: RecordMeta,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub modified_on: String,
    /// Sent only while the record has a comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_modified_on: Option<String>,
    /// Sent only while the record has tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_modified_on: Option<String>,
}

/// A record's `meta` in the base schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    #[serde(default)]
    pub auto_added: bool,
    #[serde(default = "primary_source")]
    pub source: String,
}

fn primary_source() -> String {
    "primary".to_string()
}

impl Default for RecordMeta {
    fn default() -> Self {
        RecordMeta {
            auto_added: false,
            source: primary_source(),
        }
    }
}

/// The result of `DELETE /dns_records/{id}`, and an item of a batch's
/// `deletes`: a record id alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub id: String,
}

/// The result of a batch: every record each list touched, in request order.
/// All four lists are always sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BatchOutput {
    pub deletes: Vec<RecordObject>,
    pub patches: Vec<RecordObject>,
    pub puts: Vec<RecordObject>,
    pub posts: Vec<RecordObject>,
}

// ------------------------------------------------- parts of requests and answers

/// A record's `settings` (newer API): `ipv4_only` and `ipv6_only` for proxied
/// records, and `flatten_cname` for CNAME records. Keys not sent stay unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flatten_cname: Option<bool>,
}

/// A record's structured `data`: the union of the keys the per-type schemas
/// define (CAA, CERT, DNSKEY, DS, HTTPS, LOC, NAPTR, SMIMEA, SRV, SSHFP, SVCB,
/// TLSA, URI). Each is kept as sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordDataFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_tag: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_degrees: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_direction: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_minutes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat_seconds: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_degrees: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_direction: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_minutes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_seconds: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_horz: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_vert: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proto: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Value>,
}

// ---------------------------------------------------------------- requests

/// The `id` of a body that must not carry one (a new record, or a single-record
/// call whose id is in the path). Absent is fine; a value sent is read and
/// dropped, and so counts as an unknown field in a strict reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoId;

impl<'de> Deserialize<'de> for NoId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NoIdVisitor;

        impl<'de> Visitor<'de> for NoIdVisitor {
            type Value = NoId;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("no id")
            }

            fn visit_none<E: de::Error>(self) -> Result<NoId, E> {
                Ok(NoId)
            }

            fn visit_unit<E: de::Error>(self) -> Result<NoId, E> {
                Ok(NoId)
            }

            fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<NoId, D::Error> {
                IgnoredAny::deserialize(value).map(|_| NoId)
            }
        }

        // Through `deserialize_option`, so that a missing `id` reads as none.
        deserializer.deserialize_option(NoIdVisitor)
    }
}

/// The body of `POST /dns_records` and `PUT /dns_records/{id}` (with `Id` =
/// [`NoId`]), and an item of a batch's `posts` ([`NoId`]) and `puts` (`String`).
/// A PUT is a full overwrite: every field left out takes its default.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordInput<Id = NoId> {
    pub id: Id,
    /// The full name, a name relative to the zone, or `@` for the apex.
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: RecordType,
    pub content: String,
    #[serde(default = "auto_ttl")]
    pub ttl: u32,
    #[serde(default)]
    pub proxied: bool,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub priority: Option<u16>,
    #[serde(default)]
    pub data: Option<RecordDataFields>,
    #[serde(default)]
    pub settings: Option<SettingsObject>,
    #[serde(default)]
    pub private_routing: Option<bool>,
}

impl RecordInput {
    /// A new record with the API's defaults: automatic TTL, not proxied, no
    /// comment, tags, data or settings.
    pub fn new(name: &str, record_type: RecordType, content: &str) -> Self {
        RecordInput {
            id: NoId,
            name: name.to_string(),
            record_type,
            content: content.to_string(),
            ttl: AUTO_TTL,
            proxied: false,
            comment: None,
            tags: Vec::new(),
            priority: None,
            data: None,
            settings: None,
            private_routing: None,
        }
    }
}

/// The body of `PATCH /dns_records/{id}` ([`NoId`]) and an item of a batch's
/// `patches` (`String`): only the fields sent change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct RecordEdit<Id = NoId> {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type", default)]
    pub record_type: Option<RecordType>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub ttl: Option<u32>,
    #[serde(default)]
    pub proxied: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub priority: Option<u16>,
    #[serde(default)]
    pub data: Option<RecordDataFields>,
    #[serde(default)]
    pub settings: Option<SettingsObject>,
    #[serde(default)]
    pub private_routing: Option<bool>,
}

/// The body of `POST /dns_records/batch`; Cloudflare runs the lists in the order
/// deletes → patches → puts → posts, in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct BatchInput {
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletes: Vec<RecordRef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub patches: Vec<RecordEdit<String>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub puts: Vec<RecordInput<String>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub posts: Vec<RecordInput>,
}

impl BatchInput {
    /// The number of operations, as the plan limit counts them.
    pub fn len(&self) -> usize {
        self.deletes.len() + self.patches.len() + self.puts.len() + self.posts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_record_may_leave_out_its_id_but_a_put_item_may_not() {
        let post: RecordInput =
            serde_json::from_value(json!({"name": "www", "type": "A", "content": "192.0.2.1"}))
                .unwrap();
        assert_eq!(post, RecordInput::new("www", RecordType::A, "192.0.2.1"));
        let sent_id: RecordInput = serde_json::from_value(
            json!({"id": "x", "name": "www", "type": "A", "content": "192.0.2.1"}),
        )
        .unwrap();
        assert_eq!(sent_id.id, NoId);
        let put: Result<RecordInput<String>, _> =
            serde_json::from_value(json!({"name": "www", "type": "A", "content": "192.0.2.1"}));
        assert!(put.unwrap_err().to_string().contains("missing field `id`"));
    }

    #[test]
    fn records_are_answered_with_the_newer_fields_only_when_set() {
        let record = RecordObject {
            id: "1".into(),
            name: "www.example.com".into(),
            record_type: "A".into(),
            content: "192.0.2.1".into(),
            proxiable: true,
            proxied: false,
            ttl: 1,
            priority: None,
            comment: None,
            tags: Vec::new(),
            data: None,
            settings: SettingsObject::default(),
            private_routing: None,
            meta: RecordMeta::default(),
            created_on: "t0".into(),
            modified_on: "t1".into(),
            comment_modified_on: None,
            tags_modified_on: None,
        };
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({"id": "1", "name": "www.example.com", "type": "A",
                "content": "192.0.2.1", "proxiable": true, "proxied": false, "ttl": 1,
                "tags": [], "settings": {}, "meta": {"auto_added": false, "source": "primary"},
                "created_on": "t0", "modified_on": "t1"})
        );
        let back: RecordObject =
            serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn pages_count_their_total() {
        assert_eq!(PageInfo::new(3, 5000, 2345, 12_345).total_pages, 3);
        assert_eq!(PageInfo::new(1, 0, 0, 7).total_pages, 0);
    }
}
