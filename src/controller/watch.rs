//! Watching the sources: kube-rs watchers whose events go through the pure
//! source functions straight into [`State`]; no object is kept.
//!
//! Every kind is watched the way its entry in [`kinds::SOURCES`] says: alone,
//! or joined with the dependency types it reads (see [`super::join`]), whose
//! watches start only once a primary needs them. Objects are watched as JSON
//! and decoded by the source, so one that does not match its schema is a
//! problem on that object, never the end of the stream. Initial lists are paged
//! (500 per page). A watch error is logged and retried with kube's default
//! backoff; a re-list resets the kind so that objects deleted while
//! disconnected disappear.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use futures::{Stream, StreamExt};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;

use super::desired::{ObjectInfo, ObjectKey, State};
use super::join::{JoinMapper, StartWatch};
use crate::source::join::{FactId, Join};
use crate::source::kinds::{JoinKind, ObjectType, SourceDef, Watch};
use crate::source::service::ServiceJoin;
use crate::source::{SourceConfig, SourceKind, SourceOutput};
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

/// What every watch needs.
#[derive(Clone)]
pub struct WatchContext {
    pub client: Client,
    pub scope: WatchScope,
    pub cfg: Arc<SourceConfig>,
    pub state: Arc<State>,
    pub metrics: Arc<ControllerMetrics>,
}

/// Starts watching one source kind, as its entry says; `synced` tells when
/// it has listed everything once.
pub fn start(def: &'static SourceDef, ctx: &WatchContext, synced: Synced) {
    let ctx = ctx.clone();
    match def.watch {
        Watch::Alone(map) => {
            tokio::spawn(alone(def, ctx, map, synced));
        }
        Watch::Joined(JoinKind::Service) => {
            let join = ServiceJoin::new(ctx.cfg.clone());
            tokio::spawn(joined(def, ctx, join, synced));
        }
    }
}

/// The API of one object type, dynamically typed: in `namespace` (or every
/// namespace) for namespaced types.
fn dynamic_api(
    client: &Client,
    namespace: &Option<String>,
    resource: &ApiResource,
    namespaced: bool,
) -> Api<DynamicObject> {
    match namespace {
        Some(ns) if namespaced => Api::namespaced_with(client.clone(), ns, resource),
        _ => Api::all_with(client.clone(), resource),
    }
}

/// The API resource of a type flaredns knows.
fn api_resource(object_type: &ObjectType) -> ApiResource {
    let (group, version) = object_type
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", object_type.api_version));
    let gvk = GroupVersionKind::gvk(group, version, object_type.kind);
    ApiResource::from_gvk_with_plural(&gvk, object_type.plural)
}

