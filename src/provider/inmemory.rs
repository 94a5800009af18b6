//! An in-memory zone that applies change units the way Cloudflare would: one
//! record per content, ids assigned on create, proxied records stored with TTL 1.
//!
//! Used by `--provider=inmemory` and by tests of the reconcile pass without
//! HTTP ([`InMemoryStore`], a [`ZoneStore`]), by the planner's property tests
//! ("apply, then plan again: nothing to do") and by examples. It leaves out
//! everything Cloudflare validates (the sandbox checks that), batches (every
//! unit is applied at once, and one apply counts as one call) and failures
//! (nothing is ever refused).

use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::endpoint::{Zone, ZoneRecord, normalize_name};
use crate::plan::{ChangeUnit, RecordOp, RecordSpec};
use crate::provider::{ApplyReport, BatchSent, CallCounts, ZoneStore};
use crate::record::AUTO_TTL;
use crate::sync::lock;

/// Records of one or more zones, held in memory.
#[derive(Clone, Debug, Default)]
pub struct InMemoryZones {
    zones: Vec<Zone>,
    records: Vec<ZoneRecord>,
    next_id: u64,
}

impl InMemoryZones {
    pub fn new(zones: Vec<Zone>, records: Vec<ZoneRecord>) -> Self {
        // New ids never collide with the ids the records came with.
        let next_id = records
            .iter()
            .filter_map(|r| u64::from_str_radix(&r.id, 16).ok())
            .max()
            .map_or(1, |max| max.saturating_add(1));
        InMemoryZones {
            zones,
            records,
            next_id,
        }
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    pub fn records(&self) -> &[ZoneRecord] {
        &self.records
    }

    /// Applies the units in order; within a unit deletes, then updates, then
    /// creates, as Cloudflare's batch does. Returns what it wrote and deleted.
    pub fn apply(&mut self, units: &[ChangeUnit]) -> Applied {
        let mut applied = Applied::default();
        for unit in units {
            for op in &unit.operations {
                if let RecordOp::Delete { record } = op {
                    self.records.retain(|r| r.id != record.id);
                    applied.deleted.push(record.id.to_string());
                }
            }
            for op in &unit.operations {
                if let RecordOp::Update { before, after } = op
                    && let Some(r) = self.records.iter_mut().find(|r| r.id == before.id)
                {
                    let id = r.id.clone();
                    *r = to_record(id.to_string(), &unit.zone_id, after);
                    applied.written.push(r.clone());
                }
            }
            for op in &unit.operations {
                if let RecordOp::Create { record } = op {
                    let mut id = format!("{:032x}", self.next_id);
                    while self.records.iter().any(|r| *r.id == *id) {
                        self.next_id += 1;
                        id = format!("{:032x}", self.next_id);
                    }
                    self.next_id += 1;
                    let created = to_record(id, &unit.zone_id, record);
                    applied.written.push(created.clone());
                    self.records.push(created);
                }
            }
        }
        applied
    }
}

/// What one [`InMemoryZones::apply`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// Records created or updated, as stored.
    pub written: Vec<ZoneRecord>,
    /// Ids of the records deleted.
    pub deleted: Vec<String>,
}

/// In-memory zones as a [`ZoneStore`], with the calls made to it counted.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    zones: Mutex<InMemoryZones>,
    reads: AtomicU64,
    applies: AtomicU64,
}

impl InMemoryStore {
    pub fn new(zones: InMemoryZones) -> Self {
        InMemoryStore {
            zones: Mutex::new(zones),
            ..Default::default()
        }
    }

    /// The records held now.
    pub fn records(&self) -> Vec<ZoneRecord> {
        lock(&self.zones).records().to_vec()
    }

    /// Reads made so far (one per zone read).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Applies made so far (one per call that applied at least one unit).
    pub fn applies(&self) -> u64 {
        self.applies.load(Ordering::Relaxed)
    }
}

impl ZoneStore for InMemoryStore {
    type ReadError = Infallible;

    async fn read_pages(&self, zones: &[Zone]) -> Result<Vec<Vec<ZoneRecord>>, Infallible> {
        let held = lock(&self.zones);
        let pages = zones
            .iter()
            .map(|zone| {
                self.reads.fetch_add(1, Ordering::Relaxed);
                held.records()
                    .iter()
                    .filter(|r| *r.zone_id == *zone.id)
                    .cloned()
                    .collect()
            })
            .collect();
        Ok(pages)
    }

    async fn apply(&self, units: &[ChangeUnit], _zones: &[Zone]) -> ApplyReport {
        if units.is_empty() {
            return ApplyReport::default();
        }
        self.applies.fetch_add(1, Ordering::Relaxed);
        let applied = lock(&self.zones).apply(units);
        let mut batches: Vec<BatchSent> = Vec::new();
        for unit in units {
            match batches.iter_mut().find(|b| b.zone_id == unit.zone_id) {
                Some(batch) => {
                    batch.operations += unit.operations.len();
                    batch.names.push(unit.name.clone());
                }
                None => batches.push(BatchSent {
                    zone_id: unit.zone_id.clone(),
                    operations: unit.operations.len(),
                    names: vec![unit.name.clone()],
                    applied: true,
                }),
            }
        }
        ApplyReport {
            batches,
            applied: units.len(),
            written: applied.written,
            deleted: applied.deleted,
            ..ApplyReport::default()
        }
    }

    fn split_ready(
        &self,
        units: Vec<ChangeUnit>,
        _zones: &[Zone],
    ) -> (Vec<ChangeUnit>, Vec<ChangeUnit>) {
        (units, Vec::new())
    }

    fn calls(&self) -> CallCounts {
        CallCounts {
            list: self.reads(),
            batch: self.applies(),
            ..CallCounts::default()
        }
    }
}

fn to_record(id: String, zone_id: &str, spec: &RecordSpec) -> ZoneRecord {
    let mut data = spec.data.clone();
    if data.proxied {
        data.ttl = AUTO_TTL;
    }
    ZoneRecord {
        id: id.into_boxed_str(),
        zone_id: zone_id.into(),
        name: normalize_name(&spec.name),
        record_type: spec.record_type,
        data,
    }
}
