//! `DNSEndpoint` → endpoints, as ExternalDNS's `crd` source.
//!
//! Each `spec.endpoints[]` entry becomes one endpoint: its `dnsName`,
//! `recordType`, `targets`, `recordTTL`, `setIdentifier` and `labels` as given,
//! plus the label `resource=crd/<namespace>/<name>`. `providerSpecific` entries
//! named by a Cloudflare annotation key under either prefix (for example
//! `external-dns.alpha.kubernetes.io/cloudflare-proxied`) set the Cloudflare
//! properties; other entries are kept as provider-specific.
//!
//! An entry with a bad name, record type or target is skipped with a problem
//! naming its field; the object's other entries are still published.

use std::collections::BTreeMap;

use kube::api::DynamicObject;

use crate::crd::{DNSEndpoint, EndpointSpec};
use crate::endpoint::{CloudflareProps, ProviderSpecific, RecordType, label};
use crate::problem::{Consequence, ObjectRef, Problem};

use super::annotations::{self, Settings};
use super::builder::{self, Shared, Sourced};
use super::kinds::{ObjectType, RbacRule, SourceDef, Watch, decode_manifest, decode_watched};
use super::{SourceConfig, SourceKind, SourceOutput, selected};

/// The DNSEndpoint type (`--crd-source-apiversion` and `--crd-source-kind`
/// may name another for the controller to watch).
pub static DNS_ENDPOINT: ObjectType = ObjectType {
    api_version: "externaldns.k8s.io/v1alpha1",
    kind: "DNSEndpoint",
    plural: "dnsendpoints",
    namespaced: true,
    decode: decode_manifest::<DNSEndpoint>,
};

/// The `crd` source's entry in [`super::kinds::SOURCES`].
pub const SOURCE: SourceDef = SourceDef {
    kind: SourceKind::Crd,
    name: "crd",
    resource_prefix: "crd",
    object: &DNS_ENDPOINT,
    dependencies: &[],
    extra_rbac: &[RbacRule {
        api_group: "externaldns.k8s.io",
        resource: "dnsendpoints/status",
        verbs: &["update", "patch"],
    }],
    honours_controller_annotation: false,
    writes_status: true,
    from_manifests: |manifests, cfg| {
        let mut out = SourceOutput::default();
        for object in manifests.objects::<DNSEndpoint>() {
            out.extend(endpoints(object, cfg));
        }
        out
    },
    watch: Watch::Alone(watched_endpoints),
};

/// Maps a watched DNSEndpoint; one that does not match the schema is a
/// problem on itself.
pub fn watched_endpoints(object: &DynamicObject, cfg: &SourceConfig) -> SourceOutput {
    match decode_watched::<DNSEndpoint>(object, DNS_ENDPOINT.kind) {
        Ok(endpoint) => endpoints(&endpoint, cfg),
        Err(problem) => problem,
    }
}

/// The `ObjectRef` of a DNSEndpoint.
pub fn object_ref(object: &DNSEndpoint) -> ObjectRef {
    ObjectRef::from_meta(DNS_ENDPOINT.kind, &object.metadata)
}

/// Whether the DNSEndpoint is in scope (namespace, label and annotation filters).
pub fn is_selected(object: &DNSEndpoint, cfg: &SourceConfig) -> bool {
    selected(&object.metadata, SourceKind::Crd, cfg)
}

/// The endpoints one DNSEndpoint asks for; nothing when it is not selected.
pub fn endpoints(object: &DNSEndpoint, cfg: &SourceConfig) -> SourceOutput {
    if !is_selected(object, cfg) {
        return SourceOutput::default();
    }
    let object_ref = object_ref(object);
    let mut out = SourceOutput::default();
    for (i, entry) in object.spec.endpoints.iter().enumerate() {
        entry_endpoints(&object_ref, i, entry, cfg, &mut out);
    }
    builder::finish(out, cfg)
}

