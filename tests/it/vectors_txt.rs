//! The TXT registry against ExternalDNS's own behaviour: every vector of
//! `tests/data/externaldns-vectors.json` about TXT names, TXT values, encryption,
//! AES keys and ownership resolution.
//!
//! Vectors are dispatched on the shape of their input, and the number run per
//! shape is asserted, so that a vector no check recognises fails the test.
//! flaredns writes new-format TXT records only: where a v0.14 vector also expects
//! a legacy record, the legacy one is checked against `legacy_name` (flaredns
//! reads and deletes such records). Cloudflare has no set identifiers, so the
//! vectors' set identifiers play no part here.

use std::collections::BTreeMap;

use flaredns::endpoint::{Endpoint, RecordType, ZoneRecord, label};
use flaredns::registry::txt::crypto::{self, Nonce};
use flaredns::registry::txt::labels::{
    parse_labels, quote, same_labels, serialize_labels, without_nonce,
};
use flaredns::registry::txt::{
    AesKey, NameMapper, TxtRecord, TxtRegistry, TxtRegistryConfig, gzip,
};
use flaredns::registry::{CurrentState, Labels, Ownership, OwnershipRecord, TxtFormat};
use serde_json::Value;

const VECTORS: &str = include_str!("../data/externaldns-vectors.json");

/// How many vectors of each input shape the file holds.
const EXPECTED_COUNTS: [(&str, usize); 9] = [
    ("aes-keys", 1),
    ("creates", 2),
    ("crypto", 4),
    ("label-parse", 7),
    ("label-serialize", 1),
    ("mapper-names", 19),
    ("mapper-parse", 8),
    ("txt-records", 6),
    ("zone", 2),
];

#[test]
fn every_txt_registry_vector_holds() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).expect("vectors parse");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut last_index = 0;
    for (index, vector) in vectors.iter().enumerate() {
        let case = vector["case"].as_str().expect("case name");
        let input = &vector["input"];
        let expected = &vector["expected"];
        let Some(shape) = shape_of(input) else {
            continue;
        };
        match shape {
            "zone" => check_zone(case, input, expected),
            "txt-records" => check_txt_records(case, input, expected),
            "creates" => check_creates(case, input, expected),
            "mapper-names" => check_mapper_names(case, input, expected),
            "mapper-parse" => check_mapper_parse(case, input, expected),
            "label-serialize" => check_label_serialize(case, input, expected),
            "label-parse" => check_label_parse(case, input, expected),
            "crypto" => check_crypto(case, input, expected),
            "aes-keys" => check_aes_keys(case, input, expected),
            other => panic!("{case}: no check for shape {other}"),
        }
        *counts.entry(shape).or_default() += 1;
        last_index = index;
    }
    assert_eq!(counts, BTreeMap::from(EXPECTED_COUNTS));
    assert_eq!(counts.values().sum::<usize>(), 50);
    assert_eq!(last_index, 49, "the registry vectors are the first 50");
}

/// The shape of a vector's input, by the key that identifies it.
fn shape_of(input: &Value) -> Option<&'static str> {
    let has = |key: &str| input.get(key).is_some();
    // A zone vector may carry an AES key too; it is checked as a zone.
    Some(if has("zoneRecords") {
        "zone"
    } else if has("record") {
        "txt-records"
    } else if has("creates") {
        "creates"
    } else if has("dnsName") {
        "mapper-names"
    } else if has("txtName") || has("txtNames") {
        "mapper-parse"
    } else if has("labels") {
        "label-serialize"
    } else if has("text") {
        "label-parse"
    } else if has("aesKey") {
        "crypto"
    } else if has("keys") {
        "aes-keys"
    } else {
        return None;
    })
}

