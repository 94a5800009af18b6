//! A model, not a measurement: the Cloudflare calls ExternalDNS v0.14 and
//! v0.21+ would spend on a workload, derived from their documented call
//! pattern, next to the least the API allows. Nothing here runs ExternalDNS.
//!
//! The call pattern (ExternalDNS behaviour reference, §4.5–4.7 and §1):
//! - every sync lists the zones once and every zone's records in pages of
//!   `--cloudflare-dns-records-per-page` (default 100); v0.21+'s pager asks for
//!   one more page, which comes back empty;
//! - a sync with changes lists zones and records a second time (to find record
//!   ids), then writes: v0.14–v0.20 one call per record change, v0.21+ batches
//!   of 200 operations;
//! - an update of a target is a delete of the old target and a create of the
//!   new one, plus an update of each ownership TXT record (v0.14 keeps a legacy
//!   and a new-format TXT per name, v0.18+ only the new one);
//! - syncs run every `--interval` (1 minute), or on events no more often than
//!   `--min-event-sync-interval` (5 s) with `--events`.
//!
//! The API minimum assumes a client that knows its zone after start-up, keeps
//! the zone's records between syncs, lists 5,000 records per page (the flag's
//! maximum) and fills batches to the plan's limit.

use serde::Serialize;

/// ExternalDNS's default `--cloudflare-dns-records-per-page`.
pub const EXTERNALDNS_PER_PAGE: u64 = 100;
/// ExternalDNS v0.21+'s batch size (`max(--batch-change-size, 200)`).
pub const EXTERNALDNS_BATCH: u64 = 200;
/// The largest page `--cloudflare-dns-records-per-page` accepts.
pub const MAX_PER_PAGE: u64 = 5_000;
/// ExternalDNS's default `--interval`, in seconds.
pub const EXTERNALDNS_INTERVAL_SECONDS: u64 = 60;
/// ExternalDNS's default `--min-event-sync-interval`, in seconds.
pub const EXTERNALDNS_MIN_EVENT_SYNC_SECONDS: u64 = 5;
/// Cloudflare's budget: requests per five minutes per user.
pub const CLOUDFLARE_BUDGET: u64 = 1_200;
/// The number of records the steady-state target speaks of.
pub const REFERENCE_ZONE_RECORDS: u64 = 5_000;

/// Calls one client would make.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelCalls {
    pub zones: u64,
    pub list: u64,
    /// Single-record write calls.
    pub single: u64,
    pub batch: u64,
    pub total: u64,
}

impl ModelCalls {
    fn new(zones: u64, list: u64, single: u64, batch: u64) -> Self {
        ModelCalls {
            zones,
            list,
            single,
            batch,
            total: zones + list + single + batch,
        }
    }

    fn times(&self, n: u64) -> Self {
        ModelCalls::new(
            self.zones * n,
            self.list * n,
            self.single * n,
            self.batch * n,
        )
    }
}

/// One scenario as the three clients would do it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub externaldns_v0_14: ModelCalls,
    pub externaldns_v0_21: ModelCalls,
    pub api_minimum: ModelCalls,
}

/// Pages needed to list `records` at `per_page` (an empty zone is one page).
fn pages(records: u64, per_page: u64) -> u64 {
    records.div_ceil(per_page.max(1)).max(1)
}

/// An initial sync of `hostnames` A records into an empty zone.
pub fn initial_sync(hostnames: u64, batch_limit: u64) -> Comparison {
    Comparison {
        // Records() and submitChanges each list zones and the (empty) zone
        // once; then the record, its legacy TXT and its new TXT, one call each.
        externaldns_v0_14: ModelCalls::new(2, 2, 3 * hostnames, 0),
        // The pager's first page is empty, so no extra page; record and new TXT.
        externaldns_v0_21: ModelCalls::new(2, 2, 0, (2 * hostnames).div_ceil(EXTERNALDNS_BATCH)),
        api_minimum: ModelCalls::new(1, 1, 0, (2 * hostnames).div_ceil(batch_limit.max(1))),
    }
}

/// Steady state over five minutes of a zone of `records` records, nothing
/// changing, at ExternalDNS's one-minute interval (five syncs).
pub fn steady_state_five_minutes(records: u64) -> Comparison {
    let syncs = 300 / EXTERNALDNS_INTERVAL_SECONDS;
    let per_page = EXTERNALDNS_PER_PAGE;
    Comparison {
        externaldns_v0_14: ModelCalls::new(1, pages(records, per_page), 0, 0).times(syncs),
        externaldns_v0_21: ModelCalls::new(1, records / per_page + 1, 0, 0).times(syncs),
        api_minimum: ModelCalls::new(0, pages(records, MAX_PER_PAGE), 0, 0).times(syncs),
    }
}