fn entry_endpoints(
    object: &ObjectRef,
    index: usize,
    entry: &EndpointSpec,
    cfg: &SourceConfig,
    out: &mut SourceOutput,
) {
    let at = format!("spec.endpoints[{index}]");
    let skip = |field: String, value: &str, reason: &'static str, message: String| {
        Problem::new(object, field, value, Consequence::Skipped, reason, message)
    };
    let record_type = match entry.record_type.parse::<RecordType>() {
        Ok(t) => t,
        Err(_) if entry.record_type.is_empty() => {
            out.problems.push(skip(
                format!("{at}.recordType"),
                "",
                "missing-record-type",
                format!(
                    "no recordType for {:?}; the endpoint is not published",
                    entry.dns_name
                ),
            ));
            return;
        }
        Err(e) => {
            out.problems.push(skip(
                format!("{at}.recordType"),
                &entry.record_type,
                "unknown-record-type",
                format!("{e}; the endpoint is not published"),
            ));
            return;
        }
    };

    let mut shared = Shared {
        object,
        ttl: ttl(object, &at, entry.record_ttl, &mut out.problems),
        labels: entry
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cloudflare: CloudflareProps::default(),
        provider_specific: Vec::new(),
        set_identifier: entry.set_identifier.clone(),
    };
    shared
        .labels
        .insert(label::RESOURCE.to_string(), object.resource_label());
    (shared.cloudflare, shared.provider_specific) =
        provider_specific(object, &at, entry, cfg, &mut out.problems);

    let name = Sourced::new(&entry.dns_name, format!("{at}.dnsName"));
    if entry.targets.is_empty() {
        if cfg.default_targets.is_empty() {
            out.problems.push(skip(
                format!("{at}.targets"),
                "",
                "no-targets",
                format!(
                    "the {record_type} endpoint {:?} has no targets and no --default-targets apply; it is not published",
                    entry.dns_name
                ),
            ));
            return;
        }
        // ExternalDNS v0.22: an entry without targets takes the default targets.
        let defaults: Vec<Sourced> = cfg
            .default_targets
            .iter()
            .map(|t| Sourced::new(t, "--default-targets"))
            .collect();
        builder::for_hostname(&name, &defaults, &shared, out);
        return;
    }
    let targets: Vec<Sourced> = entry
        .targets
        .iter()
        .enumerate()
        .map(|(j, t)| Sourced::new(t, format!("{at}.targets[{j}]")))
        .collect();
    let refs: Vec<&Sourced> = targets.iter().collect();
    builder::build(&name, record_type, &refs, &shared, out);
}

/// `recordTTL`: 0 is "not configured"; outside `[1, 2147483647]` is ignored.
fn ttl(object: &ObjectRef, at: &str, record_ttl: i64, problems: &mut Vec<Problem>) -> Option<u32> {
    if record_ttl == 0 {
        return None;
    }
    match u32::try_from(record_ttl) {
        Ok(t) if t <= i32::MAX as u32 => Some(t),
        _ => {
            problems.push(Problem::new(
                object,
                format!("{at}.recordTTL"),
                &record_ttl.to_string(),
                Consequence::Ignored,
                "invalid-ttl",
                "the TTL must be between 1 and 2147483647 seconds; it is not configured",
            ));
            None
        }
    }
}

