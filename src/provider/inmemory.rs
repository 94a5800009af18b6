//! An in-memory zone that applies change units the way Cloudflare would: one
//! record per content, ids assigned on create, proxied records stored with TTL 1.
//!
//! Used by `--provider=inmemory`, by the planner's property tests ("apply, then
//! plan again: nothing to do") and by examples. It leaves out everything
//! Cloudflare validates (see the sandbox for that).

use crate::endpoint::{Zone, ZoneRecord, normalize_name};
use crate::plan::{ChangeUnit, RecordOp, RecordSpec};
use crate::record::AUTO_TTL;

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
    /// creates, as Cloudflare's batch does.
    pub fn apply(&mut self, units: &[ChangeUnit]) {
        for unit in units {
            for op in &unit.operations {
                if let RecordOp::Delete { record } = op {
                    self.records.retain(|r| r.id != record.id);
                }
            }
            for op in &unit.operations {
                if let RecordOp::Update { before, after } = op
                    && let Some(r) = self.records.iter_mut().find(|r| r.id == before.id)
                {
                    let id = r.id.clone();
                    *r = to_record(id.to_string(), &unit.zone_id, after);
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
                    self.records.push(to_record(id, &unit.zone_id, record));
                }
            }
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
