//! Annotation reading and the TTL, host name and target parsers on arbitrary
//! input: no panic, and what they accept is stable under a second pass.
//!
//! Annotation keys are drawn mostly from the real external-dns keys under both
//! prefixes (an arbitrary string would almost never hit one), values are
//! arbitrary; the annotations then go through the Ingress source as a whole.

#![no_main]

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
    IngressStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

use flaredns::endpoint::{
    RecordType, normalize_name, normalize_target, record_type_for_target, validate_name,
};
use flaredns::source::annotations::{
    self, parse_go_bool, parse_tags, parse_ttl, split_hostnames, split_targets,
};
use flaredns::source::{SourceConfig, ingress};

const PREFIXES: [&str; 2] = annotations::PREFIXES;
const SUFFIXES: [&str; 15] = annotations::key::ALL;
/// `problem::shorten` keeps 120 characters and adds an ellipsis.
const MAX_QUOTED_CHARS: usize = 121;

#[derive(Debug, Arbitrary)]
struct Input {
    /// (key selector, value); selectors past the known keys use `raw_key`.
    annotations: Vec<(u8, String)>,
    raw_key: String,
    /// A value for the single-value parsers.
    value: String,
    /// A rule host and a load balancer entry for the Ingress.
    host: String,
    load_balancer: String,
}

fn key(selector: u8, raw: &str) -> String {
    let i = usize::from(selector);
    if i < PREFIXES.len() * SUFFIXES.len() {
        format!("{}{}", PREFIXES[i % 2], SUFFIXES[i / 2])
    } else {
        raw.to_string()
    }
}

fn ingress_of(input: &Input) -> Ingress {
    let annotations: BTreeMap<String, String> = input
        .annotations
        .iter()
        .map(|(selector, value)| (key(*selector, &input.raw_key), value.clone()))
        .collect();
    Ingress {
        metadata: ObjectMeta {
            name: Some("fuzz".to_string()),
            namespace: Some("default".to_string()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(IngressSpec {
            rules: Some(vec![IngressRule {
                host: Some(input.host.clone()),
                ..IngressRule::default()
            }]),
            ..IngressSpec::default()
        }),
        status: Some(IngressStatus {
            load_balancer: Some(IngressLoadBalancerStatus {
                ingress: Some(vec![IngressLoadBalancerIngress {
                    ip: Some(input.load_balancer.clone()),
                    hostname: Some(input.load_balancer.clone()),
                    ..IngressLoadBalancerIngress::default()
                }]),
            }),
        }),
    }
}

fn check_value(value: &str) {
    if let Ok(ttl) = parse_ttl(value) {
        assert!(
            (1..=i32::MAX as u32).contains(&ttl),
            "TTL {ttl} from {value:?}"
        );
    }
    let _ = parse_go_bool(value);
    for tag in parse_tags(value) {
        assert!(!tag.is_empty() && tag.trim() == tag, "tag {tag:?}");
    }
    let hosts = split_hostnames(value);
    assert!(!hosts.is_empty());
    assert!(hosts.iter().all(|h| !h.contains(',') && !h.contains(' ')));
    assert!(split_targets(value).len() <= hosts.len());

    let name = normalize_name(value);
    if validate_name(&name).is_ok() {
        assert_eq!(
            normalize_name(&name),
            name,
            "a valid name normalises to itself"
        );
    }
    let implied = record_type_for_target(value);
    for record_type in [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Txt,
        RecordType::Mx,
        implied,
    ] {
        if let Ok(target) = normalize_target(record_type, value) {
            assert_eq!(
                normalize_target(record_type, &target).as_ref(),
                Ok(&target),
                "a normalised {record_type} target normalises to itself"
            );
        }
    }
}

fuzz_target!(|input: Input| {
    check_value(&input.value);
    let output = ingress::endpoints(&ingress_of(&input), &SourceConfig::default());
    for endpoint in &output.endpoints {
        assert!(validate_name(&endpoint.dns_name).is_ok(), "{endpoint:?}");
        assert!(!endpoint.targets.is_empty(), "{endpoint:?}");
        if let Some(ttl) = endpoint.ttl {
            assert!((1..=i32::MAX as u32).contains(&ttl));
        }
    }
    for problem in &output.problems {
        assert!(
            problem.value.chars().count() <= MAX_QUOTED_CHARS,
            "{problem}"
        );
        assert!(!problem.field.is_empty() && !problem.reason.is_empty());
    }
});
