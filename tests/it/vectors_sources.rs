//! The ExternalDNS source vectors (annotations, target/hostname splitting,
//! Ingress mapping) run against flaredns's sources.

use std::collections::{BTreeMap, BTreeSet};

use flaredns::endpoint::{Endpoint, ProviderSpecific, RecordType};
use flaredns::problem::ObjectRef;
use flaredns::source::annotations::{
    ObjectAnnotations, default_prefixes, split_hostnames, split_targets,
};
use flaredns::source::{SourceConfig, ingress};
use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
    IngressStatus, IngressTLS,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/externaldns-vectors.json"
    ))
    .expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_string()))
        .collect()
}

/// Builds a real Ingress from a vector's compact description.
fn build_ingress(desc: &Value, index: usize) -> Ingress {
    let name = desc
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("fake{index}"), str::to_string);
    let rules = strings(desc.get("rules").unwrap_or(&Value::Null))
        .into_iter()
        .map(|host| IngressRule {
            host: Some(host),
            ..Default::default()
        })
        .collect();
    let tls = desc.get("tls").map(|hosts| {
        vec![IngressTLS {
            hosts: Some(strings(hosts)),
            ..Default::default()
        }]
    });
    let lb = desc
        .get("status.loadBalancer.ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|entry| IngressLoadBalancerIngress {
            ip: entry.get("ip").and_then(Value::as_str).map(str::to_string),
            hostname: entry
                .get("hostname")
                .and_then(Value::as_str)
                .map(str::to_string),
            ..Default::default()
        })
        .collect();
    Ingress {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some("default".into()),
            annotations: Some(string_map(desc.get("annotations"))),
            ..Default::default()
        },
        spec: Some(IngressSpec {
            rules: Some(rules),
            tls,
            ..Default::default()
        }),
        status: Some(IngressStatus {
            load_balancer: Some(IngressLoadBalancerStatus { ingress: Some(lb) }),
        }),
    }
}

fn config_from_flags(flags: &[String]) -> SourceConfig {
    let mut cfg = SourceConfig::default();
    for flag in flags {
        match flag.as_str() {
            "--ignore-ingress-rules-spec" => cfg.ignore_ingress_rules_spec = true,
            "--ignore-ingress-tls-spec" => cfg.ignore_ingress_tls_spec = true,
            "--ignore-hostname-annotation" => cfg.ignore_hostname_annotation = true,
            other => panic!("the vectors use a flag this test does not know: {other}"),
        }
    }
    cfg
}

/// An endpoint as the vectors describe it: name, type, target set, TTL, properties.
type Compared = (
    String,
    RecordType,
    BTreeSet<String>,
    u32,
    Vec<ProviderSpecific>,
);

fn from_vector(e: &Value) -> Compared {
    let record_type: RecordType = e["recordType"]
        .as_str()
        .expect("recordType")
        .parse()
        .expect("known type");
    let provider_specific = e
        .get("providerSpecific")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| ProviderSpecific {
            name: p["name"].as_str().expect("name").to_string(),
            value: p["value"].as_str().expect("value").to_string(),
        })
        .collect();
    (
        e["dnsName"].as_str().expect("dnsName").to_string(),
        record_type,
        strings(&e["targets"]).into_iter().collect(),
        e.get("recordTTL")
            .and_then(Value::as_u64)
            .map_or(0, |t| t as u32),
        provider_specific,
    )
}

fn from_endpoint(e: &Endpoint) -> Compared {
    (
        e.dns_name.clone(),
        e.record_type,
        e.targets.iter().cloned().collect(),
        e.ttl.unwrap_or(0),
        e.provider_specific.clone(),
    )
}

#[test]
fn source_vectors() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, vector) in vectors().iter().enumerate() {
        let case = vector["case"].as_str().unwrap_or_default();
        let input = &vector["input"];
        let expected = &vector["expected"];

        if let Some(annotations) = input.get("annotations") {
            let map = string_map(Some(annotations));
            let object = ObjectRef::new("Ingress", "default", "vector");
            let (parsed, _) = ObjectAnnotations::read(&object, Some(&map), &default_prefixes());
            let want = expected["recordTTL"].as_u64().expect("recordTTL");
            assert_eq!(
                u64::from(parsed.ttl.unwrap_or(0)),
                want,
                "vector {index}: {case}"
            );
            *counts.entry("ttl annotation").or_default() += 1;
        } else if let Some(values) = input
            .get("values")
            .filter(|_| expected.get("targets").is_some())
        {
            for (value, want) in strings(values)
                .iter()
                .zip(expected["targets"].as_array().expect("targets"))
            {
                assert_eq!(
                    split_targets(value),
                    strings(want),
                    "vector {index}: {case}: {value:?}"
                );
            }
            *counts.entry("target split").or_default() += 1;
        } else if let Some(values) = input
            .get("values")
            .filter(|_| expected.get("hostnames").is_some())
        {
            for (value, want) in strings(values)
                .iter()
                .zip(expected["hostnames"].as_array().expect("hostnames"))
            {
                assert_eq!(
                    split_hostnames(value),
                    strings(want),
                    "vector {index}: {case}: {value:?}"
                );
            }
            *counts.entry("hostname split").or_default() += 1;
        } else if input.get("ingress").is_some() || input.get("ingresses").is_some() {
            let descriptions: Vec<&Value> = match input.get("ingress") {
                Some(one) => vec![one],
                None => input["ingresses"]
                    .as_array()
                    .expect("ingresses")
                    .iter()
                    .collect(),
            };
            let cfg = config_from_flags(&strings(input.get("flags").unwrap_or(&Value::Null)));
            let mut got = BTreeSet::new();
            for (i, desc) in descriptions.iter().enumerate() {
                let out = ingress::endpoints(&build_ingress(desc, i), &cfg);
                got.extend(out.endpoints.iter().map(from_endpoint));
            }
            let want: BTreeSet<Compared> = expected["endpoints"]
                .as_array()
                .expect("endpoints")
                .iter()
                .map(from_vector)
                .collect();
            assert_eq!(got, want, "vector {index}: {case}");
            let shape = if input.get("ingress").is_some() {
                "ingress"
            } else {
                "ingresses"
            };
            *counts.entry(shape).or_default() += 1;
        }
    }
    assert_eq!(
        counts,
        BTreeMap::from([
            ("hostname split", 1),
            ("ingress", 12),
            ("ingresses", 1),
            ("target split", 1),
            ("ttl annotation", 11),
        ])
    );
}