// ---------------------------------------------------------------- helpers

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn string_map(value: &Value) -> Labels {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn record_type(value: &Value) -> RecordType {
    value
        .as_str()
        .expect("record type")
        .parse()
        .expect("known type")
}

/// `""` in a vector is "no type" (a legacy name).
fn optional_type(value: &Value) -> Option<RecordType> {
    match value.as_str() {
        Some("") | None => None,
        Some(t) => Some(t.parse().expect("known type")),
    }
}

fn mapper(input: &Value) -> NameMapper {
    NameMapper::new(
        text(input, "txtPrefix"),
        text(input, "txtSuffix"),
        text(input, "txtWildcardReplacement"),
    )
}

fn aes_key(input: &Value) -> Option<AesKey> {
    input
        .get("aesKey")
        .and_then(Value::as_str)
        .map(|k| AesKey::parse(k).expect("vector key parses"))
}

fn registry(input: &Value, owner_id: &str, migrate_from: Option<&str>) -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: owner_id.to_string(),
        prefix: text(input, "txtPrefix").to_string(),
        suffix: text(input, "txtSuffix").to_string(),
        wildcard_replacement: text(input, "txtWildcardReplacement").to_string(),
        encryption_key: aes_key(input),
        migrate_from_owner: migrate_from.map(str::to_string),
    })
    .expect("vector configuration is valid")
}

fn endpoint(value: &Value) -> Endpoint {
    let mut ep = Endpoint::new(
        text(value, "dnsName"),
        record_type(&value["recordType"]),
        Vec::<String>::new(),
    )
    .expect("no targets to reject");
    ep.labels = string_map(&value["labels"]);
    ep
}

fn zone_record(id: &str, name: &str, record_type: RecordType, content: &str) -> ZoneRecord {
    ZoneRecord::new(id, "zone", name, record_type, content)
}

