//! Property tests for the planner's invariants (DESIGN.md 1–4 and 6), over random
//! desired sets, random zones with owned, foreign, legacy-owned and unowned
//! records, random domain filters and all three policies.
//!
//! Each case plans, checks the invariants on the plan, applies it to an in-memory
//! zone the way Cloudflare would, reads the zone back through the TXT registry and
//! plans again: the second plan must be empty.

use std::collections::{BTreeMap, BTreeSet};

use flaredns::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
use flaredns::filter::DomainFilter;
use flaredns::plan::slices::{SlicedZone, Slicing};
use flaredns::plan::{self, Action, Desired, HoldReason, Plan, PlanConfig, Policy, RecordOp};
use flaredns::provider::inmemory::InMemoryZones;
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};
use proptest::prelude::*;

const OWNER: &str = "us";
const ZONES: [&str; 2] = ["example.com", "example.org"];
const LABELS: [&str; 5] = ["a", "b", "c", "www.d", "e"];
const RESOURCES: [&str; 4] = [
    "ingress/default/one",
    "ingress/default/two",
    "service/default/three",
    "crd/default/four",
];

fn registry() -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: OWNER.to_string(),
        ..TxtRegistryConfig::default()
    })
    .expect("valid registry config")
}

fn zones() -> Vec<Zone> {
    ZONES
        .iter()
        .enumerate()
        .map(|(i, z)| Zone {
            id: format!("{:032x}", 0xA000 + i),
            name: z.to_string(),
            paid_plan: false,
        })
        .collect()
}

fn target(record_type: RecordType, n: u8) -> String {
    match record_type {
        RecordType::A => format!("192.0.2.{}", n % 4 + 1),
        RecordType::Aaaa => format!("2001:db8::{:x}", n % 4 + 1),
        _ => format!("lb{}.example.net", n % 3),
    }
}

fn arb_type() -> impl Strategy<Value = RecordType> {
    prop_oneof![
        4 => Just(RecordType::A),
        2 => Just(RecordType::Aaaa),
        2 => Just(RecordType::Cname),
        1 => Just(RecordType::Txt),
    ]
}

fn arb_name() -> impl Strategy<Value = String> {
    (0..LABELS.len(), 0..ZONES.len()).prop_map(|(l, z)| format!("{}.{}", LABELS[l], ZONES[z]))
}

prop_compose! {
    fn arb_endpoint()(
        name in arb_name(),
        record_type in arb_type(),
        targets in proptest::collection::btree_set(0u8..6, 1..3),
        ttl in proptest::option::of(prop_oneof![Just(1u32), Just(120), Just(300), Just(3600)]),
        proxied in proptest::option::of(any::<bool>()),
        resource in 0..RESOURCES.len(),
    ) -> Endpoint {
        let targets: Vec<String> = targets.into_iter().map(|n| match record_type {
            RecordType::Txt => format!("\"text {n}\""),
            t => target(t, n),
        }).collect();
        let mut e = Endpoint::new(&name, record_type, &targets)
            .expect("generated targets are valid")
            .with_ttl(ttl)
            .with_label("resource", RESOURCES[resource]);
        e.cloudflare.proxied = proxied;
        e
    }
}

/// How a generated current record is owned.
#[derive(Clone, Copy, Debug)]
enum Owner {
    Us,
    UsLegacyOnly,
    Foreign,
    Nobody,
}

fn arb_owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        Just(Owner::Us),
        Just(Owner::UsLegacyOnly),
        Just(Owner::Foreign),
        Just(Owner::Nobody)
    ]
}

/// One generated current record set (a name and type with its contents).
#[derive(Clone, Debug)]
struct Generated {
    name: String,
    record_type: RecordType,
    contents: Vec<String>,
    ttl: u32,
    proxied: bool,
    owner: Owner,
    resource: &'static str,
}

prop_compose! {
    fn arb_current()(
        name in arb_name(),
        record_type in prop_oneof![Just(RecordType::A), Just(RecordType::Aaaa), Just(RecordType::Cname)],
        contents in proptest::collection::btree_set(0u8..6, 1..3),
        ttl in prop_oneof![Just(1u32), Just(120), Just(300)],
        proxied in any::<bool>(),
        owner in arb_owner(),
        resource in 0..RESOURCES.len(),
    ) -> Generated {
        let contents: BTreeSet<String> = contents.into_iter().map(|n| target(record_type, n)).collect();
        let contents = contents.into_iter().collect();
        Generated { name, record_type, contents, ttl, proxied, owner, resource: RESOURCES[resource] }
    }
}

