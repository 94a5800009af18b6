//! The Cloudflare v4 API's JSON, shared by the HTTP client and the sandbox server.
//!
//! Both sides of the wire use these types so that what the client sends is exactly
//! what the sandbox parses, and what the sandbox answers is exactly what the client
//! reads. Response types are tolerant: unknown fields are ignored and fields that
//! Cloudflare does not always send are optional, because the live API adds fields
//! over time and drops legacy ones (`zone_id`, `zone_name`). Request types are
//! strict and typed ([`RecordType`]).
//!
//! Wire structs only: conversion to and from flaredns's own types is in
//! `convert`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::endpoint::RecordType;
pub use crate::record::AUTO_TTL;

fn auto_ttl() -> u32 {
    AUTO_TTL
}

/// Reads `null` as the type's default (Cloudflare sends `"tags": null` on some
/// records, and an empty list means the same).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The envelope around every response body, success or failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub success: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiMessage>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub messages: Vec<ApiMessage>,
    /// The object or list on success; `null` on failure.
    #[serde(default)]
    pub result: Option<T>,
    /// Paging information, on list endpoints only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_info: Option<ResultInfo>,
}

impl<T> Envelope<T> {
    /// A successful response carrying `result`.
    pub fn ok(result: T) -> Self {
        Envelope {
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
            result: Some(result),
            result_info: None,
        }
    }

    /// A successful page of a list endpoint.
    pub fn page(result: T, info: ResultInfo) -> Self {
        Envelope {
            result_info: Some(info),
            ..Envelope::ok(result)
        }
    }

    /// A failure: `success: false`, the errors, and `result: null`.
    pub fn failure(errors: Vec<ApiMessage>) -> Self {
        Envelope {
            success: false,
            errors,
            messages: Vec::new(),
            result: None,
            result_info: None,
        }
    }
}

/// One entry of `errors` or `messages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiMessage {
    pub code: u32,
    pub message: String,
    /// The causes of a wrapper error such as 1004 or 6003.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub error_chain: Vec<ApiMessage>,
}

impl ApiMessage {
    /// A message without causes.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ApiMessage {
            code,
            message: message.into(),
            error_chain: Vec::new(),
        }
    }

    /// A wrapper message with its causes.
    pub fn with_chain(code: u32, message: impl Into<String>, chain: Vec<ApiMessage>) -> Self {
        ApiMessage {
            error_chain: chain,
            ..ApiMessage::new(code, message)
        }
    }

    /// Whether this message or one of its causes carries `code` (Cloudflare sends
    /// validation codes both at the top level and inside a 1004 chain).
    pub fn has_code(&self, code: u32) -> bool {
        self.code == code || self.error_chain.iter().any(|c| c.has_code(code))
    }
}

impl std::fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        for cause in &self.error_chain {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

/// Paging information of a list response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultInfo {
    #[serde(default)]
    pub page: u64,
    #[serde(default)]
    pub per_page: u64,
    /// Items on this page.
    #[serde(default)]
    pub count: u64,
    /// Items matching the filters, on all pages.
    #[serde(default)]
    pub total_count: u64,
    /// Sent by the live API although the published schema omits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u64>,
}

impl ResultInfo {
    /// Paging information for `count` items of `total_count` on page `page`.
    pub fn new(page: u64, per_page: u64, count: u64, total_count: u64) -> Self {
        ResultInfo {
            page,
            per_page,
            count,
            total_count,
            total_pages: Some(pages_for(total_count, per_page)),
        }
    }

    /// The number of pages: `total_pages` when sent, else derived from
    /// `total_count` and `per_page`.
    pub fn page_count(&self) -> u64 {
        self.total_pages
            .unwrap_or_else(|| pages_for(self.total_count, self.per_page))
    }
}

/// `ceil(total / per_page)`, zero when either is zero.
fn pages_for(total: u64, per_page: u64) -> u64 {
    if per_page == 0 {
        return 0;
    }
    total.div_ceil(per_page)
}