fn txt_pairs(value: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = value
        .as_array()
        .expect("txtRecords list")
        .iter()
        .map(|r| {
            if let Some(t) = r.get("recordType") {
                assert_eq!(t, "TXT");
            }
            (
                text(r, "dnsName").to_string(),
                text(r, "target").to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn sorted(records: Vec<TxtRecord>) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = records.into_iter().map(|r| (r.name, r.content)).collect();
    pairs.sort();
    pairs
}

/// Checks the TXT records ExternalDNS expects for new records: the new-format
/// ones are exactly what `txt_records_for` writes; any other must be the legacy
/// record ExternalDNS v0.14 also wrote (A/CNAME, no template, no encryption).
fn check_generated(
    case: &str,
    version: &str,
    registry: &TxtRegistry,
    endpoints: &[Endpoint],
    expected: &Value,
) {
    let m = registry.name_mapper();
    let (new_format, legacy): (Vec<_>, Vec<_>) =
        txt_pairs(expected).into_iter().partition(|(name, _)| {
            endpoints
                .iter()
                .any(|ep| m.new_format_name(&ep.dns_name, ep.record_type).as_deref() == Some(name))
        });
    let written = sorted(
        endpoints
            .iter()
            .flat_map(|ep| registry.txt_records_for(ep))
            .collect(),
    );
    assert_eq!(written, new_format, "{case}: new-format TXT records");

    let mut legacy_expected: Vec<(String, String)> = Vec::new();
    if version == "v0.14.2" {
        for ep in endpoints {
            if ep.record_type == RecordType::Aaaa || m.has_type_template() {
                continue;
            }
            if let Some(name) = m.legacy_name(&ep.dns_name) {
                let mut labels = ep.labels.clone();
                labels.insert(label::OWNER.to_string(), registry.owner_id().to_string());
                legacy_expected.push((name, registry.encode_labels(&labels)));
            }
        }
    }
    legacy_expected.sort();
    assert_eq!(legacy, legacy_expected, "{case}: legacy TXT records");
}

// ---------------------------------------------------------------- shapes

fn check_txt_records(case: &str, input: &Value, expected: &Value) {
    let record = endpoint(&input["record"]);
    let owner = input
        .get("txtOwnerId")
        .and_then(Value::as_str)
        .or(record.labels.get(label::OWNER).map(String::as_str))
        .unwrap_or("default");
    let migrate_from = input.get("migrateFromTxtOwner").and_then(Value::as_str);
    let version = text(input, "version");
    let r = registry(input, owner, migrate_from);
    check_generated(
        case,
        version,
        &r,
        std::slice::from_ref(&record),
        &expected["txtRecords"],
    );

    let Some(without) = expected.get("withoutMigration") else {
        return;
    };
    // Without migration, the old owner writes its own id.
    let old_owner = text(without, "txtOwnerId");
    let old = registry(input, old_owner, None);
    check_generated(
        case,
        version,
        &old,
        std::slice::from_ref(&record),
        &without["txtRecords"],
    );

    // The zone the old owner left behind: ours only with the migration set, and
    // rewritten to the new owner's TXT value.
    let [stored] = txt_pairs(&without["txtRecords"])
        .try_into()
        .expect("one TXT record");
    let [wanted] = txt_pairs(&expected["txtRecords"])
        .try_into()
        .expect("one TXT record");
    let zone = vec![
        zone_record("record", &record.dns_name, record.record_type, "192.0.2.1"),
        zone_record("txt", &stored.0, RecordType::Txt, &stored.1),
    ];
    let owner_of = |r: &TxtRegistry| r.resolve(&zone).endpoints[0].ownership.clone();
    assert_eq!(owner_of(&r), Ownership::Owned, "{case}: migrated owner");
    assert_eq!(owner_of(&old), Ownership::Owned, "{case}: old owner");
    let no_migration = registry(input, owner, None);
    assert_eq!(
        owner_of(&no_migration),
        Ownership::Foreign(old_owner.to_string()),
        "{case}: without --migrate-from-txt-owner"
    );
    let state = r.resolve(&zone);
    let current = &state.endpoints[0];
    let mut relabelled = current.endpoint.labels.clone();
    relabelled.insert(label::OWNER.to_string(), owner.to_string());
    assert_eq!(
        r.content_for(&relabelled, current.ownership_records.first()),
        wanted.1,
        "{case}: relabelled TXT value"
    );
}

fn check_creates(case: &str, input: &Value, expected: &Value) {
    let endpoints: Vec<Endpoint> = input["creates"]
        .as_array()
        .expect("creates list")
        .iter()
        .map(endpoint)
        .collect();
    let r = registry(input, text(input, "txtOwnerId"), None);
    check_generated(
        case,
        text(input, "version"),
        &r,
        &endpoints,
        &expected["txtRecords"],
    );
}

fn check_mapper_names(case: &str, input: &Value, expected: &Value) {
    let m = mapper(input);
    let name = text(input, "dnsName");
    let cases: Vec<(RecordType, &str)> = match (input.get("recordType"), input.get("recordTypes")) {
        (Some(t), None) => vec![(record_type(t), text(expected, "newFormatTxtName"))],
        (None, Some(types)) => types
            .as_array()
            .expect("types")
            .iter()
            .map(record_type)
            .zip(
                expected["newFormatTxtNames"]
                    .as_array()
                    .expect("names")
                    .iter()
                    .map(|n| n.as_str().expect("name")),
            )
            .collect(),
        _ => panic!("{case}: unknown mapper shape"),
    };
    assert!(!cases.is_empty(), "{case}: nothing to check");
    for (t, txt_name) in cases {
        assert_eq!(
            m.new_format_name(name, t).as_deref(),
            Some(txt_name),
            "{case}: TXT name for {t}"
        );
        if let Some(back) = expected.get("toEndpointName") {
            assert_eq!(
                m.parse_txt_name(txt_name),
                (back.as_str().expect("name").to_string(), Some(t)),
                "{case}: {txt_name} read back"
            );
        }
    }
}

fn check_mapper_parse(case: &str, input: &Value, expected: &Value) {
    let m = mapper(input);
    if let Some(txt_name) = input.get("txtName") {
        let txt_name = txt_name.as_str().expect("name");
        assert_eq!(
            m.parse_txt_name(txt_name),
            (
                text(expected, "endpointName").to_string(),
                optional_type(&expected["recordType"])
            ),
            "{case}"
        );
        return;
    }
    let names: Vec<&str> = input["txtNames"]
        .as_array()
        .expect("txtNames")
        .iter()
        .map(|n| n.as_str().expect("name"))
        .collect();
    let wanted: Vec<(String, Option<Option<RecordType>>)> =
        if let Some(parsed) = expected.get("parsed") {
            parsed
                .as_array()
                .expect("parsed")
                .iter()
                .map(|p| (text_at(p, 0), Some(optional_type(&p[1]))))
                .collect()
        } else {
            let types = expected.get("recordTypes").and_then(Value::as_array);
            expected["endpointNames"]
                .as_array()
                .expect("endpointNames")
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        n.as_str().expect("name").to_string(),
                        types.map(|t| optional_type(&t[i])),
                    )
                })
                .collect()
        };
    assert_eq!(
        names.len(),
        wanted.len(),
        "{case}: one expectation per name"
    );
    for (txt_name, (name, record_type)) in names.into_iter().zip(wanted) {
        let (parsed_name, parsed_type) = m.parse_txt_name(txt_name);
        assert_eq!(parsed_name, name, "{case}: {txt_name}");
        if let Some(record_type) = record_type {
            assert_eq!(parsed_type, record_type, "{case}: type of {txt_name}");
        }
    }
}