/// Builds a zone from generated records, with their ownership TXT records. A
/// CNAME never shares its name with another record, as at Cloudflare.
fn build_zone(generated: Vec<Generated>) -> Vec<ZoneRecord> {
    let zones = zones();
    let mut records = Vec::new();
    let mut taken: BTreeMap<String, BTreeSet<RecordType>> = BTreeMap::new();
    let mut next = 1u64;
    let mut push = |records: &mut Vec<ZoneRecord>,
                    name: &str,
                    t: RecordType,
                    content: &str,
                    ttl: u32,
                    proxied: bool| {
        let zone = zones
            .iter()
            .find(|z| name.ends_with(&z.name))
            .expect("zone");
        let mut record = ZoneRecord::new(format!("{next:032x}"), zone.id.clone(), name, t, content);
        record.data.ttl = if proxied { 1 } else { ttl };
        record.data.proxied = proxied && t.is_proxiable();
        records.push(record);
        next += 1;
    };
    for Generated {
        name,
        record_type: t,
        contents,
        ttl,
        proxied,
        owner,
        resource,
    } in generated
    {
        let types = taken.entry(name.clone()).or_default();
        let clash = types.contains(&t)
            || (t == RecordType::Cname && !types.is_empty())
            || types.contains(&RecordType::Cname);
        if clash {
            continue;
        }
        types.insert(t);
        for content in &contents {
            push(&mut records, &name, t, content, ttl, proxied);
        }
        let value = |owner: &str| {
            format!(
                "\"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}\""
            )
        };
        let type_prefixed = {
            let (head, rest) = name.split_once('.').expect("two labels");
            format!("{}-{head}.{rest}", t.as_str().to_lowercase())
        };
        match owner {
            Owner::Us => push(
                &mut records,
                &type_prefixed,
                RecordType::Txt,
                &value(OWNER),
                1,
                false,
            ),
            Owner::UsLegacyOnly if t != RecordType::Aaaa => push(
                &mut records,
                &name,
                RecordType::Txt,
                &value(OWNER),
                1,
                false,
            ),
            Owner::Foreign => push(
                &mut records,
                &type_prefixed,
                RecordType::Txt,
                &value("them"),
                1,
                false,
            ),
            _ => {}
        }
    }
    records
}

fn arb_filter() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    prop_oneof![
        Just((vec![], vec![])),
        Just((s(&["example.com"]), vec![])),
        Just((s(&["example.org", "example.com"]), s(&["b.example.com"]))),
        Just((vec![], s(&["d.example.org"]))),
        Just((s(&["a.example.com"]), vec![])),
    ]
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::Sync),
        Just(Policy::UpsertOnly),
        Just(Policy::CreateOnly)
    ]
}

fn config(
    policy: Policy,
    filter: &(Vec<String>, Vec<String>),
    proxied_by_default: bool,
) -> PlanConfig {
    PlanConfig {
        policy,
        domain_filter: DomainFilter::new(&filter.0, &filter.1),
        zones: zones(),
        proxied_by_default,
        ..PlanConfig::default()
    }
}

/// The ids of records flaredns may touch: records owned by us and their TXT.
fn owned_ids(registry: &TxtRegistry, records: &[ZoneRecord]) -> BTreeSet<String> {
    let state = registry.resolve(records);
    let mut ids = BTreeSet::new();
    for c in &state.endpoints {
        if c.ownership == flaredns::registry::Ownership::Owned {
            ids.extend(c.records.iter().map(|r| r.id.to_string()));
            ids.extend(c.ownership_records.iter().map(|o| o.record.id.to_string()));
        }
    }
    ids.extend(
        state
            .dangling_ownership
            .iter()
            .filter(|o| o.labels.get("owner").map(String::as_str) == Some(OWNER))
            .map(|o| o.record.id.to_string()),
    );
    ids
}

