//! The Cloudflare v4 API's JSON, shared by the HTTP client and the sandbox server.
//!
//! Both sides of the wire use these types so that what the client sends is exactly
//! what the sandbox parses, and what the sandbox answers is exactly what the client
//! reads. Response types are tolerant: unknown fields are ignored and fields that
//! Cloudflare does not always send are optional, because the live API adds fields
//! over time and drops legacy ones (`zone_id`, `zone_name`). Request types are
//! strict and typed ([`RecordType`]).
//!
//! [`parse_record_list`] reads a zone's records as users save them from the live
//! API, for `flaredns plan --zone-file`.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::endpoint::{RecordType, ZoneRecord, normalize_owned_name};

/// The TTL Cloudflare uses for "automatic".
pub const AUTO_TTL: u32 = 1;

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
pub struct Zone {
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

/// A DNS record as the API returns it.
///
/// The type stays a string so that a zone holding a record of a type flaredns does
/// not know still parses; [`DnsRecord::to_zone_record`] sorts those out.
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

/// A record whose type flaredns does not manage; it is left out of the zone's
/// records and reported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("record {id} ({name}) has type {record_type:?}, which flaredns does not manage")]
pub struct UnsupportedRecord {
    pub id: String,
    pub name: String,
    pub record_type: String,
}

impl DnsRecord {
    /// The record in flaredns's vocabulary: name normalised, type parsed, an empty
    /// comment read as no comment. `zone_id` is the zone the record was listed
    /// from (the record's own `zone_id` is legacy and often absent).
    pub fn to_zone_record(&self, zone_id: &Arc<str>) -> Result<ZoneRecord, UnsupportedRecord> {
        ListedRecord {
            id: self.id.clone(),
            name: self.name.clone(),
            record_type: self.record_type.clone(),
            content: self.content.clone(),
            ttl: self.ttl,
            proxied: self.proxied,
            comment: self.comment.clone(),
            tags: self.tags.clone(),
            priority: self.priority,
        }
        .into_zone_record(zone_id)
    }
}

/// A DNS record as a listing reads it: only the fields a [`ZoneRecord`] keeps.
/// The rest of the API's record (`meta`, `data`, timestamps, settings) is
/// skipped while parsing instead of being built and dropped, which halves the
/// memory a page of a large zone takes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ListedRecord {
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
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub priority: Option<u16>,
}

impl ListedRecord {
    /// [`DnsRecord::to_zone_record`], moving the strings instead of copying them.
    pub fn into_zone_record(self, zone_id: &Arc<str>) -> Result<ZoneRecord, UnsupportedRecord> {
        let Ok(record_type) = self.record_type.parse::<RecordType>() else {
            return Err(UnsupportedRecord {
                id: self.id,
                name: self.name,
                record_type: self.record_type,
            });
        };
        Ok(ZoneRecord {
            id: self.id.into_boxed_str(),
            zone_id: Arc::clone(zone_id),
            name: normalize_owned_name(self.name),
            record_type,
            content: self.content.into_boxed_str(),
            ttl: self.ttl,
            proxied: self.proxied,
            comment: self.comment.filter(|c| !c.is_empty()),
            tags: self.tags,
            priority: self.priority,
        })
    }
}

/// Converts a zone's records, keeping the ones flaredns cannot manage apart.
pub fn zone_records(
    records: &[DnsRecord],
    zone_id: &str,
) -> (Vec<ZoneRecord>, Vec<UnsupportedRecord>) {
    let zone_id: Arc<str> = zone_id.into();
    let mut known = Vec::with_capacity(records.len());
    let mut unknown = Vec::new();
    for record in records {
        match record.to_zone_record(&zone_id) {
            Ok(r) => known.push(r),
            Err(e) => unknown.push(e),
        }
    }
    (known, unknown)
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
        }
    }
}

