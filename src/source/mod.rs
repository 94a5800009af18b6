//! Sources: pure functions from one Kubernetes object to the endpoints it asks for.
//!
//! Each source ([`ingress`], [`service`], [`dnsendpoint`]) maps one object to a
//! [`SourceOutput`]: its endpoints and the [`Problem`]s found on the way. Nothing
//! here does I/O except [`manifest`], which reads objects from files for
//! `flaredns plan`. Merging endpoints across objects is the planner's job.
//!
//! Everything else about a kind (its `--source` name, the `resource` label of
//! its records, the object types it reads and their RBAC rules, how it is read
//! from manifests and watched) is its entry in [`kinds::SOURCES`]. A kind that
//! reads other objects (a Service its nodes, pods and EndpointSlices) describes
//! that as a [`join::Join`].
//!
//! [`SourceConfig`] carries every source option with ExternalDNS's defaults;
//! [`selected`] applies the object filters every kind shares (namespace, label
//! and annotation selectors, the `controller` annotation); a kind's own filters
//! (ingress classes, service types) are in its module.

pub mod annotations;
mod builder;
pub mod dnsendpoint;
pub mod fqdn_template;
pub mod ingress;
pub mod join;
pub mod kinds;
pub mod manifest;
pub mod selector;
pub mod service;

use std::fmt;
use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{Expression, Selector, SelectorExt};

use crate::endpoint::{Endpoint, RecordType, normalize_target, record_type_for_target};
use crate::problem::{Consequence, ObjectRef, Problem};

use self::fqdn_template::{FqdnTemplate, TemplateError};

/// The annotation naming an Ingress's class before `spec.ingressClassName` existed.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// The service types `--service-type-filter` accepts.
pub const SERVICE_TYPES: [&str; 4] = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

/// Every option that changes what the sources produce, with ExternalDNS's
/// defaults (`SourceConfig::default()`).
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// Annotation prefixes in precedence order. Default: `external-dns.kubernetes.io/`
    /// then `external-dns.alpha.kubernetes.io/`; one prefix with `--annotation-prefix`.
    pub annotation_prefixes: Vec<String>,
    /// `--namespace`: `None` (or empty) watches all namespaces.
    pub namespace: Option<String>,
    /// `--annotation-filter`, evaluated against annotations.
    pub annotation_filter: Selector,
    /// `--label-filter`.
    pub label_filter: Selector,
    /// `--ingress-class` (repeatable); empty means every class.
    pub ingress_classes: Vec<String>,
    /// `--service-type-filter` (repeatable); empty means every type.
    pub service_types: Vec<String>,
    /// `--fqdn-template` (parsed; several values are joined with `,`).
    pub fqdn_template: Option<FqdnTemplate>,
    /// `--combine-fqdn-annotation`: use the template even when the object names hosts.
    pub combine_fqdn_annotation: bool,
    /// `--ignore-hostname-annotation`.
    pub ignore_hostname_annotation: bool,
    /// `--ignore-ingress-tls-spec`.
    pub ignore_ingress_tls_spec: bool,
    /// `--ignore-ingress-rules-spec`.
    pub ignore_ingress_rules_spec: bool,
    /// `--publish-internal-services`: ClusterIP services publish their ClusterIP.
    pub publish_internal_services: bool,
    /// `--publish-host-ip`: headless services publish the pods' host IPs.
    pub publish_host_ip: bool,
    /// `--always-publish-not-ready-addresses` for headless services.
    pub always_publish_not_ready_addresses: bool,
    /// `--resolve-service-load-balancer-hostname`: LoadBalancer host names are
    /// replaced by their addresses (looked up by the caller, see
    /// [`service::ServiceInputs::resolved_hostnames`]).
    pub resolve_service_load_balancer_hostname: bool,
    /// `--expose-internal-ipv6`: node InternalIP IPv6 addresses count as external.
    pub expose_internal_ipv6: bool,
    /// `--exclude-unschedulable` (default true): NodePort skips cordoned nodes.
    pub exclude_unschedulable: bool,
    /// `--default-targets`: targets for endpoints that have none (ExternalDNS v0.22).
    pub default_targets: Vec<String>,
    /// `--force-default-targets`: default targets replace every endpoint's targets.
    pub force_default_targets: bool,
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            annotation_prefixes: annotations::default_prefixes(),
            namespace: None,
            annotation_filter: Selector::default(),
            label_filter: Selector::default(),
            ingress_classes: Vec::new(),
            service_types: Vec::new(),
            fqdn_template: None,
            combine_fqdn_annotation: false,
            ignore_hostname_annotation: false,
            ignore_ingress_tls_spec: false,
            ignore_ingress_rules_spec: false,
            publish_internal_services: false,
            publish_host_ip: false,
            always_publish_not_ready_addresses: false,
            resolve_service_load_balancer_hostname: false,
            expose_internal_ipv6: false,
            exclude_unschedulable: true,
            default_targets: Vec::new(),
            force_default_targets: false,
        }
    }
}

