//! Planning a zone part by part, so that a pass's memory does not grow with
//! the zone.
//!
//! Resolving a zone and planning it take a few hundred bytes per name while
//! they run (the zone's endpoints, the desired endpoints normalised and sorted
//! into rows). The planner and the registry only ever relate a name to itself:
//! its records, the records of other types at the name, the ownership records
//! that claim them and the endpoints that ask for it. A pass therefore splits
//! the names into slices by a hash of [`TxtRegistry::resolve_key`], and
//! resolves and plans one slice at a time ([`SlicedZone`]). Together the
//! slices plan exactly what one plan of the whole zone would
//! (`tests/it/plan_properties.rs` checks it).
//!
//! One thing crosses names: a new record may reuse a leftover ownership record
//! of ours found by its TXT name, and a TXT name does not always read back to
//! the name it was made for (`--txt-prefix=%{record_type}` without a
//! separator). Every slice therefore plans with the ownership records that
//! claim nothing anywhere in the zone and whose name a name of the slice would
//! give its ownership record.
//!
//! A pass stays linear in the zone: the zone is read once to group its records
//! by slice and to find those leftover records ([`TxtRegistry::survey`]), each
//! slice is resolved once, and the desired state keeps the hash each
//! endpoint's slice is chosen by ([`key_hash`]).

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::endpoint::ZoneRecord;
use crate::registry::txt::TxtRegistry;
use crate::registry::{CurrentState, OwnershipRecord};

/// Names a slice holds by default (`--plan-slice-size`): large enough that the
/// per-slice work stays small next to the planning, small enough that a slice
/// takes a megabyte or two.
pub const DEFAULT_SLICE_NAMES: usize = 1_000;

/// The hash a slice is chosen by, of a key (see [`TxtRegistry::resolve_key`]).
/// Fixed-key: a key hashes the same every time, so that the desired state can
/// keep it.
pub fn key_hash(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// How a pass splits the names of a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slicing {
    count: u64,
}

impl Slicing {
    /// Enough slices for `names` names at most `per_slice` to a slice.
    pub fn for_names(names: usize, per_slice: usize) -> Self {
        let count = names.div_ceil(per_slice.max(1)).max(1);
        Slicing {
            count: count as u64,
        }
    }

    /// The number of slices, at least one.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The slice of a key (see [`TxtRegistry::resolve_key`]).
    pub fn of_key(&self, key: &str) -> u64 {
        if self.count == 1 {
            return 0;
        }
        self.of_hash(key_hash(key))
    }

    /// The slice of a key by its [`key_hash`].
    pub fn of_hash(&self, hash: u64) -> u64 {
        hash % self.count
    }

    /// The slice of a zone record.
    pub fn of_record(&self, registry: &TxtRegistry, record: &ZoneRecord) -> u64 {
        if self.count == 1 {
            return 0;
        }
        self.of_key(&registry.resolve_key(record))
    }

    /// The slice of a desired endpoint, by its name.
    pub fn of_name(&self, registry: &TxtRegistry, dns_name: &str) -> u64 {
        if self.count == 1 {
            return 0;
        }
        self.of_key(&registry.name_mapper().lookup_name(dns_name))
    }
}

/// A zone read for planning slice by slice: its records grouped by slice, and
/// the ownership records that claim nothing in any slice, each offered to the
/// slices whose new records could reuse it. Built in one reading of the zone
/// ([`TxtRegistry::survey`]); each slice is then resolved once.
pub struct SlicedZone<'z> {
    slicing: Slicing,
    /// The records of each slice.
    slices: Vec<Vec<&'z ZoneRecord>>,
    /// With more than one slice: every ownership record that claims nothing,
    /// in the order a resolve of the whole zone lists them.
    dangling: Vec<OwnershipRecord<'z>>,
    /// For each slice, the dangling records (indices, in order) whose name is
    /// the ownership record name of some name in the slice.
    dangling_of: Vec<Vec<usize>>,
}

