//! The planner on named scenarios: adoption, ownership, policies, CNAME/A
//! switches, apex names, proxied defaults, owner migration, held objects.

use flaredns::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
use flaredns::filter::DomainFilter;
use flaredns::plan::{
    self, Action, Desired, HoldReason, Plan, PlanConfig, Policy, RecordOp, SkipReason,
};
use flaredns::provider::cloudflare::convert::record_patch;
use flaredns::provider::inmemory::InMemoryZones;
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};

const ZONE_ID: &str = "9a7806061c88ada191ed06f989cc3dac";

fn zone() -> Zone {
    Zone {
        id: ZONE_ID.to_string(),
        name: "example.com".to_string(),
        paid_plan: false,
    }
}

fn registry_with(prefix: &str) -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: "production-cluster-01".to_string(),
        prefix: prefix.to_string(),
        ..TxtRegistryConfig::default()
    })
    .unwrap()
}

fn registry() -> TxtRegistry {
    registry_with("")
}

fn config() -> PlanConfig {
    PlanConfig {
        zones: vec![zone()],
        domain_filter: DomainFilter::new(&["example.com".to_string()], &[]),
        ..PlanConfig::default()
    }
}

fn record(
    id: u32,
    name: &str,
    t: RecordType,
    content: &str,
    ttl: u32,
    proxied: bool,
) -> ZoneRecord {
    let mut record = ZoneRecord::new(format!("{id:032x}"), ZONE_ID, name, t, content);
    record.data.ttl = ttl;
    record.data.proxied = proxied;
    record
}

fn owner_txt(id: u32, name: &str, owner: &str, resource: &str) -> ZoneRecord {
    let value = format!(
        "\"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}\""
    );
    record(id, name, RecordType::Txt, &value, 1, false)
}

fn endpoint(name: &str, t: RecordType, targets: &[&str], resource: &str) -> Endpoint {
    Endpoint::new(name, t, targets)
        .unwrap()
        .with_label("resource", resource)
}

fn run(desired: Vec<Endpoint>, records: Vec<ZoneRecord>, config: &PlanConfig) -> Plan {
    let registry = registry();
    plan::compute(desired, &registry.resolve(&records), &registry, config)
}

fn ops(plan: &Plan) -> Vec<&RecordOp> {
    plan.units.iter().flat_map(|u| &u.operations).collect()
}

/// The records ExternalDNS v0.14 writes for one A record: the record, its legacy
/// TXT record and its `a-` TXT record.
fn v014_a(first_id: u32, name: &str, ip: &str, owner: &str, resource: &str) -> Vec<ZoneRecord> {
    vec![
        record(first_id, name, RecordType::A, ip, 300, false),
        owner_txt(first_id + 1, name, owner, resource),
        owner_txt(first_id + 2, &format!("a-{name}"), owner, resource),
    ]
}

#[test]
fn a_zone_externaldns_manages_is_adopted_without_a_write() {
    let records = v014_a(
        1,
        "static.example.com",
        "192.0.2.100",
        "production-cluster-01",
        "crd/default/static-entry",
    );
    let desired = vec![
        endpoint(
            "static.example.com",
            RecordType::A,
            &["192.0.2.100"],
            "crd/default/static-entry",
        )
        .with_ttl(Some(300)),
    ];
    let plan = run(desired, records, &config());
    assert!(!plan.has_changes(), "{:#?}", plan.units);
    assert_eq!(plan.in_sync.len(), 1);
    assert!(
        plan.in_sync[0]
            .detail
            .contains("owned by production-cluster-01")
    );
    assert!(plan.in_sync[0].detail.contains("a-static.example.com"));
}

