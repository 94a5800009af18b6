//! The fuzz targets' properties as property tests, so that CI (without a
//! nightly toolchain or libFuzzer) checks them too: annotation reading and the
//! TTL, host name and target parsers; TXT labels, decryption and
//! `TxtRegistry::resolve`; the Cloudflare response decoders. Each must not
//! panic on any input, and what it accepts must survive a second pass.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
    IngressStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;

use flaredns::cli::zone_file::{parse_record_list, zone_records};
use flaredns::endpoint::{
    RecordType, ZoneRecord, normalize_name, normalize_target, record_type_for_target, validate_name,
};
use flaredns::problem::ObjectRef;
use flaredns::provider::cloudflare::types::{
    BatchResponse, DnsRecord, Envelope, ReadRecord, TokenVerify, ZoneObject,
};
use flaredns::registry::txt::labels::{parse_labels, quote, serialize_labels, without_nonce};
use flaredns::registry::txt::{AesKey, Nonce, TxtRegistry, TxtRegistryConfig, crypto, gzip};
use flaredns::source::annotations::{
    self, ObjectAnnotations, default_prefixes, parse_go_bool, parse_tags, parse_ttl,
    split_hostnames, split_targets,
};
use flaredns::source::{SourceConfig, ingress};

/// `problem::shorten` keeps 120 characters and adds an ellipsis.
const MAX_QUOTED_CHARS: usize = 121;
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const OWNER: &str = "fuzz-owner";

const SUFFIXES: [&str; 15] = annotations::key::ALL;

/// Text that is sometimes close to valid: DNS-ish characters, digits, dots,
/// commas, spaces, unicode, or anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9.,:_* -]{0,40}",
        "[0-9.:a-f]{0,40}",
        "[-+0-9.hmsµnu]{0,16}",
        any::<String>(),
        "\\PC{0,300}",
    ]
}

/// An external-dns annotation key under either prefix, or any other key.
fn annotation_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(default_prefixes()), prop::sample::select(SUFFIXES.to_vec()))
            .prop_map(|(p, s)| format!("{p}{s}")),
        1 => any::<String>(),
    ]
}

fn ingress_with(annotations: BTreeMap<String, String>, host: String, lb: String) -> Ingress {
    Ingress {
        metadata: ObjectMeta {
            name: Some("fuzz".to_string()),
            namespace: Some("default".to_string()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(IngressSpec {
            rules: Some(vec![IngressRule {
                host: Some(host),
                ..IngressRule::default()
            }]),
            ..IngressSpec::default()
        }),
        status: Some(IngressStatus {
            load_balancer: Some(IngressLoadBalancerStatus {
                ingress: Some(vec![IngressLoadBalancerIngress {
                    ip: Some(lb.clone()),
                    hostname: Some(lb),
                    ..IngressLoadBalancerIngress::default()
                }]),
            }),
        }),
    }
}

fn registry(key: Option<AesKey>) -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: OWNER.to_string(),
        encryption_key: key,
        ..TxtRegistryConfig::default()
    })
    .expect("a valid registry configuration")
}

/// TXT contents: ownership values of this or another owner, or any text.
fn txt_content() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::sample::select(vec![OWNER, "other"]), "[a-z/]{0,12}").prop_map(|(o, r)| {
            quote(&format!(
                "heritage=external-dns,external-dns/owner={o},external-dns/resource={r}"
            ))
        }),
        text(),
    ]
}

/// A zone of few names, so that ownership records meet the records they claim.
fn zone() -> impl Strategy<Value = Vec<ZoneRecord>> {
    let name = prop::sample::select(vec![
        "a.example.com",
        "A.example.com.",
        "a-a.example.com",
        "cname-a.example.com",
        "*.example.com",
        "b.example.com",
    ]);
    let record_type = prop::sample::select(RecordType::ALL.to_vec());
    vec((name, record_type, txt_content(), any::<u32>()), 0..12).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (name, record_type, content, ttl))| {
                let mut record =
                    ZoneRecord::new(format!("{i:032x}"), "zone", name, record_type, content);
                record.data.ttl = ttl;
                record
            })
            .collect()
    })
}

/// The fields a client reads of a record, as the API wrote them…
type ReadFields<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    u32,
    bool,
    Option<&'a str>,
    &'a [String],
    Option<u16>,
);

fn written_fields(r: &DnsRecord) -> ReadFields<'_> {
    (
        &r.id,
        &r.name,
        &r.record_type,
        &r.content,
        r.ttl,
        r.proxied,
        r.comment.as_deref(),
        &r.tags,
        r.priority,
    )
}

