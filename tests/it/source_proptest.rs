//! Arbitrary strings in every annotation and every DNSEndpoint field: the sources
//! never panic, and whatever they publish is valid.

use std::collections::BTreeMap;
use std::path::Path;

use flaredns::crd::{DNSEndpoint, DNSEndpointSpec, EndpointSpec, ProviderSpecificProperty};
use flaredns::endpoint::{normalize_target, validate_name};
use flaredns::problem::ObjectRef;
use flaredns::source::annotations::{self, key, parse_ttl};
use flaredns::source::fqdn_template::FqdnTemplate;
use flaredns::source::manifest::{Format, Manifests};
use flaredns::source::selector::parse_selector;
use flaredns::source::service::{NodeAddresses, PodEndpoint, PodPlacement, ServiceInputs};
use flaredns::source::{SourceConfig, SourceOutput, dnsendpoint, ingress, service};
use k8s_openapi::api::core::v1::{
    LoadBalancerIngress, LoadBalancerStatus, Service, ServicePort, ServiceSpec, ServiceStatus,
};
use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
    IngressStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use proptest::prelude::*;

const KEYS: [&str; 15] = key::ALL;

const PREFIXES: [&str; 2] = annotations::PREFIXES;

/// Any string, or one shaped like the values these fields usually hold.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9.,:*_ -]{0,40}",
        "([0-9]{1,3}\\.){3}[0-9]{1,3}\\.?",
        "[0-9a-f:]{2,20}",
        "[-+]?[0-9.]{0,6}(ns|us|µs|ms|s|m|h|d)?",
        Just(String::new()),
    ]
}

fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::vec((0..PREFIXES.len(), 0..KEYS.len(), text()), 0..12).prop_map(
        |entries| {
            entries
                .into_iter()
                .map(|(p, k, v)| (format!("{}{}", PREFIXES[p], KEYS[k]), v))
                .collect()
        },
    )
}

/// What every source output must satisfy, whatever the input.
fn check(out: &SourceOutput, object: &ObjectRef) {
    for e in &out.endpoints {
        assert!(
            validate_name(&e.dns_name).is_ok(),
            "invalid name published: {:?}",
            e.dns_name
        );
        assert!(!e.targets.is_empty(), "endpoint without targets: {e:?}");
        for t in &e.targets {
            assert_eq!(
                normalize_target(e.record_type, t).as_ref(),
                Ok(t),
                "target not normalised for {}: {t:?}",
                e.record_type
            );
        }
        if let Some(ttl) = e.ttl {
            assert!((1..=i32::MAX as u32).contains(&ttl));
        }
        assert_eq!(e.resource(), Some(object.resource_label().as_str()));
    }
    for p in &out.problems {
        assert_eq!(&p.object, object);
        assert!(!p.field.is_empty());
        assert!(!p.message.is_empty());
    }
}

