//! Watch streams: newline-delimited JSON events replayed from the store's
//! history, then followed live until the timeout, a cut or a 410.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::stream;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::{Instant, Interval};

use super::error::ApiError;
use super::kinds::KINDS;
use super::selector::Selectors;
use super::server::{Shared, lock};
use super::store::{Change, ChangeType};

/// Annotation of the bookmark that ends the initial events of a streaming
/// list (`sendInitialEvents=true`).
const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

/// The parameters of one watch request.
#[derive(Clone, Debug)]
pub struct WatchRequest {
    /// Index of the type in [`KINDS`].
    pub kind: usize,
    /// Only this namespace, when given.
    pub namespace: Option<String>,
    /// `labelSelector` and `fieldSelector`.
    pub selectors: Selectors,
    /// `resourceVersion`: where to start.
    pub resource_version: Option<String>,
    /// `allowWatchBookmarks=true`.
    pub bookmarks: bool,
    /// `sendInitialEvents=true`.
    pub send_initial_events: bool,
    /// `timeoutSeconds`: when the server ends the stream.
    pub timeout: Duration,
}

/// Starts a watch: checks the request, queues the initial events and returns
/// the streaming body. A start version older than the history gives a
/// stream whose only event is an `ERROR` carrying a 410 `Status`, as the API
/// server's watch cache answers.
pub fn start(shared: Arc<Shared>, request: WatchRequest) -> Result<Body, ApiError> {
    let start = match request.resource_version.as_deref() {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {rv}")))?,
        ),
    };
    // Subscribe before reading the store, so no write between the two is missed.
    let latest = shared.latest.subscribe();
    let cuts = shared.cuts.subscribe();
    let bookmark_requests = shared.bookmarks.subscribe();
    let mut watcher = Watcher {
        bookmark_interval: shared.config.bookmark_interval.map(|period| {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        }),
        deadline: Instant::now() + request.timeout,
        _open: OpenWatch::new(Arc::clone(&shared)),
        shared,
        request,
        last_seen: 0,
        pending: VecDeque::new(),
        latest,
        cuts,
        bookmark_requests,
        finished: false,
    };
    watcher.begin(start);
    let body = stream::unfold(watcher, |mut watcher| async move {
        let line = watcher.next_line().await?;
        Some((Ok::<Bytes, Infallible>(line), watcher))
    });
    Ok(Body::from_stream(body))
}

/// Counts an open watch for as long as its stream lives.
struct OpenWatch(Arc<Shared>);

impl OpenWatch {
    fn new(shared: Arc<Shared>) -> Self {
        shared.open_watches.send_modify(|n| *n += 1);
        OpenWatch(shared)
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0
            .open_watches
            .send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// One open watch.
struct Watcher {
    shared: Arc<Shared>,
    request: WatchRequest,
    /// The resource version up to which every change has been considered.
    last_seen: u64,
    pending: VecDeque<Bytes>,
    latest: watch::Receiver<u64>,
    cuts: watch::Receiver<u64>,
    bookmark_requests: watch::Receiver<u64>,
    bookmark_interval: Option<Interval>,
    deadline: Instant,
    finished: bool,
    /// Dropped with the stream, however it ends (client gone, cut, timeout).
    _open: OpenWatch,
}

impl Watcher {
    /// Queues what the stream starts with: the current objects (no start
    /// version, or a streaming list), or the changes after the start version.
    fn begin(&mut self, start: Option<u64>) {
        let store = lock(&self.shared.store);
        match start {
            Some(rv) if !self.request.send_initial_events => {
                // A version from the future reads as "now" rather than waiting.
                self.last_seen = rv.min(store.resource_version());
                drop(store);
                self.catch_up();
            }
            _ => {
                let namespace = self.request.namespace.as_deref();
                for object in store.select(self.request.kind, namespace, &self.request.selectors) {
                    self.pending.push_back(event_line("ADDED", &object));
                }
                self.last_seen = store.resource_version();
                drop(store);
                if self.request.send_initial_events && self.request.bookmarks {
                    self.pending.push_back(self.bookmark(true));
                }
            }
        }
    }

    /// The next line to send, waiting for one; `None` ends the stream.
    async fn next_line(&mut self) -> Option<Bytes> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some(line);
            }
            if self.finished {
                return None;
            }
            let interval = self.bookmark_interval.as_mut();
            let tick = async move {
                match interval {
                    Some(interval) => {
                        interval.tick().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                _ = self.cuts.changed() => self.finished = true,
                changed = self.latest.changed() => {
                    if changed.is_err() {
                        self.finished = true;
                    } else {
                        self.catch_up();
                    }
                }
                _ = self.bookmark_requests.changed() => self.send_bookmark(),
                () = tick => self.send_bookmark(),
                () = tokio::time::sleep_until(self.deadline) => {
                    // A real server sends a last bookmark before closing a
                    // watch that reached its timeout.
                    self.send_bookmark();
                    self.finished = true;
                }
            }
        }
    }

    /// Queues a bookmark at the latest version, if the client asked for them.
    fn send_bookmark(&mut self) {
        self.catch_up();
        if self.request.bookmarks && !self.finished {
            self.pending.push_back(self.bookmark(false));
        }
    }

    /// Queues the changes after `last_seen` that this watch sees, or a 410
    /// when the history no longer reaches back to `last_seen`.
    fn catch_up(&mut self) {
        if self.finished {
            return;
        }
        let store = lock(&self.shared.store);
        match store.changes_since(self.last_seen) {
            Ok(changes) => {
                for change in &changes {
                    if let Some(line) = self.event_for(change) {
                        self.pending.push_back(line);
                    }
                }
                self.last_seen = store.resource_version();
            }
            Err(error) => {
                self.pending.push_back(line(
                    &json!({ "type": "ERROR", "object": error.to_status() }),
                ));
                self.finished = true;
            }
        }
    }

    /// The event a change gives on this watch, if any. With selectors, an
    /// object that stops matching is sent as `DELETED` and one that starts
    /// matching as `ADDED`, as the API server does.
    fn event_for(&self, change: &Change) -> Option<Bytes> {
        if change.key.kind != self.request.kind
            || self
                .request
                .namespace
                .as_ref()
                .is_some_and(|ns| *ns != change.key.namespace)
        {
            return None;
        }
        let selectors = &self.request.selectors;
        let now = selectors.matches(&change.object);
        let event = match change.change {
            ChangeType::Added => now.then_some("ADDED"),
            ChangeType::Deleted => now.then_some("DELETED"),
            ChangeType::Modified => {
                let before = change
                    .previous
                    .as_ref()
                    .is_some_and(|p| selectors.matches(p));
                match (before, now) {
                    (true, true) => Some("MODIFIED"),
                    (false, true) => Some("ADDED"),
                    (true, false) => Some("DELETED"),
                    (false, false) => None,
                }
            }
        }?;
        Some(event_line(event, &change.object))
    }

    fn bookmark(&self, initial_events_end: bool) -> Bytes {
        let kind = &KINDS[self.request.kind];
        let mut metadata = json!({ "resourceVersion": self.last_seen.to_string() });
        if initial_events_end {
            metadata["annotations"] = json!({ INITIAL_EVENTS_END: "true" });
        }
        line(&json!({
            "type": "BOOKMARK",
            "object": { "apiVersion": kind.api_version(), "kind": kind.kind, "metadata": metadata },
        }))
    }
}

fn event_line(event: &str, object: &Value) -> Bytes {
    line(&json!({ "type": event, "object": object }))
}

fn line(value: &Value) -> Bytes {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
