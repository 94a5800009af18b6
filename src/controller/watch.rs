//! Watching the sources: kube-rs watchers whose events go through the pure
//! source functions straight into [`State`]; no object is kept.
//!
//! Nodes, pods and EndpointSlices are watched only for Services that need them
//! (see `cluster`). Initial lists are paged (500 per page). A watch error is logged and retried
//! with kube's default backoff; a re-list resets the kind so that objects deleted
//! while disconnected disappear. A DNSEndpoint that does not deserialise is a
//! problem on that object, never the end of the stream.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource, ResourceExt};
use tokio::sync::watch;

use super::cluster::{ClusterKind, ServiceMapper, StartWatch};
use super::desired::{ObjectInfo, ObjectKey, State};
use crate::crd::DNSEndpoint;
use crate::problem::{Consequence, ObjectRef, Problem};
use crate::source::service::{NodeAddresses, PodFacts, SliceFacts};
use crate::source::{self, SourceConfig, SourceKind, SourceOutput};
use crate::telemetry::metrics::{ControllerMetrics, SourceLabels};

/// Objects per page in initial lists: bounded memory however large the cluster.
pub const PAGE_SIZE: u32 = 500;

/// Where to watch.
#[derive(Clone, Debug)]
pub struct WatchScope {
    /// `--namespace`; `None` watches every namespace.
    pub namespace: Option<String>,
    /// `--label-filter`, sent to the API server as a label selector.
    pub label_selector: Option<String>,
    /// `--crd-source-apiversion` and `--crd-source-kind`.
    pub crd_api_version: String,
    pub crd_kind: String,
}

/// Tells when a watcher has listed everything once.
pub type Synced = watch::Sender<bool>;

fn api<K>(client: &Client, namespace: &Option<String>) -> Api<K>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope>,
    <K as Resource>::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

fn config(scope: &WatchScope) -> watcher::Config {
    let mut config = watcher::Config::default().page_size(PAGE_SIZE);
    if let Some(selector) = scope.label_selector.as_deref().filter(|s| !s.is_empty()) {
        config = config.labels(selector);
    }
    config
}

fn info_of<K: ResourceExt>(object: &K, observed: Option<i64>) -> ObjectInfo {
    ObjectInfo {
        uid: object.uid(),
        generation: object.meta().generation,
        observed_generation: observed,
    }
}

fn key_of<K: ResourceExt>(kind: SourceKind, object: &K) -> ObjectKey {
    ObjectKey {
        kind,
        namespace: object.namespace().unwrap_or_default(),
        name: object.name_any(),
    }
}

/// Where one watch stream's events go.
trait Sink<K> {
    /// How objects of the stream are told apart across a re-list.
    type Key: Ord;
    fn key(&self, object: &K) -> Self::Key;
    /// An object was listed, added or changed.
    fn apply(&self, object: &K);
    /// An object was deleted.
    fn delete(&self, object: &K);
    /// A (re-)list is complete and returned exactly `listed`.
    fn relisted(&self, listed: &BTreeSet<Self::Key>);
}

/// Feeds one watch stream into `sink` until it ends. `name` names the stream
/// in logs and in the watch-restart metric.
async fn feed<K, S>(
    stream: S,
    name: &str,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
    sink: impl Sink<K>,
) where
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut relisted = None;
    let mut listed = 0usize;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => {
                relisted = Some(BTreeSet::new());
                listed = 0;
            }
            Ok(Event::InitApply(object)) => {
                sink.apply(&object);
                if let Some(seen) = relisted.as_mut() {
                    seen.insert(sink.key(&object));
                }
                listed += 1;
                if listed.is_multiple_of(5_000) {
                    tracing::info!(source = name, listed, "initial list in progress");
                }
            }
            Ok(Event::InitDone) => {
                if let Some(seen) = relisted.take() {
                    sink.relisted(&seen);
                }
                tracing::info!(source = name, objects = listed, "listed");
                synced.send_replace(true);
            }
            Ok(Event::Apply(object)) => sink.apply(&object),
            Ok(Event::Delete(object)) => sink.delete(&object),
            Err(error) => {
                // Retried with backoff by the stream; what was known stays.
                tracing::warn!(source = name, %error, "watch failed; retrying");
                metrics
                    .watch_restarts
                    .get_or_create(&SourceLabels {
                        source: name.to_string(),
                    })
                    .inc();
            }
        }
    }
}

/// A source kind mapped object by object into the state (Ingress, DNSEndpoint).
struct SourceSink<M, O> {
    kind: SourceKind,
    state: Arc<State>,
    map: M,
    observed: O,
}