/// …and as the client read them.
fn read_fields(r: &ReadRecord) -> ReadFields<'_> {
    (
        &r.id,
        &r.name,
        &r.record_type,
        &r.content,
        r.ttl,
        r.proxied,
        r.comment.as_deref(),
        &r.tags,
        r.priority,
    )
}

fn dns_record() -> impl Strategy<Value = DnsRecord> {
    (
        "[0-9a-f]{32}",
        text(),
        prop::sample::select(vec!["A", "AAAA", "CNAME", "TXT", "MX", "HTTPS", "FUTURE"]),
        text(),
        any::<u32>(),
        any::<(bool, bool)>(),
        proptest::option::of(text()),
        vec(text(), 0..3),
        proptest::option::of(any::<u16>()),
        proptest::option::of("[0-9a-f]{32}"),
    )
        .prop_map(
            |(id, name, t, content, ttl, (proxied, proxiable), comment, tags, priority, zone)| {
                DnsRecord {
                    id,
                    zone_id: zone.clone(),
                    zone_name: zone.map(|_| "example.com".to_string()),
                    name,
                    record_type: t.to_string(),
                    content,
                    ttl,
                    proxied,
                    proxiable,
                    comment,
                    tags,
                    priority,
                    data: None,
                    created_on: String::new(),
                    modified_on: String::new(),
                    meta: None,
                    settings: None,
                }
            },
        )
}

