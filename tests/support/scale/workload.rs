//! The objects a scale run creates, the changes churn makes to them, and the
//! zone an ExternalDNS v0.14 installation would have written for them.
//!
//! Every object publishes exactly one hostname with one A record, so a
//! workload's record counts follow from its object counts: one A record and one
//! ownership TXT record per hostname once flaredns has synced it.

use std::net::Ipv4Addr;

use flaredns::endpoint::{RecordType, label};
use flaredns::registry::Labels;
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};
use flaredns::sandbox::RecordInput;
use serde::Serialize;
use serde_json::{Value, json};

use super::super::world::{OWNER, ZONE, dns_endpoint, ingress, load_balancer};

/// The TTL `world::dns_endpoint` gives its records; adopted records must carry
/// it too, or flaredns would rightly update them.
const DNS_ENDPOINT_TTL: u32 = 300;

/// How many objects of each kind a run creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Workload {
    pub ingresses: usize,
    /// Services of type LoadBalancer.
    pub services: usize,
    pub dns_endpoints: usize,
}

/// The kinds of object a workload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    Ingress,
    Service,
    DnsEndpoint,
}

/// One object of a workload: its kind and its index among objects of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub index: usize,
}

impl Workload {
    /// The cluster shape: `n` Ingresses, `n` LoadBalancer Services and
    /// `n / 10` DNSEndpoints.
    pub fn cluster(n: usize) -> Self {
        Workload {
            ingresses: n,
            services: n,
            dns_endpoints: n / 10,
        }
    }

    /// The same 10 : 10 : 1 mix, sized to exactly `hostnames` hostnames, for
    /// the targets stated per hostname.
    pub fn hostnames(hostnames: usize) -> Self {
        let each = hostnames * 10 / 21;
        Workload {
            ingresses: each,
            services: each,
            dns_endpoints: hostnames - 2 * each,
        }
    }

    /// Objects in all.
    pub fn objects(&self) -> usize {
        self.ingresses + self.services + self.dns_endpoints
    }

    /// Hostnames published: one per object.
    pub fn hostnames_published(&self) -> usize {
        self.objects()
    }

    /// Records flaredns keeps for the workload: an A and an ownership TXT per
    /// hostname.
    pub fn synced_records(&self) -> usize {
        2 * self.hostnames_published()
    }

    /// The `position`-th object when the kinds are laid end to end
    /// (Ingresses, then Services, then DNSEndpoints), wrapping around.
    pub fn object_at(&self, position: usize) -> Option<ObjectRef> {
        let total = self.objects();
        if total == 0 {
            return None;
        }
        let mut index = position % total;
        for (kind, count) in [
            (ObjectKind::Ingress, self.ingresses),
            (ObjectKind::Service, self.services),
            (ObjectKind::DnsEndpoint, self.dns_endpoints),
        ] {
            if index < count {
                return Some(ObjectRef { kind, index });
            }
            index -= count;
        }
        None
    }

    /// Every object, kinds in order.
    pub fn all(&self) -> impl Iterator<Item = ObjectRef> + '_ {
        (0..self.objects()).filter_map(|p| self.object_at(p))
    }
}

impl ObjectRef {
    /// The object's name in namespace `default`.
    pub fn name(&self) -> String {
        let prefix = match self.kind {
            ObjectKind::Ingress => "ing",
            ObjectKind::Service => "svc",
            ObjectKind::DnsEndpoint => "dep",
        };
        format!("{prefix}-{}", self.index)
    }

    /// The one hostname it publishes.
    pub fn hostname(&self) -> String {
        format!("{}.{ZONE}", self.name())
    }

    /// The address it publishes before any churn: `10.<kind>.<index>`.
    pub fn initial_address(&self) -> Ipv4Addr {
        let kind = match self.kind {
            ObjectKind::Ingress => 0,
            ObjectKind::Service => 1,
            ObjectKind::DnsEndpoint => 2,
        };
        let [_, _, high, low] = (self.index as u32).to_be_bytes();
        Ipv4Addr::new(10, kind, high, low)
    }

    /// The object as the Kubernetes API holds it, publishing `address`.
    pub fn manifest(&self, address: Ipv4Addr) -> Value {
        let (name, host, ip) = (self.name(), self.hostname(), address.to_string());
        match self.kind {
            ObjectKind::Ingress => ingress(&name, &host, &ip, json!({})),
            ObjectKind::Service => load_balancer(&name, &host, &ip),
            ObjectKind::DnsEndpoint => dns_endpoint(&name, &[(host.as_str(), ip.as_str())]),
        }
    }

    /// The `resource` label ExternalDNS and flaredns write for it.
    pub fn resource_label(&self) -> String {
        let kind = match self.kind {
            ObjectKind::Ingress => "ingress",
            ObjectKind::Service => "service",
            ObjectKind::DnsEndpoint => "crd",
        };
        format!("{kind}/default/{}", self.name())
    }

    /// The TTL of its A record as flaredns writes it (1 is "automatic").
    pub fn ttl(&self) -> u32 {
        match self.kind {
            ObjectKind::DnsEndpoint => DNS_ENDPOINT_TTL,
            ObjectKind::Ingress | ObjectKind::Service => 1,
        }
    }
}

/// The address churn change number `change` (from 0) sets: distinct per change,
/// from the benchmarking range 198.18.0.0/15, so that no change is a no-op.
pub fn churn_address(change: usize) -> Ipv4Addr {
    let [_, _, high, low] = ((change % 65_535 + 1) as u32).to_be_bytes();
    Ipv4Addr::new(198, 18, high, low)
}

/// Which object churn change `change` of `changes` touches: evenly spread over
/// the workload, so that every kind is changed in proportion.
pub fn churn_target(workload: &Workload, change: usize, changes: usize) -> Option<ObjectRef> {
    let total = workload.objects() as u128;
    let position = (change as u128 * total) / (changes.max(1) as u128);
    workload.object_at(usize::try_from(position).ok()?)
}

/// The zone ExternalDNS v0.14 (no prefix, no encryption) leaves behind for the
/// workload under owner [`OWNER`]: per hostname its A record, the legacy TXT
/// record under the hostname itself and the new-format `a-` TXT record, with
/// the values flaredns's own registry code formats.
pub fn externaldns_v014_zone(workload: &Workload) -> Vec<RecordInput> {
    let registry = TxtRegistry::new(TxtRegistryConfig {
        owner_id: OWNER.to_string(),
        ..TxtRegistryConfig::default()
    })
    .expect("a non-empty owner id is a valid registry configuration");
    let mapper = registry.name_mapper();
    let mut records = Vec::with_capacity(3 * workload.objects());
    for object in workload.all() {
        let host = object.hostname();
        let mut labels = Labels::new();
        labels.insert(label::OWNER.to_string(), OWNER.to_string());
        labels.insert(label::RESOURCE.to_string(), object.resource_label());
        let content = registry.encode_labels(&labels);
        let mut a = RecordInput::new(&host, RecordType::A, &object.initial_address().to_string());
        a.ttl = object.ttl();
        records.push(a);
        for txt_name in [
            mapper.legacy_name(&host),
            mapper.new_format_name(&host, RecordType::A),
        ]
        .into_iter()
        .flatten()
        {
            records.push(RecordInput::new(&txt_name, RecordType::Txt, &content));
        }
    }
    records
}
