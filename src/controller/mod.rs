//! The in-cluster controller: watchers feed the desired state, a debounced loop
//! reconciles it with Cloudflare, only the lease holder writes.
//!
//! Wiring reads top to bottom in [`run`]: clients, health server, watchers,
//! leader election, then the reconcile loop until SIGTERM (or one pass with
//! `--once`).

pub mod desired;
mod health;
mod join;
pub mod kube_client;
mod report;
pub mod request_limit;
mod settings;
mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::watch as channel;

pub use self::report::EventKind;
pub use self::settings::{ControllerSettings, LeaderElectionConfig, Provider, SyncConfig};
pub use self::watch::WatchScope;

use self::desired::State;
use self::health::Health;
use self::watch::WatchContext;
use crate::endpoint::Zone;
use crate::plan::PlanConfig;
use crate::plan::slices::SlicedZone;
use crate::provider::ApplyReport;
use crate::provider::ZoneStore;
use crate::provider::cloudflare::error::{CredentialOrigin, explain_startup};
use crate::provider::cloudflare::{Cloudflare, StartupError};
use crate::provider::inmemory::{InMemoryStore, InMemoryZones};
use crate::reconcile::{DesiredSource, PassOptions, PassOutcome, PassSummary, Reconciler};
use crate::registry::txt::TxtRegistry;
use crate::telemetry::metrics::ControllerMetrics;

/// Wait after a change before reconciling, so that a burst of events (a
/// rollout touching many objects) costs one reconcile, not many.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

/// Backoff bounds for retrying Cloudflare's start-up checks as a controller.
const STARTUP_RETRY_MIN: Duration = Duration::from_secs(1);
const STARTUP_RETRY_MAX: Duration = Duration::from_secs(60);

/// Backoff bounds for retrying a failed pass (a 5xx, a lost answer, a run of
/// 429s, a revoked token): without them the zone would stay behind until the
/// next change or the next `--interval`.
const FAILED_PASS_RETRY_MIN: Duration = Duration::from_secs(1);
const FAILED_PASS_RETRY_MAX: Duration = Duration::from_secs(60);

/// How long to wait before retrying after `failures` passes in a row failed: doubling from one second, never longer than a minute or than the
/// resync interval (which retries anyway).
fn failed_pass_retry(failures: u32, interval: Duration) -> Duration {
    FAILED_PASS_RETRY_MIN
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(FAILED_PASS_RETRY_MAX)
        .min(interval)
}

/// Runs the controller with its settings.
pub fn run(settings: ControllerSettings) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(settings))
}

async fn run_async(settings: ControllerSettings) -> anyhow::Result<ExitCode> {
    let ControllerSettings {
        kinds,
        watch_scope,
        sources,
        registry,
        provider,
        domain_filter,
        plan: plan_settings,
        kubernetes,
        leader_election: election,
        sync,
        metrics_address,
    } = settings;
    let source_config = Arc::new(sources);
    let client = kube_client::connect(&kubernetes).await?;

    let health = Health::new();
    let metrics = Arc::new(ControllerMetrics::default());
    let cloudflare_metrics = match &provider {
        Provider::Cloudflare(cloudflare) => Some(cloudflare.client().metrics()),
        Provider::InMemory { .. } => None,
    };
    health.register_metrics(cloudflare_metrics, &metrics);
    let server = tokio::spawn(health::serve(metrics_address, health.clone()));

    // Watchers: one per source, each telling when it has listed everything.
    let state = Arc::new(State::default());
    let context = WatchContext {
        client: client.clone(),
        scope: watch_scope.clone(),
        cfg: source_config.clone(),
        state: state.clone(),
        metrics: metrics.clone(),
    };
    let mut synced = Vec::new();
    for kind in &kinds {
        let (tx, rx) = channel::channel(false);
        synced.push(rx);
        watch::start(kind.def(), &context, tx);
    }

    let leader = leader_election(&election, sync.once, client.clone()).await?;
    let reporter = report::Reporter::new(
        client.clone(),
        &watch_scope.crd_api_version,
        &watch_scope.crd_kind,
        sync.events_emit.clone(),
    );
    let options = PassOptions {
        dry_run: sync.dry_run,
        slice_size: sync.plan_slice_size,
        keep_plan: false,
        keep_changes: !sync.dry_run && reporter.tells_of_changes(),
    };
    let parts = LoopParts {
        registry,
        plan_settings,
        options,
        state: state.clone(),
        reporter,
        metrics: metrics.clone(),
        synced,
        health,
        leader,
        sync,
    };
    let outcome = match provider {
        Provider::Cloudflare(cloudflare) => {
            let zones =
                connect(&cloudflare, &domain_filter, parts.sync.once, &parts.health).await?;
            reconcile_loop(cloudflare, zones, parts).await
        }
        Provider::InMemory { zones } => {
            let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
            tracing::info!(
                zones = ?names,
                "in-memory provider: the zones start empty and live in this process; \
                 nothing is written to any DNS provider, every change is logged"
            );
            let store = InMemoryStore::new(InMemoryZones::new(zones.clone(), Vec::new()));
            reconcile_loop(store, zones, parts).await
        }
    };
    server.abort();
    outcome
}

