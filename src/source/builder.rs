//! The step every source shares: host names and targets in, validated endpoints
//! (or problems naming the bad field) out.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::endpoint::{
    CloudflareProps, Endpoint, Labels, ProviderSpecific, RecordType, label, normalize_name,
    normalize_target, record_type_for_target, sort_targets, validate_name,
};
use crate::problem::{Consequence, ObjectRef, Problem};

use super::annotations::ObjectAnnotations;
use super::{SourceConfig, SourceOutput};

/// A value with the field it came from, so that a problem can name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sourced {
    pub value: String,
    pub field: String,
}

impl Sourced {
    pub fn new(value: impl Into<String>, field: impl Into<String>) -> Self {
        Sourced {
            value: value.into(),
            field: field.into(),
        }
    }
}

/// What every endpoint of one object carries.
#[derive(Clone, Debug)]
pub(crate) struct Shared<'a> {
    pub object: &'a ObjectRef,
    pub ttl: Option<u32>,
    pub labels: Labels,
    pub cloudflare: CloudflareProps,
    pub provider_specific: Vec<ProviderSpecific>,
    pub set_identifier: String,
}

impl<'a> Shared<'a> {
    /// The shared part for an annotated object (Ingress, Service).
    pub fn from_annotations(object: &'a ObjectRef, parsed: &ObjectAnnotations) -> Self {
        Shared {
            object,
            ttl: parsed.ttl,
            labels: Labels::from_iter([(label::RESOURCE.to_string(), object.resource_label())]),
            cloudflare: parsed.cloudflare.clone(),
            provider_specific: parsed.provider_specific(),
            set_identifier: parsed.set_identifier.clone(),
        }
    }
}

/// A `status.loadBalancer.ingress` entry of an Ingress or a Service, read into
/// its address and its host name, each with the field it came from. The two
/// kinds use different Rust types for the same JSON, hence the plain pairs.
pub(crate) fn load_balancer_entries<'a>(
    entries: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Vec<(Option<Sourced>, Option<Sourced>)> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (ip, hostname))| {
            let field = |what: &str| format!("status.loadBalancer.ingress[{i}].{what}");
            (
                ip.filter(|ip| !ip.is_empty())
                    .map(|ip| Sourced::new(ip, field("ip"))),
                hostname
                    .filter(|h| !h.is_empty())
                    .map(|h| Sourced::new(h, field("hostname"))),
            )
        })
        .collect()
}

/// Normalises and validates a host name. An empty entry (as in `a,,b`) is
/// ignored; an invalid name is skipped; both with a problem.
pub(crate) fn hostname(
    name: &Sourced,
    object: &ObjectRef,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if name.value.trim().is_empty() {
        problems.push(Problem::new(
            object,
            name.field.clone(),
            &name.value,
            Consequence::Ignored,
            "empty-hostname",
            "an empty host name is ignored",
        ));
        return None;
    }
    let normalized = normalize_name(&name.value);
    match validate_name(&normalized) {
        Ok(()) => Some(normalized),
        Err(reason) => {
            problems.push(Problem::new(
                object,
                name.field.clone(),
                &name.value,
                Consequence::Skipped,
                "invalid-hostname",
                format!(
                    "{:?} is not a valid DNS name: {reason}; no record is published for it",
                    name.value
                ),
            ));
            None
        }
    }
}

/// The endpoints for one host name: its targets grouped by the record type each
/// implies (A, AAAA, CNAME), one endpoint per type. No targets, no endpoints.
pub(crate) fn for_hostname(
    name: &Sourced,
    targets: &[Sourced],
    shared: &Shared<'_>,
    out: &mut SourceOutput,
) {
    let Some(normalized) = hostname(name, shared.object, &mut out.problems) else {
        return;
    };
    let name = Sourced::new(normalized, name.field.clone());
    for (record_type, group) in group_by_type(targets) {
        build(&name, record_type, &group, shared, out);
    }
}

/// Targets grouped by [`record_type_for_target`], in record-type order.
pub(crate) fn group_by_type(targets: &[Sourced]) -> BTreeMap<RecordType, Vec<&Sourced>> {
    let mut groups: BTreeMap<RecordType, Vec<&Sourced>> = BTreeMap::new();
    for target in targets {
        groups
            .entry(record_type_for_target(&target.value))
            .or_default()
            .push(target);
    }
    groups
}

