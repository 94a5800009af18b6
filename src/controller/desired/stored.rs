//! Endpoints as the desired state keeps them between passes.
//!
//! The state holds every endpoint of every watched object for as long as the
//! controller runs, so its form is what a large cluster pays for per name. An
//! [`Endpoint`] is 192 bytes before its strings, and most of it is fields that
//! most endpoints leave empty (set identifier, comment, tags, provider-specific
//! entries), plus a `resource` label that repeats the object's key. Kept here:
//! the name, type, TTL and targets in boxed strings, the rare fields boxed
//! apart, the `resource` label only when it is not the object's own, and the
//! hash that picks the endpoint's slice of a pass (so that a pass in slices
//! hashes no name).

use crate::endpoint::{CloudflareProps, Endpoint, Labels, ProviderSpecific, RecordType, label};
use crate::plan::slices::{Slicing, key_hash};
use crate::registry::txt::NameMapper;

/// One endpoint, compact; [`StoredEndpoint::restore`] gives it back whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEndpoint {
    pub dns_name: Box<str>,
    record_type: RecordType,
    /// The endpoint's `resource` label is its object's (and is left out).
    own_resource: bool,
    ttl: Option<u32>,
    targets: Box<[Box<str>]>,
    rare: Option<Box<Rare>>,
    /// The [`key_hash`] of the name, which picks its slice of a pass; kept
    /// only when the name is its own lookup name (else 0).
    name_hash: u64,
    /// Whether `name_hash` is kept: a wildcard's lookup name depends on
    /// `--txt-wildcard-replacement`, and is found when a pass needs it.
    name_hashed: bool,
}

/// The fields most endpoints leave empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rare {
    set_identifier: String,
    /// Labels but the object's own `resource` label.
    labels: Labels,
    cloudflare: CloudflareProps,
    provider_specific: Vec<ProviderSpecific>,
}

impl StoredEndpoint {
    /// Keeps `endpoint` of the object whose `resource` label is `resource`.
    pub fn keep(endpoint: Endpoint, resource: &str) -> Self {
        let Endpoint {
            dns_name,
            record_type,
            set_identifier,
            targets,
            ttl,
            mut labels,
            cloudflare,
            provider_specific,
        } = endpoint;
        let own_resource = labels.get(label::RESOURCE).map(String::as_str) == Some(resource);
        if own_resource {
            labels.remove(label::RESOURCE);
        }
        let rare = Rare {
            set_identifier,
            labels,
            cloudflare,
            provider_specific,
        };
        let name_hashed = NameMapper::is_own_lookup_name(&dns_name);
        StoredEndpoint {
            name_hash: if name_hashed { key_hash(&dns_name) } else { 0 },
            name_hashed,
            dns_name: dns_name.into_boxed_str(),
            record_type,
            own_resource,
            ttl,
            targets: targets.into_iter().map(String::into_boxed_str).collect(),
            rare: (rare != Rare::default()).then(|| Box::new(rare)),
        }
    }

    /// The slice of a pass that plans the endpoint; `slice_of_name` gives the
    /// slice of a name that is not its own lookup name.
    pub fn slice(&self, slicing: Slicing, slice_of_name: impl Fn(&str) -> u64) -> u64 {
        if self.name_hashed {
            slicing.of_hash(self.name_hash)
        } else {
            slice_of_name(&self.dns_name)
        }
    }