impl<K, M, O> Sink<K> for SourceSink<M, O>
where
    K: ResourceExt,
    M: Fn(&K) -> SourceOutput,
    O: Fn(&K) -> Option<i64>,
{
    type Key = ObjectKey;

    fn key(&self, object: &K) -> ObjectKey {
        key_of(self.kind, object)
    }

    fn apply(&self, object: &K) {
        let info = info_of(object, (self.observed)(object));
        self.state.apply(self.key(object), info, (self.map)(object));
    }

    fn delete(&self, object: &K) {
        self.state.delete(&self.key(object));
    }

    fn relisted(&self, listed: &BTreeSet<ObjectKey>) {
        self.state.reset(self.kind, listed);
    }
}

/// Services go through the [`ServiceMapper`], which knows the cluster data.
struct ServiceSink(Arc<ServiceMapper>);

impl Sink<Service> for ServiceSink {
    type Key = ObjectKey;

    fn key(&self, service: &Service) -> ObjectKey {
        key_of(SourceKind::Service, service)
    }

    fn apply(&self, service: &Service) {
        self.0
            .service_applied(self.key(service), info_of(service, None), service);
    }

    fn delete(&self, service: &Service) {
        self.0.service_deleted(&self.key(service));
    }

    fn relisted(&self, listed: &BTreeSet<ObjectKey>) {
        self.0.services_relisted(listed);
    }
}

/// Nodes, pods or EndpointSlices, reduced on arrival.
struct ClusterSink {
    kind: ClusterKind,
    mapper: Arc<ServiceMapper>,
    cfg: Arc<SourceConfig>,
}

impl ClusterSink {
    fn id<K: ResourceExt>(object: &K) -> (String, String) {
        (object.namespace().unwrap_or_default(), object.name_any())
    }
}

impl Sink<Node> for ClusterSink {
    type Key = (String, String);
    fn key(&self, node: &Node) -> (String, String) {
        Self::id(node)
    }
    fn apply(&self, node: &Node) {
        self.mapper.node_applied(NodeAddresses::from_node(node));
    }
    fn delete(&self, node: &Node) {
        self.mapper.node_deleted(&node.name_any());
    }
    fn relisted(&self, listed: &BTreeSet<(String, String)>) {
        self.mapper.cluster_relisted(self.kind, listed);
    }
}

impl Sink<Pod> for ClusterSink {
    type Key = (String, String);
    fn key(&self, pod: &Pod) -> (String, String) {
        Self::id(pod)
    }
    fn apply(&self, pod: &Pod) {
        self.mapper.pod_applied(PodFacts::from_pod(pod, &self.cfg));
    }
    fn delete(&self, pod: &Pod) {
        let (namespace, name) = Self::id(pod);
        self.mapper.pod_deleted(&namespace, &name);
    }
    fn relisted(&self, listed: &BTreeSet<(String, String)>) {
        self.mapper.cluster_relisted(self.kind, listed);
    }
}

impl Sink<EndpointSlice> for ClusterSink {
    type Key = (String, String);
    fn key(&self, slice: &EndpointSlice) -> (String, String) {
        Self::id(slice)
    }
    fn apply(&self, slice: &EndpointSlice) {
        let (namespace, name) = Self::id(slice);
        self.mapper
            .slice_applied(&namespace, &name, SliceFacts::from_slice(slice));
    }
    fn delete(&self, slice: &EndpointSlice) {
        let (namespace, name) = Self::id(slice);
        self.mapper.slice_deleted(&namespace, &name);
    }
    fn relisted(&self, listed: &BTreeSet<(String, String)>) {
        self.mapper.cluster_relisted(self.kind, listed);
    }
}

/// Watches Ingresses.
pub async fn ingresses(
    client: Client,
    scope: WatchScope,
    cfg: Arc<SourceConfig>,
    state: Arc<State>,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
) {
    let stream = watcher::watcher(api::<Ingress>(&client, &scope.namespace), config(&scope))
        .default_backoff();
    let sink = SourceSink {
        kind: SourceKind::Ingress,
        state,
        map: |ingress: &Ingress| source::ingress::endpoints(ingress, &cfg),
        observed: |_: &Ingress| None,
    };
    feed(stream, "ingress", synced, metrics, sink).await
}

