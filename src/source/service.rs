//! Service (`v1`) → endpoints, as ExternalDNS's service source.
//!
//! Only the `hostname` and `internal-hostname` annotations (or `--fqdn-template`)
//! name hosts. Targets, unless the `target` annotation overrides them:
//!
//! * **LoadBalancer**: `spec.externalIPs`, else the load balancer's IPs and host
//!   names; `internal-hostname` → the ClusterIP.
//! * **ClusterIP**: the ClusterIP, only with `--publish-internal-services` or
//!   `internal-hostname`.
//! * **Headless** (`clusterIP: None`): per ready pod (and not-ready ones with
//!   `publishNotReadyAddresses` / `--always-publish-not-ready-addresses`) its
//!   address, its node's host IP (`endpoints-type: HostIP`, `--publish-host-ip`)
//!   or its node's external IPs (`NodeExternalIP`); pods with `spec.hostname` also
//!   get `<pod hostname>.<hostname>`.
//! * **NodePort**: node ExternalIPs if any node has one, else InternalIPs (`access`
//!   chooses; `externalTrafficPolicy: Local` keeps the nodes running the best-ready
//!   pods), plus an SRV record `_<service>._<proto>.<hostname>`.
//! * **ExternalName**: `spec.externalIPs`, else `spec.externalName`.
//!
//! The cluster around the Service (nodes, pods, EndpointSlices) comes in as a
//! plain [`ServiceInputs`], so the mapping stays a pure function.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::DynamicObject;

use crate::endpoint::{RecordType, record_type_for_target};
use crate::problem::{Consequence, ObjectRef, Problem};

use super::annotations::{self, Access, EndpointsType, ObjectAnnotations, split_targets};
use super::builder::{self, Shared, Sourced};
use super::join::{FactId, Facts, Join, PrimaryId};
use super::kinds::{JoinKind, ObjectType, SourceDef, Watch, decode_manifest, decode_watched};
use super::manifest::Manifests;
use super::{SourceConfig, SourceKind, SourceOutput, selected};

/// The Service type.
pub static SERVICE: ObjectType = ObjectType {
    api_version: "v1",
    kind: "Service",
    plural: "services",
    namespaced: true,
    decode: decode_manifest::<Service>,
};

/// The Node type, read for NodePort and `endpoints-type: NodeExternalIP`.
pub static NODE: ObjectType = ObjectType {
    api_version: "v1",
    kind: "Node",
    plural: "nodes",
    namespaced: false,
    decode: decode_manifest::<Node>,
};

/// The Pod type, read for headless Services and `externalTrafficPolicy: Local`.
pub static POD: ObjectType = ObjectType {
    api_version: "v1",
    kind: "Pod",
    plural: "pods",
    namespaced: true,
    decode: decode_manifest::<Pod>,
};

/// The EndpointSlice type, read for headless Services.
pub static ENDPOINT_SLICE: ObjectType = ObjectType {
    api_version: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    plural: "endpointslices",
    namespaced: true,
    decode: decode_manifest::<EndpointSlice>,
};

/// The `service` source's entry in [`super::kinds::SOURCES`].
pub const SOURCE: SourceDef = SourceDef {
    kind: SourceKind::Service,
    name: "service",
    resource_prefix: "service",
    object: &SERVICE,
    dependencies: &[&NODE, &POD, &ENDPOINT_SLICE],
    extra_rbac: &[],
    honours_controller_annotation: true,
    writes_status: false,
    from_manifests: endpoints_from_manifests,
    watch: Watch::Joined(JoinKind::Service),
};

/// Maps every Service found in manifests, with the nodes, pods and
/// EndpointSlices found there.
fn endpoints_from_manifests(manifests: &Manifests, cfg: &SourceConfig) -> SourceOutput {
    let nodes: Vec<Node> = manifests.objects::<Node>().cloned().collect();
    let pods: Vec<Pod> = manifests.objects::<Pod>().cloned().collect();
    let slices: Vec<EndpointSlice> = manifests.objects::<EndpointSlice>().cloned().collect();
    let mut out = SourceOutput::default();
    for service in manifests.objects::<Service>() {
        let inputs = ServiceInputs::from_cluster(service, &nodes, &pods, &slices, cfg);
        out.extend(endpoints(service, &inputs, cfg));
    }
    out
}

/// The label on an EndpointSlice naming its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The addresses of one node (NodePort, `endpoints-type: NodeExternalIP`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAddresses {
    pub name: String,
    /// `status.addresses` of type `ExternalIP`.
    pub external_ips: Vec<String>,
    /// `status.addresses` of type `InternalIP`.
    pub internal_ips: Vec<String>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
}

impl NodeAddresses {
    /// What the mapping needs of a Node.
    pub fn from_node(node: &Node) -> Self {
        let mut addresses = NodeAddresses {
            name: node.metadata.name.clone().unwrap_or_default(),
            unschedulable: node
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false),
            ..Default::default()
        };
        let list = node.status.as_ref().and_then(|s| s.addresses.as_ref());
        for address in list.into_iter().flatten() {
            match address.type_.as_str() {
                "ExternalIP" => addresses.external_ips.push(address.address.clone()),
                "InternalIP" => addresses.internal_ips.push(address.address.clone()),
                _ => {}
            }
        }
        addresses
    }

    /// InternalIP addresses that are IPv6 (published with `--expose-internal-ipv6`).
    fn internal_ipv6(&self) -> impl Iterator<Item = &String> {
        self.internal_ips
            .iter()
            .filter(|ip| record_type_for_target(ip) == RecordType::Aaaa)
    }
}

/// One EndpointSlice entry of a headless Service, joined with its pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodEndpoint {
    pub pod_name: String,
    /// The entry's first address; `None` for FQDN-type slices.
    pub address: Option<String>,
    /// `conditions.ready` (unset means ready).
    pub ready: bool,
    /// The pod's `spec.hostname`.
    pub pod_hostname: Option<String>,
    /// The pod's `status.hostIP`.
    pub host_ip: Option<String>,
    /// The pod's `spec.nodeName`.
    pub node_name: Option<String>,
    /// The pod's `target` annotation, which overrides its addresses.
    pub target_annotation: Option<String>,
}