#[test]
fn a_new_hostname_gets_its_record_and_one_new_format_txt() {
    let desired = vec![endpoint(
        "nginx.example.com",
        RecordType::A,
        &["203.0.113.10"],
        "ingress/default/nginx",
    )];
    let plan = run(desired, vec![], &config());
    assert_eq!(plan.count(Action::Create), 1);
    let created: Vec<_> = ops(&plan)
        .into_iter()
        .map(|op| match op {
            RecordOp::Create { record } => (record.name.clone(), record.record_type),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        created,
        vec![
            ("a-nginx.example.com".to_string(), RecordType::Txt),
            ("nginx.example.com".to_string(), RecordType::A)
        ]
    );
}

#[test]
fn foreign_and_unowned_records_block_and_are_never_touched() {
    let mut records = v014_a(
        1,
        "taken.example.com",
        "192.0.2.1",
        "staging-cluster",
        "ingress/x/y",
    );
    records.push(record(
        10,
        "manual.example.com",
        RecordType::A,
        "192.0.2.2",
        300,
        false,
    ));
    let desired = vec![
        endpoint(
            "taken.example.com",
            RecordType::A,
            &["192.0.2.50"],
            "ingress/default/a",
        ),
        endpoint(
            "manual.example.com",
            RecordType::A,
            &["192.0.2.51"],
            "ingress/default/b",
        ),
    ];
    let plan = run(desired, records, &config());
    assert!(!plan.has_changes(), "{:#?}", plan.units);
    let reasons: Vec<_> = plan.skipped.iter().map(|s| s.reason.clone()).collect();
    assert!(reasons.contains(&SkipReason::ForeignOwner {
        owner: "staging-cluster".into()
    }));
    assert!(reasons.contains(&SkipReason::UnownedRecord));
}

#[test]
fn deleting_a_record_removes_every_ownership_txt_including_legacy() {
    let records = v014_a(
        1,
        "old.example.com",
        "192.0.2.7",
        "production-cluster-01",
        "ingress/default/old",
    );
    let plan = run(vec![], records, &config());
    assert_eq!(plan.count(Action::Delete), 1);
    let mut deleted: Vec<_> = ops(&plan)
        .into_iter()
        .map(|op| match op {
            RecordOp::Delete { record } => (record.name.clone(), record.record_type),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        vec![
            ("a-old.example.com".to_string(), RecordType::Txt),
            ("old.example.com".to_string(), RecordType::A),
            ("old.example.com".to_string(), RecordType::Txt),
        ]
    );
    // The record goes before its ownership records.
    assert!(
        matches!(ops(&plan)[0], RecordOp::Delete { record } if record.record_type == RecordType::A)
    );
}

#[test]
fn policies_limit_what_changes() {
    let mut records = v014_a(
        1,
        "gone.example.com",
        "192.0.2.7",
        "production-cluster-01",
        "ingress/default/gone",
    );
    records.extend(v014_a(
        10,
        "moved.example.com",
        "192.0.2.8",
        "production-cluster-01",
        "ingress/default/moved",
    ));
    let desired = vec![endpoint(
        "moved.example.com",
        RecordType::A,
        &["192.0.2.9"],
        "ingress/default/moved",
    )];
    let mut cfg = config();
    cfg.policy = Policy::UpsertOnly;
    let plan = run(desired.clone(), records.clone(), &cfg);
    assert_eq!(
        (plan.count(Action::Update), plan.count(Action::Delete)),
        (1, 0)
    );
    cfg.policy = Policy::CreateOnly;
    let plan = run(desired, records, &cfg);
    assert!(!plan.has_changes());
    assert_eq!(plan.skipped.len(), 2);
}

#[test]
fn a_cname_becomes_an_a_record_in_one_unit() {
    let records = vec![
        record(
            1,
            "app.example.com",
            RecordType::Cname,
            "lb.example.net",
            1,
            false,
        ),
        owner_txt(
            2,
            "cname-app.example.com",
            "production-cluster-01",
            "ingress/default/app",
        ),
    ];
    let desired = vec![endpoint(
        "app.example.com",
        RecordType::A,
        &["192.0.2.20"],
        "ingress/default/app",
    )];
    let plan = run(desired, records, &config());
    assert_eq!(plan.units.len(), 1);
    let unit = &plan.units[0];
    let kinds: Vec<_> = unit
        .operations
        .iter()
        .map(|op| match op {
            RecordOp::Create { record } => format!("create {} {}", record.record_type, record.name),
            RecordOp::Update { after, .. } => {
                format!("update {} {}", after.record_type, after.name)
            }
            RecordOp::Delete { record } => format!("delete {} {}", record.record_type, record.name),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "delete CNAME app.example.com",
            "delete TXT cname-app.example.com",
            "create TXT a-app.example.com",
            "create A app.example.com",
        ]
    );
}

#[test]
fn an_apex_record_needs_a_txt_name_inside_the_zone() {
    let desired = vec![endpoint(
        "example.com",
        RecordType::A,
        &["192.0.2.1"],
        "ingress/default/apex",
    )];
    let plan = run(desired.clone(), vec![], &config());
    assert!(!plan.has_changes());
    assert_eq!(plan.skipped[0].reason, SkipReason::NoOwnershipRecord);
    assert!(plan.skipped[0].detail.contains("--txt-prefix"));

    let registry = registry_with("extdns-%{record_type}.");
    let zone_records = vec![];
    let plan = plan::compute(
        desired,
        &registry.resolve(&zone_records),
        &registry,
        &config(),
    );
    assert_eq!(plan.count(Action::Create), 1);
    assert!(ops(&plan).iter().any(
        |op| matches!(op, RecordOp::Create { record } if record.name == "extdns-a.example.com")
    ));
}

#[test]
fn proxied_records_get_automatic_ttl_and_txt_is_never_proxied() {
    let mut cfg = config();
    cfg.proxied_by_default = true;
    let desired = vec![
        endpoint(
            "web.example.com",
            RecordType::A,
            &["192.0.2.30"],
            "ingress/default/web",
        )
        .with_ttl(Some(120)),
    ];
    let plan = run(desired.clone(), vec![], &cfg);
    for op in ops(&plan) {
        let RecordOp::Create { record } = op else {
            panic!()
        };
        match record.record_type {
            RecordType::A => assert!(record.data.proxied && record.data.ttl == 1),
            RecordType::Txt => assert!(!record.data.proxied && record.data.ttl == 1),
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        plan.adjustments
            .iter()
            .any(|a| a.message.contains("TTL 120 is not used"))
    );
    // Applied and planned again: nothing to do.
    let registry = registry();
    let mut zone = InMemoryZones::new(vec![zone()], vec![]);
    zone.apply(&plan.units);
    let again = plan::compute(desired, &registry.resolve(zone.records()), &registry, &cfg);
    assert!(!again.has_changes(), "{:#?}", again.units);
}

#[test]
fn a_changed_target_rewrites_only_the_record() {
    let records = vec![
        record(1, "svc.example.com", RecordType::A, "192.0.2.1", 1, false),
        owner_txt(
            2,
            "a-svc.example.com",
            "production-cluster-01",
            "service/default/svc",
        ),
    ];
    let desired = vec![endpoint(
        "svc.example.com",
        RecordType::A,
        &["192.0.2.2"],
        "service/default/svc",
    )];
    let plan = run(desired, records, &config());
    let names: Vec<_> = ops(&plan)
        .iter()
        .map(|op| match op {
            RecordOp::Create { record } => format!("+{}", record.data.content),
            RecordOp::Delete { record } => format!("-{}", record.content()),
            RecordOp::Update { after, .. } => format!("~{}", after.data.content),
        })
        .collect();
    assert_eq!(names, vec!["-192.0.2.1", "+192.0.2.2"]);
}

#[test]
fn migrating_from_another_owner_rewrites_the_txt_only() {
    let registry = TxtRegistry::new(TxtRegistryConfig {
        owner_id: "production-cluster-01".to_string(),
        migrate_from_owner: Some("old-cluster".to_string()),
        ..TxtRegistryConfig::default()
    })
    .unwrap();
    let records = vec![
        record(1, "svc.example.com", RecordType::A, "192.0.2.1", 1, false),
        owner_txt(2, "a-svc.example.com", "old-cluster", "service/default/svc"),
    ];
    let desired = vec![endpoint(
        "svc.example.com",
        RecordType::A,
        &["192.0.2.1"],
        "service/default/svc",
    )];
    let plan = plan::compute(desired, &registry.resolve(&records), &registry, &config());
    let all = ops(&plan);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(matches!(all[0], RecordOp::Update { after, .. }
        if after.record_type == RecordType::Txt && after.data.content.text().contains("owner=production-cluster-01")));
}

#[test]
fn records_of_an_object_with_a_bad_field_are_kept() {
    let records = v014_a(
        1,
        "typo.example.com",
        "192.0.2.9",
        "production-cluster-01",
        "ingress/default/typo",
    );
    let desired = Desired {
        endpoints: vec![],
        held_resources: [("ingress/default/typo".to_string(), HoldReason::InvalidField)].into(),
    };
    let registry = registry();
    let plan = plan::compute(desired, &registry.resolve(&records), &registry, &config());
    assert!(!plan.has_changes());
    assert_eq!(plan.skipped[0].reason, SkipReason::HeldForInvalidObject);
}

#[test]
fn names_outside_the_domain_filter_are_skipped_and_never_deleted() {
    let records = v014_a(
        1,
        "other.example.com",
        "192.0.2.9",
        "production-cluster-01",
        "ingress/default/o",
    );
    let mut cfg = config();
    cfg.domain_filter = DomainFilter::new(&["apps.example.com".to_string()], &[]);
    let desired = vec![endpoint(
        "www.example.com",
        RecordType::A,
        &["192.0.2.1"],
        "ingress/default/w",
    )];
    let plan = run(desired, records, &cfg);
    assert!(!plan.has_changes());
    assert_eq!(plan.skipped[0].reason, SkipReason::OutsideDomainFilter);
}

#[test]
fn two_objects_claiming_one_name_resolve_deterministically() {
    let a = endpoint(
        "shared.example.com",
        RecordType::A,
        &["192.0.2.20"],
        "ingress/team-b/app",
    );
    let b = endpoint(
        "shared.example.com",
        RecordType::A,
        &["192.0.2.3"],
        "ingress/team-a/app",
    );
    let first = run(vec![a.clone(), b.clone()], vec![], &config());
    let second = run(vec![b, a], vec![], &config());
    assert_eq!(first.units, second.units);
    assert_eq!(first.skipped.len(), 1);
    assert!(matches!(
        &first.skipped[0].reason,
        SkipReason::LostConflict { .. }
    ));
}

#[test]
fn a_legacy_txt_shared_with_an_unmanaged_record_stays() {
    // A v0.14 legacy TXT record claims every type at its name but AAAA: here the
    // A record flaredns deletes and an MX record it does not manage.
    let mut mx = record(
        3,
        "mail.example.com",
        RecordType::Mx,
        "mx.example.net",
        300,
        false,
    );
    mx.data.priority = Some(10);
    let records = vec![
        record(
            1,
            "mail.example.com",
            RecordType::A,
            "192.0.2.5",
            300,
            false,
        ),
        owner_txt(
            2,
            "mail.example.com",
            "production-cluster-01",
            "ingress/default/mail",
        ),
        mx,
    ];
    let plan = run(vec![], records, &config());
    let deleted: Vec<_> = ops(&plan)
        .iter()
        .map(|op| match op {
            RecordOp::Delete { record } => record.record_type,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        deleted,
        vec![RecordType::A],
        "the legacy TXT must stay for the MX record"
    );
}

#[test]
fn turning_on_the_proxy_says_what_the_record_loses() {
    let records = v014_a(
        1,
        "web.example.com",
        "192.0.2.1",
        "production-cluster-01",
        "ingress/default/web",
    );
    let mut desired = endpoint(
        "web.example.com",
        RecordType::A,
        &["192.0.2.1"],
        "ingress/default/web",
    );
    desired.cloudflare.proxied = Some(true);
    let plan = run(vec![desired], records, &config());
    let updates: Vec<_> = ops(&plan)
        .into_iter()
        .filter(|op| matches!(op, RecordOp::Update { .. }))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    let change = &plan.units[0].changes[0];
    assert_eq!(change.action, Action::Update);
    assert!(
        change
            .reason
            .starts_with("TTL 300 → 1; proxied false → true;"),
        "{}",
        change.reason
    );
}

#[test]
fn per_record_settings_no_object_asks_for_are_kept() {
    let mut records = v014_a(
        1,
        "web.example.com",
        "192.0.2.1",
        "production-cluster-01",
        "ingress/default/web",
    );
    records[0]
        .data
        .set_settings(flaredns::record::PerRecordSettings {
            ipv4_only: true,
            ..Default::default()
        });
    let desired = endpoint(
        "web.example.com",
        RecordType::A,
        &["192.0.2.1"],
        "ingress/default/web",
    )
    .with_ttl(Some(300));
    let plan = run(vec![desired.clone()], records.clone(), &config());
    assert!(!plan.has_changes(), "{:#?}", plan.units);
    assert_eq!(plan.in_sync_count(), 1);
    // An update of another field keeps them, and its PATCH does not send them.
    let plan = run(vec![desired.with_ttl(Some(600))], records, &config());
    let RecordOp::Update { before, after } = ops(&plan)[0] else {
        panic!("{:#?}", plan.units)
    };
    assert!(after.data.settings().ipv4_only);
    let patch = record_patch(&before.data.differences(&after.data));
    assert_eq!((patch.ttl, patch.settings), (Some(600), None));
}