    /// The endpoint as it was kept, for the object whose `resource` label is
    /// `resource`.
    pub fn restore(&self, resource: &str) -> Endpoint {
        let rare = self.rare.as_deref();
        let mut labels = rare.map(|r| r.labels.clone()).unwrap_or_default();
        if self.own_resource {
            labels.insert(label::RESOURCE.to_string(), resource.to_string());
        }
        Endpoint {
            dns_name: self.dns_name.to_string(),
            record_type: self.record_type,
            set_identifier: rare.map(|r| r.set_identifier.clone()).unwrap_or_default(),
            targets: self.targets.iter().map(|t| t.to_string()).collect(),
            ttl: self.ttl,
            labels,
            cloudflare: rare.map(|r| r.cloudflare.clone()).unwrap_or_default(),
            provider_specific: rare
                .map(|r| r.provider_specific.clone())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RESOURCE: &str = "ingress/default/web";

    #[test]
    fn a_plain_endpoint_keeps_nothing_apart() {
        let endpoint = Endpoint::new("web.example.com", RecordType::A, ["192.0.2.1"])
            .unwrap()
            .with_label(label::RESOURCE, RESOURCE);
        let stored = StoredEndpoint::keep(endpoint.clone(), RESOURCE);
        assert!(stored.own_resource);
        assert!(stored.rare.is_none());
        assert_eq!(stored.restore(RESOURCE), endpoint);
        assert!(std::mem::size_of::<StoredEndpoint>() <= 64);
    }

    #[test]
    fn an_endpoint_falls_in_the_slice_of_its_lookup_name() {
        use crate::registry::txt::{TxtRegistry, TxtRegistryConfig};
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            wildcard_replacement: "any".to_string(),
            ..Default::default()
        })
        .unwrap();
        let slicing = Slicing::for_names(1000, 10);
        for name in ["web.example.com", "*.apps.example.com", "x.example.com"] {
            let endpoint = Endpoint::new(name, RecordType::A, ["192.0.2.1"]).unwrap();
            let stored = StoredEndpoint::keep(endpoint, RESOURCE);
            let by_name = |name: &str| slicing.of_name(&registry, name);
            assert_eq!(
                stored.slice(slicing, by_name),
                slicing.of_name(&registry, name),
                "{name}"
            );
        }
    }

    #[test]
    fn another_objects_resource_label_is_kept_as_it_is() {
        let endpoint = Endpoint::new("web.example.com", RecordType::A, ["192.0.2.1"])
            .unwrap()
            .with_label(label::RESOURCE, "service/default/other");
        let stored = StoredEndpoint::keep(endpoint.clone(), RESOURCE);
        assert!(!stored.own_resource);
        assert_eq!(stored.restore(RESOURCE), endpoint);
        // And an endpoint without one gets none back.
        let bare = Endpoint::new("web.example.com", RecordType::A, ["192.0.2.1"]).unwrap();
        assert_eq!(
            StoredEndpoint::keep(bare.clone(), RESOURCE).restore(RESOURCE),
            bare
        );
    }

    proptest! {
        #[test]
        fn every_endpoint_comes_back_as_it_was_kept(
            name in "[a-z]{1,8}\\.example\\.com",
            targets in proptest::collection::vec((0u8..=255).prop_map(|n| format!("192.0.2.{n}")), 0..3),
            ttl in proptest::option::of(1u32..100_000),
            set_identifier in "[a-z]{0,3}",
            resource in prop_oneof![Just(None), Just(Some(RESOURCE)), Just(Some("crd/x/y"))],
            extra_label in proptest::option::of(("[a-z]{1,5}", "[a-z]{0,5}")),
            proxied in proptest::option::of(any::<bool>()),
            comment in proptest::option::of("[a-z ]{0,10}"),
            tags in proptest::collection::vec("[a-z]{1,4}:[a-z]{1,4}", 0..2),
            specific in proptest::collection::vec(("[a-z]{1,5}", "[a-z]{0,5}"), 0..2),
        ) {
            let mut endpoint = Endpoint::new(&name, RecordType::A, &targets).unwrap().with_ttl(ttl);
            endpoint.set_identifier = set_identifier;
            if let Some(resource) = resource {
                endpoint = endpoint.with_label(label::RESOURCE, resource);
            }
            if let Some((key, value)) = extra_label {
                endpoint = endpoint.with_label(&key, &value);
            }
            endpoint.cloudflare = CloudflareProps { proxied, comment, tags };
            endpoint.provider_specific = specific
                .into_iter()
                .map(|(name, value)| ProviderSpecific { name, value })
                .collect();
            let stored = StoredEndpoint::keep(endpoint.clone(), RESOURCE);
            prop_assert_eq!(stored.restore(RESOURCE), endpoint);
        }
    }
}