/// A pod selected by the Service (for `externalTrafficPolicy: Local`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodPlacement {
    pub node_name: String,
    /// `status.phase == Running`.
    pub running: bool,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// `metadata.deletionTimestamp` is set.
    pub terminating: bool,
}

/// Everything besides the Service that its mapping reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceInputs {
    pub nodes: Vec<NodeAddresses>,
    /// The Service's EndpointSlice entries whose pods were found.
    pub endpoints: Vec<PodEndpoint>,
    /// The pods the Service selects.
    pub pods: Vec<PodPlacement>,
    /// Load balancer host names resolved to addresses by the caller, for
    /// `--resolve-service-load-balancer-hostname` (a missing name did not resolve).
    pub resolved_hostnames: BTreeMap<String, Vec<String>>,
}

/// What a Service's mapping reads of one pod, and nothing more: the
/// controller keeps these instead of whole Pods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodFacts {
    pub namespace: String,
    pub name: String,
    /// For matching Service selectors.
    pub labels: BTreeMap<String, String>,
    /// `spec.hostname`.
    pub hostname: Option<String>,
    /// `status.hostIP`.
    pub host_ip: Option<String>,
    /// The pod's `target` annotation, which overrides its addresses.
    pub target_annotation: Option<String>,
    pub placement: PodPlacement,
}

impl PodFacts {
    /// What the mapping needs of a Pod.
    pub fn from_pod(pod: &Pod, cfg: &SourceConfig) -> Self {
        PodFacts {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            hostname: pod.spec.as_ref().and_then(|s| s.hostname.clone()),
            host_ip: pod.status.as_ref().and_then(|s| s.host_ip.clone()),
            target_annotation: annotations::lookup(
                pod.metadata.annotations.as_ref(),
                &cfg.annotation_prefixes,
                annotations::key::TARGET,
            )
            .map(str::to_string),
            placement: placement(pod),
        }
    }

    /// Whether a Service selector matches the pod. As in ExternalDNS, an empty
    /// or missing selector matches every pod of the namespace.
    fn selected_by(&self, selector: Option<&BTreeMap<String, String>>) -> bool {
        selector
            .into_iter()
            .flatten()
            .all(|(k, v)| self.labels.get(k) == Some(v))
    }
}

/// One endpoint of an EndpointSlice, reduced to what the mapping reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SliceEntry {
    /// The pod the entry points at (entries without a pod are dropped).
    pub pod_name: String,
    /// The entry's first address; `None` for FQDN-type slices.
    pub address: Option<String>,
    /// `conditions.ready` (unset means ready).
    pub ready: bool,
}

/// What the mapping reads of one EndpointSlice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SliceFacts {
    pub namespace: String,
    /// The Service named by the `kubernetes.io/service-name` label.
    pub service: String,
    pub entries: Vec<SliceEntry>,
}

impl SliceFacts {
    /// What the mapping needs of an EndpointSlice; `None` when no Service owns it.
    pub fn from_slice(slice: &EndpointSlice) -> Option<Self> {
        let service = slice
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SERVICE_NAME_LABEL))?
            .clone();
        let ip_slice = matches!(slice.address_type.as_str(), "IPv4" | "IPv6");
        let entries = slice
            .endpoints
            .iter()
            .filter_map(|entry| {
                // Only entries that point at a pod are used.
                let pod_name = entry
                    .target_ref
                    .as_ref()
                    .filter(|r| {
                        r.kind.as_deref() == Some("Pod")
                            && r.api_version.as_deref().unwrap_or_default().is_empty()
                    })
                    .and_then(|r| r.name.clone())?;
                Some(SliceEntry {
                    pod_name,
                    address: entry.addresses.first().filter(|_| ip_slice).cloned(),
                    ready: entry
                        .conditions
                        .as_ref()
                        .and_then(|c| c.ready)
                        .unwrap_or(true),
                })
            })
            .collect();
        Some(SliceFacts {
            namespace: slice.metadata.namespace.clone().unwrap_or_default(),
            service,
            entries,
        })
    }
}

/// Which cluster data a Service's mapping reads beyond the Service itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterNeeds {
    pub nodes: bool,
    pub pods: bool,
    pub endpoint_slices: bool,
}

impl ClusterNeeds {
    /// Whether the Service reads nothing beyond itself.
    pub fn is_empty(self) -> bool {
        self == ClusterNeeds::default()
    }
}

/// What a Service needs of the cluster: nothing unless it is selected and
/// lets the cluster choose its targets (no `target` annotation). NodePort
/// Services read the nodes, and the pods with `externalTrafficPolicy: Local`;
/// headless Services read their EndpointSlices, the pods and (for
/// `endpoints-type: NodeExternalIP`) the nodes.
pub fn cluster_needs(service: &Service, cfg: &SourceConfig) -> ClusterNeeds {
    let overridden = annotations::lookup(
        service.metadata.annotations.as_ref(),
        &cfg.annotation_prefixes,
        annotations::key::TARGET,
    )
    .is_some();
    if overridden || !is_selected(service, cfg) {
        return ClusterNeeds::default();
    }
    let spec = service.spec.as_ref();
    let service_type = spec.and_then(|s| s.type_.as_deref()).unwrap_or("ClusterIP");
    let headless = spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    match service_type {
        "NodePort" => ClusterNeeds {
            nodes: true,
            pods: spec.and_then(|s| s.external_traffic_policy.as_deref()) == Some("Local"),
            endpoint_slices: false,
        },
        "ClusterIP" if headless => ClusterNeeds {
            nodes: annotations::lookup(
                service.metadata.annotations.as_ref(),
                &cfg.annotation_prefixes,
                annotations::key::ENDPOINTS_TYPE,
            )
            .is_some(),
            pods: true,
            endpoint_slices: true,
        },
        _ => ClusterNeeds::default(),
    }
}