/// A combination of source options that ExternalDNS refuses at start-up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceConfigError {
    #[error("--annotation-prefix {0:?} must end with '/'")]
    AnnotationPrefix(String),
    #[error(
        "--ingress-class is mutually exclusive with the kubernetes.io/ingress.class annotation filter"
    )]
    IngressClassWithClassFilter,
    #[error("--ignore-hostname-annotation needs --fqdn-template, or no host names are published")]
    IgnoreHostnameWithoutTemplate,
    #[error(
        "unsupported --service-type-filter {0:?}; supported: ClusterIP, ExternalName, LoadBalancer, NodePort"
    )]
    ServiceType(String),
    #[error("--default-targets {target:?} is not usable as a {record_type} target: {reason}")]
    DefaultTarget {
        target: String,
        record_type: RecordType,
        reason: String,
    },
}

impl SourceConfig {
    /// A configuration reading only `prefix` (`--annotation-prefix`).
    pub fn with_annotation_prefix(mut self, prefix: &str) -> Self {
        self.annotation_prefixes = vec![prefix.to_string()];
        self
    }

    /// Checks the combinations ExternalDNS rejects at start-up.
    pub fn validate(&self) -> Result<(), SourceConfigError> {
        if let Some(bad) = self.annotation_prefixes.iter().find(|p| !p.ends_with('/')) {
            return Err(SourceConfigError::AnnotationPrefix(bad.clone()));
        }
        if !self.ingress_classes.is_empty()
            && self
                .annotation_filter
                .clone()
                .into_iter()
                .any(|e| expression_key(&e) == INGRESS_CLASS_ANNOTATION)
        {
            return Err(SourceConfigError::IngressClassWithClassFilter);
        }
        if self.ignore_hostname_annotation && self.fqdn_template.is_none() {
            return Err(SourceConfigError::IgnoreHostnameWithoutTemplate);
        }
        // As in ExternalDNS, an empty entry turns the filter off.
        if !self.service_types.iter().any(String::is_empty)
            && let Some(bad) = self
                .service_types
                .iter()
                .find(|t| !SERVICE_TYPES.contains(&t.as_str()))
        {
            return Err(SourceConfigError::ServiceType(bad.clone()));
        }
        for target in &self.default_targets {
            let record_type = record_type_for_target(target);
            normalize_target(record_type, target).map_err(|e| {
                SourceConfigError::DefaultTarget {
                    target: target.clone(),
                    record_type,
                    reason: e.to_string(),
                }
            })?;
        }
        Ok(())
    }
}

fn expression_key(expression: &Expression) -> &str {
    match expression {
        Expression::In(k, _)
        | Expression::NotIn(k, _)
        | Expression::Equal(k, _)
        | Expression::NotEqual(k, _)
        | Expression::Exists(k)
        | Expression::DoesNotExist(k) => k,
    }
}