/// The API resource a source watches: its entry's type, except that
/// `--crd-source-apiversion` and `--crd-source-kind` name the DNSEndpoint
/// type to watch.
fn source_resource(def: &SourceDef, scope: &WatchScope) -> ApiResource {
    if def.kind != SourceKind::Crd {
        return api_resource(def.object);
    }
    let (group, version) = match scope.crd_api_version.split_once('/') {
        Some((group, version)) => (group.to_string(), version.to_string()),
        None => (String::new(), scope.crd_api_version.clone()),
    };
    let gvk = GroupVersionKind::gvk(&group, &version, &scope.crd_kind);
    if (scope.crd_api_version.as_str(), scope.crd_kind.as_str())
        == (def.object.api_version, def.object.kind)
    {
        ApiResource::from_gvk_with_plural(&gvk, def.object.plural)
    } else {
        ApiResource::from_gvk(&gvk)
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

/// A source kind mapped object by object into the state.
struct AloneSink<M> {
    kind: SourceKind,
    state: Arc<State>,
    map: M,
}

impl<M> Sink<DynamicObject> for AloneSink<M>
where
    M: Fn(&DynamicObject) -> SourceOutput,
{
    type Key = ObjectKey;

    fn key(&self, object: &DynamicObject) -> ObjectKey {
        key_of(self.kind, object)
    }

    fn apply(&self, object: &DynamicObject) {
        let info = info_of(object, observed_generation(object));
        self.state.apply(self.key(object), info, (self.map)(object));
    }

    fn delete(&self, object: &DynamicObject) {
        self.state.delete(&self.key(object));
    }

    fn relisted(&self, listed: &BTreeSet<ObjectKey>) {
        self.state.reset(self.kind, listed);
    }
}

/// `status.observedGeneration`, for the kinds whose status flaredns writes.
fn observed_generation(object: &DynamicObject) -> Option<i64> {
    object
        .data
        .pointer("/status/observedGeneration")
        .and_then(|g| g.as_i64())
}

/// The primaries of a joined kind go through its [`JoinMapper`].
struct PrimarySink<J: Join>(Arc<JoinMapper<J>>, SourceKind);

impl<J: Join> Sink<DynamicObject> for PrimarySink<J> {
    type Key = ObjectKey;

    fn key(&self, object: &DynamicObject) -> ObjectKey {
        key_of(self.1, object)
    }

    fn apply(&self, object: &DynamicObject) {
        let info = info_of(object, observed_generation(object));
        self.0.primary_applied(self.key(object), info, object);
    }

    fn delete(&self, object: &DynamicObject) {
        self.0.primary_deleted(&self.key(object));
    }

    fn relisted(&self, listed: &BTreeSet<ObjectKey>) {
        self.0.primaries_relisted(listed);
    }
}

/// The objects of one dependency type of a join, reduced on arrival.
struct DependencySink<J: Join> {
    dependency: J::Dependency,
    mapper: Arc<JoinMapper<J>>,
}

fn fact_id(object: &DynamicObject) -> FactId {
    (object.namespace().unwrap_or_default(), object.name_any())
}

impl<J: Join> Sink<DynamicObject> for DependencySink<J> {
    type Key = FactId;

    fn key(&self, object: &DynamicObject) -> FactId {
        fact_id(object)
    }

    fn apply(&self, object: &DynamicObject) {
        self.mapper
            .dependency_applied(self.dependency, fact_id(object), object);
    }

    fn delete(&self, object: &DynamicObject) {
        self.mapper
            .dependency_deleted(self.dependency, fact_id(object));
    }

    fn relisted(&self, listed: &BTreeSet<FactId>) {
        self.mapper.dependency_relisted(self.dependency, listed);
    }
}

/// Watches a kind whose objects are mapped alone.
async fn alone(
    def: &'static SourceDef,
    ctx: WatchContext,
    map: fn(&DynamicObject, &SourceConfig) -> SourceOutput,
    synced: Synced,
) {
    let resource = source_resource(def, &ctx.scope);
    let api = dynamic_api(
        &ctx.client,
        &ctx.scope.namespace,
        &resource,
        def.object.namespaced,
    );
    let stream = watcher::watcher(api, config(&ctx.scope)).default_backoff();
    let cfg = ctx.cfg.clone();
    let sink = AloneSink {
        kind: def.kind,
        state: ctx.state.clone(),
        map: move |object: &DynamicObject| map(object, &cfg),
    };
    feed(stream, def.name, synced, ctx.metrics.clone(), sink).await
}

/// Watches a joined kind. The first primary that needs a dependency type
/// starts that type's watch (see [`JoinMapper`]).
async fn joined<J: Join>(def: &'static SourceDef, ctx: WatchContext, join: J, synced: Synced) {
    // The hook that starts a dependency's watch feeds the mapper that calls it.
    let mapper = Arc::new_cyclic(|mapper: &Weak<JoinMapper<J>>| {
        let mapper = mapper.clone();
        let hook_ctx = ctx.clone();
        let start: StartWatch<J::Dependency> = Box::new(move |dependency| {
            let Some(mapper) = mapper.upgrade() else {
                return;
            };
            let Some(object_type) = mapper
                .join()
                .dependencies()
                .iter()
                .find(|(d, _)| *d == dependency)
                .map(|(_, t)| *t)
            else {
                return;
            };
            let sink = DependencySink { dependency, mapper };
            tokio::spawn(dependency_watch(hook_ctx.clone(), object_type, sink));
        });
        JoinMapper::new(join, def.kind, ctx.state.clone(), start)
    });
    let resource = source_resource(def, &ctx.scope);
    let api = dynamic_api(
        &ctx.client,
        &ctx.scope.namespace,
        &resource,
        def.object.namespaced,
    );
    let stream = watcher::watcher(api, config(&ctx.scope)).default_backoff();
    feed(
        stream,
        def.name,
        synced,
        ctx.metrics.clone(),
        PrimarySink(mapper, def.kind),
    )
    .await
}

/// Watches one dependency type for the primaries that need it: every object
/// of a cluster-wide type, and those of `--namespace` (or all) otherwise. Its
/// lists are paged like the sources'; `--label-filter` does not apply (it
/// selects sources, not the objects behind them).
async fn dependency_watch<J: Join>(
    ctx: WatchContext,
    object_type: &'static ObjectType,
    sink: DependencySink<J>,
) {
    let config = watcher::Config::default().page_size(PAGE_SIZE);
    // Nobody waits on these: primaries are held until their data is listed.
    let (synced, _) = watch::channel(false);
    let resource = api_resource(object_type);
    let api = dynamic_api(
        &ctx.client,
        &ctx.scope.namespace,
        &resource,
        object_type.namespaced,
    );
    let stream = watcher::watcher(api, config).default_backoff();
    let name = object_type.kind.to_ascii_lowercase();
    feed(stream, &name, synced, ctx.metrics.clone(), sink).await
}
