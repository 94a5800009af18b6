//! Packing change units into Cloudflare batch calls
//! (`POST /zones/{id}/dns_records/batch`).
//!
//! A batch runs in one database transaction, so a unit (every change to one name,
//! its records and their ownership TXT records) that travels in one batch can
//! never leave a record without its owner. Units are therefore never split across
//! batches, unless one unit alone has more operations than a batch may carry; then
//! it is cut in order (deletes, updates, creates, with ownership records ahead of
//! the records they own) and the chunk says so.

use crate::plan::ChangeUnit;

/// Cloudflare's per-batch operation limit on the Free plan.
pub const FREE_PLAN_BATCH_LIMIT: usize = 200;
/// Cloudflare's per-batch operation limit on paid plans.
pub const PAID_PLAN_BATCH_LIMIT: usize = 3_500;

/// The operations of one batch call: whole units, or a slice of one oversized unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub zone_id: &'a str,
    pub parts: Vec<UnitPart<'a>>,
}

/// A unit, or the operations `range` of it when it had to be cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitPart<'a> {
    pub unit: &'a ChangeUnit,
    pub range: std::ops::Range<usize>,
}

impl Chunk<'_> {
    /// The number of operations in the chunk (what Cloudflare's limit counts).
    pub fn operation_count(&self) -> usize {
        self.parts.iter().map(|p| p.range.len()).sum()
    }

    /// Whether this chunk carries only part of a unit.
    pub fn is_partial(&self) -> bool {
        self.parts
            .iter()
            .any(|p| p.range.len() != p.unit.operations.len())
    }
}

/// Packs units into chunks of at most `limit` operations, zone by zone, keeping
/// each unit whole and the units' order. `limit` is at least 1.
pub fn chunk(units: &[ChangeUnit], limit: usize) -> Vec<Chunk<'_>> {
    chunk_by_zone(units, |_| limit)
}

/// [`chunk`] with a limit per zone (a zone's plan sets its batch limit).
pub fn chunk_by_zone(units: &[ChangeUnit], limit_of: impl Fn(&str) -> usize) -> Vec<Chunk<'_>> {
    let mut zones: Vec<&str> = Vec::new();
    for unit in units {
        if !zones.contains(&unit.zone_id.as_str()) {
            zones.push(&unit.zone_id);
        }
    }
    let mut chunks = Vec::new();
    for zone_id in zones {
        let limit = limit_of(zone_id).max(1);
        let mut current = Chunk {
            zone_id,
            parts: Vec::new(),
        };
        for unit in units.iter().filter(|u| u.zone_id == zone_id) {
            let size = unit.operations.len();
            if size == 0 {
                continue;
            }
            if current.operation_count() + size > limit && !current.parts.is_empty() {
                chunks.push(std::mem::replace(
                    &mut current,
                    Chunk {
                        zone_id,
                        parts: Vec::new(),
                    },
                ));
            }
            if size <= limit {
                current.parts.push(UnitPart {
                    unit,
                    range: 0..size,
                });
                continue;
            }
            // One unit larger than a batch: cut it into full batches of its own.
            let mut start = 0;
            while start < size {
                let end = (start + limit).min(size);
                chunks.push(Chunk {
                    zone_id,
                    parts: vec![UnitPart {
                        unit,
                        range: start..end,
                    }],
                });
                start = end;
            }
        }
        if !current.parts.is_empty() {
            chunks.push(current);
        }
    }
    chunks
}

