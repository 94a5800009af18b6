//! Scenario: initial sync into an empty zone. The controller starts against a
//! cluster full of objects and a zone with nothing in it, and writes every
//! record and its ownership TXT record.

use std::time::Duration;

use serde::Serialize;

use super::ScaleError;
use super::figures::Calls;
use super::process::Reading;
use super::run::Run;
use super::workload::Workload;

/// How long an initial sync may take before the run gives up.
const LIMIT: Duration = Duration::from_secs(600);

/// The calls an initial sync should cost: the start-up checks (token verify,
/// zone lookup), one listing of the empty zone, and full batches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub verify: u64,
    pub zones: u64,
    pub list: u64,
    pub batch: u64,
    pub total: u64,
}

impl Budget {
    /// The budget for writing `records` records with batches of `batch_limit`.
    pub fn initial_sync(records: usize, batch_limit: usize) -> Self {
        let batch = records.div_ceil(batch_limit.max(1)) as u64;
        Budget {
            verify: 1,
            zones: 1,
            list: 1,
            batch,
            total: 3 + batch,
        }
    }
}

/// What an initial sync measured.
#[derive(Clone, Debug, Serialize)]
pub struct InitialSync {
    /// Which run: the cluster workload or a hostname-sized one.
    pub name: String,
    /// The zone's plan and its batch limit.
    pub plan: String,
    pub batch_limit: usize,
    pub workload: Workload,
    pub hostnames: usize,
    /// Records written: an A and a TXT per hostname.
    pub records: usize,
    pub calls: Calls,
    pub budget: Budget,
    pub within_budget: bool,
    /// From spawning the process to `/readyz` answering 200.
    pub ready_seconds: f64,
    /// From spawning the process to the end of the first reconcile pass.
    pub wall_seconds: f64,
    /// From spawning the process to the arrival of the last batch call.
    pub last_batch_seconds: f64,
    /// Hostnames without their record or TXT afterwards (0 when all is well).
    pub missing_records: usize,
    /// The process right after the sync.
    pub process: Reading,
}

/// Starts the controller on `run` (with `extra` arguments), waits for the
/// first pass and measures it.
pub async fn initial_sync(
    run: &mut Run,
    name: &str,
    extra: &[&str],
) -> Result<InitialSync, ScaleError> {
    run.start(extra);
    let spawned = run
        .started
        .map(|(_, at)| at)
        .ok_or(ScaleError::NotRunning)?;
    let ready = run.until_ready(LIMIT).await?;
    let wall = run.until_passes(1, LIMIT).await?;
    let process = run.sampler()?.now().ok_or(ScaleError::NotRunning)?;
    let log = run.call_log();
    let calls = Calls::of(&log);
    let last_batch = log
        .iter()
        .filter(|e| e.kind == flaredns::sandbox::CallKind::Batch)
        .filter_map(|e| e.at.duration_since(spawned).ok())
        .max()
        .unwrap_or_default();
    let records = run.workload.synced_records();
    let batch_limit = run.plan.batch_limit();
    let budget = Budget::initial_sync(records, batch_limit);
    let missing = run.missing_records(|o| o.initial_address())?;
    Ok(InitialSync {
        name: name.to_string(),
        plan: run.plan.to_string(),
        batch_limit,
        workload: run.workload,
        hostnames: run.workload.hostnames_published(),
        records,
        within_budget: calls.total <= budget.total,
        calls,
        budget,
        ready_seconds: ready.as_secs_f64(),
        wall_seconds: wall.as_secs_f64(),
        last_batch_seconds: last_batch.as_secs_f64(),
        missing_records: missing.len(),
        process,
    })
}