/// What the reconcile loop needs besides its store, built before the store
/// is reached.
struct LoopParts {
    registry: TxtRegistry,
    plan_settings: PlanConfig,
    options: PassOptions,
    state: Arc<State>,
    reporter: report::Reporter,
    metrics: Arc<ControllerMetrics>,
    /// One per watcher: set once it has listed everything.
    synced: Vec<channel::Receiver<bool>>,
    health: Health,
    leader: Option<Election>,
    sync: SyncConfig,
}

/// Waits for every source to list, then reconciles against `store` once
/// (`--once`) or until SIGTERM.
async fn reconcile_loop<S: ZoneStore>(
    store: S,
    zones: Vec<Zone>,
    parts: LoopParts,
) -> anyhow::Result<ExitCode> {
    let LoopParts {
        registry,
        plan_settings,
        options,
        state,
        reporter,
        metrics,
        mut synced,
        health,
        leader,
        sync,
    } = parts;
    // The controller counts the names in sync; it never lists them.
    let plan_config = PlanConfig {
        zones,
        list_in_sync: false,
        ..plan_settings
    };
    let mut controller = Controller {
        reconciler: Reconciler::new(store, registry, plan_config, options),
        state: state.clone(),
        reporter,
        metrics,
    };
    for rx in &mut synced {
        rx.wait_for(|done| *done).await.ok();
    }
    tracing::info!(objects = state.objects(), "every source listed");

    if sync.once {
        let ok = controller.pass(true).await == PassOutcome::Converged;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    health.set_ready(true);
    let timing = Timing {
        interval: sync.interval,
        debounce: DEFAULT_DEBOUNCE,
        min_gap: sync.min_event_sync_interval.unwrap_or(Duration::ZERO),
    };
    let rx = leader.as_ref().map(|e| e.rx.clone());
    controller.run(timing, rx, shutdown_signal()).await;
    if let Some(election) = leader {
        election.release().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Cloudflare's start-up checks. Under `--once` a failure is one line and an
/// exit; as a controller it is retried with backoff while not ready.
async fn connect(
    provider: &Cloudflare,
    domain_filter: &crate::filter::DomainFilter,
    once: bool,
    health: &Health,
) -> anyhow::Result<Vec<Zone>> {
    let mut delay = STARTUP_RETRY_MIN;
    loop {
        match provider.connect(domain_filter).await {
            Ok(zones) => {
                let names: Vec<&str> = zones.iter().map(|z| z.name.as_str()).collect();
                tracing::info!(zones = ?names, "Cloudflare zones");
                return Ok(zones);
            }
            Err(error) => {
                let message = match &error {
                    StartupError::Api(api) => {
                        explain_startup(api, &CredentialOrigin::from_environment())
                    }
                    other => other.to_string(),
                };
                if once {
                    anyhow::bail!("{message}");
                }
                health.set_ready(false);
                tracing::error!(retry_in = ?delay, "{message}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(STARTUP_RETRY_MAX);
            }
        }
    }
}

/// Leader election: `None` when off (this replica always writes).
async fn leader_election(
    election: &LeaderElectionConfig,
    once: bool,
    client: kube::Client,
) -> anyhow::Result<Option<Election>> {
    if !election.enabled || once {
        return Ok(None);
    }
    let namespace = election
        .namespace
        .clone()
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace").ok()
        })
        .unwrap_or_else(|| "default".to_string());
    let identity = replica_identity();
    tracing::info!(%identity, lease = %election.lease_name, %namespace, "leader election");
    // Setting up reads (or creates) the Lease: an API server that fails for a
    // while is waited out, as the watchers wait it out, not a reason to exit.
    let mut delay = STARTUP_RETRY_MIN;
    let manager = loop {
        let built =
            kube_lease_manager::LeaseManagerBuilder::new(client.clone(), &election.lease_name)
                .with_namespace(namespace.trim())
                .with_identity(identity.clone())
                .with_duration(LEASE_SECONDS)
                .with_grace(LEASE_GRACE_SECONDS)
                .build()
                .await;
        match built {
            Ok(manager) => break manager,
            Err(error) => {
                tracing::error!(%error, retry_in = ?delay, "cannot set up leader election");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(STARTUP_RETRY_MAX);
            }
        }
    };
    let (rx, task) = manager.watch().await;
    Ok(Some(Election { rx, task }))
}

/// A running leader election: the holder state, and the task that renews the
/// lease (and releases it when `rx` is dropped).
struct Election {
    rx: channel::Receiver<bool>,
    task: tokio::task::JoinHandle<kube_lease_manager::Result<kube_lease_manager::LeaseManager>>,
}

impl Election {
    /// Drops the claim and waits (briefly) for the lease to be released, so a
    /// standby takes over at once instead of after the lease expires.
    async fn release(self) {
        drop(self.rx);
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(_))) => tracing::info!("lease released"),
            Ok(Ok(Err(error))) => tracing::warn!(%error, "cannot release the lease"),
            Ok(Err(_)) | Err(_) => tracing::warn!("the lease was not released in time"),
        }
    }
}