fn text_at(value: &Value, index: usize) -> String {
    value[index].as_str().expect("string").to_string()
}

fn check_label_serialize(case: &str, input: &Value, expected: &Value) {
    let labels = string_map(&input["labels"]);
    let plain = serialize_labels(&labels);
    assert_eq!(plain, text(expected, "plain"), "{case}");
    assert_eq!(quote(&plain), text(expected, "quoted"), "{case}");
    let r = registry(input, "owner", None);
    assert_eq!(r.encode_labels(&labels), text(expected, "quoted"), "{case}");
}

fn check_label_parse(case: &str, input: &Value, expected: &Value) {
    let parsed = parse_labels(text(input, "text"));
    if expected.get("error").is_some() {
        assert!(parsed.is_err(), "{case}: {parsed:?}");
    } else {
        assert_eq!(parsed, Ok(string_map(&expected["labels"])), "{case}");
    }
}

fn check_crypto(case: &str, input: &Value, expected: &Value) {
    let key = aes_key(input).expect("key");
    let ciphertext = text(input, "ciphertext");
    let r = registry(input, "owner", None);
    let decrypted = crypto::decrypt(ciphertext, &key);
    if expected["error"].as_bool() == Some(true) {
        assert!(decrypted.is_err(), "{case}");
        // Then the raw value is read as plain text, which has no heritage.
        assert!(r.decode_labels(&quote(ciphertext)).is_err(), "{case}");
        return;
    }
    let (plaintext, nonce) = decrypted.expect("decrypts");
    assert_eq!(plaintext, text(expected, "plaintext"), "{case}");
    if let Some(n) = expected.get("nonce") {
        assert_eq!(nonce.to_label(), n.as_str().expect("nonce"), "{case}");
    }
    if let Some(labels) = expected.get("labels") {
        let decoded = r.decode_labels(&quote(ciphertext)).expect("heritage");
        assert_eq!(decoded, string_map(labels), "{case}");
        assert_eq!(
            r.decode_labels(ciphertext).as_ref(),
            Ok(&decoded),
            "{case}: unquoted"
        );
        // Read from a zone, an unchanged label set keeps ExternalDNS's exact value,
        // whether or not re-encrypting would reproduce its gzip bytes.
        let stored = OwnershipRecord {
            record: &zone_record(
                "txt",
                "a-web.example.com",
                RecordType::Txt,
                &quote(ciphertext),
            ),
            format: TxtFormat::New,
            labels: decoded.clone(),
        };
        let desired = without_nonce(&decoded);
        assert_eq!(
            r.content_for(&desired, Some(&stored)),
            quote(ciphertext),
            "{case}: kept"
        );
    }
    if let Some(again) = expected.get("reEncryptWithSameNonce") {
        let again = again.as_str().expect("ciphertext");
        assert_eq!(
            crypto::encrypt(&plaintext, &key, &nonce).expect("encrypts"),
            again,
            "{case}"
        );
        let decoded = r.decode_labels(ciphertext).expect("heritage");
        assert_eq!(
            r.encode_labels(&decoded),
            quote(again),
            "{case}: nonce reused"
        );
    }
    if let Some(gzip_hex) = expected.get("gzipHex") {
        let bytes = gzip::compress(plaintext.as_bytes()).expect("compresses");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, gzip_hex.as_str().expect("hex"), "{case}: gzip bytes");
    }
}

