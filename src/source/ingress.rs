//! Ingress (`networking.k8s.io/v1`) → endpoints, as ExternalDNS's ingress source.
//!
//! Host names: `spec.rules[].host` (unless `--ignore-ingress-rules-spec`),
//! `spec.tls[].hosts[]` (unless `--ignore-ingress-tls-spec`) and the `hostname`
//! annotation (unless `--ignore-hostname-annotation`), limited by
//! `ingress-hostname-source`; `--fqdn-template` when none produced an endpoint (or
//! always with `--combine-fqdn-annotation`). Targets: the `target` annotation, else
//! every `status.loadBalancer.ingress[]` IP and host name.

use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::DynamicObject;

use crate::problem::ObjectRef;

use super::annotations::{HostnameSource, ObjectAnnotations};
use super::builder::{self, Shared, Sourced};
use super::kinds::{ObjectType, SourceDef, Watch, decode_manifest, decode_watched};
use super::{INGRESS_CLASS_ANNOTATION, SourceConfig, SourceKind, SourceOutput, selected};

/// The Ingress type.
pub static INGRESS: ObjectType = ObjectType {
    api_version: "networking.k8s.io/v1",
    kind: "Ingress",
    plural: "ingresses",
    namespaced: true,
    decode: decode_manifest::<Ingress>,
};

/// The `ingress` source's entry in [`super::kinds::SOURCES`].
pub const SOURCE: SourceDef = SourceDef {
    kind: SourceKind::Ingress,
    name: "ingress",
    resource_prefix: "ingress",
    object: &INGRESS,
    dependencies: &[],
    extra_rbac: &[],
    honours_controller_annotation: true,
    writes_status: false,
    from_manifests: |manifests, cfg| {
        let mut out = SourceOutput::default();
        for ingress in manifests.objects::<Ingress>() {
            out.extend(endpoints(ingress, cfg));
        }
        out
    },
    watch: Watch::Alone(watched_endpoints),
};

/// Maps a watched Ingress.
fn watched_endpoints(object: &DynamicObject, cfg: &SourceConfig) -> SourceOutput {
    match decode_watched::<Ingress>(object, INGRESS.kind) {
        Ok(ingress) => endpoints(&ingress, cfg),
        Err(problem) => problem,
    }
}

/// The `ObjectRef` of an Ingress.
pub fn object_ref(ingress: &Ingress) -> ObjectRef {
    ObjectRef::from_meta(INGRESS.kind, &ingress.metadata)
}

/// Whether the Ingress is in scope: the filters every kind shares (see
/// [`selected`]), then `--ingress-class`.
pub fn is_selected(ingress: &Ingress, cfg: &SourceConfig) -> bool {
    let class_name = ingress
        .spec
        .as_ref()
        .and_then(|s| s.ingress_class_name.as_deref());
    selected(&ingress.metadata, SourceKind::Ingress, cfg)
        && class_selected(&ingress.metadata, class_name, cfg)
}

/// `--ingress-class`: the class is `spec.ingressClassName` when set, else the
/// legacy annotation; no flag selects every class.
fn class_selected(meta: &ObjectMeta, class_name: Option<&str>, cfg: &SourceConfig) -> bool {
    if cfg.ingress_classes.is_empty() {
        return true;
    }
    let class = class_name.filter(|c| !c.is_empty()).or_else(|| {
        meta.annotations
            .as_ref()
            .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
            .map(String::as_str)
    });
    class.is_some_and(|c| cfg.ingress_classes.iter().any(|want| want == c))
}

