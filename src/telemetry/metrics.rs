//! Prometheus metrics, in one registry per process.
//!
//! ExternalDNS's metrics keep their names, types and labels where they mean
//! something here (the v0.22 names, plus the v0.14 `*_a_records` and
//! `*_aaaa_records` gauges that existing dashboards use); flaredns's own carry
//! the `flaredns_` prefix. Each component owns a struct of its metrics and
//! registers it; the controller serves the registry on `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a Cloudflare API request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `verify`, `zones`, `list`, `batch` or `single`.
    pub operation: String,
    /// The HTTP status, or `error` when no answer came.
    pub status: String,
}

/// The Cloudflare client's metrics.
#[derive(Clone, Debug)]
pub struct CloudflareMetrics {
    /// `flaredns_cloudflare_requests_total{operation,status}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `flaredns_cloudflare_rate_limited_total`: 429 answers received.
    pub rate_limited: Counter,
    /// `flaredns_cloudflare_rate_limit_remaining`: requests left in the window.
    pub rate_limit_remaining: Gauge,
    /// `flaredns_cloudflare_refused_changes_total`: change units Cloudflare
    /// refused (the rest of their batch was applied).
    pub refused_changes: Counter,
    /// `flaredns_cloudflare_batch_operations`: operations per batch call.
    pub batch_operations: Histogram,
}

impl Default for CloudflareMetrics {
    fn default() -> Self {
        CloudflareMetrics {
            requests: Family::default(),
            rate_limited: Counter::default(),
            rate_limit_remaining: Gauge::default(),
            refused_changes: Counter::default(),
            batch_operations: Histogram::new(exponential_buckets(1.0, 2.0, 13)),
        }
    }
}

impl CloudflareMetrics {
    /// Registers the metrics under `registry` (prefix `flaredns_cloudflare_`).
    pub fn register(&self, registry: &mut Registry) {
        let sub = registry.sub_registry_with_prefix("flaredns_cloudflare");
        sub.register(
            "requests",
            "Cloudflare API requests, by operation and HTTP status",
            self.requests.clone(),
        );
        sub.register(
            "rate_limited",
            "Answers of HTTP 429 (rate limited) received from Cloudflare",
            self.rate_limited.clone(),
        );
        sub.register(
            "rate_limit_remaining",
            "Cloudflare API requests left in the current rate-limit window",
            self.rate_limit_remaining.clone(),
        );
        sub.register(
            "refused_changes",
            "Change units Cloudflare refused; the rest of their batch was applied",
            self.refused_changes.clone(),
        );
        sub.register(
            "batch_operations",
            "Record operations per batch call",
            self.batch_operations.clone(),
        );
    }
}

/// Labels by record type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RecordTypeLabels {
    pub record_type: String,
}

/// Labels of invalid endpoints, by record type and source.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceTypeLabels {
    pub record_type: String,
    pub source_type: String,
}

/// Labels of a record held by another owner.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OwnerMismatchLabels {
    pub record_type: String,
    pub owner: String,
    pub foreign_owner: String,
    pub domain: String,
}

/// Labels by a fixed reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

/// Labels by action (`create`, `update`, `delete`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    pub action: String,
}

/// Labels by source kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
}

/// Build information, as `external_dns_build_info`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: String,
    pub revision: String,
    pub go_version: String,
    pub os: String,
    pub arch: String,
}

/// The controller's metrics: ExternalDNS's and flaredns's own.
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    pub build_info: Family<BuildLabels, Gauge>,
    pub consecutive_soft_errors: Gauge,
    pub last_reconcile_timestamp_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub last_sync_timestamp_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub no_op_runs: Counter,
    pub verified_records: Family<RecordTypeLabels, Gauge>,
    pub registry_endpoints: Gauge,
    pub registry_errors: Counter,
    pub registry_records: Family<RecordTypeLabels, Gauge>,
    pub skipped_owner_mismatch: Family<OwnerMismatchLabels, Gauge>,
    pub source_endpoints: Gauge,
    pub source_errors: Counter,
    pub source_records: Family<RecordTypeLabels, Gauge>,
    pub source_invalid_endpoints: Family<SourceTypeLabels, Gauge>,
    pub registry_a_records: Gauge,
    pub registry_aaaa_records: Gauge,
    pub source_a_records: Gauge,
    pub source_aaaa_records: Gauge,
    pub verified_a_records: Gauge,
    pub verified_aaaa_records: Gauge,
    /// flaredns: records written, by action.
    pub records_written: Family<ActionLabels, Counter>,
    /// flaredns: reconcile duration.
    pub reconcile_duration: Histogram,
    /// flaredns: from a change in the cluster to its batch call.
    pub event_to_apply: Histogram,
    /// flaredns: invalid fields by reason (the `Problem` reason labels).
    pub invalid_endpoints: Family<ReasonLabels, Gauge>,
    /// flaredns: names held by another owner or an unowned record.
    pub ownership_conflicts: Gauge,
    /// flaredns: changes made by a full resync (drift repaired).
    pub drift_repaired: Counter,
    /// flaredns: 1 when this replica holds the lease.
    pub leader: Gauge,
    /// flaredns: watch errors, by source.
    pub watch_restarts: Family<SourceLabels, Counter>,
}