/// Watches Services. The first Service that needs nodes, pods or
/// EndpointSlices starts their watchers (see [`ServiceMapper`]).
pub async fn services(
    client: Client,
    scope: WatchScope,
    cfg: Arc<SourceConfig>,
    state: Arc<State>,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
) {
    // The hook that starts a cluster-data watcher feeds the mapper that calls it.
    let mapper = Arc::new_cyclic(|mapper: &Weak<ServiceMapper>| {
        let mapper = mapper.clone();
        let (client, namespace, source_cfg, metrics) = (
            client.clone(),
            scope.namespace.clone(),
            cfg.clone(),
            metrics.clone(),
        );
        let start: StartWatch = Box::new(move |kind| {
            let Some(mapper) = mapper.upgrade() else {
                return;
            };
            let sink = ClusterSink {
                kind,
                mapper,
                cfg: source_cfg.clone(),
            };
            let task = cluster_data(client.clone(), namespace.clone(), sink, metrics.clone());
            tokio::spawn(task);
        });
        ServiceMapper::new(state, cfg.clone(), start)
    });
    let stream = watcher::watcher(api::<Service>(&client, &scope.namespace), config(&scope))
        .default_backoff();
    feed(stream, "service", synced, metrics, ServiceSink(mapper)).await
}

/// Watches one kind of cluster data for the Services that need it: every
/// node, and the pods or EndpointSlices of `--namespace` (or all). Its lists
/// are paged like the sources'; `--label-filter` does not apply (it selects
/// sources, not the pods behind them).
async fn cluster_data(
    client: Client,
    namespace: Option<String>,
    sink: ClusterSink,
    metrics: Arc<ControllerMetrics>,
) {
    let config = watcher::Config::default().page_size(PAGE_SIZE);
    // Nobody waits on these: Services are held until their data is listed.
    let (synced, _) = watch::channel(false);
    let name = sink.kind.as_str();
    match sink.kind {
        ClusterKind::Nodes => {
            let stream = watcher::watcher(Api::<Node>::all(client), config).default_backoff();
            feed(stream, name, synced, metrics, sink).await
        }
        ClusterKind::Pods => {
            let stream =
                watcher::watcher(api::<Pod>(&client, &namespace), config).default_backoff();
            feed(stream, name, synced, metrics, sink).await
        }
        ClusterKind::EndpointSlices => {
            let stream = watcher::watcher(api::<EndpointSlice>(&client, &namespace), config)
                .default_backoff();
            feed(stream, name, synced, metrics, sink).await
        }
    }
}

/// Watches DNSEndpoints (or the kind `--crd-source-*` names), as dynamic
/// objects so that one that does not deserialise becomes a problem on itself.
pub async fn dns_endpoints(
    client: Client,
    scope: WatchScope,
    cfg: Arc<SourceConfig>,
    state: Arc<State>,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
) {
    let (group, version) = match scope.crd_api_version.split_once('/') {
        Some((group, version)) => (group.to_string(), version.to_string()),
        None => (String::new(), scope.crd_api_version.clone()),
    };
    let gvk = GroupVersionKind::gvk(&group, &version, &scope.crd_kind);
    let resource = ApiResource::from_gvk(&gvk);
    let api: Api<DynamicObject> = match &scope.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let stream = watcher::watcher(api, config(&scope)).default_backoff();
    let sink = SourceSink {
        kind: SourceKind::Crd,
        state,
        map: |object: &DynamicObject| dns_endpoint_output(object, &cfg),
        observed: |object: &DynamicObject| {
            object
                .data
                .pointer("/status/observedGeneration")
                .and_then(|g| g.as_i64())
        },
    };
    feed(stream, "crd", synced, metrics, sink).await
}

/// Maps a dynamic DNSEndpoint through the DNSEndpoint source.
pub fn dns_endpoint_output(object: &DynamicObject, cfg: &SourceConfig) -> SourceOutput {
    let value = match serde_json::to_value(object) {
        Ok(value) => value,
        Err(error) => return undecodable(object, "", &error.to_string()),
    };
    match serde_path_to_error::deserialize::<_, DNSEndpoint>(value) {
        Ok(endpoint) => source::dnsendpoint::endpoints(&endpoint, cfg),
        Err(error) => undecodable(
            object,
            &error.path().to_string(),
            &error.inner().to_string(),
        ),
    }
}

fn undecodable(object: &DynamicObject, field: &str, message: &str) -> SourceOutput {
    let reference = ObjectRef::new(
        "DNSEndpoint",
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    );
    SourceOutput {
        endpoints: Vec::new(),
        problems: vec![Problem::new(
            &reference,
            field,
            "",
            Consequence::Skipped,
            "undecodable-object",
            format!("the object does not match the DNSEndpoint schema: {message}"),
        )],
    }
}
