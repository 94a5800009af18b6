//! The HTTP side: one handler that takes every request through the same steps
//! (latency, rate limit, injected 429s, authentication, write faults, the
//! endpoint, the call log) and answers with the API's envelope and headers.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use axum::body::{Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::api::{self, Call};
use super::auth::{AuthHeaders, Credentials, Principal};
use super::body::BodyReading;
use super::calls::{CallEntry, CallLog, HistoryEntry};
use super::conn::ConnectionControl;
use super::error::FailedCall;
use super::faults::{Faults, WriteFault};
use super::query::Query;
use super::ratelimit::{RateLimiter, Verdict};
use super::route::{BASE_PATH, Route};
use super::stamp::Clock;
use super::store::Store;

/// The largest request body read. A full paid-plan batch (3,500 records with
/// comments) is well under a megabyte; this leaves room without letting one
/// request take the process's memory.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub use crate::sync::lock;

/// Everything the handler and the handle share.
#[derive(Debug)]
pub struct Shared {
    pub store: Mutex<Store>,
    pub credentials: Mutex<Credentials>,
    pub limiter: Option<Mutex<RateLimiter>>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<CallLog>,
    pub clock: Clock,
    pub keep_history: bool,
    pub reading: BodyReading,
}

/// The answer to one request, before it becomes an HTTP response.
struct Reply {
    status: u16,
    body: Value,
    verdict: Option<Verdict>,
    retry_after: Option<u64>,
    /// Drop the connection instead of answering.
    drop_connection: bool,
}

/// The axum handler for every path and method.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<ConnectionControl>,
    request: Request,
) -> Response {
    let latency = lock(&shared.faults).latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => Ok(body),
        Err(e) => {
            tracing::debug!(error = %e, "cannot read a request body");
            Err(FailedCall::body_invalid())
        }
    };
    // Repeated keys are kept; a query that does not decode is read as empty.
    let query = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| Query(q.0))
        .unwrap_or_default();
    let request = Incoming {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query_string: parts.uri.query().unwrap_or(""),
        query,
        headers: &parts.headers,
        body,
    };
    let reply = shared.process(request);
    let answer_delay = lock(&shared.faults).answer_delay();
    if !answer_delay.is_zero() {
        tokio::time::sleep(answer_delay).await;
    }
    if reply.drop_connection {
        connection.drop_connection();
    }
    shared.response(reply)
}

/// A request as the pipeline sees it.
struct Incoming<'a> {
    method: &'a str,
    path: &'a str,
    query_string: &'a str,
    query: Query,
    headers: &'a HeaderMap,
    body: Result<Bytes, FailedCall>,
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        // A header that is not text is passed on as empty, which no check accepts.
        self.headers.get(name).map(|v| v.to_str().unwrap_or(""))
    }

    fn is_json(&self) -> bool {
        self.header(header::CONTENT_TYPE.as_str())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
    }
}