impl Default for ControllerMetrics {
    fn default() -> Self {
        ControllerMetrics {
            build_info: Family::default(),
            consecutive_soft_errors: Gauge::default(),
            last_reconcile_timestamp_seconds: Gauge::default(),
            last_sync_timestamp_seconds: Gauge::default(),
            no_op_runs: Counter::default(),
            verified_records: Family::default(),
            registry_endpoints: Gauge::default(),
            registry_errors: Counter::default(),
            registry_records: Family::default(),
            skipped_owner_mismatch: Family::default(),
            source_endpoints: Gauge::default(),
            source_errors: Counter::default(),
            source_records: Family::default(),
            source_invalid_endpoints: Family::default(),
            registry_a_records: Gauge::default(),
            registry_aaaa_records: Gauge::default(),
            source_a_records: Gauge::default(),
            source_aaaa_records: Gauge::default(),
            verified_a_records: Gauge::default(),
            verified_aaaa_records: Gauge::default(),
            records_written: Family::default(),
            reconcile_duration: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            event_to_apply: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            invalid_endpoints: Family::default(),
            ownership_conflicts: Gauge::default(),
            drift_repaired: Counter::default(),
            leader: Gauge::default(),
            watch_restarts: Family::default(),
        }
    }
}

impl ControllerMetrics {
    /// Registers every metric: ExternalDNS's under `external_dns_`, flaredns's
    /// under `flaredns_`.
    pub fn register(&self, registry: &mut Registry) {
        self.build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
                revision: option_env!("FLAREDNS_REVISION")
                    .unwrap_or("unknown")
                    .to_string(),
                go_version: "none (Rust)".to_string(),
                os: std::env::consts::OS.to_string(),
                arch: std::env::consts::ARCH.to_string(),
            })
            .set(1);
        let e = registry.sub_registry_with_prefix("external_dns");
        e.register(
            "build_info",
            "Build information (always 1)",
            self.build_info.clone(),
        );
        e.register(
            "controller_consecutive_soft_errors",
            "Reconciles that failed in a row",
            self.consecutive_soft_errors.clone(),
        );
        e.register(
            "controller_last_reconcile_timestamp_seconds",
            "When the last reconcile was attempted",
            self.last_reconcile_timestamp_seconds.clone(),
        );
        e.register(
            "controller_last_sync_timestamp_seconds",
            "When the last successful reconcile ended",
            self.last_sync_timestamp_seconds.clone(),
        );
        e.register(
            "controller_no_op_runs",
            "Reconciles that changed nothing",
            self.no_op_runs.clone(),
        );
        e.register(
            "controller_verified_records",
            "Desired records found in the zone as desired, by type",
            self.verified_records.clone(),
        );
        e.register(
            "registry_endpoints_total",
            "Endpoints in the zone (all types)",
            self.registry_endpoints.clone(),
        );
        e.register(
            "registry_errors",
            "Errors reading the zone",
            self.registry_errors.clone(),
        );
        e.register(
            "registry_records",
            "Records in the zone, by type",
            self.registry_records.clone(),
        );
        e.register(
            "registry_skipped_records_owner_mismatch_per_sync",
            "Records left alone because another owner holds them",
            self.skipped_owner_mismatch.clone(),
        );
        e.register(
            "source_endpoints_total",
            "Endpoints the sources ask for",
            self.source_endpoints.clone(),
        );
        e.register(
            "source_errors",
            "Errors reading the sources",
            self.source_errors.clone(),
        );
        e.register(
            "source_records",
            "Records the sources ask for, by type",
            self.source_records.clone(),
        );
        e.register(
            "source_invalid_endpoints",
            "Endpoints skipped as invalid, by type and source",
            self.source_invalid_endpoints.clone(),
        );
        e.register(
            "registry_a_records",
            "A records in the zone",
            self.registry_a_records.clone(),
        );
        e.register(
            "registry_aaaa_records",
            "AAAA records in the zone",
            self.registry_aaaa_records.clone(),
        );
        e.register(
            "source_a_records",
            "A records the sources ask for",
            self.source_a_records.clone(),
        );
        e.register(
            "source_aaaa_records",
            "AAAA records the sources ask for",
            self.source_aaaa_records.clone(),
        );
        e.register(
            "controller_verified_a_records",
            "A records found as desired",
            self.verified_a_records.clone(),
        );
        e.register(
            "controller_verified_aaaa_records",
            "AAAA records found as desired",
            self.verified_aaaa_records.clone(),
        );
        let f = registry.sub_registry_with_prefix("flaredns");
        f.register(
            "records_written",
            "Record operations applied, by action",
            self.records_written.clone(),
        );
        f.register(
            "reconcile_duration_seconds",
            "Time one reconcile took",
            self.reconcile_duration.clone(),
        );
        f.register(
            "event_to_apply_seconds",
            "Time from a change in the cluster to the batch call that applied it",
            self.event_to_apply.clone(),
        );
        f.register(
            "invalid_endpoints",
            "Fields flaredns could not use, by reason",
            self.invalid_endpoints.clone(),
        );
        f.register(
            "ownership_conflicts",
            "Names held by another owner or by a record without owner",
            self.ownership_conflicts.clone(),
        );
        f.register(
            "drift_repaired",
            "Changes made by full resyncs",
            self.drift_repaired.clone(),
        );
        f.register(
            "leader",
            "1 when this replica holds the lease",
            self.leader.clone(),
        );
        f.register(
            "watch_restarts",
            "Watch errors, by source",
            self.watch_restarts.clone(),
        );
    }
}

/// The registry as Prometheus text.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}
