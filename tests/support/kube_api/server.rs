//! The HTTP side: one axum fallback handler that routes every request by its
//! path, applies armed faults, runs the request against the store and logs it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::discovery;
use super::error::ApiError;
use super::faults::Faults;
use super::kinds::KINDS;
use super::log::{RequestRecord, Verb};
use super::patch::{self, PatchType};
use super::path::{self, Route, Target};
use super::selector::Selectors;
use super::store::{Key, Store, WriteScope};
use super::watch::{self as watch_stream, WatchRequest};

/// Settings of a fake API server.
#[derive(Clone, Debug)]
pub struct KubeApiConfig {
    /// How many changes the watch history keeps; a watch from a version
    /// older than the kept history gets 410.
    pub history_capacity: usize,
    /// When set, every open watch that allows bookmarks gets one this often
    /// (a real API server sends them about once a minute).
    pub bookmark_interval: Option<Duration>,
}

impl Default for KubeApiConfig {
    fn default() -> Self {
        KubeApiConfig {
            history_capacity: 10_000,
            bookmark_interval: None,
        }
    }
}

/// The state shared by the handler, the watch streams and the test's handle.
#[derive(Debug)]
pub struct Shared {
    /// Objects and history.
    pub store: Mutex<Store>,
    /// The latest resource version, sent after each write to wake watches.
    pub latest: watch::Sender<u64>,
    /// Bumped to end every open watch stream.
    pub cuts: watch::Sender<u64>,
    /// Bumped to make every open watch send a bookmark.
    pub bookmarks: watch::Sender<u64>,
    /// How many watch streams are open.
    pub open_watches: watch::Sender<usize>,
    /// Armed failures and latency.
    pub faults: Mutex<Faults>,
    /// Every request so far.
    pub log: Mutex<Vec<RequestRecord>>,
    /// The settings.
    pub config: KubeApiConfig,
}

impl Shared {
    /// Fresh state.
    pub fn new(config: KubeApiConfig) -> Self {
        let store = Store::new(config.history_capacity);
        let latest = watch::Sender::new(store.resource_version());
        Shared {
            store: Mutex::new(store),
            latest,
            cuts: watch::Sender::new(0),
            bookmarks: watch::Sender::new(0),
            open_watches: watch::Sender::new(0),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            config,
        }
    }

    /// Runs a write against the store, then wakes the watches.
    pub fn write<T>(
        &self,
        op: impl FnOnce(&mut Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (result, rv) = {
            let mut store = lock(&self.store);
            let result = op(&mut store);
            (result, store.resource_version())
        };
        self.latest.send_replace(rv);
        result
    }
}

/// Locks a mutex, taking the data even if a panicking test poisoned it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The router: everything goes through [`serve`].
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(serve).with_state(shared)
}

/// Handles one request.
async fn serve(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = lock(&shared.faults).latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let route = path::parse(uri.path());
    let verb = classify(&method, route.as_ref(), &query);
    let target = match &route {
        Some(Route::Resource(target)) => Some(target.clone()),
        _ => None,
    };
    let resource = target.as_ref().map(|t| t.kind().plural);
    let injected = lock(&shared.faults).take_failure(resource);
    let request = Request {
        query: &query,
        headers: &headers,
        body: &body,
    };
    let result = if injected {
        Err(ApiError::Internal("injected failure".to_owned()))
    } else {
        match route {
            Some(Route::Resource(target)) => handle(&shared, &target, verb, &request),
            Some(other) if method == Method::GET => {
                Ok(json_response(StatusCode::OK, &discovery::document(&other)))
            }
            Some(_) => Err(ApiError::MethodNotAllowed),
            None => Err(ApiError::UnknownPath),
        }
    };
    let response = result.unwrap_or_else(|error| {
        let code = StatusCode::from_u16(error.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(code, &error.to_status())
    });
    lock(&shared.log).push(RequestRecord {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        status: response.status().as_u16(),
        verb,
        resource: resource.map(str::to_owned),
        subresource: target.and_then(|t| t.subresource),
        content_type: (!body.is_empty())
            .then(|| {
                headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
            })
            .flatten()
            .map(str::to_owned),
    });
    response
}

/// The parts of a request the resource handlers read.
struct Request<'a> {
    query: &'a [(String, String)],
    headers: &'a HeaderMap,
    body: &'a Bytes,
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        param(self.query, name)
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("true" | "1"))
    }

    fn json_body(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(self.body).map_err(|e| {
            ApiError::BadRequest(format!("the body of the request is not valid JSON: {e}"))
        })
    }
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The verb of a request, for the log.
fn classify(method: &Method, route: Option<&Route>, query: &[(String, String)]) -> Verb {
    let target = match route {
        Some(Route::Resource(target)) => target,
        Some(_) if method == Method::GET => return Verb::Discovery,
        _ => return Verb::Unknown,
    };
    match (method.as_str(), target.name.is_some()) {
        ("GET", true) => Verb::Get,
        ("GET", false) if matches!(param(query, "watch"), Some("true" | "1")) => Verb::Watch,
        ("GET", false) => Verb::List,
        ("POST", false) => Verb::Create,
        ("PUT", true) => Verb::Update,
        ("PATCH", true) => Verb::Patch,
        ("DELETE", true) => Verb::Delete,
        _ => Verb::Unknown,
    }
}