impl ServiceInputs {
    /// Gathers the inputs of one Service from cluster objects: all nodes, the pods
    /// its selector matches in its namespace, and its EndpointSlices (found by the
    /// `kubernetes.io/service-name` label). `resolved_hostnames` is left empty.
    pub fn from_cluster(
        service: &Service,
        nodes: &[Node],
        pods: &[Pod],
        slices: &[EndpointSlice],
        cfg: &SourceConfig,
    ) -> ServiceInputs {
        let nodes: Vec<NodeAddresses> = nodes.iter().map(NodeAddresses::from_node).collect();
        let pods: Vec<PodFacts> = pods.iter().map(|p| PodFacts::from_pod(p, cfg)).collect();
        let slices: Vec<SliceFacts> = slices.iter().filter_map(SliceFacts::from_slice).collect();
        ServiceInputs::from_facts(service, nodes, &pods, &slices)
    }

    /// The inputs of one Service from reduced cluster data: `pods` and
    /// `slices` may hold other namespaces' and Services' entries, which are
    /// filtered out here.
    pub fn from_facts<'a>(
        service: &Service,
        nodes: Vec<NodeAddresses>,
        pods: impl IntoIterator<Item = &'a PodFacts>,
        slices: impl IntoIterator<Item = &'a SliceFacts>,
    ) -> ServiceInputs {
        let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
        let name = service.metadata.name.as_deref().unwrap_or_default();
        let selector = service.spec.as_ref().and_then(|s| s.selector.as_ref());
        let selected_pods: Vec<&PodFacts> = pods
            .into_iter()
            .filter(|p| p.namespace == namespace && p.selected_by(selector))
            .collect();
        let own_entries = slices
            .into_iter()
            .filter(|s| s.namespace == namespace && s.service == name)
            .flat_map(|s| &s.entries);
        let mut endpoints = Vec::new();
        for entry in own_entries {
            let Some(pod) = selected_pods.iter().find(|p| p.name == entry.pod_name) else {
                continue;
            };
            endpoints.push(PodEndpoint {
                pod_name: entry.pod_name.clone(),
                address: entry.address.clone(),
                ready: entry.ready,
                pod_hostname: pod.hostname.clone(),
                host_ip: pod.host_ip.clone(),
                node_name: Some(pod.placement.node_name.clone()).filter(|n| !n.is_empty()),
                target_annotation: pod.target_annotation.clone(),
            });
        }
        ServiceInputs {
            nodes,
            endpoints,
            pods: selected_pods.iter().map(|p| p.placement.clone()).collect(),
            resolved_hostnames: BTreeMap::new(),
        }
    }
}

fn placement(pod: &Pod) -> PodPlacement {
    let status = pod.status.as_ref();
    PodPlacement {
        node_name: pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        running: status.and_then(|s| s.phase.as_deref()) == Some("Running"),
        ready: status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "Ready")
            .is_some_and(|c| c.status == "True"),
        terminating: pod.metadata.deletion_timestamp.is_some(),
    }
}

/// The `ObjectRef` of a Service.
pub fn object_ref(service: &Service) -> ObjectRef {
    ObjectRef::from_meta(SERVICE.kind, &service.metadata)
}

/// Whether the Service is in scope: the filters every kind shares (see
/// [`selected`]), then `--service-type-filter`.
pub fn is_selected(service: &Service, cfg: &SourceConfig) -> bool {
    let service_type = service.spec.as_ref().and_then(|s| s.type_.as_deref());
    selected(&service.metadata, SourceKind::Service, cfg) && type_selected(service_type, cfg)
}

/// `--service-type-filter` (`None` is ClusterIP); no flag, or an empty entry,
/// selects every type, as in ExternalDNS.
fn type_selected(service_type: Option<&str>, cfg: &SourceConfig) -> bool {
    if cfg.service_types.is_empty() || cfg.service_types.iter().any(String::is_empty) {
        return true;
    }
    let service_type = service_type.unwrap_or("ClusterIP");
    cfg.service_types.iter().any(|t| t == service_type)
}

/// The endpoints one Service asks for; nothing when it is not selected.
pub fn endpoints(service: &Service, inputs: &ServiceInputs, cfg: &SourceConfig) -> SourceOutput {
    if !is_selected(service, cfg) {
        return SourceOutput::default();
    }
    let object = object_ref(service);
    let (parsed, problems) = ObjectAnnotations::read(
        &object,
        service.metadata.annotations.as_ref(),
        &cfg.annotation_prefixes,
    );
    let mapping = Mapping {
        service,
        inputs,
        cfg,
        shared: Shared::from_annotations(&object, &parsed),
        parsed: &parsed,
        object: &object,
    };
    let mut out = SourceOutput {
        endpoints: Vec::new(),
        problems,
    };
    if !cfg.ignore_hostname_annotation {
        for (list, internal) in [
            (&parsed.hostnames, false),
            (&parsed.internal_hostnames, true),
        ] {
            if let Some(list) = list {
                for host in &list.items {
                    mapping.generate(
                        &Sourced::new(host, list.setting.field.clone()),
                        internal,
                        &mut out,
                    );
                }
            }
        }
    }
    if let Some(template) = &cfg.fqdn_template
        && (cfg.combine_fqdn_annotation || out.endpoints.is_empty())
    {
        match template.hostnames(service) {
            Ok(names) => {
                for name in names {
                    mapping.generate(&Sourced::new(name, "--fqdn-template"), false, &mut out);
                }
            }
            Err(e) => out
                .problems
                .push(super::template_problem(&object, template, &e)),
        }
    }
    builder::finish(out, cfg)
}

/// One Service being mapped.
struct Mapping<'a> {
    service: &'a Service,
    inputs: &'a ServiceInputs,
    cfg: &'a SourceConfig,
    shared: Shared<'a>,
    parsed: &'a ObjectAnnotations,
    object: &'a ObjectRef,
}

