//! Every conversion between Cloudflare's wire JSON (`types`) and flaredns's
//! own record types: records read from the API become [`ZoneRecord`]s, planned
//! records become request bodies, and [`Differences`] become PATCH bodies.

use std::sync::Arc;

use serde_json::Value;

use super::types::{ReadRecord, RecordPatch, RecordRequest, RecordSettings};
use crate::endpoint::{RecordType, ZoneRecord, normalize_owned_name};
use crate::plan::RecordSpec;
use crate::record::{
    Differences, FieldChange, PerRecordSettings, RecordContent, RecordData, StructuredContent,
};

/// A record whose type flaredns does not manage; it is left out of the zone's
/// records and reported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("record {id} ({name}) has type {record_type:?}, which flaredns does not manage")]
pub struct UnsupportedRecord {
    pub id: String,
    pub name: String,
    pub record_type: String,
}

/// The record in flaredns's vocabulary: name normalised, type parsed, an empty
/// comment read as no comment, the strings moved rather than copied.
/// `zone_id` is the zone the record was read from (the record's own `zone_id`
/// is legacy and often absent).
pub fn zone_record(
    record: ReadRecord,
    zone_id: &Arc<str>,
) -> Result<ZoneRecord, UnsupportedRecord> {
    // No `..`: a field read from the wire must be carried over or dropped here.
    let ReadRecord {
        id,
        name,
        record_type,
        content,
        ttl,
        proxied,
        comment,
        tags,
        priority,
        data,
        settings,
    } = record;
    let Ok(parsed_type) = record_type.parse::<RecordType>() else {
        return Err(UnsupportedRecord {
            id,
            name,
            record_type,
        });
    };
    let content = match data {
        Some(data) if parsed_type.uses_structured_data() && !is_empty_data(&data) => {
            RecordContent::Structured(Box::new(StructuredContent {
                text: content.into_boxed_str(),
                data: *data,
            }))
        }
        _ => RecordContent::from(content),
    };
    Ok(ZoneRecord {
        id: id.into_boxed_str(),
        zone_id: Arc::clone(zone_id),
        name: normalize_owned_name(name),
        record_type: parsed_type,
        data: RecordData::new(content)
            .with_ttl(ttl)
            .with_proxied(proxied)
            .with_priority(priority)
            .with_comment(comment)
            .with_tags(tags)
            .with_settings(core_settings(settings)),
    })
}