/// The endpoints one Ingress asks for; nothing when it is not selected.
pub fn endpoints(ingress: &Ingress, cfg: &SourceConfig) -> SourceOutput {
    if !is_selected(ingress, cfg) {
        return SourceOutput::default();
    }
    let object = object_ref(ingress);
    let (parsed, problems) = ObjectAnnotations::read(
        &object,
        ingress.metadata.annotations.as_ref(),
        &cfg.annotation_prefixes,
    );
    let mut out = SourceOutput {
        endpoints: Vec::new(),
        problems,
    };
    let shared = Shared::from_annotations(&object, &parsed);
    let targets = targets(ingress, &parsed);

    let mut defined = Vec::new();
    if let Some(spec) = &ingress.spec {
        if !cfg.ignore_ingress_rules_spec {
            for (i, rule) in spec.rules.iter().flatten().enumerate() {
                if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
                    defined.push(Sourced::new(host, format!("spec.rules[{i}].host")));
                }
            }
        }
        if !cfg.ignore_ingress_tls_spec {
            for (i, tls) in spec.tls.iter().flatten().enumerate() {
                for (j, host) in tls.hosts.iter().flatten().enumerate() {
                    if !host.is_empty() {
                        defined.push(Sourced::new(host, format!("spec.tls[{i}].hosts[{j}]")));
                    }
                }
            }
        }
    }
    let mut annotated = Vec::new();
    if !cfg.ignore_hostname_annotation
        && let Some(list) = &parsed.hostnames
    {
        for host in &list.items {
            annotated.push(Sourced::new(host, list.setting.field.clone()));
        }
    }
    let hostnames = match parsed.hostname_source {
        HostnameSource::All => [defined, annotated].concat(),
        HostnameSource::DefinedHostsOnly => defined,
        HostnameSource::AnnotationOnly => annotated,
        HostnameSource::Nothing => Vec::new(),
    };
    for host in &hostnames {
        builder::for_hostname(host, &targets, &shared, &mut out);
    }

    if let Some(template) = &cfg.fqdn_template
        && (cfg.combine_fqdn_annotation || out.endpoints.is_empty())
    {
        match template.hostnames(ingress) {
            Ok(names) => {
                for name in names {
                    builder::for_hostname(
                        &Sourced::new(name, "--fqdn-template"),
                        &targets,
                        &shared,
                        &mut out,
                    );
                }
            }
            Err(e) => out
                .problems
                .push(super::template_problem(&object, template, &e)),
        }
    }
    builder::finish(out, cfg)
}