/// A standby takes over within one lease period.
const LEASE_SECONDS: u64 = 15;
const LEASE_GRACE_SECONDS: u64 = 5;

/// `$POD_NAME`, else `$HOSTNAME`, else the host name plus a random suffix, so two
/// processes on one host never share an identity.
pub fn replica_identity() -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    from_env("POD_NAME")
        .or_else(|| from_env("HOSTNAME"))
        .unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "flaredns".to_string());
            format!("{host}-{:08x}", rand::random::<u32>())
        })
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// When the loop reconciles.
#[derive(Clone, Copy, Debug)]
struct Timing {
    /// Full resync: re-read the zone to find and repair drift.
    interval: Duration,
    debounce: Duration,
    /// Least time between two reconciles.
    min_gap: Duration,
}

/// The reconcile loop: one pass at a time over the watched state, with the
/// zone view kept between passes, then metrics, status and Events.
struct Controller<S> {
    reconciler: Reconciler<S>,
    state: Arc<State>,
    /// DNSEndpoint status and Events.
    reporter: report::Reporter,
    metrics: Arc<ControllerMetrics>,
}

impl<S: ZoneStore> Controller<S> {
    async fn run(
        &mut self,
        timing: Timing,
        leader: Option<channel::Receiver<bool>>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut changes = self.state.subscribe();
        let mut leader = leader;
        let mut shutdown = std::pin::pin!(shutdown);
        let mut next_resync = Instant::now();
        // Passes in a row that did not converge.
        let mut failures: u32 = 0;
        let mut last_pass = Instant::now()
            .checked_sub(timing.min_gap)
            .unwrap_or_else(Instant::now);
        loop {
            let is_leader = leader.as_ref().is_none_or(|rx| *rx.borrow());
            self.metrics.leader.set(i64::from(is_leader));
            let full = Instant::now() >= next_resync;
            if is_leader {
                let wait = timing.min_gap.saturating_sub(last_pass.elapsed());
                tokio::time::sleep(wait).await;
                let outcome = self.pass(full).await;
                last_pass = Instant::now();
                if full {
                    next_resync = Instant::now() + timing.interval;
                }
                if outcome == PassOutcome::Failed {
                    // Retried as a full pass: the zone is read again first.
                    failures = failures.saturating_add(1);
                    let retry = failed_pass_retry(failures, timing.interval);
                    tracing::warn!(?retry, failures, "the pass failed; retrying");
                    next_resync = next_resync.min(Instant::now() + retry);
                } else {
                    failures = 0;
                }
            } else {
                // A standby keeps its state warm and drops its zone view: the
                // leader writes, so the view would go stale.
                self.reconciler.forget_view();
                // Nothing to resync while standing by (taking the lease
                // brings the resync forward); a time in the past would wake
                // the loop at once, again and again.
                next_resync = Instant::now() + timing.interval;
            }
            let leader_changed = async {
                match leader.as_mut() {
                    Some(rx) => {
                        if rx.changed().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => {
                    tracing::info!("shutting down");
                    return;
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // Let a burst settle, then reconcile once for all of it.
                    tokio::time::sleep(timing.debounce).await;
                    changes.borrow_and_update();
                }
                _ = tokio::time::sleep_until(next_resync.into()) => {}
                _ = leader_changed => {
                    next_resync = Instant::now();
                }
            }
        }
    }

    /// One pass (see [`Reconciler::pass`]), then its metrics, Events and
    /// status.
    async fn pass(&mut self, full: bool) -> PassOutcome {
        let started = Instant::now();
        let pending_since = self.state.take_pending_since();
        self.metrics
            .last_reconcile_timestamp_seconds
            .set(unix_now());
        let report = self.reconciler.pass(&*self.state, full).await;
        if report.read_error.is_some() {
            self.metrics.registry_errors.inc();
            self.metrics.consecutive_soft_errors.inc();
            return report.outcome;
        }
        if let (Some(since), Some(sent)) = (pending_since, report.first_apply) {
            self.metrics
                .event_to_apply
                .observe(sent.saturating_duration_since(since).as_secs_f64());
        }
        let converged = report.outcome == PassOutcome::Converged;
        self.observe(&report.summary, &report.applied, full, converged, started);
        if !self.reconciler.options.dry_run {
            self.reporter
                .after_pass(
                    &self.state,
                    &report.summary.skipped,
                    &report.summary.changes,
                    &report.applied,
                )
                .await;
        }
        report.outcome
    }

    /// Sets the metrics one pass determines.
    fn observe(
        &self,
        summary: &PassSummary,
        report: &ApplyReport,
        full: bool,
        converged: bool,
        started: Instant,
    ) {
        use crate::endpoint::RecordType;
        use crate::plan::SkipReason;
        use crate::telemetry::metrics::{
            ActionLabels, OwnerMismatchLabels, ReasonLabels, RecordTypeLabels, SourceTypeLabels,
        };
        let m = &self.metrics;
        let by_type = |t: RecordType| RecordTypeLabels {
            record_type: t.to_string(),
        };
        m.registry_records.clear();
        let zone_counts = &summary.zone_records;
        for (t, n) in zone_counts {
            m.registry_records.get_or_create(&by_type(*t)).set(*n);
        }
        m.registry_endpoints.set(summary.zone_endpoints as i64);
        m.registry_a_records
            .set(zone_counts.get(&RecordType::A).copied().unwrap_or(0));
        m.registry_aaaa_records
            .set(zone_counts.get(&RecordType::Aaaa).copied().unwrap_or(0));

        m.source_endpoints.set(summary.desired_endpoints as i64);
        m.source_records.clear();
        let source_counts = &summary.source_records;
        for (t, n) in source_counts {
            m.source_records.get_or_create(&by_type(*t)).set(*n);
        }
        m.source_a_records
            .set(source_counts.get(&RecordType::A).copied().unwrap_or(0));
        m.source_aaaa_records
            .set(source_counts.get(&RecordType::Aaaa).copied().unwrap_or(0));

        m.verified_records.clear();
        let verified = &summary.in_sync_by_type;
        for (t, n) in verified {
            m.verified_records
                .get_or_create(&by_type(*t))
                .set(*n as i64);
        }
        m.verified_a_records
            .set(verified.get(&RecordType::A).copied().unwrap_or(0) as i64);
        m.verified_aaaa_records
            .set(verified.get(&RecordType::Aaaa).copied().unwrap_or(0) as i64);

        m.skipped_owner_mismatch.clear();
        let mut conflicts = 0;
        for skip in &summary.skipped {
            match &skip.reason {
                SkipReason::ForeignOwner { owner } => {
                    conflicts += 1;
                    m.skipped_owner_mismatch
                        .get_or_create(&OwnerMismatchLabels {
                            record_type: skip.key.record_type.to_string(),
                            owner: self.reconciler.registry.owner_id().to_string(),
                            foreign_owner: owner.clone(),
                            domain: skip.key.dns_name.clone(),
                        })
                        .inc();
                }
                SkipReason::UnownedRecord => conflicts += 1,
                _ => {}
            }
        }
        m.ownership_conflicts.set(conflicts);

        m.invalid_endpoints.clear();
        m.source_invalid_endpoints.clear();
        for problem in self.state.problems() {
            m.invalid_endpoints
                .get_or_create(&ReasonLabels {
                    reason: problem.reason.to_string(),
                })
                .inc();
            if problem.consequence == crate::problem::Consequence::Skipped {
                m.source_invalid_endpoints
                    .get_or_create(&SourceTypeLabels {
                        record_type: String::new(),
                        source_type: problem.object.kind.to_ascii_lowercase(),
                    })
                    .inc();
            }
        }

        if !summary.has_changes() {
            m.no_op_runs.inc();
        } else if report.applied > 0 {
            for (action, n) in &summary.changes_by_action {
                m.records_written
                    .get_or_create(&ActionLabels {
                        action: action.to_string(),
                    })
                    .inc_by(*n as u64);
            }
            if full {
                m.drift_repaired.inc_by(summary.units as u64);
            }
        }
        if converged {
            m.consecutive_soft_errors.set(0);
            m.last_sync_timestamp_seconds.set(unix_now());
        } else {
            m.consecutive_soft_errors.inc();
        }
        m.reconcile_duration
            .observe(started.elapsed().as_secs_f64());
    }
}

impl DesiredSource for State {
    fn endpoint_count(&self) -> usize {
        State::endpoint_count(self)
    }

    fn desired_in_slice(
        &self,
        zone: &SlicedZone<'_>,
        registry: &TxtRegistry,
        slice: u64,
    ) -> crate::plan::Desired {
        let slicing = zone.slicing();
        self.desired_in_slice(slicing, slice, |name| slicing.of_name(registry, name))
    }
}

/// Seconds since the Unix epoch, for the timestamp gauges.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_pass_is_retried_sooner_each_time_within_bounds() {
        let hour = Duration::from_secs(3600);
        let delays: Vec<u64> = (1..=8)
            .map(|n| failed_pass_retry(n, hour).as_secs())
            .collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(failed_pass_retry(u32::MAX, hour), FAILED_PASS_RETRY_MAX);
        // Never later than the resync that would retry anyway.
        let short = Duration::from_secs(5);
        assert_eq!(failed_pass_retry(4, short), short);
    }
}