fn check_aes_keys(case: &str, input: &Value, expected: &Value) {
    let keys = input["keys"].as_array().expect("keys");
    let results = expected["results"].as_array().expect("results");
    assert_eq!(keys.len(), results.len(), "{case}");
    for (key, result) in keys.iter().zip(results) {
        let parsed = AesKey::parse(key.as_str().expect("key"));
        if result["error"].as_bool() == Some(true) {
            assert!(parsed.is_err(), "{case}: {key} must be refused");
            continue;
        }
        let bytes: Vec<u8> = if let Some(utf8) = result.get("keyBytesUtf8") {
            utf8.as_str().expect("text").as_bytes().to_vec()
        } else {
            result["keyBytes"]
                .as_array()
                .expect("bytes")
                .iter()
                .map(|b| u8::try_from(b.as_u64().expect("byte")).expect("byte"))
                .collect()
        };
        let bytes: [u8; 32] = bytes.try_into().expect("32 bytes");
        assert_eq!(
            parsed.expect("key parses"),
            AesKey::from_bytes(bytes),
            "{case}"
        );
    }
}

fn check_zone(case: &str, input: &Value, expected: &Value) {
    let zone: Vec<ZoneRecord> = input["zoneRecords"]
        .as_array()
        .expect("zone records")
        .iter()
        .enumerate()
        .map(|(i, r)| {
            zone_record(
                &format!("record-{i}"),
                text(r, "name"),
                record_type(&r["type"]),
                text(r, "content"),
            )
        })
        .collect();
    let owner_id = input
        .get("txtOwnerId")
        .and_then(Value::as_str)
        .unwrap_or("owner");
    let r = registry(input, owner_id, None);
    let state = r.resolve(&zone);
    check_nothing_lost(case, &zone, &state);

    if let Some(records) = expected.get("nonRegistryRecords") {
        check_owners(case, &r, &state, records);
    }
    if let Some(owner) = expected.get("ownerOfCNAME") {
        let key = aes_key(input).expect("an encrypted zone has a key");
        check_encrypted_zone(case, &r, &key, &state, owner, expected);
    }
    assert!(
        expected.get("nonRegistryRecords").is_some() || expected.get("ownerOfCNAME").is_some(),
        "{case}: unknown zone expectation"
    );
}

/// Every record of the zone is behind an endpoint, or is a heritage TXT record
/// listed with an endpoint or as dangling.
fn check_nothing_lost(case: &str, zone: &[ZoneRecord], state: &CurrentState) {
    let mut ids: Vec<&str> = state
        .endpoints
        .iter()
        .flat_map(|e| {
            e.records
                .iter()
                .chain(e.ownership_records.iter().map(|o| &o.record))
        })
        .chain(state.dangling_ownership.iter().map(|o| &o.record))
        .map(|r| &*r.id)
        .collect();
    ids.sort();
    ids.dedup();
    let mut all: Vec<&str> = zone.iter().map(|r| &*r.id).collect();
    all.sort();
    assert_eq!(ids, all, "{case}: every record accounted for");
}