/// `null` or `{}`: no structured content.
fn is_empty_data(data: &Value) -> bool {
    match data {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// The settings a record has: a setting Cloudflare leaves out is off.
fn core_settings(settings: Option<RecordSettings>) -> PerRecordSettings {
    let RecordSettings {
        ipv4_only,
        ipv6_only,
        flatten_cname,
    } = settings.unwrap_or_default();
    PerRecordSettings {
        ipv4_only: ipv4_only.unwrap_or(false),
        ipv6_only: ipv6_only.unwrap_or(false),
        flatten_cname: flatten_cname.unwrap_or(false),
    }
}

/// The settings a full request sends: only those that are on, and nothing at
/// all when every setting is off (the API's default).
fn wire_settings(settings: PerRecordSettings) -> Option<RecordSettings> {
    let PerRecordSettings {
        ipv4_only,
        ipv6_only,
        flatten_cname,
    } = settings;
    let on = |flag: bool| flag.then_some(true);
    (!settings.is_default()).then_some(RecordSettings {
        ipv4_only: on(ipv4_only),
        ipv6_only: on(ipv6_only),
        flatten_cname: on(flatten_cname),
    })
}

/// The settings a PATCH sends: each one that changes, with its new value.
fn changed_settings(change: &FieldChange<PerRecordSettings>) -> RecordSettings {
    let PerRecordSettings {
        ipv4_only,
        ipv6_only,
        flatten_cname,
    } = change.after;
    let before = change.before;
    let changed = |was: bool, now: bool| (was != now).then_some(now);
    RecordSettings {
        ipv4_only: changed(before.ipv4_only, ipv4_only),
        ipv6_only: changed(before.ipv6_only, ipv6_only),
        flatten_cname: changed(before.flatten_cname, flatten_cname),
    }
}

/// The body that creates (or overwrites) a record with exactly these fields.
pub fn record_request(name: &str, record_type: RecordType, data: &RecordData) -> RecordRequest {
    RecordRequest {
        name: name.to_string(),
        record_type,
        content: data.content.text().to_string(),
        ttl: data.ttl,
        proxied: data.proxied,
        comment: data.comment().map(str::to_string),
        tags: data.tags().to_vec(),
        priority: data.priority,
        data: data.content.structured_data().cloned(),
        settings: wire_settings(data.settings()),
    }
}

impl From<&RecordSpec> for RecordRequest {
    fn from(spec: &RecordSpec) -> Self {
        record_request(&spec.name, spec.record_type, &spec.data)
    }
}

impl From<&ZoneRecord> for RecordRequest {
    fn from(record: &ZoneRecord) -> Self {
        record_request(&record.name, record.record_type, &record.data)
    }
}

/// The PATCH body for what differs: only those fields, so that anything else
/// on the record is kept. An empty comment removes the comment.
pub fn record_patch(differences: &Differences<'_>) -> RecordPatch {
    // No `..`: a new difference must reach the wire here before anything compiles.
    let Differences {
        content,
        ttl,
        proxied,
        comment,
        tags,
        priority,
        settings,
    } = differences;
    let (content, data) = match content.map(|c| c.after) {
        None => (None, None),
        Some(RecordContent::Text(text)) => (Some(text.to_string()), None),
        Some(RecordContent::Structured(structured)) => (None, Some(structured.data.clone())),
    };
    RecordPatch {
        name: None,
        record_type: None,
        content,
        ttl: ttl.map(|c| c.after),
        proxied: proxied.map(|c| c.after),
        comment: comment.map(|c| c.after.unwrap_or_default().to_string()),
        tags: tags.map(|c| c.after.to_vec()),
        priority: priority.and_then(|c| c.after),
        data,
        settings: settings.as_ref().map(changed_settings),
    }
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

    fn read(value: Value) -> ZoneRecord {
        let record: ReadRecord = serde_json::from_value(value).unwrap();
        zone_record(record, &"zone1".into()).unwrap()
    }

    #[test]
    fn records_parse_tolerantly_and_convert() {
        let zr = read(record_value());
        assert_eq!(zr.name, "www.example.com");
        assert_eq!(zr.record_type, RecordType::A);
        assert_eq!(&*zr.zone_id, "zone1");
        assert!(zr.data.proxied);
        assert_eq!(zr.data.ttl, 1);
        assert_eq!(zr.data.settings(), PerRecordSettings::default());
    }

    #[test]
    fn missing_comment_and_empty_comment_mean_none() {
        let mut v = record_value();
        v.as_object_mut().unwrap().remove("comment");
        assert_eq!(read(v.clone()).data.comment(), None);
        v["comment"] = Value::String(String::new());
        assert_eq!(read(v).data.comment(), None);
    }

    #[test]
    fn settings_are_read_and_absent_ones_are_off() {
        let mut v = record_value();
        v["settings"] = serde_json::json!({"ipv4_only": true, "flatten_cname": false});
        assert_eq!(
            read(v).data.settings(),
            PerRecordSettings {
                ipv4_only: true,
                ..PerRecordSettings::default()
            }
        );
    }

    #[test]
    fn structured_data_is_kept_only_for_the_types_that_use_it() {
        let mut v = record_value();
        v["data"] = serde_json::json!({"flags": 0, "tag": "issue", "value": "ca.example"});
        assert_eq!(read(v.clone()).data.content.structured_data(), None);
        v["type"] = Value::String("CAA".into());
        v["content"] = Value::String("0 issue \"ca.example\"".into());
        let caa = read(v);
        assert_eq!(caa.content(), "0 issue \"ca.example\"");
        assert_eq!(
            caa.data.content.structured_data().unwrap()["tag"],
            serde_json::json!("issue")
        );
    }

    #[test]
    fn unknown_types_are_kept_apart_with_an_error() {
        let mut other = record_value();
        other["type"] = Value::String("FUTURE".into());
        other["id"] = Value::String("b".repeat(32));
        let record: ReadRecord = serde_json::from_value(other).unwrap();
        assert_eq!(
            zone_record(record, &"z".into()),
            Err(UnsupportedRecord {
                id: "b".repeat(32),
                name: "WWW.Example.com".into(),
                record_type: "FUTURE".into(),
            })
        );
    }

    #[test]
    fn record_requests_round_trip_from_zone_records() {
        let request = RecordRequest::from(&read(record_value()));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"name": "www.example.com", "type": "A",
                               "content": "198.51.100.4", "ttl": 1, "proxied": true})
        );
    }

    #[test]
    fn requests_send_only_the_settings_that_are_on() {
        let data = RecordData::new("192.0.2.1").with_settings(PerRecordSettings {
            ipv6_only: true,
            ..PerRecordSettings::default()
        });
        let request = record_request("a.example.com", RecordType::A, &data);
        assert_eq!(
            serde_json::to_value(&request).unwrap()["settings"],
            serde_json::json!({"ipv6_only": true})
        );
    }

    #[test]
    fn patches_carry_only_what_changes() {
        let before = RecordData::new("192.0.2.1")
            .with_ttl(300)
            .with_comment(Some("kept".into()))
            .with_settings(PerRecordSettings {
                ipv4_only: true,
                ..PerRecordSettings::default()
            });
        let after = RecordData::new("192.0.2.1")
            .with_proxied(true)
            .with_comment(Some("kept".into()));
        assert_eq!(
            serde_json::to_value(record_patch(&before.differences(&after))).unwrap(),
            serde_json::json!({"ttl": 1, "proxied": true, "settings": {"ipv4_only": false}})
        );
    }

    #[test]
    fn a_removed_comment_is_sent_empty_and_tags_whole() {
        let before = RecordData::new("x")
            .with_comment(Some("old".into()))
            .with_tags(vec!["a:1".into()]);
        let after = RecordData::new("x").with_tags(vec!["a:1".into(), "b:2".into()]);
        assert_eq!(
            serde_json::to_value(record_patch(&before.differences(&after))).unwrap(),
            serde_json::json!({"comment": "", "tags": ["a:1", "b:2"]})
        );
    }
}