impl Shared {
    fn process(&self, request: Incoming<'_>) -> Reply {
        let route = Route::of(request.method, request.path);
        let mut entry = CallEntry {
            seq: 0,
            method: request.method.to_string(),
            path: request.path.to_string(),
            query: request.query_string.to_string(),
            kind: route.kind(),
            zone_id: route.zone().map(str::to_string),
            status: None,
            operations: None,
            body: None,
            response: None,
            at: SystemTime::now(),
        };
        let verdict = self
            .limiter
            .as_ref()
            .map(|limiter| lock(limiter).check(Instant::now()));
        let reply =
            |status: u16, body: Value, retry_after: Option<u64>, drop_connection: bool| Reply {
                status,
                body,
                verdict,
                retry_after,
                drop_connection,
            };

        let (principal, fault) = match self.gate(&route, &request, verdict) {
            Ok(passed) => passed,
            Err((error, retry_after)) => {
                entry.status = Some(error.status);
                let body = failure_body(&error);
                if self.keep_history {
                    entry.response = Some(body.clone());
                }
                lock(&self.log).push(entry);
                return reply(error.status, body, retry_after, false);
            }
        };
        let drop_connection = fault == WriteFault::ResetAfterApply;
        let body = match body_for(&route, &request) {
            Ok(body) => body,
            Err(error) => {
                entry.status = (!drop_connection).then_some(error.status);
                let body = failure_body(&error);
                if self.keep_history && !drop_connection {
                    entry.response = Some(body.clone());
                }
                lock(&self.log).push(entry);
                return reply(error.status, body, None, drop_connection);
            }
        };

        if self.keep_history && !body.is_empty() {
            entry.body = serde_json::from_slice(&body).ok();
        }
        let rel_path = request.path.strip_prefix(BASE_PATH).unwrap_or(request.path);
        let mut store = lock(&self.store);
        let outcome = api::answer(
            &mut store,
            &self.clock,
            &principal,
            Call {
                route: &route,
                path: rel_path,
                query: &request.query,
                body: &body,
                reading: self.reading,
            },
        );
        let (status, body) = match outcome.result {
            Ok(body) => (200, body),
            Err(error) => (error.status, failure_body(&error)),
        };
        entry.status = (!drop_connection).then_some(status);
        entry.operations = outcome.operations;
        if self.keep_history && !drop_connection {
            entry.response = Some(body.clone());
        }
        // Logged under the store lock, so that the log's order is the order in
        // which writes were applied and each history entry is exactly the state
        // its call produced.
        let mut log = lock(&self.log);
        let seq = log.push(entry);
        if let Some(zone_id) = outcome.changed_zone
            && self.keep_history
            && let Some(zone) = store.zone(&zone_id)
        {
            log.push_history(HistoryEntry {
                seq,
                zone_id,
                kind: route.kind(),
                records: zone.sorted_records(),
            });
        }
        reply(status, body, None, drop_connection)
    }

    /// The steps before the endpoint: the rate limit, injected 429s,
    /// authentication, and injected write failures. Returns the caller and what
    /// happens to the connection, or the error (with its `Retry-After`).
    fn gate(
        &self,
        route: &Route,
        request: &Incoming<'_>,
        verdict: Option<Verdict>,
    ) -> Result<(Principal, WriteFault), (FailedCall, Option<u64>)> {
        if let Some(verdict) = verdict.filter(|v| !v.allowed) {
            return Err((FailedCall::rate_limited(), verdict.retry_after));
        }
        if let Some(wait) = lock(&self.faults).take_throttle() {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err((FailedCall::rate_limited(), Some(secs.max(1))));
        }
        let headers = AuthHeaders {
            authorization: request.header(header::AUTHORIZATION.as_str()),
            email: request.header("x-auth-email"),
            key: request.header("x-auth-key"),
        };
        let principal = {
            let credentials = lock(&self.credentials);
            if *route == Route::Verify {
                credentials.authenticate_token(headers)
            } else {
                credentials.authenticate(headers)
            }
        }
        .map_err(|e| (e, None))?;
        let fault = if route.kind().is_write() {
            lock(&self.faults).on_write()
        } else {
            WriteFault::None
        };
        if let WriteFault::Fail(status) = fault {
            return Err((FailedCall::server_error(status), None));
        }
        Ok((principal, fault))
    }

    fn response(&self, reply: Reply) -> Response {
        let status =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(reply.body)).into_response();
        let headers = response.headers_mut();
        if let (Some(limiter), Some(verdict)) = (&self.limiter, &reply.verdict) {
            let policy = lock(limiter).policy_header();
            insert_header(headers, "ratelimit", &RateLimiter::header(verdict));
            insert_header(headers, "ratelimit-policy", &policy);
        }
        if let Some(secs) = reply.retry_after {
            insert_header(headers, header::RETRY_AFTER.as_str(), &secs.to_string());
        }
        response
    }
}

/// The request body for routes that take one: sent as JSON, and read whole.
fn body_for(route: &Route, request: &Incoming<'_>) -> Result<Bytes, FailedCall> {
    if !route.takes_body() {
        return Ok(Bytes::new());
    }
    let body = request.body.clone()?;
    if !request.is_json() {
        return Err(FailedCall::content_type());
    }
    Ok(body)
}

fn failure_body(error: &FailedCall) -> Value {
    serde_json::to_value(error.envelope()).unwrap_or(Value::Null)
}

fn insert_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
