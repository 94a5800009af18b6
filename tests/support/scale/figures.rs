//! Figures computed from what the fakes recorded: Cloudflare calls by kind,
//! batch sizes and 429s from the sandbox's call log, and delay percentiles.

use std::time::{Duration, SystemTime};

use flaredns::sandbox::{CallEntry, CallKind};
use serde::Serialize;

/// Cloudflare API calls, by what they did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Calls {
    /// `GET /user/tokens/verify`.
    pub verify: u64,
    /// `GET /zones` and `GET /zones/{id}`.
    pub zones: u64,
    /// `GET /zones/{id}/dns_records` pages.
    pub list: u64,
    /// `POST /zones/{id}/dns_records/batch`.
    pub batch: u64,
    /// Calls on one record (get, create, update, patch, delete).
    pub single: u64,
    /// Anything else.
    pub other: u64,
    /// Every call.
    pub total: u64,
    /// Calls that change records: batches and single-record writes.
    pub writes: u64,
    /// Calls answered 429.
    pub rate_limited: u64,
    /// Operations per batch call, in order.
    pub batch_sizes: Vec<usize>,
}

impl Calls {
    /// The figures of a slice of the call log.
    pub fn of(entries: &[CallEntry]) -> Self {
        let mut calls = Calls::default();
        for entry in entries {
            calls.total += 1;
            if entry.kind.is_write() {
                calls.writes += 1;
            }
            if entry.status == Some(429) {
                calls.rate_limited += 1;
            }
            match entry.kind {
                CallKind::Verify => calls.verify += 1,
                CallKind::Zones => calls.zones += 1,
                CallKind::List => calls.list += 1,
                CallKind::Batch => {
                    calls.batch += 1;
                    calls.batch_sizes.push(entry.operations.unwrap_or(0));
                }
                CallKind::Get
                | CallKind::Create
                | CallKind::Update
                | CallKind::Patch
                | CallKind::Delete => calls.single += 1,
                CallKind::Other => calls.other += 1,
            }
        }
        calls
    }

    /// Operations carried by all batches.
    pub fn batch_operations(&self) -> usize {
        self.batch_sizes.iter().sum()
    }
}

/// The calls made at or after `since`, in log order.
pub fn since(entries: &[CallEntry], since: SystemTime) -> Vec<CallEntry> {
    entries.iter().filter(|e| e.at >= since).cloned().collect()
}

/// Delay percentiles over a set of samples, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles (the smallest sample with at least p % of the
    /// samples at or below it). Hand-written: four ranks of a sorted list do
    /// not need a histogram crate.
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let index = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted[index.clamp(1, sorted.len()) - 1]
        };
        Percentiles {
            samples: sorted.len(),
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: sorted.last().copied().unwrap_or(0.0),
        }
    }
}

/// The value of an unlabelled sample in Prometheus text, e.g.
/// `flaredns_reconcile_duration_seconds_count 3`.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}
