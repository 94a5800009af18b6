//! Planner benchmark: 1k, 10k and 100k desired endpoints against twice as many
//! zone records (every hostname's A record plus its ownership TXT record), with
//! one hostname in ten pointing elsewhere so the plan has updates to find.
//!
//! `cargo bench --bench plan`; criterion writes machine-readable estimates to
//! `target/criterion/plan/<size>/new/estimates.json`. Target: 100k endpoints
//! planned in under 0.5 s on one core. `sliced` is what the controller does:
//! resolve and plan in slices of the default `--plan-slice-size`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flaredns::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
use flaredns::plan::slices::{DEFAULT_SLICE_NAMES, SlicedZone, Slicing};
use flaredns::plan::{self, Desired, PlanConfig};
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};

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

fn bench_plan(c: &mut Criterion) {
    let registry = TxtRegistry::new(TxtRegistryConfig {
        owner_id: "bench".to_string(),
        ..TxtRegistryConfig::default()
    })
    .expect("valid config");
    let config = PlanConfig {
        zones: vec![Zone {
            id: ZONE_ID.to_string(),
            name: "example.com".to_string(),
            paid_plan: false,
        }],
        ..PlanConfig::default()
    };
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
        group.bench_with_input(BenchmarkId::new("sliced", n), &n, |b, _| {
            b.iter(|| {
                let slicing = Slicing::for_names(n, DEFAULT_SLICE_NAMES);
                let zone = SlicedZone::new(&registry, &records, slicing);
                let mut units = 0;
                for slice in 0..slicing.count() {
                    let part: Vec<Endpoint> = desired
                        .iter()
                        .filter(|e| zone.plans(&registry, slice, &e.dns_name))
                        .cloned()
                        .collect();
                    let current = zone.resolve(&registry, slice);
                    let plan = plan::compute(Desired::from(part), &current, &registry, &config);
                    units += plan.units.len();
                }
                units
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