/// Runs a resource request.
fn handle(
    shared: &Arc<Shared>,
    target: &Target,
    verb: Verb,
    request: &Request<'_>,
) -> Result<Response, ApiError> {
    let kind = target.kind();
    let scope = match target.subresource.as_deref() {
        None => WriteScope::Main,
        Some("status") if kind.status_subresource => WriteScope::Status,
        Some(_) => return Err(ApiError::UnknownPath),
    };
    if scope == WriteScope::Status && !matches!(verb, Verb::Get | Verb::Update | Verb::Patch) {
        return Err(ApiError::MethodNotAllowed);
    }
    let key = |name: &str| Key {
        kind: target.kind,
        namespace: target.namespace.clone().unwrap_or_default(),
        name: name.to_owned(),
    };
    let name = target.name.as_deref().unwrap_or_default();
    let ok = |object: Arc<Value>| Ok(json_response(StatusCode::OK, &object));
    match verb {
        Verb::Get => ok(lock(&shared.store).get(&key(name))?),
        Verb::List => list(shared, target, request),
        Verb::Watch => {
            let watch = WatchRequest {
                kind: target.kind,
                namespace: target.namespace.clone(),
                selectors: selectors(request)?,
                resource_version: request.param("resourceVersion").map(str::to_owned),
                bookmarks: request.flag("allowWatchBookmarks"),
                send_initial_events: request.flag("sendInitialEvents"),
                timeout: timeout(request)?,
            };
            let body = watch_stream::start(Arc::clone(shared), watch)?;
            Ok(streaming_response(body))
        }
        Verb::Create => {
            if kind.namespaced && target.namespace.is_none() {
                return Err(ApiError::MethodNotAllowed);
            }
            let object = request.json_body()?;
            let namespace = target.namespace.clone().unwrap_or_default();
            let created = shared
                .write(|store| store.create(target.kind, &namespace, object, WriteScope::Main))?;
            Ok(json_response(StatusCode::CREATED, &created))
        }
        Verb::Update => {
            let object = request.json_body()?;
            ok(shared.write(|store| store.update(&key(name), object, scope))?)
        }
        Verb::Patch => {
            let content_type = request
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let patch_type = PatchType::from_content_type(content_type)?;
            if patch_type == PatchType::Apply
                && request.param("fieldManager").is_none_or(str::is_empty)
            {
                return Err(ApiError::Invalid(
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
                        .to_owned(),
                ));
            }
            let key = key(name);
            let (created, object) = shared.write(|store| match store.get(&key) {
                Ok(current) => {
                    let patched = patch::apply(patch_type, &current, request.body)?;
                    Ok((false, store.update(&key, patched, scope)?))
                }
                // Server-side apply creates what does not exist yet.
                Err(ApiError::NotFound { .. })
                    if patch_type == PatchType::Apply && scope == WriteScope::Main =>
                {
                    let mut object = patch::apply(patch_type, &json!({}), request.body)?;
                    object["metadata"]["name"] = json!(name);
                    Ok((
                        true,
                        store.create(target.kind, &key.namespace, object, scope)?,
                    ))
                }
                Err(error) => Err(error),
            })?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &object))
        }
        Verb::Delete => {
            let options = if request.body.is_empty() {
                Value::Null
            } else {
                request.json_body()?
            };
            let preconditions = &options["preconditions"];
            let deleted = shared.write(|store| {
                store.delete(
                    &key(name),
                    preconditions["resourceVersion"].as_str(),
                    preconditions["uid"].as_str(),
                )
            })?;
            ok(deleted)
        }
        Verb::Discovery | Verb::Unknown => Err(ApiError::MethodNotAllowed),
    }
}

/// A LIST: one page, with `continue` and `remainingItemCount` when cut.
/// `resourceVersion` and `resourceVersionMatch` are accepted; the page is
/// always served from the latest state.
fn list(shared: &Shared, target: &Target, request: &Request<'_>) -> Result<Response, ApiError> {
    let kind = &KINDS[target.kind];
    let limit = request
        .param("limit")
        .map(|l| {
            l.parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("invalid limit: {l}")))
        })
        .transpose()?;
    if let Some(rv_match) = request.param("resourceVersionMatch")
        && !matches!(rv_match, "NotOlderThan" | "Exact" | "")
    {
        return Err(ApiError::BadRequest(format!(
            "invalid resourceVersionMatch: {rv_match}"
        )));
    }
    let selectors = selectors(request)?;
    let page = lock(&shared.store).list(
        target.kind,
        target.namespace.as_deref(),
        &selectors,
        limit,
        request.param("continue"),
    )?;
    let mut metadata = json!({ "resourceVersion": page.resource_version.to_string() });
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let items: Vec<&Value> = page.items.iter().map(|o| o.as_ref()).collect();
    let body = json!({
        "apiVersion": kind.api_version(),
        "kind": format!("{}List", kind.kind),
        "metadata": metadata,
        "items": items,
    });
    Ok(json_response(StatusCode::OK, &body))
}

fn selectors(request: &Request<'_>) -> Result<Selectors, ApiError> {
    Selectors::parse(
        request.param("labelSelector"),
        request.param("fieldSelector"),
    )
}

/// `timeoutSeconds`, or the API server's default of 30 to 60 minutes (here: 30).
fn timeout(request: &Request<'_>) -> Result<Duration, ApiError> {
    match request.param("timeoutSeconds") {
        None => Ok(Duration::from_secs(1800)),
        Some(s) => s
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| ApiError::BadRequest(format!("invalid timeoutSeconds: {s}"))),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn streaming_response(body: Body) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
