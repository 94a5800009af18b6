//! Reading a zone as users save it from the live API, for `flaredns plan
//! --zone-file` and `flaredns sandbox --zone-file`.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::endpoint::ZoneRecord;
use crate::provider::cloudflare::convert::{self, UnsupportedRecord};
use crate::provider::cloudflare::types::{Envelope, ReadRecord};

/// The zone a saved record names, in the legacy fields Cloudflare may still
/// send with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RecordZone {
    #[serde(default)]
    pub zone_id: Option<String>,
    #[serde(default)]
    pub zone_name: Option<String>,
}

/// The records of a saved zone file, converted for the zone with id
/// `zone_id`; records of types flaredns does not manage are kept apart.
pub fn zone_records(
    records: Vec<ReadRecord>,
    zone_id: &str,
) -> (Vec<ZoneRecord>, Vec<UnsupportedRecord>) {
    let zone_id: Arc<str> = zone_id.into();
    let mut known = Vec::with_capacity(records.len());
    let mut unknown = Vec::new();
    for record in records {
        match convert::zone_record(record, &zone_id) {
            Ok(r) => known.push(r),
            Err(e) => unknown.push(e),
        }
    }
    (known, unknown)
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
/// envelopes (several pages), or the bare `result` array. `T` is what is read
/// of each record: a [`ReadRecord`], or its [`RecordZone`].
pub fn parse_record_list<T: DeserializeOwned>(json: &str) -> Result<Vec<T>, RecordListError> {
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
            let pages: Vec<Envelope<Vec<T>>> = from_value(value)?;
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
fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, RecordListError> {
    serde_path_to_error::deserialize(value).map_err(|e| RecordListError::Format {
        path: e.path().to_string(),
        source: e.into_inner(),
    })
}

fn records_of<T>(envelope: Envelope<Vec<T>>, at: &str) -> Result<Vec<T>, RecordListError> {
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
        "zone_name": "example.com",
        "name": "WWW.Example.com",
        "type": "A",
        "content": "198.51.100.4",
        "ttl": 1,
        "proxied": true,
        "comment": null,
        "tags": [],
        "meta": {"auto_added": false},
        "settings": {}
    }"#;

    fn record_value() -> Value {
        serde_json::from_str(RECORD).unwrap()
    }

    fn read(json: &str) -> Result<Vec<ReadRecord>, RecordListError> {
        parse_record_list(json)
    }

    #[test]
    fn records_and_their_zones_are_read_apart() {
        let bare = format!("[{RECORD}]");
        let zones: Vec<RecordZone> = parse_record_list(&bare).unwrap();
        assert_eq!(zones[0].zone_name.as_deref(), Some("example.com"));
        let (known, unknown) = zone_records(read(&bare).unwrap(), "z");
        assert_eq!((known.len(), unknown.len()), (1, 0));
        assert_eq!(known[0].name, "www.example.com");
    }

    #[test]
    fn record_list_accepts_three_shapes() {
        let bare = format!("[{RECORD}]");
        let envelope = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":[{RECORD}],
                "result_info":{{"page":1,"per_page":100,"count":1,"total_count":1,"total_pages":1}}}}"#
        );
        let pages = format!("[{envelope}, {envelope}]");
        assert_eq!(read(&bare).unwrap().len(), 1);
        assert_eq!(read(&envelope).unwrap().len(), 1);
        assert_eq!(read(&pages).unwrap().len(), 2);
        assert_eq!(read("[]").unwrap().len(), 0);
    }

    #[test]
    fn record_list_errors_name_the_position() {
        let mut bad = record_value();
        bad["ttl"] = Value::String("auto".into());
        let envelope = serde_json::json!({
            "success": true, "errors": [], "messages": [], "result": [record_value(), bad]
        });
        let pages = Value::Array(vec![envelope.clone(), envelope]).to_string();
        let err = read(&pages).unwrap_err();
        match &err {
            RecordListError::Format { path, .. } => assert_eq!(path, "[0].result[1].ttl"),
            other => panic!("unexpected error {other}"),
        }
        assert!(matches!(
            read("{\"success\": true"),
            Err(RecordListError::Syntax(_))
        ));
        assert!(matches!(
            read("42"),
            Err(RecordListError::Shape("a number"))
        ));
    }

    #[test]
    fn record_list_reports_failed_and_empty_pages() {
        let failed = r#"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}"#;
        let err = read(failed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the response at the top level reports a failure: Invalid access token (9109)"
        );
        let empty = r#"[{"success":true,"errors":[],"messages":[],"result":null}]"#;
        assert!(matches!(
            read(empty),
            Err(RecordListError::NoResult { at }) if at == "[0]"
        ));
    }
}