impl<'z> SlicedZone<'z> {
    pub fn new(
        registry: &TxtRegistry,
        records: impl IntoIterator<Item = &'z ZoneRecord>,
        slicing: Slicing,
    ) -> Self {
        let count = slicing.count() as usize;
        if count == 1 {
            // One resolve of the whole zone finds the dangling records itself.
            return SlicedZone {
                slicing,
                slices: vec![records.into_iter().collect()],
                dangling: Vec::new(),
                dangling_of: Vec::new(),
            };
        }
        let mut slices = vec![Vec::new(); count];
        let dangling = registry.survey(records, |record, key| {
            slices[slicing.of_key(key) as usize].push(record);
        });
        let mut dangling_of = vec![Vec::new(); count];
        for (i, leftover) in dangling.iter().enumerate() {
            let names = registry
                .name_mapper()
                .lookup_names_made_into(&leftover.record.name);
            let mut offered: Vec<usize> = names
                .iter()
                .map(|name| slicing.of_key(name) as usize)
                .collect();
            offered.sort_unstable();
            offered.dedup();
            for slice in offered {
                dangling_of[slice].push(i);
            }
        }
        SlicedZone {
            slicing,
            slices,
            dangling,
            dangling_of,
        }
    }

    pub fn slicing(&self) -> Slicing {
        self.slicing
    }

    /// The records of slice `slice`.
    pub fn records_of(&self, slice: u64) -> &[&'z ZoneRecord] {
        self.slices
            .get(slice as usize)
            .map_or(&[], |records| records.as_slice())
    }