/// Builds one endpoint. An invalid name or target skips the endpoint with a
/// problem naming the field; an empty target list builds nothing.
pub(crate) fn build(
    name: &Sourced,
    record_type: RecordType,
    targets: &[&Sourced],
    shared: &Shared<'_>,
    out: &mut SourceOutput,
) {
    if targets.is_empty() {
        return;
    }
    let Some(dns_name) = hostname(name, shared.object, &mut out.problems) else {
        return;
    };
    let mut normalized = Vec::with_capacity(targets.len());
    for target in targets {
        match normalize_target(record_type, &target.value) {
            Ok(t) => normalized.push(t),
            Err(e) => {
                out.problems.push(Problem::new(
                    shared.object,
                    target.field.clone(),
                    &target.value,
                    Consequence::Skipped,
                    "invalid-target",
                    format!("{e}; the {record_type} record for {dns_name} is not published"),
                ));
                return;
            }
        }
    }
    out.endpoints.push(Endpoint {
        dns_name,
        record_type,
        set_identifier: shared.set_identifier.clone(),
        targets: sort_targets(normalized),
        ttl: shared.ttl,
        labels: shared.labels.clone(),
        cloudflare: shared.cloudflare.clone(),
        provider_specific: shared.provider_specific.clone(),
    });
}

/// Copies of an endpoint pointing at other targets (grouped by record type), as
/// `--default-targets` builds them: name, TTL, labels and properties kept.
pub(crate) fn with_targets(endpoint: &Endpoint, targets: &[String]) -> Vec<Endpoint> {
    let mut groups: BTreeMap<RecordType, Vec<String>> = BTreeMap::new();
    for target in targets {
        let record_type = record_type_for_target(target);
        // `SourceConfig::validate` rejects unusable default targets at start-up.
        if let Ok(t) = normalize_target(record_type, target) {
            groups.entry(record_type).or_default().push(t);
        }
    }
    groups
        .into_iter()
        .map(|(record_type, targets)| Endpoint {
            record_type,
            targets: sort_targets(targets),
            ..endpoint.clone()
        })
        .collect()
}

/// The last step of every source: `--force-default-targets`, then endpoints with
/// the same key merged (targets joined), as ExternalDNS merges within a source,
/// and repeated problems (one bad value met once per host name) reported once.
///
/// Linear in the object's endpoints: one object may hold tens of thousands
/// (a DNSEndpoint of a megabyte), and comparing each with every other took
/// seconds.
pub(crate) fn finish(mut out: SourceOutput, cfg: &SourceConfig) -> SourceOutput {
    if cfg.force_default_targets && !cfg.default_targets.is_empty() {
        out.endpoints = out
            .endpoints
            .iter()
            .flat_map(|ep| with_targets(ep, &cfg.default_targets))
            .collect();
    }
    out.endpoints = merge_same_keys(out.endpoints);
    let first = first_with_same_key(out.problems.iter());
    let mut i = 0;
    out.problems.retain(|_| {
        let keep = first[i] == i;
        i += 1;
        keep
    });
    out
}

/// Endpoints with the same key merged into the first of them, in order, the
/// merged targets sorted again.
fn merge_same_keys(endpoints: Vec<Endpoint>) -> Vec<Endpoint> {
    let first = first_with_same_key(endpoints.iter().map(|e| {
        (
            e.dns_name.as_str(),
            e.record_type,
            e.set_identifier.as_str(),
        )
    }));
    // Where each kept endpoint went in `merged`, by its index in `endpoints`.
    let mut position = vec![0; endpoints.len()];
    let mut joined = Vec::new();
    let mut merged: Vec<Endpoint> = Vec::with_capacity(endpoints.len());
    for (i, endpoint) in endpoints.into_iter().enumerate() {
        if first[i] == i {
            position[i] = merged.len();
            merged.push(endpoint);
        } else {
            let at = position[first[i]];
            merged[at].targets.extend(endpoint.targets);
            joined.push(at);
        }
    }
    joined.sort_unstable();
    joined.dedup();
    for at in joined {
        let targets = std::mem::take(&mut merged[at].targets);
        merged[at].targets = sort_targets(targets);
    }
    merged
}

