//! Scenario: churn. Changes arrive in rounds of `burst` objects (written back
//! to back, as a rollout touches several objects); each round's addresses
//! change, and the delay from each Kubernetes write to the sandbox's batch
//! call that carries it is measured.
//!
//! The delay runs from the moment the harness writes the object into the
//! Kubernetes API test server to the moment the batch call carrying the change
//! reaches the Cloudflare sandbox (its call log's arrival time); it includes
//! the watch delivery, the controller's debounce and its planning. The sandbox
//! keeps no request bodies at this size, so the carrying batch is found by
//! waiting until the round's records show their new addresses: when one batch
//! came in since the round's first write, it carried the whole round; when
//! more came, the last one is taken, which can only overstate a delay, and the
//! round is counted in `split_rounds`.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime};

use flaredns::sandbox::CallKind;
use serde::Serialize;

use super::super::world::ZONE;
use super::ScaleError;
use super::figures::{Calls, Percentiles};
use super::run::Run;
use super::workload::{ObjectKind, churn_address, churn_target};

/// How long one round may take to reach Cloudflare before the run gives up.
const ROUND_LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(5);

/// What churn measured.
#[derive(Clone, Debug, Serialize)]
pub struct Churn {
    pub changes: usize,
    /// Changes written back to back per round.
    pub burst: usize,
    pub rounds: usize,
    /// Kubernetes write to the arrival of the batch call that carries it.
    pub event_to_batch_seconds: Percentiles,
    /// Rounds that took more than one batch call.
    pub split_rounds: usize,
    /// Every Cloudflare call during churn.
    pub calls: Calls,
    /// The controller's own histogram: from the watch event to the batch
    /// call's answer; mean over its samples.
    pub controller_event_to_apply_mean_seconds: Option<f64>,
    /// Hostnames without their latest address afterwards (0 when all is well).
    pub missing_records: usize,
}

/// Runs `changes` changes in rounds of `burst` against the running controller.
pub async fn churn(run: &mut Run, changes: usize, burst: usize) -> Result<Churn, ScaleError> {
    let burst = burst.max(1);
    let began = SystemTime::now();
    let mut delays = Vec::with_capacity(changes);
    let mut split_rounds = 0;
    let mut latest: HashMap<(u8, usize), Ipv4Addr> = HashMap::new();
    let mut rounds = 0;
    for first in (0..changes).step_by(burst) {
        rounds += 1;
        let batches_before = run.world.cloudflare.counts().get(CallKind::Batch);
        let mut writes = Vec::new();
        let mut round = Vec::new();
        for change in first..(first + burst).min(changes) {
            let object = churn_target(&run.workload, change, changes).ok_or(ScaleError::Fake(
                "an empty workload has nothing to change".into(),
            ))?;
            let address = churn_address(change);
            let at = SystemTime::now();
            run.world
                .kube
                .replace(&object.manifest(address))
                .map_err(|e| ScaleError::Fake(e.to_string()))?;
            writes.push(at);
            round.push((object.hostname(), address));
            latest.insert((kind_key(object.kind), object.index), address);
        }
        wait_applied(run, batches_before, &round).await?;
        let round_start = writes.first().copied().unwrap_or(began);
        let batches: Vec<SystemTime> = run
            .call_log()
            .into_iter()
            .filter(|e| e.kind == CallKind::Batch && e.at >= round_start)
            .map(|e| e.at)
            .collect();
        if batches.len() > 1 {
            split_rounds += 1;
        }
        let carrying = batches.last().copied().unwrap_or(round_start);
        delays.extend(
            writes
                .iter()
                .map(|w| carrying.duration_since(*w).unwrap_or_default()),
        );
    }
    let calls = run.calls_since(began);
    let sum = run.metric("flaredns_event_to_apply_seconds_sum").await;
    let count = run.metric("flaredns_event_to_apply_seconds_count").await;
    let missing = run.missing_records(|o| {
        latest
            .get(&(kind_key(o.kind), o.index))
            .copied()
            .unwrap_or_else(|| o.initial_address())
    })?;
    Ok(Churn {
        changes,
        burst,
        rounds,
        event_to_batch_seconds: Percentiles::of(&delays),
        split_rounds,
        calls,
        controller_event_to_apply_mean_seconds: match (sum, count) {
            (Some(s), Some(c)) if c > 0.0 => Some(s / c),
            _ => None,
        },
        missing_records: missing.len(),
    })
}

fn kind_key(kind: ObjectKind) -> u8 {
    match kind {
        ObjectKind::Ingress => 0,
        ObjectKind::Service => 1,
        ObjectKind::DnsEndpoint => 2,
    }
}

/// Waits for a batch call after `batches_before`, then until every record of
/// the round shows its new address.
async fn wait_applied(
    run: &Run,
    batches_before: u64,
    round: &[(String, Ipv4Addr)],
) -> Result<(), ScaleError> {
    let deadline = Instant::now() + ROUND_LIMIT;
    while run.world.cloudflare.counts().get(CallKind::Batch) <= batches_before {
        if Instant::now() > deadline {
            return Err(ScaleError::Timeout("a churn round's batch call"));
        }
        tokio::time::sleep(POLL).await;
    }
    loop {
        let records = run
            .world
            .cloudflare
            .records(ZONE)
            .map_err(|e| ScaleError::Fake(e.to_string()))?;
        let applied = round.iter().all(|(host, address)| {
            let address = address.to_string();
            records
                .iter()
                .any(|r| r.name == *host && r.record_type == "A" && r.content == address)
        });
        if applied {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(ScaleError::Timeout("a churn round to reach the zone"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