/// Churn: `changes` target changes to hostnames of a zone of `records`
/// records, arriving in rounds of `burst` that one sync each picks up.
pub fn churn(changes: u64, burst: u64, records: u64, batch_limit: u64) -> Comparison {
    let burst = burst.max(1);
    let rounds = changes.div_ceil(burst);
    let per_page = EXTERNALDNS_PER_PAGE;
    let v014_list = 2 * pages(records, per_page);
    let v021_list = 2 * (records / per_page + 1);
    // Per change: delete the old target, create the new one, update the TXT
    // records (v0.14: legacy and new, v0.21+: new only).
    let batches_per_round = (3 * burst).div_ceil(EXTERNALDNS_BATCH);
    Comparison {
        externaldns_v0_14: ModelCalls::new(2 * rounds, v014_list * rounds, 4 * changes, 0),
        externaldns_v0_21: ModelCalls::new(
            2 * rounds,
            v021_list * rounds,
            0,
            batches_per_round * rounds,
        ),
        api_minimum: ModelCalls::new(0, 0, 0, burst.div_ceil(batch_limit.max(1)) * rounds),
    }
}

/// Adoption of a zone ExternalDNS v0.14 manages: `hostnames` A records, each
/// with a legacy and a new-format TXT record; nothing needs writing.
pub fn adoption(hostnames: u64) -> Comparison {
    let records = 3 * hostnames;
    Comparison {
        externaldns_v0_14: ModelCalls::new(1, pages(records, EXTERNALDNS_PER_PAGE), 0, 0),
        externaldns_v0_21: ModelCalls::new(1, records / EXTERNALDNS_PER_PAGE + 1, 0, 0),
        api_minimum: ModelCalls::new(1, pages(records, MAX_PER_PAGE), 0, 0),
    }
}

/// The whole model section of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    /// Says plainly that these are not measurements.
    pub label: &'static str,
    pub source: &'static str,
    pub initial_sync: Comparison,
    /// The same for the paid-plan run's hostnames.
    pub initial_sync_paid: Comparison,
    /// For the run's zone.
    pub steady_state_per_5_minutes: Comparison,
    /// For the 5,000-record zone.
    pub steady_state_per_5_minutes_5000_records: Comparison,
    pub churn: Comparison,
    pub adoption: Comparison,
    /// ExternalDNS's delay from a change to its write, in seconds: up to one
    /// interval by default, at least the minimum event sync interval with
    /// `--events`.
    pub externaldns_event_to_write_default_max_seconds: u64,
    pub externaldns_event_to_write_with_events_min_seconds: u64,
    /// v0.14's client-side limiter: 4 requests per second.
    pub externaldns_v0_14_initial_sync_seconds_at_4_per_second: f64,
    /// Whether v0.14's initial sync alone exceeds 1,200 calls, i.e. ends in a
    /// five-minute lock-out when made within five minutes.
    pub externaldns_v0_14_initial_sync_exceeds_budget: bool,
}

/// What the scenarios' sizes are, for [`Model::for_run`].
#[derive(Clone, Copy, Debug)]
pub struct ModelInputs {
    pub hostnames: u64,
    pub paid_hostnames: u64,
    pub free_batch_limit: u64,
    pub paid_batch_limit: u64,
    pub records: u64,
    pub changes: u64,
    pub burst: u64,
    pub adoption_hostnames: u64,
}

impl Model {
    /// The model for one run's sizes.
    pub fn for_run(inputs: ModelInputs) -> Self {
        let initial = initial_sync(inputs.hostnames, inputs.free_batch_limit);
        let v014_total = initial.externaldns_v0_14.total;
        Model {
            label: "MODEL, not a measurement: calls ExternalDNS would make according to its documented call pattern",
            source: "ExternalDNS behaviour reference, sections 4.5-4.7 (listing, applying, rate limits) and 1.5 (TXT registry)",
            initial_sync: initial,
            initial_sync_paid: initial_sync(inputs.paid_hostnames, inputs.paid_batch_limit),
            steady_state_per_5_minutes: steady_state_five_minutes(inputs.records),
            steady_state_per_5_minutes_5000_records: steady_state_five_minutes(
                REFERENCE_ZONE_RECORDS,
            ),
            churn: churn(
                inputs.changes,
                inputs.burst,
                inputs.records,
                inputs.free_batch_limit,
            ),
            adoption: adoption(inputs.adoption_hostnames),
            externaldns_event_to_write_default_max_seconds: EXTERNALDNS_INTERVAL_SECONDS,
            externaldns_event_to_write_with_events_min_seconds: EXTERNALDNS_MIN_EVENT_SYNC_SECONDS,
            externaldns_v0_14_initial_sync_seconds_at_4_per_second: v014_total as f64 / 4.0,
            externaldns_v0_14_initial_sync_exceeds_budget: v014_total > CLOUDFLARE_BUDGET,
        }
    }
}