/// For each key, the index of the first equal key: one hash lookup per key.
fn first_with_same_key<K: Hash + Eq>(keys: impl Iterator<Item = K>) -> Vec<usize> {
    let mut seen: HashMap<K, usize> = HashMap::new();
    keys.enumerate()
        .map(|(i, key)| *seen.entry(key).or_insert(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(object: &ObjectRef) -> Shared<'_> {
        Shared::from_annotations(object, &ObjectAnnotations::default())
    }

    #[test]
    fn targets_are_grouped_by_type() {
        let object = ObjectRef::new("Ingress", "ns", "web");
        let mut out = SourceOutput::default();
        let targets = [
            Sourced::new("192.0.2.2", "t0"),
            Sourced::new("lb.example.com.", "t1"),
            Sourced::new("2001:db8::1", "t2"),
            Sourced::new("192.0.2.1", "t3"),
        ];
        for_hostname(
            &Sourced::new("Web.Example.com.", "h"),
            &targets,
            &shared(&object),
            &mut out,
        );
        assert!(out.problems.is_empty());
        let summary: Vec<_> = out
            .endpoints
            .iter()
            .map(|e| (e.dns_name.as_str(), e.record_type, e.targets.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "web.example.com",
                    RecordType::A,
                    vec!["192.0.2.1".to_string(), "192.0.2.2".into()]
                ),
                (
                    "web.example.com",
                    RecordType::Aaaa,
                    vec!["2001:db8::1".to_string()]
                ),
                (
                    "web.example.com",
                    RecordType::Cname,
                    vec!["lb.example.com".to_string()]
                ),
            ]
        );
        assert!(
            out.endpoints
                .iter()
                .all(|e| e.resource() == Some("ingress/ns/web"))
        );
    }

    #[test]
    fn a_bad_target_skips_only_its_endpoint() {
        let object = ObjectRef::new("Ingress", "ns", "web");
        let mut out = SourceOutput::default();
        let targets = [
            Sourced::new("192.0.2.1", "t0"),
            Sourced::new("bad host", "t1"),
        ];
        for_hostname(
            &Sourced::new("a.example.com", "h"),
            &targets,
            &shared(&object),
            &mut out,
        );
        assert_eq!(out.endpoints.len(), 1);
        assert_eq!(out.endpoints[0].record_type, RecordType::A);
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].field, "t1");
        assert_eq!(out.problems[0].reason, "invalid-target");
        assert_eq!(out.problems[0].consequence, Consequence::Skipped);
    }

    #[test]
    fn bad_and_empty_names() {
        let object = ObjectRef::new("Ingress", "ns", "web");
        let mut out = SourceOutput::default();
        let targets = [Sourced::new("192.0.2.1", "t0")];
        for_hostname(
            &Sourced::new("", "h0"),
            &targets,
            &shared(&object),
            &mut out,
        );
        for_hostname(
            &Sourced::new("a b.example.com", "h1"),
            &targets,
            &shared(&object),
            &mut out,
        );
        assert!(out.endpoints.is_empty());
        let reasons: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.reason, p.consequence))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("h0", "empty-hostname", Consequence::Ignored),
                ("h1", "invalid-hostname", Consequence::Skipped)
            ]
        );
    }

    /// A key that counts how often it is compared.
    struct Counted<'c> {
        value: usize,
        comparisons: &'c std::cell::Cell<usize>,
    }

    impl PartialEq for Counted<'_> {
        fn eq(&self, other: &Self) -> bool {
            self.comparisons.set(self.comparisons.get() + 1);
            self.value == other.value
        }
    }

    impl Eq for Counted<'_> {}

    impl Hash for Counted<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.value.hash(state);
        }
    }

    /// Key comparisons made to find the first of each key among `n` keys, a
    /// third of them repeats.
    fn comparisons_for(n: usize) -> usize {
        let comparisons = std::cell::Cell::new(0);
        let keys = (0..n).map(|i| Counted {
            value: if i % 3 == 2 { i - 1 } else { i },
            comparisons: &comparisons,
        });
        let first = first_with_same_key(keys);
        assert_eq!(first.len(), n);
        comparisons.get()
    }

    #[test]
    fn merging_one_objects_endpoints_is_linear() {
        let n = 10_000;
        let (small, large) = (comparisons_for(n), comparisons_for(4 * n));
        // Every repeat is compared at least once; a linear search would make
        // about n²/2 comparisons, 16 times as many for 4n keys. The hash map's
        // seed is random, so a few collisions more or less are noise: linear
        // is about 4 times as many, and anything under 8 is not quadratic.
        assert!(small >= n / 3, "{small}");
        assert!(
            large < 8 * small,
            "{small} for {n} keys, {large} for {}",
            4 * n
        );
    }

    #[test]
    fn repeated_problems_are_reported_once_in_order() {
        let object = ObjectRef::new("DNSEndpoint", "ns", "big");
        let mut out = SourceOutput::default();
        for i in 0..6 {
            let name = Sourced::new(
                "bad..example.com",
                format!("spec.endpoints[{}].dnsName", i % 2),
            );
            for_hostname(
                &name,
                &[Sourced::new("192.0.2.1", "t")],
                &shared(&object),
                &mut out,
            );
        }
        assert_eq!(out.problems.len(), 6);
        let finished = finish(out, &SourceConfig::default());
        let fields: Vec<_> = finished.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.endpoints[0].dnsName", "spec.endpoints[1].dnsName"]
        );
    }

    #[test]
    fn endpoints_merge_into_the_first_of_their_key_in_order() {
        let object = ObjectRef::new("DNSEndpoint", "ns", "big");
        let s = shared(&object);
        let mut out = SourceOutput::default();
        for (name, ip) in [
            ("b.example.com", "192.0.2.3"),
            ("a.example.com", "192.0.2.2"),
            ("b.example.com", "192.0.2.1"),
            ("c.example.com", "192.0.2.9"),
            ("b.example.com", "192.0.2.3"),
        ] {
            for_hostname(
                &Sourced::new(name, "h"),
                &[Sourced::new(ip, "t")],
                &s,
                &mut out,
            );
        }
        let merged = finish(out, &SourceConfig::default());
        let summary: Vec<_> = merged
            .endpoints
            .iter()
            .map(|e| (e.dns_name.as_str(), e.targets.join(",")))
            .collect();
        assert_eq!(
            summary,
            [
                ("b.example.com", "192.0.2.1,192.0.2.3".to_string()),
                ("a.example.com", "192.0.2.2".to_string()),
                ("c.example.com", "192.0.2.9".to_string()),
            ]
        );
    }

    #[test]
    fn finish_merges_and_forces_default_targets() {
        let object = ObjectRef::new("Ingress", "ns", "web");
        let mut out = SourceOutput::default();
        let s = shared(&object);
        for_hostname(
            &Sourced::new("a.example.com", "h"),
            &[Sourced::new("192.0.2.1", "t")],
            &s,
            &mut out,
        );
        for_hostname(
            &Sourced::new("a.example.com", "h"),
            &[Sourced::new("192.0.2.2", "t")],
            &s,
            &mut out,
        );
        let merged = finish(out.clone(), &SourceConfig::default());
        assert_eq!(merged.endpoints.len(), 1);
        assert_eq!(merged.endpoints[0].targets, vec!["192.0.2.1", "192.0.2.2"]);

        let cfg = SourceConfig {
            default_targets: vec!["lb.example.com".into(), "198.51.100.1".into()],
            force_default_targets: true,
            ..SourceConfig::default()
        };
        let forced = finish(out, &cfg);
        let summary: Vec<_> = forced
            .endpoints
            .iter()
            .map(|e| {
                (
                    e.record_type,
                    e.targets.clone(),
                    e.resource().map(str::to_string),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    RecordType::A,
                    vec!["198.51.100.1".to_string()],
                    Some("ingress/ns/web".to_string())
                ),
                (
                    RecordType::Cname,
                    vec!["lb.example.com".to_string()],
                    Some("ingress/ns/web".to_string())
                ),
            ]
        );
    }
}
