//! Watching the sources: kube-rs watchers whose events go through the pure
//! source functions straight into [`State`]; no object is kept.
//!
//! Initial lists are paged (500 per page). A watch error is logged and retried
//! with kube's default backoff; a re-list resets the kind so that objects deleted
//! while disconnected disappear. A DNSEndpoint that does not deserialise is a
//! problem on that object, never the end of the stream.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Resource, ResourceExt};
use tokio::sync::watch;

use super::desired::{ObjectInfo, ObjectKey, State};
use crate::crd::DNSEndpoint;
use crate::problem::{Consequence, ObjectRef, Problem};
use crate::source::service::ServiceInputs;
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

/// Feeds one watch stream into the state until it ends.
async fn feed<K, S>(
    stream: S,
    kind: SourceKind,
    state: Arc<State>,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
    map: impl Fn(&K) -> SourceOutput,
    observed: impl Fn(&K) -> Option<i64>,
) where
    K: ResourceExt + Clone,
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut relisted: Option<BTreeSet<ObjectKey>> = None;
    let mut listed = 0usize;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => {
                relisted = Some(BTreeSet::new());
                listed = 0;
            }
            Ok(Event::InitApply(object)) => {
                let key = key_of(kind, &object);
                state.apply(
                    key.clone(),
                    info_of(&object, observed(&object)),
                    map(&object),
                );
                if let Some(seen) = relisted.as_mut() {
                    seen.insert(key);
                }
                listed += 1;
                if listed.is_multiple_of(5_000) {
                    tracing::info!(source = %kind, listed, "initial list in progress");
                }
            }
            Ok(Event::InitDone) => {
                if let Some(seen) = relisted.take() {
                    state.reset(kind, &seen);
                }
                tracing::info!(source = %kind, objects = listed, "listed");
                synced.send_replace(true);
            }
            Ok(Event::Apply(object)) => state.apply(
                key_of(kind, &object),
                info_of(&object, observed(&object)),
                map(&object),
            ),
            Ok(Event::Delete(object)) => state.delete(&key_of(kind, &object)),
            Err(error) => {
                // Retried with backoff by the stream; the state keeps what it had.
                tracing::warn!(source = %kind, %error, "watch failed; retrying");
                metrics
                    .watch_restarts
                    .get_or_create(&SourceLabels {
                        source: kind.to_string(),
                    })
                    .inc();
            }
        }
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
    feed(
        stream,
        SourceKind::Ingress,
        state,
        synced,
        metrics,
        |ingress: &Ingress| source::ingress::endpoints(ingress, &cfg),
        |_| None,
    )
    .await
}

/// Watches Services. Node, Pod and EndpointSlice data for NodePort and headless
/// Services is not watched yet: those Services publish nothing they need it for.
pub async fn services(
    client: Client,
    scope: WatchScope,
    cfg: Arc<SourceConfig>,
    state: Arc<State>,
    synced: Synced,
    metrics: Arc<ControllerMetrics>,
) {
    let stream = watcher::watcher(api::<Service>(&client, &scope.namespace), config(&scope))
        .default_backoff();
    let inputs = ServiceInputs::default();
    feed(
        stream,
        SourceKind::Service,
        state,
        synced,
        metrics,
        move |service: &Service| source::service::endpoints(service, &inputs, &cfg),
        |_| None,
    )
    .await
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
    feed(
        stream,
        SourceKind::Crd,
        state,
        synced,
        metrics,
        |object: &DynamicObject| dns_endpoint_output(object, &cfg),
        |object: &DynamicObject| {
            object
                .data
                .pointer("/status/observedGeneration")
                .and_then(|g| g.as_i64())
        },
    )
    .await
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
