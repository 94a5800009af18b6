//! Planner benchmark: 1k, 10k and 100k desired endpoints against twice as many
//! zone records (every hostname's A record plus its ownership TXT record), with
//! one hostname in ten pointing elsewhere so the plan has updates to find.
//!
//! `cargo bench --bench plan`; criterion writes machine-readable estimates to
//! `target/criterion/<group>/<case>/<size>/new/estimates.json`. Target: 100k
//! endpoints planned in under 0.5 s on one core. `sliced` is what the
//! controller does: the desired endpoints kept in its state, the zone resolved
//! and planned in slices of the default `--plan-slice-size`; it should take no
//! longer than `resolve+compute`, one plan of the whole zone.
//!
//! The `one_object` group is `flaredns plan --manifests` on 40,000 endpoints
//! against an empty zone: YAML read, DNSEndpoints mapped, zone resolved and
//! planned, once with one DNSEndpoint of 40,000 endpoints (a 1.5 MB object)
//! and once with 40,000 DNSEndpoints of one. One object of N endpoints should
//! cost about what N objects cost.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::path::Path;

use flaredns::controller::desired::{ObjectInfo, ObjectKey, State};
use flaredns::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
use flaredns::plan::slices::{DEFAULT_SLICE_NAMES, SlicedZone, Slicing};
use flaredns::plan::{self, Desired, PlanConfig};
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};
use flaredns::setup;
use flaredns::source::manifest::{self, Format, Manifests};
use flaredns::source::{SourceConfig, SourceKind, SourceOutput};

/// The allocator the flaredns binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ZONE_ID: &str = "9a7806061c88ada191ed06f989cc3dac";

fn workload(n: usize) -> (Vec<Endpoint>, Vec<ZoneRecord>) {
    let mut desired = Vec::with_capacity(n);
    let mut records = Vec::with_capacity(2 * n);
    for i in 0..n {
        let name = format!("host{i}.apps.example.com");
        let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        let resource = format!("ingress/team{}/app{i}", i % 50);
        desired.push(
            Endpoint::new(&name, RecordType::A, [ip.as_str()])
                .expect("valid")
                .with_label("resource", &resource),
        );
        let current_ip = if i % 10 == 0 {
            "192.0.2.1".to_string()
        } else {
            ip
        };
        let record = |id: usize, name: String, t: RecordType, content: String| {
            ZoneRecord::new(format!("{id:032x}"), ZONE_ID, name, t, content)
        };
        records.push(record(2 * i, name.clone(), RecordType::A, current_ip));
        records.push(record(
            2 * i + 1,
            format!("a-{name}"),
            RecordType::Txt,
            format!("\"heritage=external-dns,external-dns/owner=bench,external-dns/resource={resource}\""),
        ));
    }
    (desired, records)
}

/// The controller's desired state holding `desired`, one Ingress per endpoint.
fn state_of(desired: &[Endpoint]) -> State {
    let state = State::default();
    for (i, endpoint) in desired.iter().enumerate() {
        let key = ObjectKey {
            kind: SourceKind::Ingress,
            namespace: format!("team{}", i % 50),
            name: format!("app{i}"),
        };
        let output = SourceOutput {
            endpoints: vec![endpoint.clone()],
            problems: Vec::new(),
        };
        state.apply(key, ObjectInfo::default(), output);
    }
    state
}

fn registry() -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: "bench".to_string(),
        ..TxtRegistryConfig::default()
    })
    .expect("valid config")
}

fn plan_config() -> PlanConfig {
    PlanConfig {
        zones: vec![Zone {
            id: ZONE_ID.to_string(),
            name: "example.com".to_string(),
            paid_plan: false,
        }],
        ..PlanConfig::default()
    }
}

fn bench_plan(c: &mut Criterion) {
    let registry = registry();
    let config = plan_config();
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let (desired, records) = workload(n);
        let state = registry.resolve(&records);
        group.throughput(Throughput::Elements(n as u64));
        // Resolving the zone's ownership is part of every reconcile: measured too.
        group.bench_with_input(BenchmarkId::new("resolve+compute", n), &n, |b, _| {
            b.iter(|| {
                let state = registry.resolve(&records);
                plan::compute(desired.clone(), &state, &registry, &config)
            })
        });
        group.bench_with_input(BenchmarkId::new("compute", n), &n, |b, _| {
            b.iter(|| plan::compute(desired.clone(), &state, &registry, &config))
        });
        let desired_state = state_of(&desired);
        group.bench_with_input(BenchmarkId::new("sliced", n), &n, |b, _| {
            b.iter(|| {
                let slicing = Slicing::for_names(n, DEFAULT_SLICE_NAMES);
                let zone = SlicedZone::new(&registry, &records, slicing);
                let mut units = 0;
                for slice in 0..slicing.count() {
                    let part = desired_state
                        .desired_in_slice(slicing, slice, |name| slicing.of_name(&registry, name));
                    let current = zone.resolve(&registry, slice);
                    let plan = plan::compute(part, &current, &registry, &config);
                    units += plan.units.len();
                }
                units
            })
        });
    }
    group.finish();
}

/// Endpoints in the one-object benchmark (about what a 1.5 MB object holds).
const ONE_OBJECT_ENDPOINTS: usize = 40_000;

/// DNSEndpoint manifests asking for `n` A records, `per_object` to an object.
fn dns_endpoint_manifests(n: usize, per_object: usize) -> String {
    let mut yaml = String::new();
    for i in 0..n {
        if i % per_object == 0 {
            let object = i / per_object;
            let _ = write!(
                yaml,
                "---\napiVersion: externaldns.k8s.io/v1alpha1\nkind: DNSEndpoint\n\
                 metadata:\n  name: records{object}\n  namespace: default\nspec:\n  endpoints:\n"
            );
        }
        let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        let _ = write!(
            yaml,
            "  - dnsName: host{i}.apps.example.com\n    recordType: A\n    targets: [\"{ip}\"]\n"
        );
    }
    yaml
}

/// What `flaredns plan --manifests FILE` does with a zone file of `records`.
fn plan_manifests(
    yaml: &str,
    records: &[ZoneRecord],
    registry: &TxtRegistry,
    config: &PlanConfig,
) -> usize {
    let mut manifests = Manifests::default();
    manifests
        .add_text(yaml, Format::Yaml, Path::new("bench.yaml"))
        .expect("valid manifests");
    let output = manifest::endpoints(&manifests, &SourceConfig::default(), &[SourceKind::Crd]);
    let desired = Desired {
        held_resources: setup::held_resources(&output.problems),
        endpoints: output.endpoints,
    };
    let state = registry.resolve(records);
    plan::compute(desired, &state, registry, config).units.len()
}

fn bench_one_object(c: &mut Criterion) {
    let registry = registry();
    let config = plan_config();
    let n = ONE_OBJECT_ENDPOINTS;
    let mut group = c.benchmark_group("one_object");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    for (case, per_object) in [("one-dnsendpoint", n), ("dnsendpoints-of-one", 1)] {
        let yaml = dns_endpoint_manifests(n, per_object);
        group.bench_with_input(BenchmarkId::new(case, n), &n, |b, _| {
            b.iter(|| {
                let units = plan_manifests(&yaml, &[], &registry, &config);
                assert_eq!(units, n, "every name is created");
                units
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_plan, bench_one_object);
criterion_main!(benches);