fn check_owners(case: &str, r: &TxtRegistry, state: &CurrentState, records: &Value) {
    let records = records.as_array().expect("records");
    let mut keys: Vec<(String, RecordType)> = Vec::new();
    for expected in records {
        let name = text(expected, "name").to_lowercase();
        let t = record_type(&expected["type"]);
        let current = state
            .endpoints
            .iter()
            .find(|e| e.endpoint.dns_name == name && e.endpoint.record_type == t)
            .unwrap_or_else(|| panic!("{case}: no endpoint {name} {t}"));
        let owner = expected["owner"].as_str();
        assert_eq!(
            current
                .endpoint
                .labels
                .get(label::OWNER)
                .map(String::as_str),
            owner,
            "{case}: owner label of {name} {t}"
        );
        let ownership = match owner {
            None => Ownership::Unowned,
            Some(o) if o == r.owner_id() => Ownership::Owned,
            Some(o) => Ownership::Foreign(o.to_string()),
        };
        assert_eq!(current.ownership, ownership, "{case}: {name} {t}");
        keys.push((name, t));
    }
    keys.sort();
    keys.dedup();
    // Heritage TXT records are not endpoints; everything else is.
    assert_eq!(state.endpoints.len(), keys.len(), "{case}: endpoints");
}

fn check_encrypted_zone(
    case: &str,
    r: &TxtRegistry,
    key: &AesKey,
    state: &CurrentState,
    owner: &Value,
    expected: &Value,
) {
    let cname = state
        .endpoints
        .iter()
        .find(|e| e.endpoint.record_type == RecordType::Cname)
        .unwrap_or_else(|| panic!("{case}: no CNAME"));
    assert_eq!(
        cname.endpoint.labels.get(label::OWNER).map(String::as_str),
        owner.as_str(),
        "{case}"
    );
    assert_eq!(cname.ownership, Ownership::Owned, "{case}");

    let deletes = expected["deleteEmits"].as_array().expect("deleteEmits");
    let mut txt_checked = 0;
    for delete in deletes {
        let name = text(delete, "name");
        if record_type(&delete["type"]) != RecordType::Txt {
            assert_eq!(cname.endpoint.dns_name, name, "{case}");
            continue;
        }
        let content = text(delete, "content");
        let claim = cname
            .ownership_records
            .iter()
            .find(|o| o.record.name == name && o.record.content() == content)
            .unwrap_or_else(|| panic!("{case}: {name} not listed with the CNAME"));
        assert_eq!(claim.format, TxtFormat::New, "{case}");
        assert_eq!(
            claim
                .labels
                .get(label::ENCRYPTION_NONCE)
                .map(String::as_str),
            Some(text(expected, "nonce")),
            "{case}: nonce"
        );
        let (plaintext, nonce) = crypto::decrypt(content.trim_matches('"'), key).expect("decrypts");
        assert_eq!(plaintext, text(expected, "plaintext"), "{case}");
        assert_eq!(
            nonce,
            Nonce::from_label(text(expected, "nonce")).expect("nonce"),
            "{case}"
        );
        // The labels are unchanged, so the stored value is kept byte for byte.
        assert!(same_labels(&claim.labels, &cname.endpoint.labels), "{case}");
        assert_eq!(
            r.content_for(&cname.endpoint.labels, Some(claim)),
            content,
            "{case}"
        );
        // This short value is also what re-encrypting under the same nonce gives.
        assert_eq!(
            r.encode_labels(&claim.labels),
            content,
            "{case}: reproduced"
        );
        txt_checked += 1;
    }
    assert_eq!(
        txt_checked, 1,
        "{case}: one TXT record deleted with the CNAME"
    );
}
