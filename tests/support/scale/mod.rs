//! The scale harness shared by `benches/scale.rs` and `tests/it/scale.rs`: it
//! builds worlds (the Kubernetes API test server and the Cloudflare sandbox in
//! this process, the flaredns binary as a child process), runs the scenarios
//! and gathers one [`Report`].
//!
//! Scenarios, one module each:
//! - [`initial_sync`]: empty zone, Free plan, the cluster workload; the same
//!   for a workload of exactly `--objects` hostnames, and on a paid plan;
//! - [`churn`]: address changes spread over the objects, event-to-batch delays;
//! - [`pods`]: many Pods that no Service needs, memory before and after;
//! - [`steady_state`]: a restart with a short `--interval`, calls per resync;
//! - [`adoption`]: a zone ExternalDNS v0.14 manages, taken over.
//!
//! [`model`] holds what ExternalDNS would spend, labelled as a model.

pub mod adoption;
pub mod churn;
pub mod figures;
pub mod initial_sync;
pub mod model;
pub mod pods;
pub mod process;
pub mod report;
pub mod run;
pub mod steady_state;
pub mod workload;

use std::time::Duration;

use flaredns::sandbox::PlanTier;

pub use report::Report;
use run::{ControllerSettings, Run};
use workload::Workload;

/// Why a scale run stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// A fake refused a setup step.
    #[error("test server: {0}")]
    Fake(String),
    /// The controller did not get somewhere in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The controller process exited.
    #[error("flaredns exited: {0}")]
    Exited(String),
    /// A figure was asked of a controller that is not running.
    #[error("the flaredns process is not running")]
    NotRunning,
}

/// The sizes of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Options {
    /// N: N Ingresses, N LoadBalancer Services, N/10 DNSEndpoints.
    pub objects: usize,
    /// Churn changes, spread over the objects.
    pub changes: usize,
    /// Changes written back to back per churn round.
    pub burst: usize,
    /// Pods created that no Service needs.
    pub pods: usize,
    /// Resync intervals counted in steady state.
    pub intervals: u64,
    /// The `--interval` of the steady-state controller.
    pub interval: Duration,
    /// `--cloudflare-dns-records-per-page` for every controller.
    pub per_page: u32,
    /// Hostnames of the paid-plan initial sync (1,000 fits one batch).
    pub paid_hostnames: usize,
    /// `--plan-slice-size` for every controller; its default when `None`.
    pub plan_slice_size: Option<usize>,
}

impl Options {
    /// The sizes for `objects` objects.
    pub fn for_objects(objects: usize) -> Self {
        Options {
            objects,
            changes: 1_000,
            burst: 10,
            pods: 50_000,
            intervals: 3,
            interval: Duration::from_secs(2),
            per_page: 5_000,
            paid_hostnames: objects.min(1_000),
            plan_slice_size: None,
        }
    }

    fn settings(&self) -> ControllerSettings {
        ControllerSettings {
            per_page: self.per_page,
            plan_slice_size: self.plan_slice_size,
        }
    }
}

/// Every scenario, in order: the cluster run (initial sync, churn, Pods,
/// steady state), the hostname-sized initial syncs (Free, paid), adoption.
/// Progress goes to stderr.
pub async fn run(options: &Options) -> Result<Report, ScaleError> {
    let settings = options.settings();

    eprintln!(
        "scale: initial sync of the cluster workload ({} objects)",
        options.objects
    );
    let mut cluster = Run::new(
        Workload::cluster(options.objects),
        PlanTier::Free,
        settings.clone(),
    )
    .await?;
    let cluster_sync = initial_sync::initial_sync(&mut cluster, "cluster, Free plan", &[]).await?;
    eprintln!(
        "scale: churn ({} changes in rounds of {})",
        options.changes, options.burst
    );
    let churn = churn::churn(&mut cluster, options.changes, options.burst).await?;
    eprintln!("scale: {} Pods", options.pods);
    let pods = pods::pods(&mut cluster, options.pods).await?;
    let process = cluster.sampler()?.now().ok_or(ScaleError::NotRunning)?;
    let sampled_peak = cluster.sampler()?.sampled_peak_bytes();
    eprintln!(
        "scale: steady state ({} intervals of {:?})",
        options.intervals, options.interval
    );
    let steady =
        steady_state::steady_state(&mut cluster, options.interval, options.intervals).await?;
    let cluster_calls = figures::Calls::of(&cluster.call_log());
    drop(cluster);

    eprintln!(
        "scale: initial sync of {} hostnames, Free plan",
        options.objects
    );
    let mut free = Run::new(
        Workload::hostnames(options.objects),
        PlanTier::Free,
        settings.clone(),
    )
    .await?;
    let free_sync = initial_sync::initial_sync(&mut free, "hostnames, Free plan", &[]).await?;
    drop(free);

    eprintln!(
        "scale: initial sync of {} hostnames, paid plan",
        options.paid_hostnames
    );
    let mut paid = Run::new(
        Workload::hostnames(options.paid_hostnames),
        PlanTier::Pro,
        settings.clone(),
    )
    .await?;
    let paid_sync = initial_sync::initial_sync(&mut paid, "hostnames, paid plan", &[]).await?;
    drop(paid);

    eprintln!("scale: adoption of {} hostnames", options.objects);
    let adoption = adoption::adoption(options.objects, settings).await?;

    Ok(Report::new(
        options,
        report::Figures {
            initial_sync: vec![cluster_sync, free_sync, paid_sync],
            churn,
            pods,
            steady_state: steady,
            adoption,
            process: report::ProcessFigures {
                peak_rss_bytes: process.peak_rss_bytes,
                sampled_peak_rss_bytes: sampled_peak,
                cpu_seconds: process.cpu_seconds,
            },
            rate_limited: cluster_calls.rate_limited,
        },
    ))
}
