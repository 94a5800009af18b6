//! Services and the cluster data some of them read: nodes (NodePort,
//! `endpoints-type: NodeExternalIP`), pods and EndpointSlices (headless,
//! `externalTrafficPolicy: Local`).
//!
//! Those three kinds are watched only once a selected Service needs them, so a
//! cluster of LoadBalancer Services never lists its pods, and they are kept
//! reduced to what the mapping reads ([`NodeAddresses`], [`PodFacts`],
//! [`SliceFacts`]). The Services that need them are the only objects the
//! controller keeps whole: a change of a node, pod or slice maps them again.
//!
//! Until every kind a Service needs has listed once, the Service is held
//! ([`State::hold`]): the records it published stay, so a restart or a watch
//! started late never deletes a NodePort record for want of the node list.
//!
//! Every method that changes the state does so under this module's lock, so a
//! Service and its cluster data are always mapped in the order they changed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::Service;

use super::desired::{ObjectInfo, ObjectKey, State};
use crate::source::service::{
    self, ClusterNeeds, NodeAddresses, PodFacts, ServiceInputs, SliceFacts, cluster_needs,
};
use crate::source::{SourceConfig, SourceKind};
use crate::sync::lock;

/// The kinds of cluster data a Service may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterKind {
    Nodes,
    Pods,
    EndpointSlices,
}

impl ClusterKind {
    /// The name used in logs and the watch-restart metric.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Nodes => "node",
            ClusterKind::Pods => "pod",
            ClusterKind::EndpointSlices => "endpointslice",
        }
    }

    fn wanted_by(self, needs: ClusterNeeds) -> bool {
        match self {
            ClusterKind::Nodes => needs.nodes,
            ClusterKind::Pods => needs.pods,
            ClusterKind::EndpointSlices => needs.endpoint_slices,
        }
    }

    fn of(needs: ClusterNeeds) -> impl Iterator<Item = ClusterKind> {
        [
            ClusterKind::Nodes,
            ClusterKind::Pods,
            ClusterKind::EndpointSlices,
        ]
        .into_iter()
        .filter(move |kind| kind.wanted_by(needs))
    }
}

/// Starts the watcher of one kind of cluster data (the controller spawns a
/// kube watcher; tests record the call).
pub type StartWatch = Box<dyn Fn(ClusterKind) + Send + Sync>;

/// Whether a kind is watched, and listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Progress {
    #[default]
    NotWatched,
    Listing,
    Listed,
}

/// A Service that reads cluster data, as last seen.
struct NeedyService {
    service: Service,
    info: ObjectInfo,
    needs: ClusterNeeds,
}

#[derive(Default)]
struct Inner {
    services: BTreeMap<ObjectKey, NeedyService>,
    nodes: BTreeMap<String, NodeAddresses>,
    /// By (namespace, name).
    pods: BTreeMap<(String, String), PodFacts>,
    /// By (namespace, name) of the slice.
    slices: BTreeMap<(String, String), SliceFacts>,
    progress: BTreeMap<ClusterKind, Progress>,
}

impl Inner {
    fn progress(&self, kind: ClusterKind) -> Progress {
        self.progress.get(&kind).copied().unwrap_or_default()
    }

    fn listed(&self, needs: ClusterNeeds) -> bool {
        ClusterKind::of(needs).all(|kind| self.progress(kind) == Progress::Listed)
    }
}

/// Maps Services to the desired state, with the cluster data they read.
pub struct ServiceMapper {
    inner: Mutex<Inner>,
    state: Arc<State>,
    cfg: Arc<SourceConfig>,
    start_watch: StartWatch,
}

impl ServiceMapper {
    pub fn new(state: Arc<State>, cfg: Arc<SourceConfig>, start_watch: StartWatch) -> Self {
        ServiceMapper {
            inner: Mutex::new(Inner::default()),
            state,
            cfg,
            start_watch,
        }
    }

    /// A Service was listed, added or changed.
    pub fn service_applied(&self, key: ObjectKey, info: ObjectInfo, service: &Service) {
        let needs = cluster_needs(service, &self.cfg);
        let mut inner = self.lock();
        if needs.is_empty() {
            inner.services.remove(&key);
            let output = service::endpoints(service, &ServiceInputs::default(), &self.cfg);
            self.state.apply(key, info, output);
            return;
        }
        for kind in ClusterKind::of(needs) {
            if inner.progress(kind) == Progress::NotWatched {
                tracing::info!(
                    data = kind.as_str(),
                    service = %key.resource_label(),
                    "watching cluster data a Service needs"
                );
                inner.progress.insert(kind, Progress::Listing);
                (self.start_watch)(kind);
            }
        }
        inner.services.insert(
            key.clone(),
            NeedyService {
                service: service.clone(),
                info,
                needs,
            },
        );
        self.map(&inner, &key);
    }