/// Splits units into those whose batches are complete and those that would
/// share a batch with units still to come: each zone's last chunk while it has
/// room left. Sending the first now and the rest together with the next units
/// makes the same batches as sending them all at once, so a pass can apply its
/// changes part by part without an extra call.
pub fn split_ready(
    units: Vec<ChangeUnit>,
    limit_of: impl Fn(&str) -> usize,
) -> (Vec<ChangeUnit>, Vec<ChangeUnit>) {
    let open: std::collections::HashSet<*const ChangeUnit> = {
        let chunks = chunk_by_zone(&units, &limit_of);
        let mut last_of_zone: Vec<&Chunk<'_>> = Vec::new();
        for chunk in &chunks {
            match last_of_zone.iter_mut().find(|c| c.zone_id == chunk.zone_id) {
                Some(last) => *last = chunk,
                None => last_of_zone.push(chunk),
            }
        }
        last_of_zone
            .into_iter()
            .filter(|c| !c.is_partial() && c.operation_count() < limit_of(c.zone_id).max(1))
            .flat_map(|c| c.parts.iter().map(|p| std::ptr::from_ref(p.unit)))
            .collect()
    };
    if open.is_empty() {
        return (units, Vec::new());
    }
    let flags: Vec<bool> = units
        .iter()
        .map(|u| open.contains(&std::ptr::from_ref(u)))
        .collect();
    let mut ready = Vec::with_capacity(units.len() - open.len());
    let mut rest = Vec::with_capacity(open.len());
    for (unit, is_open) in units.into_iter().zip(flags) {
        if is_open {
            rest.push(unit);
        } else {
            ready.push(unit);
        }
    }
    (ready, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use crate::plan::{RecordOp, RecordSpec};

    fn unit(zone: &str, name: &str, ops: usize) -> ChangeUnit {
        ChangeUnit {
            zone_id: zone.to_string(),
            zone_name: "example.com".to_string(),
            name: name.to_string(),
            set_identifier: String::new(),
            changes: Vec::new(),
            operations: (0..ops)
                .map(|i| RecordOp::Create {
                    record: RecordSpec {
                        name: name.to_string(),
                        record_type: RecordType::A,
                        data: crate::record::RecordData::new(format!("10.0.0.{i}")),
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn a_thousand_hostnames_fit_in_ten_free_plan_batches() {
        // 1,000 hostnames, each a record and its ownership TXT record.
        let units: Vec<_> = (0..1000).map(|i| unit("z", &format!("h{i}"), 2)).collect();
        let chunks = chunk(&units, FREE_PLAN_BATCH_LIMIT);
        assert_eq!(chunks.len(), 10);
        assert!(
            chunks
                .iter()
                .all(|c| c.operation_count() == 200 && !c.is_partial())
        );
        assert_eq!(chunk(&units, PAID_PLAN_BATCH_LIMIT).len(), 1);
    }

    #[test]
    fn units_are_never_split_between_batches() {
        let units: Vec<_> = (0..10).map(|i| unit("z", &format!("h{i}"), 3)).collect();
        let chunks = chunk(&units, 7);
        assert!(chunks.iter().all(|c| c.operation_count() <= 7));
        assert!(chunks.iter().all(|c| !c.is_partial()));
        let total: usize = chunks.iter().map(Chunk::operation_count).sum();
        assert_eq!(total, 30);
    }

    #[test]
    fn zones_get_batches_of_their_own() {
        let units = vec![unit("a", "x", 1), unit("b", "y", 1), unit("a", "z", 1)];
        let chunks = chunk(&units, 200);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].zone_id, "a");
        assert_eq!(chunks[0].operation_count(), 2);
        assert_eq!(chunks[1].zone_id, "b");
    }

    #[test]
    fn an_oversized_unit_is_cut_in_order() {
        let units = vec![unit("z", "small", 2), unit("z", "huge", 5)];
        let chunks = chunk(&units, 2);
        let ranges: Vec<_> = chunks
            .iter()
            .map(|c| (c.parts[0].unit.name.as_str(), c.parts[0].range.clone()))
            .collect();
        assert_eq!(
            ranges,
            vec![
                ("small", 0..2),
                ("huge", 0..2),
                ("huge", 2..4),
                ("huge", 4..5)
            ]
        );
        assert!(chunks[1].is_partial());
    }

    /// A chunk as comparable data: its zone and (name, operations) of each part.
    type Described = (String, Vec<(String, std::ops::Range<usize>)>);

    fn described(chunks: Vec<Chunk<'_>>) -> Vec<Described> {
        chunks
            .into_iter()
            .map(|c| {
                let parts = c
                    .parts
                    .iter()
                    .map(|p| (p.unit.name.clone(), p.range.clone()));
                (c.zone_id.to_string(), parts.collect())
            })
            .collect()
    }

    #[test]
    fn an_unfilled_last_chunk_waits_for_more_units() {
        let units: Vec<_> = (0..250).map(|i| unit("z", &format!("h{i}"), 2)).collect();
        let (ready, rest) = split_ready(units, |_| FREE_PLAN_BATCH_LIMIT);
        assert_eq!((ready.len(), rest.len()), (200, 50));
        assert_eq!(ready[0].name, "h0");
        assert_eq!(rest[0].name, "h200");
        // A chunk that is exactly full is complete.
        let units: Vec<_> = (0..100).map(|i| unit("z", &format!("h{i}"), 2)).collect();
        let (ready, rest) = split_ready(units, |_| FREE_PLAN_BATCH_LIMIT);
        assert_eq!((ready.len(), rest.len()), (100, 0));
    }

    proptest::proptest! {
        #[test]
        fn sending_ready_units_part_by_part_makes_the_same_batches(
            units in proptest::collection::vec((0usize..2, 0usize..8, proptest::bool::ANY), 0..60),
            limit in 1usize..12,
        ) {
            let all: Vec<ChangeUnit> = units
                .iter()
                .enumerate()
                .map(|(i, (zone, ops, _))| unit(["z1", "z2"][*zone], &format!("h{i}"), *ops))
                .collect();
            let at_once = described(chunk(&all, limit));
            let mut sent = Vec::new();
            let mut pending = Vec::new();
            for (unit, (_, _, send_now)) in all.into_iter().zip(&units) {
                pending.push(unit);
                if *send_now {
                    let (ready, rest) = split_ready(std::mem::take(&mut pending), |_| limit);
                    sent.extend(described(chunk(&ready, limit)));
                    pending = rest;
                }
            }
            sent.extend(described(chunk(&pending, limit)));
            // Zones interleave differently; each zone's batches are the same.
            sent.sort_by(|a, b| a.0.cmp(&b.0));
            let mut at_once = at_once;
            at_once.sort_by(|a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(sent, at_once);
        }
    }
}
