//! A DNS record as the API answers it (and the sandbox stores it), with its
//! `settings`, `data` and `meta`, and the results of a delete and a batch.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{auto_ttl, null_as_default};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
