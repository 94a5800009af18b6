//! A Kubernetes API server for tests: in-process, over plain HTTP on
//! `127.0.0.1`, speaking the API protocol for the kinds flaredns's controller
//! uses (Service, Pod, Node, Namespace, Ingress, EndpointSlice, DNSEndpoint,
//! `events.k8s.io` Event, Lease), so that tests run the real `kube::Client`,
//! watchers and lease manager against it.
//!
//! What it does, as a real API server does it:
//! - paths `/api/v1/…` and `/apis/<group>/<version>/…`, cluster-wide and
//!   `namespaces/<ns>/` collections, and discovery (`/version`, `/api`,
//!   `/apis`, group versions);
//! - objects as JSON with one global `resourceVersion` counter, `uid`,
//!   `generation` (bumped on changes outside `metadata` and, for types with a
//!   status subresource, `status`), `creationTimestamp`; writes that change
//!   nothing keep the version and send no event;
//! - GET, LIST with `limit`/`continue` from a consistent snapshot,
//!   `labelSelector` (equality, set-based, existence) and `fieldSelector`;
//! - WATCH with `resourceVersion`, `allowWatchBookmarks`, `timeoutSeconds`,
//!   `sendInitialEvents` (ending with the `k8s.io/initial-events-end`
//!   bookmark), selectors (objects leaving or entering a selector arrive as
//!   `DELETED`/`ADDED`), a bounded history and an `ERROR` event with a 410
//!   `Expired` status for a version older than the history;
//! - POST (409 `AlreadyExists`, `generateName`), PUT with `resourceVersion`
//!   and `uid` preconditions (409 `Conflict`), PATCH (JSON patch, merge
//!   patch, strategic merge patch, server-side apply, which creates missing
//!   objects), DELETE with `DeleteOptions` preconditions;
//! - the `status` subresource: main-resource writes keep the stored status,
//!   `/status` writes change only status;
//! - errors as `Status` objects with the real `code` and `reason`.
//!
//! What it leaves out: authentication and RBAC (every request is allowed);
//! admission (no webhooks, no mutation); defaulting; validation against the
//! OpenAPI schemas (only names, `apiVersion`/`kind` and namespaces are
//! checked); field managers' ownership tracking (`managedFields` is never
//! stored, server-side apply is a merge that never conflicts and never
//! removes fields, `force` changes nothing); strategic merge's list merge
//! keys and directives (a strategic merge patch is applied as a merge patch);
//! finalizers, graceful deletion and garbage collection (a delete is
//! immediate); namespace lifecycle (any namespace may be written to);
//! `deletecollection`; reads at an older `resourceVersion` (LIST always
//! serves the latest state, whatever `resourceVersion`/`resourceVersionMatch`
//! say); `dryRun` and `fieldValidation`; Table, protobuf and metadata-only
//! encodings (a metadata-only request gets whole objects); event expiry.
//!
//! The handle, [`KubeApi`], adds what tests need: writing and reading objects
//! directly, failing requests, cutting watches, expiring the history, delays,
//! and a log of every request.

mod discovery;
mod error;
mod faults;
mod kinds;
mod log;
mod patch;
mod path;
mod selector;
mod server;
mod store;
mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::events::v1::Event;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::ApiError;
pub use kinds::{KINDS, Kind};
pub use log::{RequestRecord, Verb};
pub use server::KubeApiConfig;

use server::{Shared, lock};
use store::{Key, WriteScope};

/// Why a handle call failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The store refused the operation, as the API would.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The object did not convert to or from JSON.
    #[error("cannot convert the object to or from JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The object's `apiVersion`/`kind` (or the Rust type) is not served.
    #[error("the fake API server does not serve {0}")]
    UnknownKind(String),
    /// The object has no `metadata.name`.
    #[error("the object has no metadata.name")]
    NoName,
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
}

/// A running fake API server and the test's handle on it. Dropping it stops
/// the server.
#[derive(Debug)]
pub struct KubeApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for KubeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl KubeApi {
    /// Starts a server with the default settings.
    pub async fn start() -> Result<Self, HandleError> {
        Self::start_with(KubeApiConfig::default()).await
    }

