//! Cloudflare response bodies on arbitrary input: the saved-zone reader
//! (`parse_record_list`) and the envelope of every response type the client
//! decodes. No panic; every record read is either converted or reported as
//! of a type flaredns does not manage.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

use flaredns::cli::zone_file::{RecordZone, parse_record_list, zone_records};
use flaredns::provider::cloudflare::types::{
    BatchResponse, Envelope, ReadRecord, TokenVerify, Zone,
};

/// The `result` of an envelope read as the client reads it: the envelope as
/// JSON values first, then the result as the call's type.
fn result_as<T: serde::de::DeserializeOwned>(result: &Value) -> Option<T> {
    serde_json::from_value(result.clone()).ok()
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(envelope) = serde_json::from_slice::<Envelope<Value>>(bytes) {
        for message in envelope.errors.iter().chain(&envelope.messages) {
            assert!(!message.to_string().is_empty());
        }
        if let Some(info) = &envelope.result_info {
            let _ = info.page_count();
        }
        let result = envelope.result.unwrap_or_default();
        if let Some(records) = result_as::<Vec<ReadRecord>>(&result) {
            let count = records.len();
            let (known, unknown) = zone_records(records, "zone");
            assert_eq!(known.len() + unknown.len(), count);
        }
        let _ = result_as::<BatchResponse<ReadRecord>>(&result);
        let _ = result_as::<Vec<Zone>>(&result);
        let _ = result_as::<Zone>(&result);
        let _ = result_as::<TokenVerify>(&result);
    }

    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(records) = parse_record_list::<ReadRecord>(text) else {
        return;
    };
    let count = records.len();
    let (known, unknown) = zone_records(records, "zone");
    assert_eq!(known.len() + unknown.len(), count);
    let _ = parse_record_list::<RecordZone>(text);
});