fn touched(plan: &Plan) -> Vec<&ZoneRecord> {
    plan.units
        .iter()
        .flat_map(|u| &u.operations)
        .filter_map(|op| match op {
            RecordOp::Update { before, .. } => Some(&**before),
            RecordOp::Delete { record } => Some(&**record),
            RecordOp::Create { .. } => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Invariant 1: foreign and unowned records never appear in a change.
    #[test]
    fn only_owned_records_are_touched(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        policy in arb_policy(),
        filter in arb_filter(),
    ) {
        let registry = registry();
        let records = build_zone(current);
        let owned = owned_ids(&registry, &records);
        let state = registry.resolve(&records);
        let plan = plan::compute(desired, &state, &registry, &config(policy, &filter, false));
        for record in touched(&plan) {
            prop_assert!(owned.contains(&*record.id), "touched a record we do not own: {record:?}");
        }
    }

    /// Invariant 2: nothing outside the domain filters changes.
    #[test]
    fn nothing_outside_the_filters_changes(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        policy in arb_policy(),
        filter in arb_filter(),
    ) {
        let registry = registry();
        let zone_records = build_zone(current);
        let state = registry.resolve(&zone_records);
        let config = config(policy, &filter, false);
        let plan = plan::compute(desired, &state, &registry, &config);
        let domain_filter = DomainFilter::new(&filter.0, &filter.1);
        for unit in &plan.units {
            prop_assert!(domain_filter.matches(&unit.name), "unit outside the filter: {}", unit.name);
            for op in &unit.operations {
                if op.record_type() != RecordType::Txt {
                    let name = match op {
                        RecordOp::Create { record } => &record.name,
                        RecordOp::Update { after, .. } => &after.name,
                        RecordOp::Delete { record } => &record.name,
                    };
                    prop_assert!(domain_filter.matches(name), "op outside the filter: {op:?}");
                }
            }
        }
    }

    /// Invariant 3: upsert-only never deletes; create-only never updates or deletes.
    #[test]
    fn policies_hold(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        policy in arb_policy(),
        filter in arb_filter(),
    ) {
        let registry = registry();
        let zone_records = build_zone(current);
        let state = registry.resolve(&zone_records);
        let plan = plan::compute(desired, &state, &registry, &config(policy, &filter, false));
        match policy {
            Policy::Sync => {}
            Policy::UpsertOnly => prop_assert_eq!(plan.count(Action::Delete), 0),
            Policy::CreateOnly => {
                prop_assert_eq!(plan.count(Action::Delete), 0);
                prop_assert_eq!(plan.count(Action::Update), 0);
                for record in touched(&plan) {
                    prop_assert_eq!(record.record_type, RecordType::Txt, "create-only changed {:?}", record);
                }
            }
        }
    }

    /// Invariant 4: applying a plan and planning again gives an empty plan.
    #[test]
    fn a_second_plan_is_empty(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        policy in arb_policy(),
        filter in arb_filter(),
        proxied_by_default in any::<bool>(),
    ) {
        let registry = registry();
        let config = config(policy, &filter, proxied_by_default);
        let mut zone = InMemoryZones::new(zones(), build_zone(current));
        let first = plan::compute(desired.clone(), &registry.resolve(zone.records()), &registry, &config);
        zone.apply(&first.units);
        let second = plan::compute(desired, &registry.resolve(zone.records()), &registry, &config);
        prop_assert!(!second.has_changes(), "second plan not empty: {:#?}\nafter first: {:#?}", second.units, first.units);
    }

    /// Invariant 1 again, after writes: every record flaredns created has its
    /// ownership TXT record, so it is owned when the zone is read back.
    #[test]
    fn created_records_are_owned_when_read_back(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        filter in arb_filter(),
    ) {
        let registry = registry();
        let config = config(Policy::Sync, &filter, false);
        let mut zone = InMemoryZones::new(zones(), build_zone(current));
        let plan = plan::compute(desired, &registry.resolve(zone.records()), &registry, &config);
        zone.apply(&plan.units);
        let created: BTreeSet<(String, RecordType)> = plan.units.iter().flat_map(|u| &u.operations)
            .filter_map(|op| match op {
                RecordOp::Create { record } if record.record_type != RecordType::Txt =>
                    Some((record.name.clone(), record.record_type)),
                _ => None,
            })
            .collect();
        let state = registry.resolve(zone.records());
        for c in &state.endpoints {
            if created.contains(&(c.endpoint.dns_name.clone(), c.endpoint.record_type)) {
                prop_assert_eq!(&c.ownership, &flaredns::registry::Ownership::Owned, "{:?}", c);
            }
        }
    }

    /// Invariant 6: records published by an object with an invalid field are
    /// never deleted, nor taken over by another object, whatever else the plan does.
    #[test]
    fn held_objects_keep_their_records(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
        held in proptest::collection::btree_set(0..RESOURCES.len(), 0..3),
    ) {
        let registry = registry();
        let zone_records = build_zone(current);
        let state = registry.resolve(&zone_records);
        let held: BTreeSet<String> = held.into_iter().map(|i| RESOURCES[i].to_string()).collect();
        let plan = plan::compute(
            Desired {
                endpoints: desired,
                held_resources: held.iter().map(|r| (r.clone(), HoldReason::InvalidField)).collect(),
            },
            &state,
            &registry,
            &config(Policy::Sync, &(vec![], vec![]), false),
        );
        for change in plan.units.iter().flat_map(|u| &u.changes) {
            if change.action != Action::Create {
                let resource = change.before.as_ref().and_then(|b| b.resource()).unwrap_or_default();
                prop_assert!(
                    !held.contains(resource) || change.resource.as_deref() == Some(resource),
                    "{} a record of held {resource} for {:?}", change.action, change.resource
                );
            }
        }
    }

    /// The planner's choice never depends on the order of its input.
    #[test]
    fn plans_do_not_depend_on_input_order(
        desired in proptest::collection::vec(arb_endpoint(), 0..12),
        current in proptest::collection::vec(arb_current(), 0..12),
    ) {
        let registry = registry();
        let zone_records = build_zone(current);
        let state = registry.resolve(&zone_records);
        let config = config(Policy::Sync, &(vec![], vec![]), false);
        let mut reversed = desired.clone();
        reversed.reverse();
        let a = plan::compute(desired, &state, &registry, &config);
        let b = plan::compute(reversed, &state, &registry, &config);
        prop_assert_eq!(a.units, b.units);
    }

    /// Planning slice by slice, as the controller does in a large zone, plans
    /// exactly what one plan of the whole zone does, leftover ownership
    /// records and held objects included.
    #[test]
    fn slices_plan_what_the_whole_zone_plans(
        desired in proptest::collection::vec(arb_endpoint(), 0..16),
        current in proptest::collection::vec(arb_current(), 0..16),
        leftovers in proptest::collection::vec((arb_name(), arb_type(), any::<bool>()), 0..4),
        held in proptest::collection::btree_set(0..RESOURCES.len(), 0..2),
        slices in 1usize..6,
        policy in arb_policy(),
    ) {
        let registry = registry();
        let mut zone_records = build_zone(current);
        // Ownership records whose record may be gone (ours or another owner's).
        for (i, (name, record_type, ours)) in leftovers.into_iter().enumerate() {
            let (head, rest) = name.split_once('.').expect("two labels");
            let txt_name = format!("{}-{head}.{rest}", record_type.as_str().to_lowercase());
            let owner = if ours { OWNER } else { "them" };
            let zone = zones().into_iter().find(|z| z.contains(&name)).expect("zone");
            zone_records.push(ZoneRecord::new(
                format!("{:032x}", 0xF000 + i),
                zone.id,
                txt_name,
                RecordType::Txt,
                format!("\"heritage=external-dns,external-dns/owner={owner},external-dns/resource=ingress/default/one\""),
            ));
        }
        let config = config(policy, &(vec![], vec![]), false);
        let held_resources: BTreeMap<String, HoldReason> = held
            .into_iter()
            .map(|i| (RESOURCES[i].to_string(), HoldReason::InvalidField))
            .collect();
        let whole = plan::compute(
            Desired { endpoints: desired.clone(), held_resources: held_resources.clone() },
            &registry.resolve(&zone_records),
            &registry,
            &config,
        );

        let zone = SlicedZone::new(&registry, &zone_records, Slicing::for_names(slices, 1));
        prop_assert_eq!(zone.slicing().count(), slices as u64);
        let mut sliced = Plan::default();
        for slice in 0..zone.slicing().count() {
            let endpoints = desired.iter().filter(|e| zone.plans(&registry, slice, &e.dns_name)).cloned().collect();
            let part = plan::compute(
                Desired { endpoints, held_resources: held_resources.clone() },
                &zone.resolve(&registry, slice),
                &registry,
                &config,
            );
            sliced.units.extend(part.units);
            sliced.skipped.extend(part.skipped);
            sliced.in_sync.extend(part.in_sync);
            sliced.adjustments.extend(part.adjustments);
            for (t, n) in part.in_sync_by_type {
                *sliced.in_sync_by_type.entry(t).or_default() += n;
            }
        }
        // The same plan, up to the order of names.
        let sorted = |plan: &Plan| {
            let mut parts: Vec<String> = plan.units.iter().map(|u| format!("{u:?}")).collect();
            parts.extend(plan.skipped.iter().map(|s| format!("{s:?}")));
            parts.extend(plan.in_sync.iter().map(|s| format!("{s:?}")));
            parts.extend(plan.adjustments.iter().map(|a| format!("{a:?}")));
            parts.sort();
            parts
        };
        prop_assert_eq!(sorted(&sliced), sorted(&whole));
        prop_assert_eq!(&sliced.in_sync_by_type, &whole.in_sync_by_type);
    }
}