impl Mapping<'_> {
    fn spec(&self) -> Option<&k8s_openapi::api::core::v1::ServiceSpec> {
        self.service.spec.as_ref()
    }

    /// The endpoints for one host name; `internal` is `internal-hostname`.
    fn generate(&self, host: &Sourced, internal: bool, out: &mut SourceOutput) {
        let Some(name) = builder::hostname(host, self.object, &mut out.problems) else {
            return;
        };
        let host = Sourced::new(name, host.field.clone());
        let targets = match &self.parsed.targets {
            Some(list) => list
                .items
                .iter()
                .map(|t| Sourced::new(t, list.setting.field.clone()))
                .collect(),
            None => self.own_targets(&host, internal, out),
        };
        builder::for_hostname(&host, &targets, &self.shared, out);
    }

    /// Targets from the Service itself; headless and NodePort services also add
    /// their extra endpoints to `out`.
    fn own_targets(&self, host: &Sourced, internal: bool, out: &mut SourceOutput) -> Vec<Sourced> {
        let service_type = self
            .spec()
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("ClusterIP");
        match service_type {
            "LoadBalancer" if internal => self.cluster_ip(),
            "LoadBalancer" => self.load_balancer(out),
            "ClusterIP" if self.is_headless() => {
                self.headless(host, out);
                Vec::new()
            }
            "ClusterIP" if internal || self.cfg.publish_internal_services => self.cluster_ip(),
            "NodePort" => {
                self.srv_records(host, out);
                self.node_port_targets()
            }
            "ExternalName" => self.external_name(),
            _ => Vec::new(),
        }
    }

    fn is_headless(&self) -> bool {
        self.spec().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
    }

    fn cluster_ip(&self) -> Vec<Sourced> {
        self.spec()
            .and_then(|s| s.cluster_ip.as_deref())
            .filter(|ip| !ip.is_empty() && *ip != "None")
            .map(|ip| vec![Sourced::new(ip, "spec.clusterIP")])
            .unwrap_or_default()
    }

    fn external_ips(&self) -> Vec<Sourced> {
        let ips = self.spec().and_then(|s| s.external_ips.as_ref());
        ips.into_iter()
            .flatten()
            .enumerate()
            .map(|(i, ip)| Sourced::new(ip, format!("spec.externalIPs[{i}]")))
            .collect()
    }

    fn external_name(&self) -> Vec<Sourced> {
        let ips = self.external_ips();
        if !ips.is_empty() {
            return ips;
        }
        self.spec()
            .and_then(|s| s.external_name.as_deref())
            .filter(|n| !n.is_empty())
            .map(|n| vec![Sourced::new(n, "spec.externalName")])
            .unwrap_or_default()
    }

    fn load_balancer(&self, out: &mut SourceOutput) -> Vec<Sourced> {
        let ips = self.external_ips();
        if !ips.is_empty() {
            return ips;
        }
        let mut targets = Vec::new();
        let entries = self
            .service
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref());
        let pairs = entries
            .into_iter()
            .flatten()
            .map(|e| (e.ip.as_deref(), e.hostname.as_deref()));
        for (ip, host) in builder::load_balancer_entries(pairs) {
            targets.extend(ip);
            let Some(host) = host else {
                continue;
            };
            if !self.cfg.resolve_service_load_balancer_hostname {
                targets.push(host);
                continue;
            }
            match self.inputs.resolved_hostnames.get(&host.value) {
                Some(addresses) => {
                    targets.extend(
                        addresses
                            .iter()
                            .map(|a| Sourced::new(a, host.field.clone())),
                    );
                }
                None => out.problems.push(Problem::new(
                    self.object,
                    host.field,
                    &host.value,
                    Consequence::Ignored,
                    "unresolved-load-balancer-hostname",
                    "the load balancer host name did not resolve; its addresses are not published",
                )),
            }
        }
        targets
    }

    /// Headless: one endpoint per (host name, record type) from the pods.
    fn headless(&self, host: &Sourced, out: &mut SourceOutput) {
        let endpoints_type = self.parsed.endpoints_type;
        let publish_pod_ips = endpoints_type.is_none() && !self.cfg.publish_host_ip;
        let publish_not_ready = self
            .spec()
            .and_then(|s| s.publish_not_ready_addresses)
            .unwrap_or(false)
            || self.cfg.always_publish_not_ready_addresses;
        let mut groups: BTreeMap<(String, RecordType), Vec<Sourced>> = BTreeMap::new();
        for endpoint in &self.inputs.endpoints {
            if !endpoint.ready && !publish_not_ready {
                continue;
            }
            if publish_pod_ips && endpoint.address.is_none() {
                continue;
            }
            let mut domains = vec![host.value.clone()];
            if let Some(pod_hostname) = endpoint.pod_hostname.as_deref().filter(|h| !h.is_empty()) {
                domains.push(format!("{pod_hostname}.{}", host.value));
            }
            let targets = self.pod_targets(endpoint, endpoints_type);
            for domain in domains {
                for target in &targets {
                    let group = groups
                        .entry((domain.clone(), record_type_for_target(&target.value)))
                        .or_default();
                    if !group.iter().any(|t| t.value == target.value) {
                        group.push(target.clone());
                    }
                }
            }
        }
        for ((domain, record_type), targets) in groups {
            let refs: Vec<&Sourced> = targets.iter().collect();
            builder::build(
                &Sourced::new(domain, host.field.clone()),
                record_type,
                &refs,
                &self.shared,
                out,
            );
        }
    }

    fn pod_targets(
        &self,
        endpoint: &PodEndpoint,
        endpoints_type: Option<EndpointsType>,
    ) -> Vec<Sourced> {
        let pod = &endpoint.pod_name;
        if let Some(annotation) = &endpoint.target_annotation {
            let targets = split_targets(annotation);
            if !targets.is_empty() {
                let field = format!("pod {pod:?} target annotation");
                return targets
                    .into_iter()
                    .map(|t| Sourced::new(t, field.clone()))
                    .collect();
            }
        }
        let host_ip = endpoints_type == Some(EndpointsType::HostIp) || self.cfg.publish_host_ip;
        match endpoints_type {
            Some(EndpointsType::NodeExternalIp) => {
                let node = endpoint
                    .node_name
                    .as_deref()
                    .and_then(|n| self.inputs.nodes.iter().find(|node| node.name == n));
                let Some(node) = node else {
                    return Vec::new();
                };
                let field = format!("node {:?} status.addresses", node.name);
                let ipv6 = self
                    .cfg
                    .expose_internal_ipv6
                    .then(|| node.internal_ipv6())
                    .into_iter()
                    .flatten();
                node.external_ips
                    .iter()
                    .chain(ipv6)
                    .map(|ip| Sourced::new(ip, field.clone()))
                    .collect()
            }
            _ if host_ip => endpoint
                .host_ip
                .iter()
                .filter(|ip| !ip.is_empty())
                .map(|ip| Sourced::new(ip, format!("pod {pod:?} status.hostIP")))
                .collect(),
            _ => endpoint
                .address
                .iter()
                .map(|a| Sourced::new(a, format!("EndpointSlice address of pod {pod:?}")))
                .collect(),
        }
    }

    /// NodePort: node addresses, chosen by `access` and the external traffic policy.
    fn node_port_targets(&self) -> Vec<Sourced> {
        let local = self
            .spec()
            .and_then(|s| s.external_traffic_policy.as_deref())
            == Some("Local");
        let nodes: Vec<&NodeAddresses> = if local {
            self.nodes_running_pods()
        } else {
            self.inputs.nodes.iter().collect()
        };
        let (mut external, mut internal, mut ipv6) = (Vec::new(), Vec::new(), Vec::new());
        for node in nodes {
            if node.unschedulable && self.cfg.exclude_unschedulable {
                continue;
            }
            let field = format!("node {:?} status.addresses", node.name);
            external.extend(
                node.external_ips
                    .iter()
                    .map(|ip| Sourced::new(ip, field.clone())),
            );
            internal.extend(
                node.internal_ips
                    .iter()
                    .map(|ip| Sourced::new(ip, field.clone())),
            );
            ipv6.extend(
                node.internal_ipv6()
                    .map(|ip| Sourced::new(ip, field.clone())),
            );
        }
        let with_ipv6 = |mut external: Vec<Sourced>| {
            if self.cfg.expose_internal_ipv6 {
                external.extend(ipv6.clone());
            }
            external
        };
        match self.parsed.access {
            Some(Access::Public) => with_ipv6(external),
            Some(Access::Private) => internal,
            None if !external.is_empty() => with_ipv6(external),
            None => internal,
        }
    }

    /// `externalTrafficPolicy: Local`: the nodes running the Service's pods, only
    /// those at the best readiness present (ready and not terminating, else ready
    /// and terminating, else running).
    fn nodes_running_pods(&self) -> Vec<&NodeAddresses> {
        let mut best: BTreeMap<&str, u8> = BTreeMap::new();
        for pod in &self.inputs.pods {
            if !pod.running || !self.inputs.nodes.iter().any(|n| n.name == pod.node_name) {
                continue;
            }
            let rank = match (pod.ready, pod.terminating) {
                (true, false) => 3,
                (true, true) => 2,
                (false, _) => 1,
            };
            let entry = best.entry(pod.node_name.as_str()).or_default();
            *entry = (*entry).max(rank);
        }
        let top = best.values().copied().max().unwrap_or(0);
        self.inputs
            .nodes
            .iter()
            .filter(|n| top > 0 && best.get(n.name.as_str()) == Some(&top))
            .collect()
    }

    /// NodePort: `_<service>._<proto>.<hostname>` SRV `0 50 <nodePort> <hostname>.`.
    fn srv_records(&self, host: &Sourced, out: &mut SourceOutput) {
        let service_name = self.service.metadata.name.as_deref().unwrap_or_default();
        let ports = self.spec().and_then(|s| s.ports.as_ref());
        for (i, port) in ports.into_iter().flatten().enumerate() {
            let Some(node_port) = port.node_port.filter(|p| *p > 0) else {
                continue;
            };
            let protocol = port
                .protocol
                .as_deref()
                .filter(|p| !p.is_empty())
                .unwrap_or("TCP")
                .to_lowercase();
            let name = Sourced::new(
                format!("_{service_name}._{protocol}.{}", host.value),
                host.field.clone(),
            );
            let target = Sourced::new(
                format!("0 50 {node_port} {}.", host.value),
                format!("spec.ports[{i}].nodePort"),
            );
            builder::build(&name, RecordType::Srv, &[&target], &self.shared, out);
        }
    }
}