/// The `result` of an envelope read as the client reads it: the envelope as
/// JSON values first, then the result as the call's type.
fn result_as<T: serde::de::DeserializeOwned>(result: &Value) -> Option<T> {
    serde_json::from_value(result.clone()).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn value_parsers_never_panic_and_are_stable(value in text()) {
        if let Ok(ttl) = parse_ttl(&value) {
            prop_assert!((1..=i32::MAX as u32).contains(&ttl));
        }
        let _ = parse_go_bool(&value);
        for tag in parse_tags(&value) {
            prop_assert!(!tag.is_empty() && tag.trim() == tag);
        }
        let hosts = split_hostnames(&value);
        prop_assert!(!hosts.is_empty());
        prop_assert!(hosts.iter().all(|h| !h.contains(',') && !h.contains(' ')));
        prop_assert!(split_targets(&value).len() <= hosts.len());

        let name = normalize_name(&value);
        if validate_name(&name).is_ok() {
            prop_assert_eq!(normalize_name(&name), name);
        }
        let implied = record_type_for_target(&value);
        for record_type in [RecordType::A, RecordType::Aaaa, RecordType::Cname, RecordType::Txt, implied] {
            if let Ok(target) = normalize_target(record_type, &value) {
                prop_assert_eq!(normalize_target(record_type, &target), Ok(target));
            }
        }
    }

    #[test]
    fn annotations_never_panic_and_name_their_keys(
        annotations in btree_map(annotation_key(), text(), 0..8),
    ) {
        let object = ObjectRef::new("Ingress", "default", "fuzz");
        let (_, problems) = ObjectAnnotations::read(&object, Some(&annotations), &default_prefixes());
        for problem in &problems {
            prop_assert_eq!(&problem.object, &object);
            prop_assert!(annotations.keys().any(|k| problem.field.contains(k.as_str())), "{}", problem);
            prop_assert!(problem.value.chars().count() <= MAX_QUOTED_CHARS);
        }
    }

    #[test]
    fn the_ingress_source_publishes_only_valid_endpoints(
        annotations in btree_map(annotation_key(), text(), 0..6),
        host in text(),
        lb in text(),
    ) {
        let output = ingress::endpoints(&ingress_with(annotations, host, lb), &SourceConfig::default());
        for endpoint in &output.endpoints {
            prop_assert!(validate_name(&endpoint.dns_name).is_ok(), "{:?}", endpoint);
            prop_assert!(!endpoint.targets.is_empty());
            for target in &endpoint.targets {
                let again = normalize_target(endpoint.record_type, target);
                prop_assert_eq!(again.as_ref(), Ok(target));
            }
        }
        for problem in &output.problems {
            prop_assert!(problem.value.chars().count() <= MAX_QUOTED_CHARS);
            prop_assert!(!problem.field.is_empty() && !problem.reason.is_empty());
        }
    }

    #[test]
    fn txt_labels_survive_a_second_pass(value in prop_oneof![text(), txt_content()]) {
        if let Ok(labels) = parse_labels(&value) {
            // Quotes inside a label can be trimmed off the whole value.
            if !labels.iter().any(|(k, v)| k.contains('"') || v.contains('"')) {
                prop_assert_eq!(parse_labels(&serialize_labels(&labels)), Ok(without_nonce(&labels)));
            }
        }
    }

    #[test]
    fn arbitrary_text_never_decrypts_and_never_panics(value in text()) {
        let key = AesKey::from_bytes(KEY);
        // Without the tag of this key no text opens (2^-128 chance aside).
        prop_assert!(crypto::decrypt(&value, &key).is_err());
        prop_assert!(registry(Some(key)).decode_labels(&value) == parse_labels(&value));
    }

    #[test]
    fn sealed_text_opens_to_itself(plain in text(), nonce in any::<[u8; 12]>()) {
        let key = AesKey::from_bytes(KEY);
        let nonce = Nonce::from_bytes(nonce);
        let sealed = crypto::encrypt(&plain, &key, &nonce).expect("sealing succeeds");
        prop_assert_eq!(crypto::decrypt(&sealed, &key).expect("it opens"), (plain, nonce));
        let other = AesKey::from_bytes([1; 32]);
        prop_assert!(crypto::decrypt(&sealed, &other).is_err());
    }

    #[test]
    fn gzip_round_trips_and_never_panics(data in vec(any::<u8>(), 0..512)) {
        let _ = gzip::decompress(&data);
        let packed = gzip::compress(&data).expect("compression succeeds");
        prop_assert_eq!(gzip::decompress(&packed).expect("it unpacks"), data);
    }

    #[test]
    fn resolve_does_not_depend_on_listing_order(records in zone()) {
        let mut reversed = records.clone();
        reversed.reverse();
        for registry in [registry(None), registry(Some(AesKey::from_bytes(KEY)))] {
            let state = registry.resolve(&records);
            prop_assert_eq!(&state, &registry.resolve(&reversed));
            let grouped: usize = state.endpoints.iter().map(|e| e.records.len()).sum();
            prop_assert!(grouped + state.dangling_ownership.len() <= records.len());
        }
    }

    #[test]
    fn key_errors_never_contain_the_key(key in "[A-Za-z0-9]{20,31}|[A-Za-z0-9]{33,60}") {
        // Neither 32 bytes of text nor padded base64 of 32 bytes: always refused.
        let error = AesKey::parse(&key).expect_err("not a key").to_string();
        prop_assert!(!error.contains(&key), "{}", error);
    }

    #[test]
    fn response_decoders_never_panic(body in prop_oneof![text(), vec(any::<u8>(), 0..256).prop_map(|b| String::from_utf8_lossy(&b).into_owned())]) {
        let _ = parse_record_list::<ReadRecord>(&body);
        if let Ok(envelope) = serde_json::from_str::<Envelope<Value>>(&body) {
            for message in envelope.errors.iter().chain(&envelope.messages) {
                prop_assert!(!message.to_string().is_empty());
            }
            if let Some(info) = &envelope.result_info {
                let _ = info.page_count();
            }
            let result = envelope.result.unwrap_or_default();
            let _ = result_as::<Vec<DnsRecord>>(&result);
            let _ = result_as::<BatchResponse>(&result);
            let _ = result_as::<BatchResponse<ReadRecord>>(&result);
            let _ = result_as::<Vec<ReadRecord>>(&result);
            let _ = result_as::<Vec<ZoneObject>>(&result);
            let _ = result_as::<ZoneObject>(&result);
            let _ = result_as::<TokenVerify>(&result);
        }
    }

    #[test]
    fn record_lists_read_back_in_every_shape(records in vec(dns_record(), 0..6)) {
        let written: Vec<_> = records.iter().map(written_fields).collect();
        let bare = serde_json::to_string(&records).expect("records serialise");
        let read: Vec<ReadRecord> = parse_record_list(&bare).expect("a bare list");
        prop_assert_eq!(read.iter().map(read_fields).collect::<Vec<_>>(), written.clone());
        let envelope = serde_json::to_string(&Envelope::ok(records.clone())).expect("serialises");
        let read: Vec<ReadRecord> = parse_record_list(&envelope).expect("one page");
        prop_assert_eq!(read.iter().map(read_fields).collect::<Vec<_>>(), written);
        let pages = format!("[{envelope},{envelope}]");
        let both: Vec<ReadRecord> = parse_record_list(&pages).expect("two pages");
        prop_assert_eq!(both.len(), 2 * records.len());
        let (known, unknown) = zone_records(read, "zone");
        prop_assert_eq!(known.len() + unknown.len(), records.len());
        prop_assert_eq!(unknown.iter().filter(|u| u.record_type != "FUTURE").count(), 0);
    }
}