fn any_ingress() -> impl Strategy<Value = Ingress> {
    (
        annotations(),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec((text(), text()), 0..3),
    )
        .prop_map(|(annotations, hosts, lb)| Ingress {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("ns".into()),
                annotations: Some(annotations),
                ..Default::default()
            },
            spec: Some(IngressSpec {
                rules: Some(
                    hosts
                        .into_iter()
                        .map(|h| IngressRule {
                            host: Some(h),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            status: Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: Some(
                        lb.into_iter()
                            .map(|(ip, hostname)| IngressLoadBalancerIngress {
                                ip: Some(ip),
                                hostname: Some(hostname),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                }),
            }),
        })
}

fn any_service() -> impl Strategy<Value = Service> {
    (
        annotations(),
        prop_oneof![
            Just("LoadBalancer"),
            Just("ClusterIP"),
            Just("NodePort"),
            Just("ExternalName"),
            Just("Bogus")
        ],
        prop_oneof![Just("None".to_string()), text()],
        text(),
        proptest::collection::vec(text(), 0..2),
        proptest::collection::vec((text(), text()), 0..2),
        text(),
    )
        .prop_map(
            |(annotations, service_type, cluster_ip, external_name, external_ips, lb, protocol)| {
                Service {
                    metadata: ObjectMeta {
                        name: Some("svc".into()),
                        namespace: Some("ns".into()),
                        annotations: Some(annotations),
                        ..Default::default()
                    },
                    spec: Some(ServiceSpec {
                        type_: Some(service_type.into()),
                        cluster_ip: Some(cluster_ip),
                        external_name: Some(external_name),
                        external_ips: Some(external_ips),
                        external_traffic_policy: Some("Local".into()),
                        ports: Some(vec![ServicePort {
                            port: 80,
                            node_port: Some(30080),
                            protocol: Some(protocol),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    }),
                    status: Some(ServiceStatus {
                        load_balancer: Some(LoadBalancerStatus {
                            ingress: Some(
                                lb.into_iter()
                                    .map(|(ip, hostname)| LoadBalancerIngress {
                                        ip: Some(ip),
                                        hostname: Some(hostname),
                                        ..Default::default()
                                    })
                                    .collect(),
                            ),
                        }),
                        ..Default::default()
                    }),
                }
            },
        )
}

fn any_inputs() -> impl Strategy<Value = ServiceInputs> {
    (
        text(),
        text(),
        text(),
        text(),
        proptest::option::of(text()),
        text(),
    )
        .prop_map(
            |(external, internal, address, host_ip, target, pod_hostname)| ServiceInputs {
                nodes: vec![NodeAddresses {
                    name: "n1".into(),
                    external_ips: vec![external],
                    internal_ips: vec![internal],
                    unschedulable: false,
                }],
                endpoints: vec![PodEndpoint {
                    pod_name: "p".into(),
                    address: Some(address),
                    ready: true,
                    pod_hostname: Some(pod_hostname),
                    host_ip: Some(host_ip),
                    node_name: Some("n1".into()),
                    target_annotation: target,
                }],
                pods: vec![PodPlacement {
                    node_name: "n1".into(),
                    running: true,
                    ready: true,
                    terminating: false,
                }],
                resolved_hostnames: BTreeMap::new(),
            },
        )
}

fn record_type() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        Just("A".to_string()),
        Just("AAAA".to_string()),
        Just("CNAME".to_string()),
        Just("TXT".to_string()),
        Just("MX".to_string()),
        Just("SRV".to_string()),
        Just("NS".to_string()),
    ]
}

fn provider_specific() -> impl Strategy<Value = Vec<ProviderSpecificProperty>> {
    proptest::collection::vec(
        (
            prop_oneof![
                text(),
                (0..PREFIXES.len(), 0..KEYS.len())
                    .prop_map(|(p, k)| format!("{}{}", PREFIXES[p], KEYS[k]))
            ],
            text(),
        ),
        0..4,
    )
    .prop_map(|entries| {
        entries
            .into_iter()
            .map(|(name, value)| ProviderSpecificProperty { name, value })
            .collect()
    })
}

fn any_entry() -> impl Strategy<Value = EndpointSpec> {
    (
        text(),
        record_type(),
        proptest::collection::vec(text(), 0..3),
        text(),
        any::<i64>(),
        proptest::collection::btree_map(text(), text(), 0..3),
        provider_specific(),
    )
        .prop_map(
            |(
                dns_name,
                record_type,
                targets,
                set_identifier,
                record_ttl,
                labels,
                provider_specific,
            )| EndpointSpec {
                dns_name,
                targets,
                record_type,
                set_identifier,
                record_ttl,
                labels,
                provider_specific,
            },
        )
}

fn configs() -> Vec<SourceConfig> {
    vec![
        SourceConfig::default(),
        SourceConfig {
            publish_internal_services: true,
            publish_host_ip: true,
            always_publish_not_ready_addresses: true,
            resolve_service_load_balancer_hostname: true,
            expose_internal_ipv6: true,
            fqdn_template: FqdnTemplate::parse(&[
                "{{.Name}}.{{.Namespace}}.example.com,{{ index .Annotations \"x\" }}",
            ])
            .expect("template"),
            combine_fqdn_annotation: true,
            default_targets: vec!["192.0.2.1".into(), "lb.example.net".into()],
            ..SourceConfig::default()
        },
        SourceConfig {
            default_targets: vec!["2001:db8::1".into()],
            force_default_targets: true,
            ..SourceConfig::default()
        },
    ]
}

proptest! {
    #[test]
    fn ingress_annotations_never_panic(ing in any_ingress()) {
        let object = ingress::object_ref(&ing);
        for cfg in configs() {
            check(&ingress::endpoints(&ing, &cfg), &object);
        }
    }

    #[test]
    fn service_annotations_never_panic(svc in any_service(), inputs in any_inputs()) {
        let object = service::object_ref(&svc);
        for cfg in configs() {
            check(&service::endpoints(&svc, &inputs, &cfg), &object);
        }
    }

    #[test]
    fn dnsendpoint_fields_never_panic(entries in proptest::collection::vec(any_entry(), 0..4), name in text()) {
        let object = DNSEndpoint {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            spec: DNSEndpointSpec { endpoints: entries },
            status: None,
        };
        let object_ref = dnsendpoint::object_ref(&object);
        for cfg in configs() {
            check(&dnsendpoint::endpoints(&object, &cfg), &object_ref);
        }
    }

    #[test]
    fn ttl_accepts_exactly_the_valid_range(n in any::<i64>()) {
        let parsed = parse_ttl(&n.to_string()).ok();
        let expected = (1..=i64::from(i32::MAX)).contains(&n).then_some(n as u32);
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn parsers_never_panic(s in text()) {
        let _ = parse_ttl(&s);
        let _ = parse_selector(&s);
        if let Ok(Some(template)) = FqdnTemplate::parse(&[s.as_str()]) {
            let _ = template.render(&serde_json::json!({"metadata": {"name": "a", "labels": {"x": "y"}}}));
        }
        let mut m = Manifests::default();
        let _ = m.add_text(&s, Format::Yaml, Path::new("p.yaml"));
        let _ = m.add_text(&s, Format::Json, Path::new("p.json"));
    }

    #[test]
    fn templates_from_pieces_never_panic(pieces in proptest::collection::vec(prop_oneof![
        Just("{{"), Just("}}"), Just("{{-"), Just("-}}"), Just(" "), Just(".Name"), Just(".Labels.x"),
        Just("|"), Just("("), Just(")"), Just("\""), Just("`"), Just("if"), Just("else"), Just("end"),
        Just("index"), Just("toLower"), Just("eq"), Just("and"), Just("not"), Just("0"), Just("-1"),
        Just("/*"), Just("*/"), Just("."), Just(","), Just("x"),
    ], 0..16)) {
        let source: String = pieces.concat();
        if let Ok(Some(template)) = FqdnTemplate::parse(&[source.as_str()]) {
            let _ = template.render(&serde_json::json!({
                "metadata": {"name": "a", "namespace": "b", "labels": {"x": "y"}},
                "spec": {"rules": [{"host": "h"}]}
            }));
        }
    }
}