/// Splits `providerSpecific` into Cloudflare properties (entries named by a
/// Cloudflare annotation key under any prefix) and everything else.
fn provider_specific(
    object: &ObjectRef,
    at: &str,
    entry: &EndpointSpec,
    cfg: &SourceConfig,
    problems: &mut Vec<Problem>,
) -> (CloudflareProps, Vec<ProviderSpecific>) {
    // Both standard prefixes are always understood here: the property names are
    // data in the object, not annotations chosen by --annotation-prefix.
    let mut prefixes = cfg.annotation_prefixes.clone();
    for p in annotations::default_prefixes() {
        if !prefixes.contains(&p) {
            prefixes.push(p);
        }
    }
    // Duplicate names: the last entry wins, as a later map key does.
    let mut by_name: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (j, property) in entry.provider_specific.iter().enumerate() {
        by_name.insert(&property.name, (j, &property.value));
    }
    let entries = by_name
        .iter()
        .map(|(name, (j, value))| (*name, *value, format!("{at}.providerSpecific[{j}].value")));
    let (settings, others) = Settings::from_entries(object, entries, &prefixes, problems);
    let cloudflare = annotations::cloudflare_props(object, &settings, problems);

    let mut kept: Vec<ProviderSpecific> = others
        .into_iter()
        .map(|s| ProviderSpecific {
            name: s.key,
            value: s.value,
        })
        .collect();
    // Prefixed entries that are not Cloudflare properties are kept under their
    // full name too.
    for (name, (_, value)) in &by_name {
        let cloudflare_key = prefixes.iter().any(|p| {
            name.strip_prefix(p.as_str())
                .is_some_and(|suffix| suffix.starts_with("cloudflare-"))
        });
        let prefixed = prefixes.iter().any(|p| name.starts_with(p.as_str()));
        if prefixed && !cloudflare_key {
            kept.push(ProviderSpecific {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
    }
    kept.sort();
    (cloudflare, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{DNSEndpointSpec, ProviderSpecificProperty};

    fn dns_endpoint(entries: Vec<EndpointSpec>) -> DNSEndpoint {
        let mut object = DNSEndpoint::new("static", DNSEndpointSpec { endpoints: entries });
        object.metadata.namespace = Some("infra".into());
        object
    }

    fn entry(name: &str, record_type: &str, targets: &[&str]) -> EndpointSpec {
        EndpointSpec {
            dns_name: name.into(),
            record_type: record_type.into(),
            targets: targets.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn entries_become_endpoints() {
        let mut txt = entry("_acme.example.com", "TXT", &["\"v=1 Keep.Case.\""]);
        txt.record_ttl = 120;
        txt.set_identifier = "one".into();
        txt.labels = BTreeMap::from([
            ("team".to_string(), "blue".to_string()),
            ("resource".into(), "fake".into()),
        ]);
        let object = dns_endpoint(vec![
            entry("A.Example.com.", "A", &["192.0.2.2", "192.0.2.1"]),
            entry("www.example.com", "cname", &["Lb.Example.net."]),
            entry("mail.example.com", "MX", &["10 mx.example.com"]),
            txt,
        ]);
        let out = endpoints(&object, &SourceConfig::default());
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let rows: Vec<_> = out
            .endpoints
            .iter()
            .map(|e| (e.dns_name.as_str(), e.record_type, e.targets.clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "a.example.com",
                    RecordType::A,
                    vec!["192.0.2.1".to_string(), "192.0.2.2".into()]
                ),
                (
                    "www.example.com",
                    RecordType::Cname,
                    vec!["lb.example.net".to_string()]
                ),
                (
                    "mail.example.com",
                    RecordType::Mx,
                    vec!["10 mx.example.com".to_string()]
                ),
                (
                    "_acme.example.com",
                    RecordType::Txt,
                    vec!["\"v=1 Keep.Case.\"".to_string()]
                ),
            ]
        );
        let txt = &out.endpoints[3];
        assert_eq!(txt.ttl, Some(120));
        assert_eq!(txt.set_identifier, "one");
        assert_eq!(txt.labels.get("team").map(String::as_str), Some("blue"));
        assert_eq!(txt.resource(), Some("crd/infra/static"));
    }

    #[test]
    fn provider_specific_maps_cloudflare_properties() {
        let mut e = entry("a.example.com", "A", &["192.0.2.1"]);
        e.provider_specific = vec![
            ProviderSpecificProperty {
                name: "external-dns.alpha.kubernetes.io/cloudflare-proxied".into(),
                value: "true".into(),
            },
            ProviderSpecificProperty {
                name: "external-dns.kubernetes.io/cloudflare-tags".into(),
                value: "b:2,a:1".into(),
            },
            ProviderSpecificProperty {
                name: "external-dns.alpha.kubernetes.io/cloudflare-record-comment".into(),
                value: "static".into(),
            },
            ProviderSpecificProperty {
                name: "alias".into(),
                value: "true".into(),
            },
            ProviderSpecificProperty {
                name: "external-dns.alpha.kubernetes.io/aws-weight".into(),
                value: "10".into(),
            },
        ];
        let out = endpoints(&dns_endpoint(vec![e]), &SourceConfig::default());
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let ep = &out.endpoints[0];
        assert_eq!(
            ep.cloudflare,
            CloudflareProps {
                proxied: Some(true),
                comment: Some("static".into()),
                tags: vec!["a:1".into(), "b:2".into()],
            }
        );
        assert_eq!(
            ep.provider_specific,
            vec![
                ProviderSpecific {
                    name: "alias".into(),
                    value: "true".into()
                },
                ProviderSpecific {
                    name: "external-dns.alpha.kubernetes.io/aws-weight".into(),
                    value: "10".into()
                },
            ]
        );
    }

    #[test]
    fn bad_provider_specific_values_are_ignored() {
        let mut e = entry("a.example.com", "A", &["192.0.2.1"]);
        e.provider_specific = vec![
            ProviderSpecificProperty {
                name: "external-dns.alpha.kubernetes.io/cloudflare-proxied".into(),
                value: "maybe".into(),
            },
            ProviderSpecificProperty {
                name: "external-dns.alpha.kubernetes.io/cloudflare-region-key".into(),
                value: "eu".into(),
            },
        ];
        let out = endpoints(&dns_endpoint(vec![e]), &SourceConfig::default());
        assert_eq!(out.endpoints.len(), 1);
        assert_eq!(out.endpoints[0].cloudflare.proxied, None);
        let problems: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.reason))
            .collect();
        assert_eq!(
            problems,
            vec![
                (
                    "spec.endpoints[0].providerSpecific[0].value",
                    "invalid-proxied"
                ),
                (
                    "spec.endpoints[0].providerSpecific[1].value",
                    "unsupported-annotation"
                ),
            ]
        );
    }

    #[test]
    fn bad_entries_are_skipped_one_by_one() {
        let mut huge_ttl = entry("ttl.example.com", "A", &["192.0.2.9"]);
        huge_ttl.record_ttl = 1 << 40;
        let object = dns_endpoint(vec![
            entry("ok.example.com", "A", &["192.0.2.1"]),
            entry("dotted.example.com", "A", &["192.0.2.1."]),
            entry("v6.example.com", "A", &["2001:db8::1"]),
            entry("empty.example.com", "CNAME", &[]),
            entry("bad name.example.com", "A", &["192.0.2.1"]),
            entry("type.example.com", "BOGUS", &["x"]),
            entry("notype.example.com", "", &["192.0.2.1"]),
            entry("two.example.com", "A", &["192.0.2.1", "nope"]),
            huge_ttl,
        ]);
        let out = endpoints(&object, &SourceConfig::default());
        let names: Vec<_> = out.endpoints.iter().map(|e| e.dns_name.as_str()).collect();
        assert_eq!(names, vec!["ok.example.com", "ttl.example.com"]);
        assert_eq!(out.endpoints[1].ttl, None);
        let problems: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.reason, p.consequence))
            .collect();
        assert_eq!(
            problems,
            vec![
                (
                    "spec.endpoints[1].targets[0]",
                    "invalid-target",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[2].targets[0]",
                    "invalid-target",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[3].targets",
                    "no-targets",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[4].dnsName",
                    "invalid-hostname",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[5].recordType",
                    "unknown-record-type",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[6].recordType",
                    "missing-record-type",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[7].targets[1]",
                    "invalid-target",
                    Consequence::Skipped
                ),
                (
                    "spec.endpoints[8].recordTTL",
                    "invalid-ttl",
                    Consequence::Ignored
                ),
            ]
        );
        assert!(
            out.problems
                .iter()
                .all(|p| p.object == ObjectRef::new("DNSEndpoint", "infra", "static"))
        );
    }

    #[test]
    fn default_targets_fill_empty_entries() {
        let object = dns_endpoint(vec![
            entry("empty.example.com", "A", &[]),
            entry("set.example.com", "A", &["192.0.2.1"]),
        ]);
        let cfg = SourceConfig {
            default_targets: vec!["lb.example.net".into()],
            ..Default::default()
        };
        let out = endpoints(&object, &cfg);
        assert!(out.problems.is_empty());
        let rows: Vec<_> = out
            .endpoints
            .iter()
            .map(|e| (e.dns_name.as_str(), e.record_type, e.targets.clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "empty.example.com",
                    RecordType::Cname,
                    vec!["lb.example.net".to_string()]
                ),
                (
                    "set.example.com",
                    RecordType::A,
                    vec!["192.0.2.1".to_string()]
                ),
            ]
        );
        let forced = SourceConfig {
            force_default_targets: true,
            ..cfg
        };
        let out = endpoints(&object, &forced);
        assert!(
            out.endpoints
                .iter()
                .all(|e| e.targets == vec!["lb.example.net"])
        );
    }

    #[test]
    fn filters_apply() {
        let object = dns_endpoint(vec![entry("a.example.com", "A", &["192.0.2.1"])]);
        let cfg = SourceConfig {
            namespace: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(endpoints(&object, &cfg), SourceOutput::default());
    }
}
