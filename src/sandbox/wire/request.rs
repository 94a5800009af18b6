//! The bodies of record writes (create, PUT, PATCH) and of a batch. Each names
//! every field the schema defines, so that a strict reading can refuse any
//! other.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use super::record::{RecordDataFields, RecordRef, SettingsObject};
use super::{AUTO_TTL, auto_ttl, null_as_default};
use crate::endpoint::RecordType;

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
}