/// A zone, as `GET /zones` and `GET /zones/{id}` return it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneObject {
    pub id: String,
    pub name: String,
    /// `initializing`, `pending`, `active` or `moved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// `full`, `partial`, `secondary` or `internal`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub zone_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<ZonePlan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<ZoneAccount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<ZoneOwner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub development_mode: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name_servers: Vec<String>,
    // The four fields below are nullable in the schema and always sent.
    #[serde(default)]
    pub original_name_servers: Option<Vec<String>>,
    #[serde(default)]
    pub original_registrar: Option<String>,
    #[serde(default)]
    pub original_dnshost: Option<String>,
    #[serde(default)]
    pub activated_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_on: Option<String>,
    /// Free-form details (quotas, setup step); the keys vary over time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub permissions: Vec<String>,
}

/// A zone's plan. `legacy_id` (`free`, `pro`, `business`, `enterprise`) is the
/// stable key; `name` is for display.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonePlan {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<String>,
}

/// The account a zone belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneAccount {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// The owner of a zone (a user or an organisation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneOwner {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<String>,
}

/// A DNS record as the API returns it, every field: what the sandbox stores and
/// answers. The client reads records as [`ReadRecord`]s, which skip what
/// flaredns does not use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnsRecord {
    pub id: String,
    /// Legacy; not always sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    /// Legacy; not always sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    #[serde(default)]
    pub content: String,
    #[serde(default = "auto_ttl")]
    pub ttl: u32,
    #[serde(default)]
    pub proxied: bool,
    #[serde(default)]
    pub proxiable: bool,
    /// `null` and a missing comment both mean "no comment".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// Structured content of CAA, SRV, LOC, … records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default)]
    pub created_on: String,
    #[serde(default)]
    pub modified_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RecordSettings>,
}

/// Per-record settings (newer API).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flatten_cname: Option<bool>,
}

/// A DNS record as the client reads it, from a listing, a batch result or a
/// saved zone file: only the fields a [`crate::endpoint::ZoneRecord`] keeps.
/// The rest of the API's record (`meta`, timestamps, `proxiable`) is skipped
/// while parsing instead of being built and dropped, which halves the memory a
/// page of a large zone takes.
///
/// The type stays a string so that a zone holding a record of a type flaredns
/// does not know still parses; the conversion sorts those out.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReadRecord {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    #[serde(default)]
    pub content: String,
    #[serde(default = "auto_ttl")]
    pub ttl: u32,
    #[serde(default)]
    pub proxied: bool,
    /// `null` and a missing comment both mean "no comment".
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub priority: Option<u16>,
    /// Structured content of CAA, SRV, LOC, … records (boxed: most records
    /// have none, and a page holds thousands).
    #[serde(default)]
    pub data: Option<Box<Value>>,
    #[serde(default)]
    pub settings: Option<RecordSettings>,
}

/// The body of `POST /dns_records` and `PUT /dns_records/{id}`, and of batch
/// `posts` and `puts`. A PUT is a full overwrite: every field left out goes back
/// to its default, so the whole record is always sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRequest {
    /// The full name (`@` and names relative to the zone are accepted too).
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: RecordType,
    pub content: String,
    #[serde(default = "auto_ttl")]
    pub ttl: u32,
    #[serde(default)]
    pub proxied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// Structured content, for the types that use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Left out when every setting is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RecordSettings>,
}

impl RecordRequest {
    /// A record with the API's defaults: automatic TTL, not proxied, no comment,
    /// no tags.
    pub fn new(name: &str, record_type: RecordType, content: &str) -> Self {
        RecordRequest {
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
        }
    }
}

/// The body of `PATCH /dns_records/{id}` and of batch `patches`: only the fields
/// sent change. An empty comment removes the comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<RecordType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Only the settings that change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RecordSettings>,
}

/// A record id, as batch `deletes` carry it (and as `DELETE` returns it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordId {
    pub id: String,
}

/// A batch item that addresses an existing record: the id next to the body's
/// fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithId<T> {
    pub id: String,
    #[serde(flatten)]
    pub body: T,
}

/// A batch `patches` item.
pub type BatchPatch = WithId<RecordPatch>;
/// A batch `puts` item.
pub type BatchPut = WithId<RecordRequest>;