    /// Starts a server on a free port of `127.0.0.1`.
    pub async fn start_with(config: KubeApiConfig) -> Result<Self, HandleError> {
        install_crypto_provider();
        let shared = Arc::new(Shared::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = server::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            // The server only stops when the handle aborts it.
            let _ = axum::serve(listener, app).await;
        });
        Ok(KubeApi {
            shared,
            addr,
            server,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A real kube client for this server: plain HTTP, no credentials,
    /// `default` as its default namespace.
    pub fn client(&self) -> kube::Client {
        install_crypto_provider();
        let uri = self
            .url()
            .parse()
            .expect("a socket address makes a valid URI");
        kube::Client::try_from(kube::Config::new(uri))
            .expect("a client for a plain-HTTP URL builds without TLS or credentials")
    }

    // ---- objects -------------------------------------------------------

    /// Creates an object of any served kind, status included (as a
    /// controller elsewhere would have written it). The kind comes from the
    /// object's `apiVersion`/`kind`; the namespace from `metadata.namespace`
    /// (`default` when missing). Any `resourceVersion` in it is ignored.
    pub fn create<T: Serialize>(&self, object: &T) -> Result<Value, HandleError> {
        let (kind, mut value) = typed_value(object)?;
        let namespace = namespace_of(&value);
        strip_resource_version(&mut value);
        let created = self
            .shared
            .write(|store| store.create(kind, &namespace, value, WriteScope::Everything))?;
        Ok((*created).clone())
    }

    /// Replaces an existing object, status included, without a
    /// `resourceVersion` precondition.
    pub fn replace<T: Serialize>(&self, object: &T) -> Result<Value, HandleError> {
        let (kind, mut value) = typed_value(object)?;
        let key = key_of(kind, &value)?;
        strip_resource_version(&mut value);
        let updated = self
            .shared
            .write(|store| store.update(&key, value, WriteScope::Everything))?;
        Ok((*updated).clone())
    }

    /// Creates the object, or replaces it when it exists.
    pub fn upsert<T: Serialize>(&self, object: &T) -> Result<Value, HandleError> {
        match self.create(object) {
            Err(HandleError::Api(ApiError::AlreadyExists { .. })) => self.replace(object),
            other => other,
        }
    }

    /// Deletes the object named by `object`'s kind, namespace and name.
    pub fn delete<T: Serialize>(&self, object: &T) -> Result<Value, HandleError> {
        let (kind, value) = typed_value(object)?;
        let key = key_of(kind, &value)?;
        let deleted = self.shared.write(|store| store.delete(&key, None, None))?;
        Ok((*deleted).clone())
    }

    /// Deletes an object by type and name (`namespace` is ignored for
    /// cluster-scoped kinds), e.g. `delete_named::<Service>(Some("ns"), "x")`.
    pub fn delete_named<K>(&self, namespace: Option<&str>, name: &str) -> Result<Value, HandleError>
    where
        K: kube::Resource<DynamicType = ()>,
    {
        let key = stored_key(index_of::<K>()?, namespace, name);
        let deleted = self.shared.write(|store| store.delete(&key, None, None))?;
        Ok((*deleted).clone())
    }

    /// One object as JSON (`namespace` is ignored for cluster-scoped kinds).
    pub fn get_value(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, HandleError> {
        let index = kind_index(kinds::by_type(api_version, kind))
            .ok_or_else(|| HandleError::UnknownKind(format!("{api_version} {kind}")))?;
        let key = stored_key(index, namespace, name);
        Ok((*lock(&self.shared.store).get(&key)?).clone())
    }

    /// One object as its Rust type, e.g. `get::<DNSEndpoint>(Some("ns"), "x")`.
    pub fn get<K>(&self, namespace: Option<&str>, name: &str) -> Result<K, HandleError>
    where
        K: kube::Resource<DynamicType = ()> + DeserializeOwned,
    {
        let index = index_of::<K>()?;
        let object = lock(&self.shared.store).get(&stored_key(index, namespace, name))?;
        Ok(K::deserialize(&*object)?)
    }

    /// Every object of a type, in one namespace or all, ordered by
    /// namespace and name.
    pub fn list<K>(&self, namespace: Option<&str>) -> Result<Vec<K>, HandleError>
    where
        K: kube::Resource<DynamicType = ()> + DeserializeOwned,
    {
        let index = index_of::<K>()?;
        let objects = lock(&self.shared.store).select(index, namespace, &Default::default());
        objects
            .iter()
            .map(|o| K::deserialize(&**o).map_err(HandleError::from))
            .collect()
    }

    /// Every `events.k8s.io/v1` Event, in all namespaces.
    pub fn events(&self) -> Result<Vec<Event>, HandleError> {
        self.list::<Event>(None)
    }

    /// One Lease.
    pub fn lease(&self, namespace: &str, name: &str) -> Result<Lease, HandleError> {
        self.get::<Lease>(Some(namespace), name)
    }

    /// The latest resource version.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.store).resource_version()
    }

    // ---- faults --------------------------------------------------------

    /// Answers 500 `InternalError` to the next `count` requests of any kind.
    pub fn fail_next(&self, count: usize) {
        lock(&self.shared.faults).fail_next(count, None);
    }

    /// Answers 500 to the next `count` requests on one resource (a plural,
    /// e.g. `"ingresses"`).
    pub fn fail_next_for(&self, count: usize, resource: &str) {
        lock(&self.shared.faults).fail_next(count, Some(resource));
    }

    /// Failures armed and not yet used.
    pub fn pending_failures(&self) -> usize {
        lock(&self.shared.faults).pending()
    }

    /// Delays every answer by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.faults).set_latency(latency);
    }

    /// Ends every open watch stream cleanly, as an API server restart or a
    /// load balancer would; clients resume from their last version.
    pub fn cut_watches(&self) {
        self.shared.cuts.send_modify(|n| *n += 1);
    }

    /// Forgets the watch history and moves the resource version on, so that
    /// every version a client holds is too old: a resumed watch gets an
    /// `ERROR` event with 410 `Expired` and must re-list. Open watches find
    /// out at the next write, bookmark or cut, whichever comes first.
    pub fn expire_history(&self) {
        lock(&self.shared.store).compact();
    }

    /// Makes every open watch that allows bookmarks send one now.
    pub fn send_bookmarks(&self) {
        self.shared.bookmarks.send_modify(|n| *n += 1);
    }

    /// How many watch streams are open.
    pub fn open_watches(&self) -> usize {
        *self.shared.open_watches.borrow()
    }

    /// Waits until at least `count` watch streams are open; tests bound it
    /// with `tokio::time::timeout`.
    pub async fn wait_for_open_watches(&self, count: usize) {
        let mut open = self.shared.open_watches.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we wait.
        let _ = open.wait_for(|n| *n >= count).await;
    }

    // ---- request log -----------------------------------------------------

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    /// How many requests were `verb` on `resource` (a plural).
    pub fn count(&self, verb: Verb, resource: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.is(verb, resource))
            .count()
    }