/// The `target` annotation, else the load balancer's IPs and host names.
fn targets(ingress: &Ingress, parsed: &ObjectAnnotations) -> Vec<Sourced> {
    if let Some(list) = &parsed.targets {
        return list
            .items
            .iter()
            .map(|t| Sourced::new(t, list.setting.field.clone()))
            .collect();
    }
    let entries = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref());
    let pairs = entries
        .into_iter()
        .flatten()
        .map(|e| (e.ip.as_deref(), e.hostname.as_deref()));
    builder::load_balancer_entries(pairs)
        .into_iter()
        .flat_map(|(ip, host)| ip.into_iter().chain(host))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::networking::v1::{
        IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
        IngressStatus, IngressTLS,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::endpoint::RecordType;
    use crate::problem::Consequence;
    use crate::source::fqdn_template::FqdnTemplate;

    const ALPHA: &str = "external-dns.alpha.kubernetes.io/";

    fn ingress(
        rules: &[&str],
        tls: &[&str],
        annotations: &[(&str, &str)],
        lb: &[(&str, &str)],
    ) -> Ingress {
        Ingress {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("shop".into()),
                annotations: Some(
                    annotations
                        .iter()
                        .map(|(k, v)| (format!("{ALPHA}{k}"), v.to_string()))
                        .collect::<BTreeMap<_, _>>(),
                ),
                ..Default::default()
            },
            spec: Some(IngressSpec {
                rules: Some(
                    rules
                        .iter()
                        .map(|h| IngressRule {
                            host: Some(h.to_string()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                tls: Some(vec![IngressTLS {
                    hosts: Some(tls.iter().map(|h| h.to_string()).collect()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: Some(
                        lb.iter()
                            .map(|(kind, value)| IngressLoadBalancerIngress {
                                ip: (*kind == "ip").then(|| value.to_string()),
                                hostname: (*kind == "hostname").then(|| value.to_string()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                }),
            }),
        }
    }

    fn summary(out: &SourceOutput) -> Vec<(String, RecordType, Vec<String>)> {
        let mut s: Vec<_> = out
            .endpoints
            .iter()
            .map(|e| (e.dns_name.clone(), e.record_type, e.targets.clone()))
            .collect();
        s.sort();
        s
    }

    #[test]
    fn rules_tls_and_annotation_hosts() {
        let ing = ingress(
            &["a.example.com", ""],
            &["a.example.com", "b.example.com"],
            &[("hostname", "c.example.com")],
            &[("ip", "192.0.2.1"), ("hostname", "lb.example.net")],
        );
        let out = endpoints(&ing, &SourceConfig::default());
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let mut expected = Vec::new();
        for host in ["a.example.com", "b.example.com", "c.example.com"] {
            expected.push((
                host.to_string(),
                RecordType::A,
                vec!["192.0.2.1".to_string()],
            ));
            expected.push((
                host.to_string(),
                RecordType::Cname,
                vec!["lb.example.net".to_string()],
            ));
        }
        assert_eq!(summary(&out), expected);
        assert!(
            out.endpoints
                .iter()
                .all(|e| e.resource() == Some("ingress/shop/web"))
        );
    }

    #[test]
    fn flags_drop_host_sources() {
        let ing = ingress(
            &["a.example.com"],
            &["b.example.com"],
            &[("hostname", "c.example.com")],
            &[("ip", "192.0.2.1")],
        );
        let names = |cfg: &SourceConfig| -> Vec<String> {
            summary(&endpoints(&ing, cfg))
                .into_iter()
                .map(|s| s.0)
                .collect()
        };
        let cfg = SourceConfig {
            ignore_ingress_rules_spec: true,
            ..Default::default()
        };
        assert_eq!(names(&cfg), vec!["b.example.com", "c.example.com"]);
        let cfg = SourceConfig {
            ignore_ingress_tls_spec: true,
            ..Default::default()
        };
        assert_eq!(names(&cfg), vec!["a.example.com", "c.example.com"]);
        let cfg = SourceConfig {
            ignore_hostname_annotation: true,
            ..Default::default()
        };
        assert_eq!(names(&cfg), vec!["a.example.com", "b.example.com"]);
    }

    #[test]
    fn annotations_apply_to_every_endpoint() {
        let ing = ingress(
            &["a.example.com"],
            &[],
            &[
                ("target", "192.0.2.9, lb.example.net."),
                ("ttl", "5m"),
                ("cloudflare-proxied", "true"),
                ("cloudflare-tags", "team:blue"),
                ("set-identifier", "one"),
            ],
            &[("ip", "192.0.2.1")],
        );
        let out = endpoints(&ing, &SourceConfig::default());
        assert!(out.problems.is_empty());
        assert_eq!(
            summary(&out),
            vec![
                (
                    "a.example.com".into(),
                    RecordType::A,
                    vec!["192.0.2.9".into()]
                ),
                (
                    "a.example.com".into(),
                    RecordType::Cname,
                    vec!["lb.example.net".into()]
                ),
            ]
        );
        for e in &out.endpoints {
            assert_eq!(e.ttl, Some(300));
            assert_eq!(e.cloudflare.proxied, Some(true));
            assert_eq!(e.cloudflare.tags, vec!["team:blue"]);
            assert_eq!(e.set_identifier, "one");
        }
    }

    #[test]
    fn bad_values_are_problems_not_failures() {
        let ing = ingress(
            &["a.example.com", "bad_host!.example.com"],
            &[],
            &[("ttl", "abc"), ("cloudflare-proxied", "maybe")],
            &[("ip", "192.0.2.1")],
        );
        let out = endpoints(&ing, &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![(
                "a.example.com".into(),
                RecordType::A,
                vec!["192.0.2.1".into()]
            )]
        );
        assert_eq!(out.endpoints[0].ttl, None);
        assert_eq!(out.endpoints[0].cloudflare.proxied, None);
        let problems: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.reason, p.consequence))
            .collect();
        assert_eq!(
            problems,
            vec![
                (
                    "metadata.annotations[\"external-dns.alpha.kubernetes.io/ttl\"]",
                    "invalid-ttl",
                    Consequence::Ignored
                ),
                (
                    "metadata.annotations[\"external-dns.alpha.kubernetes.io/cloudflare-proxied\"]",
                    "invalid-proxied",
                    Consequence::Ignored
                ),
                (
                    "spec.rules[1].host",
                    "invalid-hostname",
                    Consequence::Skipped
                ),
            ]
        );
        assert!(
            out.problems
                .iter()
                .all(|p| p.object == ObjectRef::new("Ingress", "shop", "web"))
        );
    }

    #[test]
    fn a_bad_load_balancer_hostname_names_its_field() {
        let ing = ingress(
            &["a.example.com"],
            &[],
            &[],
            &[("ip", "192.0.2.1"), ("hostname", "not valid")],
        );
        let out = endpoints(&ing, &SourceConfig::default());
        assert_eq!(out.endpoints.len(), 1);
        assert_eq!(out.problems.len(), 1);
        assert_eq!(
            out.problems[0].field,
            "status.loadBalancer.ingress[1].hostname"
        );
    }

    #[test]
    fn fqdn_template_fills_in_or_combines() {
        let template = FqdnTemplate::parse(&["{{.Name}}.{{.Namespace}}.example.com"]).unwrap();
        let cfg = SourceConfig {
            fqdn_template: template.clone(),
            ..Default::default()
        };
        let bare = ingress(&[], &[], &[], &[("ip", "192.0.2.1")]);
        let names: Vec<_> = summary(&endpoints(&bare, &cfg))
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(names, vec!["web.shop.example.com"]);

        let named = ingress(&["a.example.com"], &[], &[], &[("ip", "192.0.2.1")]);
        let names: Vec<_> = summary(&endpoints(&named, &cfg))
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(names, vec!["a.example.com"]);

        let cfg = SourceConfig {
            fqdn_template: template,
            combine_fqdn_annotation: true,
            ..Default::default()
        };
        let names: Vec<_> = summary(&endpoints(&named, &cfg))
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(names, vec!["a.example.com", "web.shop.example.com"]);
    }

    #[test]
    fn a_failing_template_is_a_problem() {
        let cfg = SourceConfig {
            fqdn_template: FqdnTemplate::parse(&["{{ toLower .Spec.Rules }}"]).unwrap(),
            ..Default::default()
        };
        let out = endpoints(&ingress(&[], &[], &[], &[("ip", "192.0.2.1")]), &cfg);
        assert!(out.endpoints.is_empty());
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].field, "--fqdn-template");
        assert_eq!(out.problems[0].reason, "fqdn-template-failed");
    }

    #[test]
    fn unselected_ingresses_produce_nothing() {
        let ing = ingress(
            &["a.example.com"],
            &[],
            &[("controller", "other")],
            &[("ip", "192.0.2.1")],
        );
        assert_eq!(
            endpoints(&ing, &SourceConfig::default()),
            SourceOutput::default()
        );
    }

    #[test]
    fn ingress_classes() {
        let cfg = SourceConfig {
            ingress_classes: vec!["nginx".into()],
            ..Default::default()
        };
        let plain = ObjectMeta::default();
        let legacy = ObjectMeta {
            annotations: Some(BTreeMap::from([(
                INGRESS_CLASS_ANNOTATION.to_string(),
                "nginx".to_string(),
            )])),
            ..Default::default()
        };
        assert!(class_selected(&plain, Some("nginx"), &cfg));
        assert!(!class_selected(&plain, Some("traefik"), &cfg));
        assert!(!class_selected(&plain, None, &cfg));
        assert!(class_selected(&legacy, None, &cfg));
        assert!(class_selected(&legacy, Some(""), &cfg));
        // The class name, when set, decides; the annotation is not consulted.
        assert!(!class_selected(&legacy, Some("traefik"), &cfg));
        assert!(class_selected(&plain, None, &SourceConfig::default()));
    }
}
