//! The stateful half of a join (see [`crate::source::join`]): primaries that
//! read other objects, and the reduced facts of those objects.
//!
//! A dependency type is watched only once a primary needs it, so a cluster of
//! LoadBalancer Services never lists its pods; its objects are kept reduced to
//! the join's facts. The primaries that need dependencies are the only objects
//! the controller keeps whole: a changed fact maps again exactly the primaries
//! the join says it affects.
//!
//! Until every dependency type a primary needs has listed once, the primary is
//! held ([`State::hold`]): the records it published stay, so a restart or a
//! watch started late never deletes a NodePort record for want of the node
//! list.
//!
//! Every method that changes the state does so under this module's lock, so a
//! primary and its dependencies are always mapped in the order they changed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use kube::api::DynamicObject;

use super::desired::{ObjectInfo, ObjectKey, State};
use crate::source::SourceKind;
use crate::source::join::{FactId, Facts, Join};
use crate::sync::lock;

/// Starts the watch of one dependency type (the controller spawns a kube
/// watcher; tests record the call).
pub type StartWatch<D> = Box<dyn Fn(D) + Send + Sync>;

/// Whether a dependency type is watched, and listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Progress {
    #[default]
    NotWatched,
    Listing,
    Listed,
}

/// A primary that reads dependencies, as last seen.
struct Waiting<J: Join> {
    primary: J::Primary,
    info: ObjectInfo,
    needs: Vec<J::Dependency>,
}

struct Inner<J: Join> {
    primaries: BTreeMap<ObjectKey, Waiting<J>>,
    facts: Facts<J::Dependency, J::Fact>,
    progress: BTreeMap<J::Dependency, Progress>,
}

impl<J: Join> Inner<J> {
    fn progress(&self, dependency: J::Dependency) -> Progress {
        self.progress.get(&dependency).copied().unwrap_or_default()
    }

    fn listed(&self, needs: &[J::Dependency]) -> bool {
        needs.iter().all(|d| self.progress(*d) == Progress::Listed)
    }
}

/// Maps the primaries of one kind into the desired state, with the facts of
/// the dependencies they read.
pub struct JoinMapper<J: Join> {
    join: J,
    kind: SourceKind,
    inner: Mutex<Inner<J>>,
    state: Arc<State>,
    start_watch: StartWatch<J::Dependency>,
}

impl<J: Join> JoinMapper<J> {
    pub fn new(
        join: J,
        kind: SourceKind,
        state: Arc<State>,
        start_watch: StartWatch<J::Dependency>,
    ) -> Self {
        JoinMapper {
            join,
            kind,
            inner: Mutex::new(Inner {
                primaries: BTreeMap::new(),
                facts: Facts::default(),
                progress: BTreeMap::new(),
            }),
            state,
            start_watch,
        }
    }

    /// The pure half.
    pub fn join(&self) -> &J {
        &self.join
    }

    /// A watched primary was listed, added or changed.
    pub fn primary_applied(&self, key: ObjectKey, info: ObjectInfo, object: &DynamicObject) {
        match self.join.decode(object) {
            Ok(primary) => self.primary_decoded(key, info, primary),
            Err(problem) => {
                let mut inner = self.lock();
                inner.primaries.remove(&key);
                self.state.apply(key, info, problem);
            }
        }
    }

    /// A primary, decoded, was listed, added or changed.
    pub fn primary_decoded(&self, key: ObjectKey, info: ObjectInfo, primary: J::Primary) {
        let needs = self.join.needs(&primary);
        let mut inner = self.lock();
        if needs.is_empty() {
            inner.primaries.remove(&key);
            let output = self.join.map(&primary, &inner.facts);
            self.state.apply(key, info, output);
            return;
        }
        for &dependency in &needs {
            if inner.progress(dependency) == Progress::NotWatched {
                tracing::info!(
                    data = ?dependency,
                    object = %key.resource_label(),
                    "watching objects a source needs"
                );
                inner.progress.insert(dependency, Progress::Listing);
                (self.start_watch)(dependency);
            }
        }
        inner.primaries.insert(
            key.clone(),
            Waiting {
                primary,
                info,
                needs,
            },
        );
        self.map(&inner, &key);
    }