    /// How many requests wrote (create, update, patch, delete), on any
    /// resource, whatever their answer.
    pub fn writes(&self) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.verb.is_write())
            .count()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }
}

/// Picks rustls's ring back end for the process. Two back ends are linked
/// (kube's ring, reqwest's default), so rustls cannot choose one itself and
/// any client (kube's, or a test's reqwest) would panic on building its TLS
/// configuration, even for plain HTTP. The first install wins; later calls
/// find a provider present, which is fine.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The served type and JSON of an object.
fn typed_value<T: Serialize>(object: &T) -> Result<(usize, Value), HandleError> {
    let value = serde_json::to_value(object)?;
    let api_version = value["apiVersion"].as_str().unwrap_or_default();
    let kind = value["kind"].as_str().unwrap_or_default();
    let index = kind_index(kinds::by_type(api_version, kind))
        .ok_or_else(|| HandleError::UnknownKind(format!("{api_version} {kind}")))?;
    Ok((index, value))
}

fn index_of<K: kube::Resource<DynamicType = ()>>() -> Result<usize, HandleError> {
    kind_index(kinds::of::<K>())
        .ok_or_else(|| HandleError::UnknownKind(format!("{}/{}", K::group(&()), K::plural(&()))))
}

fn kind_index(kind: Option<&'static Kind>) -> Option<usize> {
    kinds::index(kind?)
}

fn namespace_of(value: &Value) -> String {
    value["metadata"]["namespace"]
        .as_str()
        .filter(|ns| !ns.is_empty())
        .unwrap_or("default")
        .to_owned()
}

fn key_of(kind: usize, value: &Value) -> Result<Key, HandleError> {
    let name = value["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or(HandleError::NoName)?;
    let namespace = namespace_of(value);
    Ok(stored_key(kind, Some(&namespace), name))
}

/// The store key; the namespace is dropped for cluster-scoped types.
fn stored_key(kind: usize, namespace: Option<&str>, name: &str) -> Key {
    let namespace = if KINDS[kind].namespaced {
        namespace.unwrap_or("default").to_owned()
    } else {
        String::new()
    };
    Key {
        kind,
        namespace,
        name: name.to_owned(),
    }
}

fn strip_resource_version(value: &mut Value) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
}
