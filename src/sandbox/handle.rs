//! Starting a sandbox and driving it from Rust: the handle tests, benchmarks and
//! the `flaredns sandbox` command hold while the server runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::auth::Credentials;
use super::body::BodyReading;
use super::calls::{CallCounts, CallEntry, CallLog, HistoryEntry};
use super::config::{
    FailWrite, PlanTier, SandboxConfig, SandboxConfigError, Throttle, TokenConfig,
};
use super::conn::{ConnectionControl, ControlledListener};
use super::error::FailedCall;
use super::faults::Faults;
use super::ops;
use super::ratelimit::RateLimiter;
use super::route::BASE_PATH;
use super::server::{self, Shared, lock};
use super::stamp::Clock;
use super::state_file::{self, StateFileError};
use super::store::{Store, ZoneError};
use super::wire::{RecordInput, RecordObject, ZoneObject};

/// How long shutdown waits for calls in flight before it stops the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the sandbox cannot do what the handle asked.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid sandbox configuration: {0}")]
    Config(#[from] SandboxConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateFileError),
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error("the sandbox holds no zone {0:?}")]
    UnknownZone(String),
    #[error("record {index} was refused: {error}")]
    Rejected {
        index: usize,
        #[source]
        error: FailedCall,
    },
}

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Loads the state file (when configured and present), binds the address and
    /// serves the API until the handle shuts it down or is dropped.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        config.validate()?;
        let clock = Clock::default();
        let store = match &config.state_file {
            Some(path) if path.exists() => state_file::load(path, &clock)?,
            _ => Store::default(),
        };
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.bind,
            source,
        })?;
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            credentials: Mutex::new(Credentials::new(
                config.tokens.clone(),
                config.api_keys.clone(),
            )),
            limiter: config.rate_limit.map(|c| Mutex::new(RateLimiter::new(c))),
            faults: Mutex::new(Faults::new(config.faults)),
            log: Mutex::new(CallLog::default()),
            clock,
            keep_history: config.keep_history,
            reading: if config.strict_requests {
                BodyReading::Strict
            } else {
                BodyReading::Lenient
            },
        });
        let app = Router::new()
            .fallback(server::handle)
            .with_state(Arc::clone(&shared))
            .into_make_service_with_connect_info::<ConnectionControl>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(ControlledListener::new(listener), app)
                .with_graceful_shutdown(async {
                    // A dropped sender means the handle is gone: stop as well.
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the sandbox server stopped");
            }
        });
        tracing::info!(url = %format!("http://{addr}{BASE_PATH}"), "sandbox listening");
        Ok(SandboxHandle {
            shared,
            addr,
            tokens: config.tokens,
            state_file: config.state_file,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running sandbox. Dropping the handle stops the server (without saving the
/// state file; call [`SandboxHandle::shutdown`] for that).
#[derive(Debug)]
pub struct SandboxHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tokens: Vec<TokenConfig>,
    state_file: Option<PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// The API's base URL, ending in `/client/v4`.
    pub fn url(&self) -> String {
        format!("http://{}{BASE_PATH}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first configured token's value, the one to use by default.
    pub fn token(&self) -> Option<&str> {
        self.tokens.first().map(|t| t.value.as_str())
    }

    /// Every token, as configured at start (revoking a token does not change
    /// this list).
    pub fn tokens(&self) -> &[TokenConfig] {
        &self.tokens
    }

    /// Adds an empty zone and returns its id.
    pub fn add_zone(&self, name: &str, plan: PlanTier) -> Result<String, SandboxError> {
        Ok(lock(&self.shared.store).add_zone(name, plan, &self.shared.clock)?)
    }

    /// The id of the zone with this name (or id).
    pub fn zone_id(&self, zone: &str) -> Option<String> {
        lock(&self.shared.store).find_id(zone)
    }

    /// Every zone, as the API returns them.
    pub fn zones(&self) -> Vec<ZoneObject> {
        lock(&self.shared.store)
            .zones()
            .map(|z| z.to_api())
            .collect()
    }

    /// Creates records in a zone (named by id or name) without going through the
    /// API: nothing is logged, but the API's rules apply. All or none are
    /// created; the error names the first record refused.
    pub fn put_records(
        &self,
        zone: &str,
        records: Vec<RecordInput>,
    ) -> Result<Vec<RecordObject>, SandboxError> {
        let mut store = lock(&self.shared.store);
        let id = store
            .find_id(zone)
            .ok_or_else(|| SandboxError::UnknownZone(zone.to_string()))?;
        let state = store
            .zone_mut(&id)
            .ok_or_else(|| SandboxError::UnknownZone(zone.to_string()))?;
        ops::create_all(state, &self.shared.clock, records)
            .map_err(|(index, error)| SandboxError::Rejected { index, error })
    }

    /// A zone's records (zone named by id or name), sorted by type, name and
    /// content.
    pub fn records(&self, zone: &str) -> Result<Vec<RecordObject>, SandboxError> {
        lock(&self.shared.store)
            .find(zone)
            .map(|z| z.sorted_records())
            .ok_or_else(|| SandboxError::UnknownZone(zone.to_string()))
    }

    /// Every call answered so far (since the last [`SandboxHandle::clear_log`]).
    pub fn call_log(&self) -> Vec<CallEntry> {
        lock(&self.shared.log).entries().to_vec()
    }

    /// Calls by kind.
    pub fn counts(&self) -> CallCounts {
        lock(&self.shared.log).counts().clone()
    }

    /// The zone's records after every successful write, in order.
    pub fn history(&self) -> Vec<HistoryEntry> {
        lock(&self.shared.log).history().to_vec()
    }

    /// Forgets the call log and the history.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Adds `latency` before every answer.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.faults).set_latency(latency);
    }

    /// Delays every answer by `delay` after the request was processed (a write is
    /// applied, then its answer comes late).
    pub fn set_answer_delay(&self, delay: Duration) {
        lock(&self.shared.faults).set_answer_delay(delay);
    }

    /// Refuses the next calls with 429.
    pub fn throttle(&self, throttle: Throttle) {
        lock(&self.shared.faults).throttle(throttle);
    }

    /// Fails one write call with a 5xx status, applying nothing.
    pub fn fail_write(&self, fail: FailWrite) -> Result<(), SandboxError> {
        lock(&self.shared.faults).fail_write(fail.validate()?);
        Ok(())
    }

    /// Applies the `nth` write call from now (1 = the next), then drops its
    /// connection without an answer.
    pub fn reset_after_write(&self, nth: u64) -> Result<(), SandboxError> {
        if nth == 0 {
            return Err(SandboxConfigError::ResetWrite.into());
        }
        lock(&self.shared.faults).reset_after_write(nth);
        Ok(())
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Revokes a token (by value or id): it is refused with 9109 until restored.
    /// Returns whether such a token exists.
    pub fn revoke_token(&self, token: &str) -> bool {
        lock(&self.shared.credentials).set_active(token, false)
    }

    /// Restores a revoked token. Returns whether such a token exists.
    pub fn restore_token(&self, token: &str) -> bool {
        lock(&self.shared.credentials).set_active(token, true)
    }

    /// Forgets the rate limit's window and lock-out.
    pub fn reset_rate_limit(&self) {
        if let Some(limiter) = &self.shared.limiter {
            lock(limiter).reset();
        }
    }

    /// Writes the zones and records to a state file.
    pub fn save_state(&self, path: &Path) -> Result<(), SandboxError> {
        let file = state_file::from_store(&lock(&self.shared.store));
        Ok(state_file::save(&file, path)?)
    }

    /// Stops the server (waiting briefly for calls in flight) and saves the state
    /// file when one is configured.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        self.stop_server().await;
        if let Some(path) = self.state_file.clone() {
            self.save_state(&path)?;
        }
        Ok(())
    }

    async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server may have stopped already; then there is nothing to tell.
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            tracing::warn!("sandbox calls still in flight at shutdown; stopping anyway");
            task.abort();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
