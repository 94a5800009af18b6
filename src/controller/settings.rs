//! What the controller runs with: the parts built from the configuration
//! (sources, registry, provider, planner settings) and its own settings for
//! the loop and for leader election, which the flags resolve into directly.

use std::time::Duration;

use serde::Serialize;

use super::kube_client::KubeClientConfig;
use super::report::EventKind;
use super::watch::WatchScope;
use crate::endpoint::Zone;
use crate::filter::DomainFilter;
use crate::go_syntax::{serialize_duration, serialize_optional_duration};
use crate::plan::PlanConfig;
use crate::provider::cloudflare::Cloudflare;
use crate::registry::txt::TxtRegistry;
use crate::source::{SourceConfig, SourceKind};

/// The synchronisation loop.
#[derive(Clone, Debug, Serialize)]
pub struct SyncConfig {
    /// `--interval`: time between two full synchronisations.
    #[serde(serialize_with = "serialize_duration")]
    pub interval: Duration,
    /// `--once`: synchronise once, then exit.
    pub once: bool,
    /// `--dry-run`: compute changes without making them.
    pub dry_run: bool,
    /// `--events`: also synchronise on object changes.
    pub events: bool,
    /// `--min-event-sync-interval`, when given: the least time between two
    /// reconciles.
    #[serde(serialize_with = "serialize_optional_duration")]
    pub min_event_sync_interval: Option<Duration>,
    /// `--events-emit`, without duplicates.
    pub events_emit: Vec<EventKind>,
    /// `--plan-slice-size`.
    pub plan_slice_size: usize,
}

/// Leader election among replicas.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderElectionConfig {
    /// `--leader-election`, else whether flaredns runs inside a cluster
    /// (`KUBERNETES_SERVICE_HOST` is set).
    pub enabled: bool,
    /// `--leader-election-namespace`; `None` is the namespace flaredns runs in.
    pub namespace: Option<String>,
    /// `--leader-election-lease-name`.
    pub lease_name: String,
}

/// Where the controller keeps the zones (`--provider`).
#[derive(Debug)]
pub enum Provider {
    /// Cloudflare, over HTTP.
    Cloudflare(Cloudflare),
    /// ExternalDNS's in-memory provider: one empty zone per `--domain-filter`
    /// domain, held in the process and lost when it ends. Nothing leaves the
    /// process and no credential is needed; every change is logged, which
    /// makes it a safe first run in a cluster.
    InMemory { zones: Vec<Zone> },
}

/// Everything [`super::run`] needs, built before it starts.
#[derive(Debug)]
pub struct ControllerSettings {
    /// `--source`: the kinds to watch.
    pub kinds: Vec<SourceKind>,
    /// What every watcher is limited to (`--namespace`, `--label-filter`, the CRD).
    pub watch_scope: WatchScope,
    /// The sources to watch and how they map objects to endpoints.
    pub sources: SourceConfig,
    /// The TXT ownership registry.
    pub registry: TxtRegistry,
    /// Where the zones are kept.
    pub provider: Provider,
    /// Which zones may be written into.
    pub domain_filter: DomainFilter,
    /// The planner's settings; its zones are filled in once Cloudflare is reached.
    pub plan: PlanConfig,
    /// How to reach the Kubernetes API.
    pub kubernetes: KubeClientConfig,
    /// Leader election among replicas.
    pub leader_election: LeaderElectionConfig,
    /// The synchronisation loop.
    pub sync: SyncConfig,
    /// `--metrics-address`: where `/healthz`, `/readyz` and `/metrics` are served.
    pub metrics_address: String,
}