    /// A Service was deleted.
    pub fn service_deleted(&self, key: &ObjectKey) {
        let mut inner = self.lock();
        inner.services.remove(key);
        self.state.delete(key);
    }

    /// A re-list of Services returned exactly `listed`.
    pub fn services_relisted(&self, listed: &BTreeSet<ObjectKey>) {
        let mut inner = self.lock();
        inner.services.retain(|key, _| listed.contains(key));
        self.state.reset(SourceKind::Service, listed);
    }

    /// A node was listed, added or changed.
    pub fn node_applied(&self, node: NodeAddresses) {
        let mut inner = self.lock();
        if inner.nodes.get(&node.name) == Some(&node) {
            return;
        }
        inner.nodes.insert(node.name.clone(), node);
        self.remap(&inner, ClusterKind::Nodes, |_| true);
    }

    /// A node was deleted.
    pub fn node_deleted(&self, name: &str) {
        let mut inner = self.lock();
        if inner.nodes.remove(name).is_some() {
            self.remap(&inner, ClusterKind::Nodes, |_| true);
        }
    }

    /// A pod was listed, added or changed.
    pub fn pod_applied(&self, pod: PodFacts) {
        let mut inner = self.lock();
        let id = (pod.namespace.clone(), pod.name.clone());
        if inner.pods.get(&id) == Some(&pod) {
            return;
        }
        inner.pods.insert(id.clone(), pod);
        self.remap(&inner, ClusterKind::Pods, |key| key.namespace == id.0);
    }

    /// A pod was deleted.
    pub fn pod_deleted(&self, namespace: &str, name: &str) {
        let mut inner = self.lock();
        let id = (namespace.to_string(), name.to_string());
        if inner.pods.remove(&id).is_some() {
            self.remap(&inner, ClusterKind::Pods, |key| key.namespace == namespace);
        }
    }

    /// An EndpointSlice was listed, added or changed; `None` when it belongs
    /// to no Service (then only a slice it replaces matters).
    pub fn slice_applied(&self, namespace: &str, name: &str, slice: Option<SliceFacts>) {
        let mut inner = self.lock();
        let id = (namespace.to_string(), name.to_string());
        // The Services of the slice before and after the change.
        let mut services = BTreeSet::new();
        match slice {
            Some(slice) if inner.slices.get(&id) == Some(&slice) => return,
            Some(slice) => {
                services.insert(slice.service.clone());
                services.extend(inner.slices.insert(id, slice).map(|old| old.service));
            }
            None => match inner.slices.remove(&id) {
                Some(old) => {
                    services.insert(old.service);
                }
                None => return,
            },
        }
        self.remap(&inner, ClusterKind::EndpointSlices, |key| {
            key.namespace == namespace && services.contains(&key.name)
        });
    }

    /// An EndpointSlice was deleted.
    pub fn slice_deleted(&self, namespace: &str, name: &str) {
        self.slice_applied(namespace, name, None);
    }

    /// A list of `kind` is complete and returned exactly `listed` (keys are
    /// (namespace, name); nodes have an empty namespace). The first one maps
    /// every Service waiting for it; a later one drops what disappeared while
    /// the watch was down.
    pub fn cluster_relisted(&self, kind: ClusterKind, listed: &BTreeSet<(String, String)>) {
        let mut inner = self.lock();
        match kind {
            ClusterKind::Nodes => inner
                .nodes
                .retain(|name, _| listed.contains(&(String::new(), name.clone()))),
            ClusterKind::Pods => inner.pods.retain(|id, _| listed.contains(id)),
            ClusterKind::EndpointSlices => inner.slices.retain(|id, _| listed.contains(id)),
        }
        inner.progress.insert(kind, Progress::Listed);
        self.remap(&inner, kind, |_| true);
    }

    /// Services that read cluster data.
    #[cfg(test)]
    pub fn needy_services(&self) -> usize {
        self.lock().services.len()
    }

    /// Maps every Service that reads `kind` and that `affected` picks.
    fn remap(&self, inner: &Inner, kind: ClusterKind, affected: impl Fn(&ObjectKey) -> bool) {
        let keys: Vec<&ObjectKey> = inner
            .services
            .iter()
            .filter(|(key, s)| kind.wanted_by(s.needs) && affected(key))
            .map(|(key, _)| key)
            .collect();
        for key in keys {
            self.map(inner, key);
        }
    }

