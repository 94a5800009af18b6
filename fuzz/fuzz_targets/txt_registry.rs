//! TXT ownership values on arbitrary input: label parsing, decryption with a
//! fixed key, and `TxtRegistry::resolve` over arbitrary zones. No panic; labels
//! survive a second pass; a value that decrypts re-encrypts to the same text;
//! the zone read back does not depend on the order the records were listed in.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

use flaredns::endpoint::{RecordType, ZoneRecord};
use flaredns::registry::txt::labels::{parse_labels, serialize_labels, without_nonce};
use flaredns::registry::txt::{AesKey, TxtRegistry, TxtRegistryConfig, crypto};

/// The fixed key the fuzzer decrypts with (the bytes of "0123456789abcdef0123456789abcdef").
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

#[derive(Debug, Arbitrary)]
struct Input {
    text: String,
    /// (name, record type selector, content) of each zone record.
    records: Vec<(String, u8, String)>,
    prefix: String,
}

fn registry(key: Option<AesKey>, prefix: &str) -> Option<TxtRegistry> {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: "fuzz-owner".to_string(),
        prefix: prefix.to_string(),
        encryption_key: key,
        ..TxtRegistryConfig::default()
    })
    .ok()
}

fn check_labels(text: &str) {
    let Ok(labels) = parse_labels(text) else {
        return;
    };
    // A label that carries quotes can lose them to the trimming of the whole value.
    if labels
        .iter()
        .any(|(k, v)| k.contains('"') || v.contains('"'))
    {
        return;
    }
    assert_eq!(
        parse_labels(&serialize_labels(&labels)),
        Ok(without_nonce(&labels)),
        "labels read from {text:?} do not survive a second pass"
    );
}

fn check_decrypt(text: &str, key: &AesKey) {
    let Ok((plain, nonce)) = crypto::decrypt(text, key) else {
        return;
    };
    let sealed = crypto::encrypt(&plain, key, &nonce).expect("sealing never fails");
    let (again, again_nonce) = crypto::decrypt(&sealed, key).expect("what was sealed opens");
    assert_eq!(again, plain);
    assert_eq!(again_nonce, nonce);
}

fn zone(input: &Input) -> Vec<ZoneRecord> {
    input
        .records
        .iter()
        .enumerate()
        .map(|(i, (name, selector, content))| {
            ZoneRecord::new(
                format!("{i:032x}"),
                "zone",
                name.clone(),
                RecordType::ALL[usize::from(*selector) % RecordType::ALL.len()],
                content.clone(),
            )
        })
        .collect()
}

fuzz_target!(|input: Input| {
    check_labels(&input.text);
    let key = AesKey::from_bytes(KEY);
    check_decrypt(input.text.trim_matches('"'), &key);

    let records = zone(&input);
    let mut reversed = records.clone();
    reversed.reverse();
    for registry in [None, Some(key)]
        .into_iter()
        .filter_map(|k| registry(k, &input.prefix))
    {
        let _ = registry.decode_labels(&input.text);
        let state = registry.resolve(&records);
        assert_eq!(
            state,
            registry.resolve(&reversed),
            "listing order matters"
        );
        let claimed: usize = state.endpoints.iter().map(|e| e.records.len()).sum();
        assert!(claimed + state.dangling_ownership.len() <= records.len());
    }
});