impl From<&ZoneRecord> for RecordRequest {
    fn from(r: &ZoneRecord) -> Self {
        RecordRequest {
            name: r.name.clone(),
            record_type: r.record_type,
            content: r.content.to_string(),
            ttl: r.ttl,
            proxied: r.proxied,
            comment: r.comment.clone(),
            tags: r.tags.clone(),
            priority: r.priority,
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
/// (deleted records as they were; posts with their new ids).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletes: Vec<DnsRecord>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub patches: Vec<DnsRecord>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub puts: Vec<DnsRecord>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub posts: Vec<DnsRecord>,
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

/// Why a saved zone file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordListError {
    #[error("the zone file is not valid JSON: {0}")]
    Syntax(#[source] serde_json::Error),
    #[error(
        "the zone file must hold a list-records response, an array of them, or an array of records; found {0}"
    )]
    Shape(&'static str),
    #[error("the zone file does not match the Cloudflare record format at {path}: {source}")]
    Format {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the response at {at} reports a failure: {errors}")]
    Failure { at: String, errors: String },
    #[error("the response at {at} has no result")]
    NoResult { at: String },
}

/// Reads a zone's records from a file holding what the live API returned, in any
/// of three shapes: one list-records response envelope, an array of such
/// envelopes (several pages), or the bare `result` array.
pub fn parse_record_list(json: &str) -> Result<Vec<DnsRecord>, RecordListError> {
    let value: Value = serde_json::from_str(json).map_err(RecordListError::Syntax)?;
    match &value {
        Value::Object(_) => records_of(from_value(value)?, "the top level"),
        Value::Array(items) => {
            let envelopes = items.first().is_some_and(|first| {
                first.get("result").is_some() || first.get("success").is_some()
            });
            if !envelopes {
                return from_value(value);
            }
            let pages: Vec<Envelope<Vec<DnsRecord>>> = from_value(value)?;
            let mut records = Vec::new();
            for (i, page) in pages.into_iter().enumerate() {
                records.extend(records_of(page, &format!("[{i}]"))?);
            }
            Ok(records)
        }
        Value::Null => Err(RecordListError::Shape("null")),
        Value::Bool(_) => Err(RecordListError::Shape("a boolean")),
        Value::Number(_) => Err(RecordListError::Shape("a number")),
        Value::String(_) => Err(RecordListError::Shape("a string")),
    }
}

/// Deserialises with the path of the first mismatch in the error.
fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, RecordListError> {
    serde_path_to_error::deserialize(value).map_err(|e| RecordListError::Format {
        path: e.path().to_string(),
        source: e.into_inner(),
    })
}

fn records_of(
    envelope: Envelope<Vec<DnsRecord>>,
    at: &str,
) -> Result<Vec<DnsRecord>, RecordListError> {
    if !envelope.success {
        let errors = envelope
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(RecordListError::Failure {
            at: at.to_string(),
            errors,
        });
    }
    envelope
        .result
        .ok_or_else(|| RecordListError::NoResult { at: at.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{
        "id": "023e105f4ecef8ad9ca31a8372d0c353",
        "name": "WWW.Example.com",
        "type": "A",
        "content": "198.51.100.4",
        "ttl": 1,
        "proxied": true,
        "proxiable": true,
        "comment": null,
        "tags": [],
        "created_on": "2014-01-01T05:20:00.12345Z",
        "modified_on": "2014-01-01T05:20:00.12345Z",
        "meta": {"auto_added": false},
        "settings": {},
        "locked": false,
        "something_new": {"nested": true}
    }"#;

    fn record_value() -> Value {
        serde_json::from_str(RECORD).unwrap()
    }

    #[test]
    fn records_parse_tolerantly_and_convert() {
        let record: DnsRecord = serde_json::from_str(RECORD).unwrap();
        assert_eq!(record.comment, None);
        assert_eq!(record.settings, Some(RecordSettings::default()));
        let zr = record.to_zone_record(&"zone1".into()).unwrap();
        assert_eq!(zr.name, "www.example.com");
        assert_eq!(zr.record_type, RecordType::A);
        assert_eq!(&*zr.zone_id, "zone1");
        assert!(zr.proxied);
        assert_eq!(zr.ttl, 1);
    }

    #[test]
    fn missing_comment_and_empty_comment_mean_none() {
        let mut v = record_value();
        v.as_object_mut().unwrap().remove("comment");
        let record: DnsRecord = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(record.comment, None);
        v["comment"] = Value::String(String::new());
        let record: DnsRecord = serde_json::from_value(v).unwrap();
        assert_eq!(record.to_zone_record(&"z".into()).unwrap().comment, None);
    }

    #[test]
    fn unknown_types_are_kept_apart_with_an_error() {
        let mut other = record_value();
        other["type"] = Value::String("FUTURE".into());
        other["id"] = Value::String("b".repeat(32));
        let records: Vec<DnsRecord> =
            serde_json::from_value(Value::Array(vec![record_value(), other])).unwrap();
        let (known, unknown) = zone_records(&records, "z");
        assert_eq!(known.len(), 1);
        assert_eq!(
            unknown,
            vec![UnsupportedRecord {
                id: "b".repeat(32),
                name: "WWW.Example.com".into(),
                record_type: "FUTURE".into(),
            }]
        );
    }

    #[test]
    fn record_list_accepts_three_shapes() {
        let bare = format!("[{RECORD}]");
        let envelope = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":[{RECORD}],
                "result_info":{{"page":1,"per_page":100,"count":1,"total_count":1,"total_pages":1}}}}"#
        );
        let pages = format!("[{envelope}, {envelope}]");
        assert_eq!(parse_record_list(&bare).unwrap().len(), 1);
        assert_eq!(parse_record_list(&envelope).unwrap().len(), 1);
        assert_eq!(parse_record_list(&pages).unwrap().len(), 2);
        assert_eq!(parse_record_list("[]").unwrap().len(), 0);
    }

    #[test]
    fn record_list_errors_name_the_position() {
        let mut bad = record_value();
        bad["ttl"] = Value::String("auto".into());
        let envelope = serde_json::json!({
            "success": true, "errors": [], "messages": [], "result": [record_value(), bad]
        });
        let pages = Value::Array(vec![envelope.clone(), envelope]).to_string();
        let err = parse_record_list(&pages).unwrap_err();
        match &err {
            RecordListError::Format { path, .. } => assert_eq!(path, "[0].result[1].ttl"),
            other => panic!("unexpected error {other}"),
        }
        assert!(matches!(
            parse_record_list("{\"success\": true"),
            Err(RecordListError::Syntax(_))
        ));
        assert!(matches!(
            parse_record_list("42"),
            Err(RecordListError::Shape("a number"))
        ));
    }

    #[test]
    fn record_list_reports_failed_and_empty_pages() {
        let failed = r#"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}"#;
        let err = parse_record_list(failed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the response at the top level reports a failure: Invalid access token (9109)"
        );
        let empty = r#"[{"success":true,"errors":[],"messages":[],"result":null}]"#;
        assert!(matches!(
            parse_record_list(empty),
            Err(RecordListError::NoResult { at }) if at == "[0]"
        ));
    }

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
    fn record_requests_round_trip_from_zone_records() {
        let record: DnsRecord = serde_json::from_str(RECORD).unwrap();
        let zr = record.to_zone_record(&"z".into()).unwrap();
        let request = RecordRequest::from(&zr);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"name": "www.example.com", "type": "A",
                               "content": "198.51.100.4", "ttl": 1, "proxied": true})
        );
    }

    #[test]
    fn zones_parse_with_unknown_fields() {
        let zone: Zone = serde_json::from_str(
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