/// The sources flaredns offers (`--source`). Everything about a kind is in
/// its entry of [`kinds::SOURCES`]; the discriminant is the entry's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// `networking.k8s.io/v1` Ingress objects.
    Ingress = 0,
    /// `v1` Service objects.
    Service = 1,
    /// `DNSEndpoint` objects (`--source=crd`).
    Crd = 2,
}

impl SourceKind {
    /// Every source flaredns supports, in the order the help text lists them.
    pub const ALL: [SourceKind; 3] = [SourceKind::Ingress, SourceKind::Service, SourceKind::Crd];

    /// The kind's entry in [`kinds::SOURCES`].
    pub fn def(self) -> &'static kinds::SourceDef {
        kinds::def(self)
    }

    /// The `--source` value.
    pub fn as_str(self) -> &'static str {
        self.def().name
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--source` value flaredns does not offer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported source {0:?}; flaredns offers {offered}", offered = offered_sources())]
pub struct UnknownSource(pub String);

/// The `--source` values, for messages: `ingress, service and crd`.
fn offered_sources() -> String {
    let names: Vec<&str> = kinds::SOURCES.iter().map(|d| d.name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl FromStr for SourceKind {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        kinds::SOURCES
            .iter()
            .find(|def| def.name == s)
            .map(|def| def.kind)
            .ok_or_else(|| UnknownSource(s.to_string()))
    }
}

/// What a source produced for one or more objects.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceOutput {
    pub endpoints: Vec<Endpoint>,
    pub problems: Vec<Problem>,
}

impl SourceOutput {
    /// Appends another output.
    pub fn extend(&mut self, other: SourceOutput) {
        self.endpoints.extend(other.endpoints);
        self.problems.extend(other.problems);
    }
}

/// The problem for an object on which `--fqdn-template` failed: its template
/// host names are skipped.
pub(crate) fn template_problem(
    object: &ObjectRef,
    template: &FqdnTemplate,
    error: &TemplateError,
) -> Problem {
    Problem::new(
        object,
        "--fqdn-template",
        template.as_str(),
        Consequence::Skipped,
        "fqdn-template-failed",
        error.to_string(),
    )
}

/// Whether an object of `kind` is in scope by the filters every kind shares:
/// namespace, `--label-filter`, `--annotation-filter` and the `controller`
/// annotation (for the kinds that honour it), as ExternalDNS filters. A kind's
/// own filters (`--ingress-class`, `--service-type-filter`) are its module's.
pub fn selected(meta: &ObjectMeta, kind: SourceKind, cfg: &SourceConfig) -> bool {
    if let Some(namespace) = cfg.namespace.as_deref().filter(|n| !n.is_empty())
        && meta.namespace.as_deref().unwrap_or_default() != namespace
    {
        return false;
    }
    let empty = Default::default();
    let labels = meta.labels.as_ref().unwrap_or(&empty);
    let annotations = meta.annotations.as_ref().unwrap_or(&empty);
    if !cfg.label_filter.matches(labels) || !cfg.annotation_filter.matches(annotations) {
        return false;
    }
    if kind.def().honours_controller_annotation
        && let Some(controller) = annotations::lookup(
            meta.annotations.as_ref(),
            &cfg.annotation_prefixes,
            annotations::key::CONTROLLER,
        )
        && controller != annotations::CONTROLLER_VALUE
    {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::source::selector::parse_selector;

    fn meta(namespace: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMeta {
        let map = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        ObjectMeta {
            name: Some("x".into()),
            namespace: Some(namespace.into()),
            labels: map(labels),
            annotations: map(annotations),
            ..Default::default()
        }
    }

    const INGRESS: SourceKind = SourceKind::Ingress;

    #[test]
    fn defaults_match_externaldns() {
        let cfg = SourceConfig::default();
        assert_eq!(
            cfg.annotation_prefixes,
            vec![
                "external-dns.kubernetes.io/",
                "external-dns.alpha.kubernetes.io/"
            ]
        );
        assert!(cfg.exclude_unschedulable);
        assert!(!cfg.publish_internal_services);
        assert!(cfg.validate().is_ok());
        let custom = SourceConfig::default().with_annotation_prefix("dns.example.com/");
        assert_eq!(custom.annotation_prefixes, vec!["dns.example.com/"]);
    }

    #[test]
    fn namespace_and_filters() {
        let m = meta("shop", &[("team", "blue")], &[("dns", "public")]);
        let mut cfg = SourceConfig::default();
        assert!(selected(&m, INGRESS, &cfg));
        cfg.namespace = Some("other".into());
        assert!(!selected(&m, INGRESS, &cfg));
        cfg.namespace = Some(String::new());
        assert!(selected(&m, INGRESS, &cfg));
        cfg.namespace = Some("shop".into());
        assert!(selected(&m, INGRESS, &cfg));
        cfg.label_filter = parse_selector("team=red").unwrap();
        assert!(!selected(&m, INGRESS, &cfg));
        cfg.label_filter = parse_selector("team in (red, blue)").unwrap();
        assert!(selected(&m, INGRESS, &cfg));
        cfg.annotation_filter = parse_selector("dns=private").unwrap();
        assert!(!selected(&m, INGRESS, &cfg));
        assert!(!selected(&m, SourceKind::Crd, &cfg));
        cfg.annotation_filter = parse_selector("dns").unwrap();
        assert!(selected(&m, INGRESS, &cfg));
    }

    #[test]
    fn controller_annotation() {
        let cfg = SourceConfig::default();
        let other = meta(
            "a",
            &[],
            &[(
                "external-dns.alpha.kubernetes.io/controller",
                "cert-manager",
            )],
        );
        assert!(!selected(&other, INGRESS, &cfg));
        assert!(!selected(&other, SourceKind::Service, &cfg));
        // DNSEndpoint objects are not filtered by controller, as in ExternalDNS.
        assert!(selected(&other, SourceKind::Crd, &cfg));
        let ours = meta(
            "a",
            &[],
            &[("external-dns.kubernetes.io/controller", "dns-controller")],
        );
        assert!(selected(&ours, INGRESS, &cfg));
    }

    #[test]
    fn startup_errors() {
        let cfg = SourceConfig {
            ingress_classes: vec!["nginx".into()],
            annotation_filter: parse_selector("kubernetes.io/ingress.class=nginx").unwrap(),
            ..Default::default()
        };
        assert_eq!(
            cfg.validate(),
            Err(SourceConfigError::IngressClassWithClassFilter)
        );

        let mut cfg = SourceConfig {
            ignore_hostname_annotation: true,
            ..Default::default()
        };
        assert_eq!(
            cfg.validate(),
            Err(SourceConfigError::IgnoreHostnameWithoutTemplate)
        );
        cfg.fqdn_template = FqdnTemplate::parse(&["{{.Name}}.example.com"]).unwrap();
        assert!(cfg.validate().is_ok());

        let cfg = SourceConfig::default().with_annotation_prefix("dns.example.com");
        assert!(matches!(
            cfg.validate(),
            Err(SourceConfigError::AnnotationPrefix(_))
        ));

        let cfg = SourceConfig {
            service_types: vec!["Headless".into()],
            ..Default::default()
        };
        assert_eq!(
            cfg.validate(),
            Err(SourceConfigError::ServiceType("Headless".into()))
        );

        let cfg = SourceConfig {
            default_targets: vec!["192.0.2.1".into(), "not a host".into()],
            ..Default::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(SourceConfigError::DefaultTarget { .. })
        ));
    }

    #[test]
    fn source_kinds_parse() {
        assert_eq!("crd".parse::<SourceKind>(), Ok(SourceKind::Crd));
        assert_eq!("ingress".parse::<SourceKind>(), Ok(SourceKind::Ingress));
        assert_eq!(SourceKind::Service.to_string(), "service");
        assert!("gateway-httproute".parse::<SourceKind>().is_err());
    }
}