/// The body of `POST /dns_records/batch`. Cloudflare runs the lists in the order
/// deletes → patches → puts → posts, in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequest {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub deletes: Vec<RecordId>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub patches: Vec<BatchPatch>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub puts: Vec<BatchPut>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub posts: Vec<RecordRequest>,
}

impl BatchRequest {
    /// The number of operations, which the zone's plan limits per request.
    pub fn len(&self) -> usize {
        self.deletes.len() + self.patches.len() + self.puts.len() + self.posts.len()
    }

    /// Whether the batch holds no operation.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `result` of a batch: the full records each list touched, in request order
/// (deleted records as they were; posts with their new ids). The sandbox
/// answers with [`DnsRecord`]s; the client reads [`ReadRecord`]s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de>"))]
pub struct BatchResponse<R = DnsRecord> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub deletes: Vec<R>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub patches: Vec<R>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub puts: Vec<R>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub posts: Vec<R>,
}

impl<R> Default for BatchResponse<R> {
    fn default() -> Self {
        BatchResponse {
            deletes: Vec::new(),
            patches: Vec::new(),
            puts: Vec::new(),
            posts: Vec::new(),
        }
    }
}

/// The `result` of `GET /user/tokens/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenVerify {
    pub id: String,
    pub status: TokenStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}

/// The state of an API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    Active,
    Disabled,
    Expired,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_serialise_as_the_api_does() {
        let failure: Envelope<()> = Envelope::failure(vec![ApiMessage::with_chain(
            1004,
            "DNS Validation Error",
            vec![ApiMessage::new(9021, "Invalid TTL")],
        )]);
        assert_eq!(
            serde_json::to_value(&failure).unwrap(),
            serde_json::json!({
                "success": false,
                "errors": [{"code": 1004, "message": "DNS Validation Error",
                            "error_chain": [{"code": 9021, "message": "Invalid TTL"}]}],
                "messages": [],
                "result": null
            })
        );
        assert!(failure.errors[0].has_code(9021));
        let page = Envelope::page(vec![1], ResultInfo::new(3, 5000, 2345, 12345));
        assert_eq!(page.result_info.unwrap().total_pages, Some(3));
    }

    #[test]
    fn page_count_falls_back_to_total_count() {
        let info: ResultInfo =
            serde_json::from_str(r#"{"page":1,"per_page":100,"count":100,"total_count":201}"#)
                .unwrap();
        assert_eq!(info.page_count(), 3);
        assert_eq!(ResultInfo::default().page_count(), 0);
    }

    #[test]
    fn batch_requests_skip_empty_lists_and_flatten_ids() {
        let batch = BatchRequest {
            deletes: vec![RecordId { id: "a".into() }],
            patches: vec![WithId {
                id: "b".into(),
                body: RecordPatch {
                    ttl: Some(300),
                    ..RecordPatch::default()
                },
            }],
            ..BatchRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&batch).unwrap(),
            serde_json::json!({"deletes": [{"id": "a"}], "patches": [{"id": "b", "ttl": 300}]})
        );
        assert_eq!(batch.len(), 2);
        let back: BatchRequest =
            serde_json::from_value(serde_json::to_value(&batch).unwrap()).unwrap();
        assert_eq!(back, batch);
        let put: BatchPut = serde_json::from_str(
            r#"{"id":"c","name":"a.example.com","type":"TXT","content":"\"x\""}"#,
        )
        .unwrap();
        assert_eq!(put.body.ttl, AUTO_TTL);
        assert_eq!(put.body.record_type, RecordType::Txt);
    }

    #[test]
    fn zones_parse_with_unknown_fields() {
        let zone: ZoneObject = serde_json::from_str(
            r#"{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"example.com","status":"active",
                "plan":{"id":"0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee","name":"Free Website","legacy_id":"free","price":0},
                "name_servers":null,"brand_new":1}"#,
        )
        .unwrap();
        assert_eq!(zone.plan.unwrap().legacy_id.as_deref(), Some("free"));
        assert!(zone.name_servers.is_empty());
    }

    #[test]
    fn token_verify_parses() {
        let v: TokenVerify =
            serde_json::from_str(r#"{"id":"ed17574386854bf78a67040be0a770b0","status":"active"}"#)
                .unwrap();
        assert_eq!(v.status, TokenStatus::Active);
    }
}
