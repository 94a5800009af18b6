//! Scenario: steady state. Nothing changes; the controller is restarted with a
//! short `--interval` on the synced zone, and the calls of a few resync
//! intervals are counted: a full read of the zone each, no write.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::ScaleError;
use super::figures::Calls;
use super::run::Run;

/// How long start-up and each interval may take before the run gives up.
const LIMIT: Duration = Duration::from_secs(300);

/// What steady state measured.
#[derive(Clone, Debug, Serialize)]
pub struct SteadyState {
    pub interval_seconds: f64,
    pub per_page: u32,
    pub records: usize,
    /// Calls of the restarted controller up to the end of its first pass: the
    /// start-up checks and one read, no write.
    pub startup: Calls,
    /// Resync intervals counted.
    pub intervals: u64,
    /// Calls during those intervals.
    pub calls: Calls,
    pub lists_per_interval: f64,
    /// `ceil(records / per_page)`.
    pub expected_lists_per_interval: u64,
    /// Calls per five minutes at a one-minute `--interval`, from the measured
    /// calls per interval.
    pub calls_per_5_minutes_at_1m_interval: f64,
    /// `VmHWM` of the restarted controller: start-up with a full zone to
    /// read, then the resyncs.
    pub peak_rss_bytes: u64,
}

/// Restarts the controller with `--interval` and counts `intervals` resyncs.
pub async fn steady_state(
    run: &mut Run,
    interval: Duration,
    intervals: u64,
) -> Result<SteadyState, ScaleError> {
    run.stop();
    let start = SystemTime::now();
    let interval_arg = format!("--interval={}ms", interval.as_millis());
    run.start(&[interval_arg.as_str()]);
    run.until_ready(LIMIT).await?;
    run.until_passes(1, LIMIT).await?;
    let startup = run.calls_since(start);
    let first = run.passes().await.ok_or(ScaleError::NotRunning)?;
    let counted_from = SystemTime::now();
    run.until_passes(first + intervals, LIMIT + interval * intervals as u32)
        .await?;
    let calls = run.calls_since(counted_from);
    let process = run.sampler()?.now().ok_or(ScaleError::NotRunning)?;
    let records = run.workload.synced_records();
    let per_page = run.settings.per_page;
    let per_interval = calls.total as f64 / intervals.max(1) as f64;
    Ok(SteadyState {
        interval_seconds: interval.as_secs_f64(),
        per_page,
        records,
        startup,
        intervals,
        lists_per_interval: calls.list as f64 / intervals.max(1) as f64,
        expected_lists_per_interval: records.div_ceil(per_page.max(1) as usize).max(1) as u64,
        calls_per_5_minutes_at_1m_interval: per_interval * 5.0,
        calls,
        peak_rss_bytes: process.peak_rss_bytes,
    })
}