    /// A primary was deleted.
    pub fn primary_deleted(&self, key: &ObjectKey) {
        let mut inner = self.lock();
        inner.primaries.remove(key);
        self.state.delete(key);
    }

    /// A re-list of primaries returned exactly `listed`.
    pub fn primaries_relisted(&self, listed: &BTreeSet<ObjectKey>) {
        let mut inner = self.lock();
        inner.primaries.retain(|key, _| listed.contains(key));
        self.state.reset(self.kind, listed);
    }

    /// A dependency object was listed, added or changed.
    pub fn dependency_applied(
        &self,
        dependency: J::Dependency,
        id: FactId,
        object: &DynamicObject,
    ) {
        let fact = self.join.reduce(dependency, object);
        self.fact_changed(dependency, id, fact);
    }

    /// A dependency object was deleted.
    pub fn dependency_deleted(&self, dependency: J::Dependency, id: FactId) {
        self.fact_changed(dependency, id, None);
    }

    /// The fact of one dependency object is now `fact` (`None`: the object is
    /// gone, or matters to no primary).
    pub fn fact_changed(&self, dependency: J::Dependency, id: FactId, fact: Option<J::Fact>) {
        let mut inner = self.lock();
        let before = match fact.clone() {
            Some(fact) if inner.facts.get(dependency, &id) == Some(&fact) => return,
            Some(fact) => inner.facts.insert(dependency, id.clone(), fact),
            None => match inner.facts.remove(dependency, &id) {
                Some(before) => Some(before),
                None => return,
            },
        };
        self.remap(&inner, dependency, |key| {
            self.join.affects(
                dependency,
                &id,
                before.as_ref(),
                fact.as_ref(),
                (&key.namespace, &key.name),
            )
        });
    }

    /// A list of `dependency` is complete and returned exactly `listed`. The
    /// first one maps every primary waiting for it; a later one drops what
    /// disappeared while the watch was down.
    pub fn dependency_relisted(&self, dependency: J::Dependency, listed: &BTreeSet<FactId>) {
        let mut inner = self.lock();
        inner.facts.retain(dependency, |id| listed.contains(id));
        inner.progress.insert(dependency, Progress::Listed);
        self.remap(&inner, dependency, |_| true);
    }

    /// Primaries that read dependencies.
    #[cfg(test)]
    pub fn waiting_primaries(&self) -> usize {
        self.lock().primaries.len()
    }

    /// Maps every primary that reads `dependency` and that `affected` picks.
    fn remap(
        &self,
        inner: &Inner<J>,
        dependency: J::Dependency,
        affected: impl Fn(&ObjectKey) -> bool,
    ) {
        let keys: Vec<&ObjectKey> = inner
            .primaries
            .iter()
            .filter(|(key, waiting)| waiting.needs.contains(&dependency) && affected(key))
            .map(|(key, _)| key)
            .collect();
        for key in keys {
            self.map(inner, key);
        }
    }

    /// Maps one stored primary, or holds it while its dependencies are not
    /// listed.
    fn map(&self, inner: &Inner<J>, key: &ObjectKey) {
        let Some(waiting) = inner.primaries.get(key) else {
            return;
        };
        if !inner.listed(&waiting.needs) {
            self.state.hold(key.clone(), waiting.info.clone());
            return;
        }
        let output = self.join.map(&waiting.primary, &inner.facts);
        self.state.apply(key.clone(), waiting.info.clone(), output);
    }

    fn lock(&self) -> MutexGuard<'_, Inner<J>> {
        lock(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use serde_json::json;

    use k8s_openapi::api::core::v1::Service;

    use super::*;
    use crate::plan::HoldReason;
    use crate::source::SourceConfig;
    use crate::source::service::{
        self, NodeAddresses, PodFacts, ServiceDependency, ServiceFact, ServiceJoin, SliceFacts,
    };

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
        mapper: JoinMapper<ServiceJoin>,
        started: Arc<StdMutex<Vec<ServiceDependency>>>,
    }