    /// Slice `slice` of the zone, resolved, with the ownership records that
    /// claim nothing in the zone and that a new record of the slice could
    /// reuse (the planner looks for no other).
    pub fn resolve(&self, registry: &TxtRegistry, slice: u64) -> CurrentState<'z> {
        let mut current = registry.resolve(self.records_of(slice).iter().copied());
        if self.slicing.count() > 1 {
            current.dangling_ownership = self
                .dangling_of
                .get(slice as usize)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&i| self.dangling[i].clone())
                .collect();
        }
        current
    }

    /// Whether endpoints named `dns_name` are planned in slice `slice`.
    pub fn plans(&self, registry: &TxtRegistry, slice: u64, dns_name: &str) -> bool {
        self.slicing.of_name(registry, dns_name) == slice
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, RecordType};
    use crate::registry::txt::TxtRegistryConfig;

    fn registry() -> TxtRegistry {
        TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            prefix: "%{record_type}-".to_string(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn slices_are_sized_by_names() {
        assert_eq!(Slicing::for_names(0, 2000).count(), 1);
        assert_eq!(Slicing::for_names(2000, 2000).count(), 1);
        assert_eq!(Slicing::for_names(2001, 2000).count(), 2);
        assert_eq!(Slicing::for_names(21_000, 2000).count(), 11);
        assert_eq!(Slicing::for_names(10, 0).count(), 10);
    }

    #[test]
    fn a_record_its_ownership_record_and_its_endpoint_share_a_slice() {
        let registry = registry();
        let slicing = Slicing::for_names(1000, 10);
        let heritage = "\"heritage=external-dns,external-dns/owner=me\"";
        for i in 0..200 {
            let name = format!("h{i}.example.com");
            let record = ZoneRecord::new("1", "z", &name, RecordType::A, "192.0.2.1");
            let txt_name = format!("a-h{i}.example.com");
            let txt = ZoneRecord::new("2", "z", &txt_name, RecordType::Txt, heritage);
            let endpoint = Endpoint::new(&name, RecordType::A, ["192.0.2.1"]).unwrap();
            let slice = slicing.of_record(&registry, &record);
            assert_eq!(slicing.of_record(&registry, &txt), slice, "{txt_name}");
            assert_eq!(
                slicing.of_name(&registry, &endpoint.dns_name),
                slice,
                "{name}"
            );
        }
        // The slices are used: 200 names do not all land in one of 100.
        let used: std::collections::BTreeSet<u64> = (0..200)
            .map(|i| slicing.of_key(&format!("h{i}.example.com")))
            .collect();
        assert!(used.len() > 50, "{used:?}");
    }

    proptest::proptest! {
        #[test]
        fn a_name_falls_in_the_slice_of_its_lookup_name(name in "[*]?[a-zA-Z0-9.-]{0,20}") {
            let registry = TxtRegistry::new(TxtRegistryConfig {
                owner_id: "me".to_string(),
                wildcard_replacement: "any".to_string(),
                ..Default::default()
            })
            .unwrap();
            let slicing = Slicing::for_names(100, 1);
            let lookup = registry.name_mapper().lookup_name(&name);
            proptest::prop_assert_eq!(slicing.of_name(&registry, &name), slicing.of_key(&lookup));
        }
    }

    /// A zone of `names` names (a record and its ownership record each) and
    /// a few leftover ownership records.
    fn zone(names: usize) -> Vec<ZoneRecord> {
        let heritage = "\"heritage=external-dns,external-dns/owner=me\"";
        let mut records = Vec::new();
        for i in 0..names {
            let name = format!("h{i}.example.com");
            records.push(ZoneRecord::new(
                format!("r{i}"),
                "z",
                &name,
                RecordType::A,
                "192.0.2.1",
            ));
            let txt_name = format!("a-{name}");
            records.push(ZoneRecord::new(
                format!("t{i}"),
                "z",
                txt_name,
                RecordType::Txt,
                heritage,
            ));
        }
        for i in 0..names / 10 {
            let txt_name = format!("a-gone{i}.example.com");
            records.push(ZoneRecord::new(
                format!("g{i}"),
                "z",
                txt_name,
                RecordType::Txt,
                heritage,
            ));
        }
        records
    }

    #[test]
    fn each_record_is_resolved_once_whatever_the_slicing() {
        let registry = registry();
        let records = zone(1000);
        let whole = registry.resolve(&records);
        for per_slice in [1000, 100, 10, 1] {
            let slicing = Slicing::for_names(1000, per_slice);
            let sliced = SlicedZone::new(&registry, &records, slicing);
            let resolved: usize = (0..slicing.count())
                .map(|k| sliced.records_of(k).len())
                .sum();
            assert_eq!(resolved, records.len(), "{per_slice} names a slice");
            // Each leftover record is offered to the slice of its name alone.
            let offered: usize = (0..slicing.count())
                .map(|k| sliced.resolve(&registry, k).dangling_ownership.len())
                .sum();
            assert_eq!(offered, whole.dangling_ownership.len(), "{per_slice}");
        }
    }

    #[test]
    fn a_plain_txt_record_falls_in_its_own_names_slice() {
        let registry = registry();
        let slicing = Slicing::for_names(1000, 10);
        // Not a heritage value: an ordinary TXT record named `a-h1`.
        let txt = ZoneRecord::new("2", "z", "a-h1.example.com", RecordType::Txt, "\"v=spf1\"");
        assert_eq!(
            slicing.of_record(&registry, &txt),
            slicing.of_key("a-h1.example.com")
        );
    }

    #[test]
    fn a_leftover_ownership_record_is_reused_from_any_slice() {
        // With a bare `%{record_type}` prefix, `aaaafoo` (AAAA foo) reads back
        // as A `aaafoo`: the leftover record falls in another name's slice.
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            prefix: "%{record_type}".to_string(),
            ..Default::default()
        })
        .unwrap();
        let zone = crate::endpoint::Zone {
            id: "z".to_string(),
            name: "example.com".to_string(),
            paid_plan: false,
        };
        let config = crate::plan::PlanConfig {
            zones: vec![zone],
            ..Default::default()
        };
        let leftover =
            "\"heritage=external-dns,external-dns/owner=me,external-dns/resource=crd/default/x\"";
        let records = vec![ZoneRecord::new(
            "1",
            "z",
            "aaaafoo.example.com",
            RecordType::Txt,
            leftover,
        )];
        let desired = vec![
            Endpoint::new("foo.example.com", RecordType::Aaaa, ["2001:db8::1"])
                .unwrap()
                .with_label("resource", "crd/default/x"),
        ];
        let whole = crate::plan::compute(
            desired.clone(),
            &registry.resolve(&records),
            &registry,
            &config,
        );
        // Enough slices that the two names part.
        let slicing = (2..64)
            .map(|n| Slicing::for_names(n, 1))
            .find(|s| s.of_key("foo.example.com") != s.of_key("aaafoo.example.com"))
            .expect("some slicing parts the names");
        let sliced = SlicedZone::new(&registry, &records, slicing);
        let slice = slicing.of_key("foo.example.com");
        let part = crate::plan::compute(
            desired,
            &sliced.resolve(&registry, slice),
            &registry,
            &config,
        );
        assert_eq!(part.units, whole.units);
        // The record is created and the leftover TXT record kept, not doubled.
        let ops = &whole.units[0].operations;
        assert_eq!(ops.len(), 1, "{ops:?}");
    }
}