    /// Maps one stored Service, or holds it while its data is not listed.
    fn map(&self, inner: &Inner, key: &ObjectKey) {
        let Some(needy) = inner.services.get(key) else {
            return;
        };
        if !inner.listed(needy.needs) {
            self.state.hold(key.clone(), needy.info.clone());
            return;
        }
        let nodes = if needy.needs.nodes {
            inner.nodes.values().cloned().collect()
        } else {
            Vec::new()
        };
        let namespace = key.namespace.clone();
        let pods = inner
            .pods
            .range((namespace.clone(), String::new())..)
            .take_while(|((ns, _), _)| *ns == namespace)
            .map(|(_, pod)| pod);
        let slices = inner
            .slices
            .range((namespace.clone(), String::new())..)
            .take_while(|((ns, _), _)| *ns == namespace)
            .map(|(_, slice)| slice);
        let inputs = ServiceInputs::from_facts(&needy.service, nodes, pods, slices);
        let output = service::endpoints(&needy.service, &inputs, &self.cfg);
        self.state.apply(key.clone(), needy.info.clone(), output);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use serde_json::json;

    use super::*;
    use crate::plan::HoldReason;

    fn key(name: &str) -> ObjectKey {
        ObjectKey {
            kind: SourceKind::Service,
            namespace: "default".to_string(),
            name: name.to_string(),
        }
    }

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).unwrap()
    }

    fn node_port(name: &str, host: &str) -> Service {
        service(json!({
            "metadata": {
                "name": name, "namespace": "default",
                "annotations": { "external-dns.alpha.kubernetes.io/hostname": host }
            },
            "spec": { "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080 }] }
        }))
    }

    fn load_balancer(name: &str, host: &str) -> Service {
        service(json!({
            "metadata": {
                "name": name, "namespace": "default",
                "annotations": { "external-dns.alpha.kubernetes.io/hostname": host }
            },
            "spec": { "type": "LoadBalancer" },
            "status": { "loadBalancer": { "ingress": [{ "ip": "198.51.100.1" }] } }
        }))
    }

    fn node(name: &str, ip: &str) -> NodeAddresses {
        NodeAddresses {
            name: name.to_string(),
            external_ips: vec![ip.to_string()],
            ..Default::default()
        }
    }

    struct Fixture {
        state: Arc<State>,
        mapper: ServiceMapper,
        started: Arc<StdMutex<Vec<ClusterKind>>>,
    }

    fn fixture() -> Fixture {
        let state = Arc::new(State::default());
        let started = Arc::new(StdMutex::new(Vec::new()));
        let record = started.clone();
        let mapper = ServiceMapper::new(
            state.clone(),
            Arc::new(SourceConfig::default()),
            Box::new(move |kind| record.lock().unwrap().push(kind)),
        );
        Fixture {
            state,
            mapper,
            started,
        }
    }

    fn a_targets(state: &State, name: &str) -> Vec<String> {
        state
            .desired()
            .endpoints
            .into_iter()
            .filter(|e| e.dns_name == name && e.record_type.as_str() == "A")
            .flat_map(|e| e.targets)
            .collect()
    }

    #[test]
    fn load_balancers_never_start_a_cluster_watch() {
        let f = fixture();
        f.mapper.service_applied(
            key("lb"),
            ObjectInfo::default(),
            &load_balancer("lb", "lb.example.com"),
        );
        assert!(f.started.lock().unwrap().is_empty());
        assert_eq!(f.mapper.needy_services(), 0);
        assert_eq!(a_targets(&f.state, "lb.example.com"), ["198.51.100.1"]);
    }

    #[test]
    fn a_node_port_service_is_held_until_the_nodes_are_listed() {
        let f = fixture();
        let svc = node_port("np", "np.example.com");
        f.mapper
            .service_applied(key("np"), ObjectInfo::default(), &svc);
        assert_eq!(*f.started.lock().unwrap(), [ClusterKind::Nodes]);
        // Held: nothing desired, and its records are kept.
        let desired = f.state.desired();
        assert!(desired.endpoints.is_empty());
        assert_eq!(
            desired.held_resources.get("service/default/np"),
            Some(&HoldReason::AwaitingClusterData)
        );
        // A second NodePort Service does not start a second node watch.
        f.mapper.service_applied(
            key("np2"),
            ObjectInfo::default(),
            &node_port("np2", "np2.example.com"),
        );
        assert_eq!(f.started.lock().unwrap().len(), 1);

        f.mapper.node_applied(node("n1", "203.0.113.1"));
        assert!(f.state.desired().endpoints.is_empty(), "still listing");
        f.mapper.cluster_relisted(
            ClusterKind::Nodes,
            &[(String::new(), "n1".to_string())].into(),
        );
        assert_eq!(a_targets(&f.state, "np.example.com"), ["203.0.113.1"]);
        assert!(f.state.desired().held_resources.is_empty());

        // A node change maps the Service again; a deleted Service stays deleted.
        f.mapper.node_applied(node("n2", "203.0.113.2"));
        assert_eq!(
            a_targets(&f.state, "np.example.com"),
            ["203.0.113.1", "203.0.113.2"]
        );
        f.mapper.service_deleted(&key("np"));
        f.mapper.node_deleted("n1");
        assert!(a_targets(&f.state, "np.example.com").is_empty());
        assert_eq!(a_targets(&f.state, "np2.example.com"), ["203.0.113.2"]);
    }

    #[test]
    fn a_relist_drops_nodes_that_went_away() {
        let f = fixture();
        f.mapper.service_applied(
            key("np"),
            ObjectInfo::default(),
            &node_port("np", "np.example.com"),
        );
        f.mapper.node_applied(node("n1", "203.0.113.1"));
        f.mapper.node_applied(node("n2", "203.0.113.2"));
        f.mapper.cluster_relisted(
            ClusterKind::Nodes,
            &BTreeSet::from([
                (String::new(), "n1".to_string()),
                (String::new(), "n2".to_string()),
            ]),
        );
        f.mapper.cluster_relisted(
            ClusterKind::Nodes,
            &[(String::new(), "n2".to_string())].into(),
        );
        assert_eq!(a_targets(&f.state, "np.example.com"), ["203.0.113.2"]);
    }

    #[test]
    fn a_headless_service_follows_its_slices_and_pods() {
        let f = fixture();
        let headless = service(json!({
            "metadata": {
                "name": "db", "namespace": "default",
                "annotations": { "external-dns.alpha.kubernetes.io/hostname": "db.example.com" }
            },
            "spec": { "clusterIP": "None", "selector": { "app": "db" } }
        }));
        f.mapper
            .service_applied(key("db"), ObjectInfo::default(), &headless);
        assert_eq!(
            *f.started.lock().unwrap(),
            [ClusterKind::Pods, ClusterKind::EndpointSlices]
        );
        let pod = |name: &str| PodFacts {
            namespace: "default".to_string(),
            name: name.to_string(),
            labels: [("app".to_string(), "db".to_string())].into(),
            ..Default::default()
        };
        f.mapper.pod_applied(pod("db-0"));
        f.mapper.pod_applied(pod("db-1"));
        let slice = |addresses: &[(&str, &str)]| SliceFacts {
            namespace: "default".to_string(),
            service: "db".to_string(),
            entries: addresses
                .iter()
                .map(|(pod, ip)| service::SliceEntry {
                    pod_name: pod.to_string(),
                    address: Some(ip.to_string()),
                    ready: true,
                })
                .collect(),
        };
        f.mapper
            .slice_applied("default", "db-abc", Some(slice(&[("db-0", "10.0.0.1")])));
        f.mapper
            .cluster_relisted(ClusterKind::Pods, &BTreeSet::new());
        assert!(
            f.state.desired().endpoints.is_empty(),
            "slices still listing"
        );
        f.mapper
            .cluster_relisted(ClusterKind::EndpointSlices, &BTreeSet::new());
        // The relists returned nothing: the pods and the slice are gone.
        assert!(a_targets(&f.state, "db.example.com").is_empty());

        f.mapper.pod_applied(pod("db-0"));
        f.mapper.pod_applied(pod("db-1"));
        f.mapper.slice_applied(
            "default",
            "db-abc",
            Some(slice(&[("db-0", "10.0.0.1"), ("db-1", "10.0.0.2")])),
        );
        assert_eq!(
            a_targets(&f.state, "db.example.com"),
            ["10.0.0.1", "10.0.0.2"]
        );
        f.mapper.pod_deleted("default", "db-1");
        assert_eq!(a_targets(&f.state, "db.example.com"), ["10.0.0.1"]);
        f.mapper.slice_deleted("default", "db-abc");
        assert!(a_targets(&f.state, "db.example.com").is_empty());
    }

    #[test]
    fn a_service_that_stops_needing_nodes_is_mapped_alone() {
        let f = fixture();
        f.mapper.service_applied(
            key("svc"),
            ObjectInfo::default(),
            &node_port("svc", "svc.example.com"),
        );
        f.mapper.service_applied(
            key("svc"),
            ObjectInfo::default(),
            &load_balancer("svc", "svc.example.com"),
        );
        assert_eq!(f.mapper.needy_services(), 0);
        assert_eq!(a_targets(&f.state, "svc.example.com"), ["198.51.100.1"]);
        assert!(f.state.desired().held_resources.is_empty());
    }
}