/// The dependency types of the Service join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceDependency {
    Nodes,
    Pods,
    EndpointSlices,
}

/// A node, pod or EndpointSlice reduced to what the Service mapping reads.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceFact {
    Node(NodeAddresses),
    Pod(PodFacts),
    Slice(SliceFacts),
}

/// The dependency types of the Service join, with the types watched for them.
static SERVICE_DEPENDENCIES: &[(ServiceDependency, &ObjectType)] = &[
    (ServiceDependency::Nodes, &NODE),
    (ServiceDependency::Pods, &POD),
    (ServiceDependency::EndpointSlices, &ENDPOINT_SLICE),
];

/// Services joined with the nodes, pods and EndpointSlices they read (see
/// [`super::join`]): only the Services of [`cluster_needs`] wait for them.
#[derive(Clone, Debug)]
pub struct ServiceJoin {
    cfg: Arc<SourceConfig>,
}

impl ServiceJoin {
    pub fn new(cfg: Arc<SourceConfig>) -> Self {
        ServiceJoin { cfg }
    }
}

impl Join for ServiceJoin {
    type Primary = Service;
    type Dependency = ServiceDependency;
    type Fact = ServiceFact;

    fn dependencies(&self) -> &'static [(ServiceDependency, &'static ObjectType)] {
        SERVICE_DEPENDENCIES
    }

    fn decode(&self, object: &DynamicObject) -> Result<Service, SourceOutput> {
        decode_watched(object, SERVICE.kind)
    }

    fn reduce(&self, dependency: ServiceDependency, object: &DynamicObject) -> Option<ServiceFact> {
        // A dependency that does not decode cannot be reported on a Service:
        // it is left out, as if it did not exist.
        match dependency {
            ServiceDependency::Nodes => decode_watched::<Node>(object, NODE.kind)
                .ok()
                .map(|node| ServiceFact::Node(NodeAddresses::from_node(&node))),
            ServiceDependency::Pods => decode_watched::<Pod>(object, POD.kind)
                .ok()
                .map(|pod| ServiceFact::Pod(PodFacts::from_pod(&pod, &self.cfg))),
            ServiceDependency::EndpointSlices => {
                decode_watched::<EndpointSlice>(object, ENDPOINT_SLICE.kind)
                    .ok()
                    .and_then(|slice| SliceFacts::from_slice(&slice))
                    .map(ServiceFact::Slice)
            }
        }
    }

    fn needs(&self, service: &Service) -> Vec<ServiceDependency> {
        let needs = cluster_needs(service, &self.cfg);
        [
            (needs.nodes, ServiceDependency::Nodes),
            (needs.pods, ServiceDependency::Pods),
            (needs.endpoint_slices, ServiceDependency::EndpointSlices),
        ]
        .into_iter()
        .filter_map(|(needed, dependency)| needed.then_some(dependency))
        .collect()
    }

    fn affects(
        &self,
        dependency: ServiceDependency,
        id: &FactId,
        before: Option<&ServiceFact>,
        after: Option<&ServiceFact>,
        (namespace, name): PrimaryId<'_>,
    ) -> bool {
        match dependency {
            // Every node may carry a Service's NodePort.
            ServiceDependency::Nodes => true,
            // A pod matters to the Services of its namespace.
            ServiceDependency::Pods => id.0 == namespace,
            // A slice matters to its Service, before and after the change.
            ServiceDependency::EndpointSlices => {
                let of_service = |fact: Option<&ServiceFact>| matches!(fact, Some(ServiceFact::Slice(slice)) if slice.service == name);
                id.0 == namespace && (of_service(before) || of_service(after))
            }
        }
    }

    fn map(
        &self,
        service: &Service,
        facts: &Facts<ServiceDependency, ServiceFact>,
    ) -> SourceOutput {
        let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
        let nodes = facts
            .all(ServiceDependency::Nodes)
            .filter_map(|fact| match fact {
                ServiceFact::Node(node) => Some(node.clone()),
                _ => None,
            })
            .collect();
        let pods = facts
            .in_namespace(ServiceDependency::Pods, namespace)
            .filter_map(|fact| match fact {
                ServiceFact::Pod(pod) => Some(pod),
                _ => None,
            });
        let slices = facts
            .in_namespace(ServiceDependency::EndpointSlices, namespace)
            .filter_map(|fact| match fact {
                ServiceFact::Slice(slice) => Some(slice),
                _ => None,
            });
        let inputs = ServiceInputs::from_facts(service, nodes, pods, slices);
        endpoints(service, &inputs, &self.cfg)
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        LoadBalancerIngress, LoadBalancerStatus, ServicePort, ServiceSpec, ServiceStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    const ALPHA: &str = "external-dns.alpha.kubernetes.io/";

    fn service(service_type: &str, annotations: &[(&str, &str)]) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("shop".into()),
                annotations: Some(
                    annotations
                        .iter()
                        .map(|(k, v)| (format!("{ALPHA}{k}"), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                type_: Some(service_type.into()),
                cluster_ip: Some("10.0.0.10".into()),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn with_lb(mut svc: Service, entries: &[(&str, &str)]) -> Service {
        svc.status = Some(ServiceStatus {
            load_balancer: Some(LoadBalancerStatus {
                ingress: Some(
                    entries
                        .iter()
                        .map(|(kind, v)| LoadBalancerIngress {
                            ip: (*kind == "ip").then(|| v.to_string()),
                            hostname: (*kind == "hostname").then(|| v.to_string()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            }),
            ..Default::default()
        });
        svc
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

    fn row(name: &str, t: RecordType, targets: &[&str]) -> (String, RecordType, Vec<String>) {
        (
            name.into(),
            t,
            targets.iter().map(|t| t.to_string()).collect(),
        )
    }

    fn node(name: &str, external: &[&str], internal: &[&str]) -> NodeAddresses {
        NodeAddresses {
            name: name.into(),
            external_ips: external.iter().map(|s| s.to_string()).collect(),
            internal_ips: internal.iter().map(|s| s.to_string()).collect(),
            unschedulable: false,
        }
    }

    #[test]
    fn load_balancer() {
        let svc = with_lb(
            service(
                "LoadBalancer",
                &[
                    ("hostname", "a.example.com"),
                    ("internal-hostname", "a.internal.example.com"),
                ],
            ),
            &[("ip", "192.0.2.1"), ("hostname", "lb.example.net")],
        );
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert!(out.problems.is_empty());
        assert_eq!(
            summary(&out),
            vec![
                row("a.example.com", RecordType::A, &["192.0.2.1"]),
                row("a.example.com", RecordType::Cname, &["lb.example.net"]),
                row("a.internal.example.com", RecordType::A, &["10.0.0.10"]),
            ]
        );
        assert!(
            out.endpoints
                .iter()
                .all(|e| e.resource() == Some("service/shop/web"))
        );

        let mut svc = svc;
        if let Some(spec) = svc.spec.as_mut() {
            spec.external_ips = Some(vec!["198.51.100.7".into()]);
        }
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert_eq!(
            summary(&out)[0],
            row("a.example.com", RecordType::A, &["198.51.100.7"])
        );
    }

    #[test]
    fn load_balancer_hostname_resolution() {
        let svc = with_lb(
            service(
                "LoadBalancer",
                &[("hostname", "a.example.com,b.example.com")],
            ),
            &[
                ("hostname", "lb.example.net"),
                ("hostname", "gone.example.net"),
            ],
        );
        let cfg = SourceConfig {
            resolve_service_load_balancer_hostname: true,
            ..Default::default()
        };
        let inputs = ServiceInputs {
            resolved_hostnames: BTreeMap::from([(
                "lb.example.net".to_string(),
                vec!["192.0.2.5".to_string(), "2001:db8::5".to_string()],
            )]),
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &cfg);
        assert_eq!(
            summary(&out),
            vec![
                row("a.example.com", RecordType::A, &["192.0.2.5"]),
                row("a.example.com", RecordType::Aaaa, &["2001:db8::5"]),
                row("b.example.com", RecordType::A, &["192.0.2.5"]),
                row("b.example.com", RecordType::Aaaa, &["2001:db8::5"]),
            ]
        );
        // Met once per host name, reported once.
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].reason, "unresolved-load-balancer-hostname");
        assert_eq!(
            out.problems[0].field,
            "status.loadBalancer.ingress[1].hostname"
        );
    }

    #[test]
    fn cluster_ip() {
        let svc = service("ClusterIP", &[("hostname", "a.example.com")]);
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert!(out.endpoints.is_empty());
        let cfg = SourceConfig {
            publish_internal_services: true,
            ..Default::default()
        };
        let out = endpoints(&svc, &ServiceInputs::default(), &cfg);
        assert_eq!(
            summary(&out),
            vec![row("a.example.com", RecordType::A, &["10.0.0.10"])]
        );
        let internal = service("ClusterIP", &[("internal-hostname", "a.internal")]);
        let out = endpoints(
            &internal,
            &ServiceInputs::default(),
            &SourceConfig::default(),
        );
        assert_eq!(
            summary(&out),
            vec![row("a.internal", RecordType::A, &["10.0.0.10"])]
        );
    }

    #[test]
    fn external_name() {
        let mut svc = service("ExternalName", &[("hostname", "a.example.com")]);
        if let Some(spec) = svc.spec.as_mut() {
            spec.external_name = Some("backend.example.net".into());
        }
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![row(
                "a.example.com",
                RecordType::Cname,
                &["backend.example.net"]
            )]
        );
        if let Some(spec) = svc.spec.as_mut() {
            spec.external_ips = Some(vec!["192.0.2.3".into()]);
        }
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![row("a.example.com", RecordType::A, &["192.0.2.3"])]
        );
    }

    fn node_port_service(annotations: &[(&str, &str)]) -> Service {
        let mut svc = service("NodePort", annotations);
        if let Some(spec) = svc.spec.as_mut() {
            spec.ports = Some(vec![
                ServicePort {
                    port: 80,
                    node_port: Some(30080),
                    ..Default::default()
                },
                ServicePort {
                    port: 53,
                    node_port: Some(30053),
                    protocol: Some("UDP".into()),
                    ..Default::default()
                },
                ServicePort {
                    port: 8080,
                    ..Default::default()
                },
            ]);
        }
        svc
    }

    #[test]
    fn node_port_with_srv_records() {
        let svc = node_port_service(&[("hostname", "np.example.com")]);
        let inputs = ServiceInputs {
            nodes: vec![
                node("n1", &["203.0.113.1"], &["10.1.0.1", "fd00::1"]),
                node("n2", &[], &["10.1.0.2"]),
            ],
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert!(out.problems.is_empty());
        assert_eq!(
            summary(&out),
            vec![
                row(
                    "_web._tcp.np.example.com",
                    RecordType::Srv,
                    &["0 50 30080 np.example.com."]
                ),
                row(
                    "_web._udp.np.example.com",
                    RecordType::Srv,
                    &["0 50 30053 np.example.com."]
                ),
                row("np.example.com", RecordType::A, &["203.0.113.1"]),
            ]
        );

        let cfg = SourceConfig {
            expose_internal_ipv6: true,
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &cfg);
        assert!(summary(&out).contains(&row("np.example.com", RecordType::Aaaa, &["fd00::1"])));

        let private = node_port_service(&[("hostname", "np.example.com"), ("access", "private")]);
        let out = endpoints(&private, &inputs, &SourceConfig::default());
        assert!(summary(&out).contains(&row(
            "np.example.com",
            RecordType::A,
            &["10.1.0.1", "10.1.0.2"]
        )));
        assert!(summary(&out).contains(&row("np.example.com", RecordType::Aaaa, &["fd00::1"])));

        // No node has an ExternalIP: InternalIPs are used.
        let internal_only = ServiceInputs {
            nodes: vec![node("n2", &[], &["10.1.0.2"])],
            ..Default::default()
        };
        let out = endpoints(&svc, &internal_only, &SourceConfig::default());
        assert!(summary(&out).contains(&row("np.example.com", RecordType::A, &["10.1.0.2"])));
    }

    #[test]
    fn node_port_skips_cordoned_nodes_and_honours_local_policy() {
        let mut svc = node_port_service(&[("hostname", "np.example.com")]);
        let mut cordoned = node("n3", &["203.0.113.3"], &[]);
        cordoned.unschedulable = true;
        let inputs = ServiceInputs {
            nodes: vec![
                node("n1", &["203.0.113.1"], &[]),
                node("n2", &["203.0.113.2"], &[]),
                cordoned,
            ],
            pods: vec![
                PodPlacement {
                    node_name: "n1".into(),
                    running: true,
                    ready: false,
                    terminating: false,
                },
                PodPlacement {
                    node_name: "n2".into(),
                    running: true,
                    ready: true,
                    terminating: false,
                },
                PodPlacement {
                    node_name: "missing".into(),
                    running: true,
                    ready: true,
                    terminating: false,
                },
            ],
            ..Default::default()
        };
        let a_targets = |out: &SourceOutput| {
            out.endpoints
                .iter()
                .find(|e| e.record_type == RecordType::A)
                .map(|e| e.targets.clone())
                .unwrap_or_default()
        };
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert_eq!(a_targets(&out), vec!["203.0.113.1", "203.0.113.2"]);
        let cfg = SourceConfig {
            exclude_unschedulable: false,
            ..Default::default()
        };
        assert_eq!(
            a_targets(&endpoints(&svc, &inputs, &cfg)),
            vec!["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        );
        if let Some(spec) = svc.spec.as_mut() {
            spec.external_traffic_policy = Some("Local".into());
        }
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert_eq!(a_targets(&out), vec!["203.0.113.2"]);
    }

    fn headless(annotations: &[(&str, &str)]) -> Service {
        let mut svc = service("ClusterIP", annotations);
        if let Some(spec) = svc.spec.as_mut() {
            spec.cluster_ip = Some("None".into());
        }
        svc
    }

    fn pod_endpoint(name: &str, address: &str, ready: bool, hostname: Option<&str>) -> PodEndpoint {
        PodEndpoint {
            pod_name: name.into(),
            address: Some(address.into()),
            ready,
            pod_hostname: hostname.map(str::to_string),
            host_ip: Some(format!("10.9.0.{}", name.len())),
            node_name: Some("n1".into()),
            target_annotation: None,
        }
    }

    #[test]
    fn headless_publishes_pods() {
        let svc = headless(&[("hostname", "db.example.com")]);
        let inputs = ServiceInputs {
            nodes: vec![node("n1", &["203.0.113.1"], &[])],
            endpoints: vec![
                pod_endpoint("db-0", "10.2.0.1", true, Some("db-0")),
                pod_endpoint("db-1", "10.2.0.2", false, None),
                pod_endpoint("db-2x", "2001:db8::2", true, None),
            ],
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert!(out.problems.is_empty());
        assert_eq!(
            summary(&out),
            vec![
                row("db-0.db.example.com", RecordType::A, &["10.2.0.1"]),
                row("db.example.com", RecordType::A, &["10.2.0.1"]),
                row("db.example.com", RecordType::Aaaa, &["2001:db8::2"]),
            ]
        );

        let cfg = SourceConfig {
            always_publish_not_ready_addresses: true,
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &cfg);
        assert!(summary(&out).contains(&row(
            "db.example.com",
            RecordType::A,
            &["10.2.0.1", "10.2.0.2"]
        )));

        let host_ip = headless(&[("hostname", "db.example.com"), ("endpoints-type", "HostIP")]);
        let out = endpoints(&host_ip, &inputs, &SourceConfig::default());
        assert!(summary(&out).contains(&row(
            "db.example.com",
            RecordType::A,
            &["10.9.0.4", "10.9.0.5"]
        )));
        let cfg = SourceConfig {
            publish_host_ip: true,
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &cfg);
        assert!(summary(&out).contains(&row(
            "db.example.com",
            RecordType::A,
            &["10.9.0.4", "10.9.0.5"]
        )));

        let node_ip = headless(&[
            ("hostname", "db.example.com"),
            ("endpoints-type", "NodeExternalIP"),
        ]);
        let out = endpoints(&node_ip, &inputs, &SourceConfig::default());
        assert!(summary(&out).contains(&row("db.example.com", RecordType::A, &["203.0.113.1"])));
    }

    #[test]
    fn headless_pod_target_annotation_overrides() {
        let svc = headless(&[("hostname", "db.example.com")]);
        let mut ep = pod_endpoint("db-0", "10.2.0.1", true, None);
        ep.target_annotation = Some("198.51.100.9".into());
        let inputs = ServiceInputs {
            endpoints: vec![ep],
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![row("db.example.com", RecordType::A, &["198.51.100.9"])]
        );
    }

    #[test]
    fn target_annotation_overrides_everything() {
        let svc = node_port_service(&[
            ("hostname", "np.example.com"),
            ("target", "edge.example.net"),
        ]);
        let inputs = ServiceInputs {
            nodes: vec![node("n1", &["203.0.113.1"], &[])],
            ..Default::default()
        };
        let out = endpoints(&svc, &inputs, &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![row(
                "np.example.com",
                RecordType::Cname,
                &["edge.example.net"]
            )]
        );
    }

    #[test]
    fn bad_input_is_reported_per_field() {
        let mut svc = service(
            "ExternalName",
            &[
                ("hostname", "ok.example.com,bad!.example.com"),
                ("ttl", "1d"),
            ],
        );
        if let Some(spec) = svc.spec.as_mut() {
            spec.external_name = Some("backend.example.net".into());
        }
        let out = endpoints(&svc, &ServiceInputs::default(), &SourceConfig::default());
        assert_eq!(
            summary(&out),
            vec![row(
                "ok.example.com",
                RecordType::Cname,
                &["backend.example.net"]
            )]
        );
        let reasons: Vec<_> = out
            .problems
            .iter()
            .map(|p| (p.reason, p.consequence))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("invalid-ttl", Consequence::Ignored),
                ("invalid-hostname", Consequence::Skipped)
            ]
        );
        assert_eq!(
            out.problems[1].field,
            "metadata.annotations[\"external-dns.alpha.kubernetes.io/hostname\"]"
        );
        assert_eq!(out.problems[1].value, "bad!.example.com");
    }

    #[test]
    fn service_type_filter_and_template() {
        let svc = with_lb(service("LoadBalancer", &[]), &[("ip", "192.0.2.1")]);
        let cfg = SourceConfig {
            fqdn_template: super::super::fqdn_template::FqdnTemplate::parse(&[
                "{{.Name}}.{{.Namespace}}.svc.example.com",
            ])
            .unwrap(),
            ..Default::default()
        };
        let out = endpoints(&svc, &ServiceInputs::default(), &cfg);
        assert_eq!(
            summary(&out),
            vec![row(
                "web.shop.svc.example.com",
                RecordType::A,
                &["192.0.2.1"]
            )]
        );
        let cfg = SourceConfig {
            service_types: vec!["NodePort".into()],
            ..cfg
        };
        assert_eq!(
            endpoints(&svc, &ServiceInputs::default(), &cfg),
            SourceOutput::default()
        );
    }

    #[test]
    fn service_types() {
        let mut cfg = SourceConfig::default();
        assert!(type_selected(Some("LoadBalancer"), &cfg));
        cfg.service_types = vec!["ClusterIP".into()];
        assert!(!type_selected(Some("LoadBalancer"), &cfg));
        assert!(type_selected(None, &cfg));
        cfg.service_types.push(String::new());
        assert!(type_selected(Some("LoadBalancer"), &cfg));
    }
}