    fn fixture() -> Fixture {
        let state = Arc::new(State::default());
        let started = Arc::new(StdMutex::new(Vec::new()));
        let record = started.clone();
        let mapper = JoinMapper::new(
            ServiceJoin::new(Arc::new(SourceConfig::default())),
            SourceKind::Service,
            state.clone(),
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
        f.mapper.primary_decoded(
            key("lb"),
            ObjectInfo::default(),
            load_balancer("lb", "lb.example.com"),
        );
        assert!(f.started.lock().unwrap().is_empty());
        assert_eq!(f.mapper.waiting_primaries(), 0);
        assert_eq!(a_targets(&f.state, "lb.example.com"), ["198.51.100.1"]);
    }

    #[test]
    fn a_node_port_service_is_held_until_the_nodes_are_listed() {
        let f = fixture();
        let svc = node_port("np", "np.example.com");
        f.mapper
            .primary_decoded(key("np"), ObjectInfo::default(), svc);
        assert_eq!(*f.started.lock().unwrap(), [ServiceDependency::Nodes]);
        // Held: nothing desired, and its records are kept.
        let desired = f.state.desired();
        assert!(desired.endpoints.is_empty());
        assert_eq!(
            desired.held_resources.get("service/default/np"),
            Some(&HoldReason::AwaitingClusterData)
        );
        // A second NodePort Service does not start a second node watch.
        f.mapper.primary_decoded(
            key("np2"),
            ObjectInfo::default(),
            node_port("np2", "np2.example.com"),
        );
        assert_eq!(f.started.lock().unwrap().len(), 1);

        f.mapper.fact_changed(
            ServiceDependency::Nodes,
            (String::new(), "n1".to_string()),
            Some(ServiceFact::Node(node("n1", "203.0.113.1"))),
        );
        assert!(f.state.desired().endpoints.is_empty(), "still listing");
        f.mapper.dependency_relisted(
            ServiceDependency::Nodes,
            &[(String::new(), "n1".to_string())].into(),
        );
        assert_eq!(a_targets(&f.state, "np.example.com"), ["203.0.113.1"]);
        assert!(f.state.desired().held_resources.is_empty());

        // A node change maps the Service again; a deleted Service stays deleted.
        f.mapper.fact_changed(
            ServiceDependency::Nodes,
            (String::new(), "n2".to_string()),
            Some(ServiceFact::Node(node("n2", "203.0.113.2"))),
        );
        assert_eq!(
            a_targets(&f.state, "np.example.com"),
            ["203.0.113.1", "203.0.113.2"]
        );
        f.mapper.primary_deleted(&key("np"));
        f.mapper
            .dependency_deleted(ServiceDependency::Nodes, (String::new(), "n1".to_string()));
        assert!(a_targets(&f.state, "np.example.com").is_empty());
        assert_eq!(a_targets(&f.state, "np2.example.com"), ["203.0.113.2"]);
    }

    #[test]
    fn a_relist_drops_nodes_that_went_away() {
        let f = fixture();
        f.mapper.primary_decoded(
            key("np"),
            ObjectInfo::default(),
            node_port("np", "np.example.com"),
        );
        f.mapper.fact_changed(
            ServiceDependency::Nodes,
            (String::new(), "n1".to_string()),
            Some(ServiceFact::Node(node("n1", "203.0.113.1"))),
        );
        f.mapper.fact_changed(
            ServiceDependency::Nodes,
            (String::new(), "n2".to_string()),
            Some(ServiceFact::Node(node("n2", "203.0.113.2"))),
        );
        f.mapper.dependency_relisted(
            ServiceDependency::Nodes,
            &BTreeSet::from([
                (String::new(), "n1".to_string()),
                (String::new(), "n2".to_string()),
            ]),
        );
        f.mapper.dependency_relisted(
            ServiceDependency::Nodes,
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
            .primary_decoded(key("db"), ObjectInfo::default(), headless);
        assert_eq!(
            *f.started.lock().unwrap(),
            [ServiceDependency::Pods, ServiceDependency::EndpointSlices]
        );
        let pod = |name: &str| PodFacts {
            namespace: "default".to_string(),
            name: name.to_string(),
            labels: [("app".to_string(), "db".to_string())].into(),
            ..Default::default()
        };
        f.mapper.fact_changed(
            ServiceDependency::Pods,
            ("default".to_string(), "db-0".to_string()),
            Some(ServiceFact::Pod(pod("db-0"))),
        );
        f.mapper.fact_changed(
            ServiceDependency::Pods,
            ("default".to_string(), "db-1".to_string()),
            Some(ServiceFact::Pod(pod("db-1"))),
        );
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
        f.mapper.fact_changed(
            ServiceDependency::EndpointSlices,
            ("default".to_string(), "db-abc".to_string()),
            Some(ServiceFact::Slice(slice(&[("db-0", "10.0.0.1")]))),
        );
        f.mapper
            .dependency_relisted(ServiceDependency::Pods, &BTreeSet::new());
        assert!(
            f.state.desired().endpoints.is_empty(),
            "slices still listing"
        );
        f.mapper
            .dependency_relisted(ServiceDependency::EndpointSlices, &BTreeSet::new());
        // The relists returned nothing: the pods and the slice are gone.
        assert!(a_targets(&f.state, "db.example.com").is_empty());

        f.mapper.fact_changed(
            ServiceDependency::Pods,
            ("default".to_string(), "db-0".to_string()),
            Some(ServiceFact::Pod(pod("db-0"))),
        );
        f.mapper.fact_changed(
            ServiceDependency::Pods,
            ("default".to_string(), "db-1".to_string()),
            Some(ServiceFact::Pod(pod("db-1"))),
        );
        f.mapper.fact_changed(
            ServiceDependency::EndpointSlices,
            ("default".to_string(), "db-abc".to_string()),
            Some(ServiceFact::Slice(slice(&[
                ("db-0", "10.0.0.1"),
                ("db-1", "10.0.0.2"),
            ]))),
        );
        assert_eq!(
            a_targets(&f.state, "db.example.com"),
            ["10.0.0.1", "10.0.0.2"]
        );
        f.mapper.dependency_deleted(
            ServiceDependency::Pods,
            ("default".to_string(), "db-1".to_string()),
        );
        assert_eq!(a_targets(&f.state, "db.example.com"), ["10.0.0.1"]);
        f.mapper.dependency_deleted(
            ServiceDependency::EndpointSlices,
            ("default".to_string(), "db-abc".to_string()),
        );
        assert!(a_targets(&f.state, "db.example.com").is_empty());
    }

    #[test]
    fn a_service_that_stops_needing_nodes_is_mapped_alone() {
        let f = fixture();
        f.mapper.primary_decoded(
            key("svc"),
            ObjectInfo::default(),
            node_port("svc", "svc.example.com"),
        );
        f.mapper.primary_decoded(
            key("svc"),
            ObjectInfo::default(),
            load_balancer("svc", "svc.example.com"),
        );
        assert_eq!(f.mapper.waiting_primaries(), 0);
        assert_eq!(a_targets(&f.state, "svc.example.com"), ["198.51.100.1"]);
        assert!(f.state.desired().held_resources.is_empty());
    }

    fn dynamic(value: serde_json::Value) -> DynamicObject {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_primary_that_does_not_decode_is_a_problem_on_itself() {
        let f = fixture();
        let broken = dynamic(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": "bad", "namespace": "default" },
            "spec": { "ports": "eighty" }
        }));
        f.mapper
            .primary_applied(key("bad"), ObjectInfo::default(), &broken);
        let problems = f.state.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].reason, "undecodable-object");
        assert_eq!(problems[0].field, "spec.ports");
        assert!(f.started.lock().unwrap().is_empty());
    }

    #[test]
    fn watched_dependencies_are_reduced_on_arrival() {
        let f = fixture();
        let svc = node_port("np", "np.example.com");
        f.mapper
            .primary_decoded(key("np"), ObjectInfo::default(), svc);
        let node = |ip: &str| {
            dynamic(json!({
                "apiVersion": "v1", "kind": "Node",
                "metadata": { "name": "n1" },
                "status": { "addresses": [{ "type": "ExternalIP", "address": ip }] }
            }))
        };
        let id = (String::new(), "n1".to_string());
        f.mapper
            .dependency_applied(ServiceDependency::Nodes, id.clone(), &node("203.0.113.9"));
        f.mapper
            .dependency_relisted(ServiceDependency::Nodes, &[id.clone()].into());
        assert_eq!(a_targets(&f.state, "np.example.com"), ["203.0.113.9"]);
        // A node that does not decode is left out, as if it did not exist.
        let broken = dynamic(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": { "name": "n1" },
            "status": { "addresses": "none" }
        }));
        f.mapper
            .dependency_applied(ServiceDependency::Nodes, id, &broken);
        assert!(a_targets(&f.state, "np.example.com").is_empty());
    }
}
