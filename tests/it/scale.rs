//! The scale harness at a small size, as a test: the call budget of an initial
//! sync, no write in steady state or on adoption, no 429, every record in
//! place. Counts only; times and memory are the benchmark's business
//! (`cargo bench --bench scale`).

use crate::support;

use std::time::Duration;

use flaredns::sandbox::PlanTier;
use support::scale::figures::{self, Percentiles};
use support::scale::model;
use support::scale::process;
use support::scale::workload::{
    ObjectKind, Workload, churn_address, churn_target, externaldns_v014_zone,
};
use support::scale::{self as harness, Options};

/// 500 objects: 500 Ingresses, 500 Services, 50 DNSEndpoints.
const OBJECTS: usize = 500;

fn small() -> Options {
    Options {
        changes: 60,
        burst: 10,
        pods: 2_000,
        intervals: 2,
        interval: Duration::from_secs(2),
        // Passes in slices of 64 names, as a large zone's would be planned:
        // the call counts below are those of one plan of the whole zone.
        plan_slice_size: Some(64),
        ..Options::for_objects(OBJECTS)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_at_500_objects_spends_the_expected_calls() {
    let options = small();
    let report = harness::run(&options)
        .await
        .expect("the scale run completes");
    // Shown with --nocapture or when an assertion fails.
    eprint!("{}", report.summary());
    let f = &report.figures;

    // Initial syncs: exactly the start-up checks, one listing of the empty
    // zone and full batches; every record present.
    let [cluster, free, paid] = &f.initial_sync[..] else {
        panic!("three initial syncs, got {}", f.initial_sync.len());
    };
    assert_eq!(cluster.hostnames, 1_050);
    assert_eq!(free.hostnames, 500);
    assert_eq!(paid.hostnames, 500);
    for (sync, batches) in [(cluster, 11), (free, 5), (paid, 1)] {
        let c = &sync.calls;
        assert_eq!(
            (c.verify, c.zones, c.list, c.batch, c.single),
            (1, 1, 1, batches, 0),
            "{}",
            sync.name
        );
        assert_eq!(sync.budget.total, 3 + batches, "{}", sync.name);
        assert!(sync.within_budget, "{}", sync.name);
        assert_eq!(sync.missing_records, 0, "{}", sync.name);
        assert_eq!(c.batch_operations(), sync.records, "{}", sync.name);
    }
    assert_eq!(paid.plan, PlanTier::Pro.to_string());
    assert_eq!(cluster.calls.batch_sizes[..10], [200; 10]);
    assert_eq!(cluster.calls.batch_sizes[10], 100);

    // Churn: every change lands, every round is batched, nothing one by one.
    let churn = &f.churn;
    assert_eq!(churn.rounds, 6);
    assert_eq!(churn.event_to_batch_seconds.samples, 60);
    assert_eq!(churn.missing_records, 0);
    assert!(churn.calls.batch >= 6);
    assert_eq!(churn.calls.single, 0);
    assert_eq!((churn.calls.verify, churn.calls.zones), (0, 0));

    // Pods: never read, no Cloudflare call.
    assert_eq!(f.pods.pods, 2_000);
    assert_eq!(f.pods.pod_requests, 0);
    assert_eq!(f.pods.calls.total, 0);

    // Steady state: a restart reads once and writes nothing; each resync is
    // one page of up to 5,000 records and nothing else.
    let st = &f.steady_state;
    assert_eq!(st.records, 2_100);
    assert_eq!(st.expected_lists_per_interval, 1);
    assert_eq!(
        (
            st.startup.verify,
            st.startup.zones,
            st.startup.list,
            st.startup.writes
        ),
        (1, 1, 1, 0)
    );
    assert_eq!((st.calls.list, st.calls.total), (2, 2));

    // Adoption of ExternalDNS v0.14's zone: read, nothing written.
    let a = &f.adoption;
    assert_eq!(a.records, 1_500);
    assert_eq!(a.records_after, 1_500);
    assert_eq!(
        (a.calls.verify, a.calls.zones, a.calls.list, a.calls.writes),
        (1, 1, 1, 0)
    );

    assert_eq!(report.rate_limited_total, 0);
    let json = serde_json::to_value(&report).expect("the report encodes");
    assert!(
        json["model"]["label"]
            .as_str()
            .is_some_and(|l| l.contains("not a measurement"))
    );
    for name in ["initial sync calls", "429s", "steady state", "adoption"] {
        assert!(
            report
                .targets
                .iter()
                .filter(|t| t.name.starts_with(name))
                .all(|t| t.met),
            "{name}: {:?}",
            report.targets
        );
    }
}

#[test]
fn hostname_workloads_have_exactly_that_many_hostnames() {
    for n in [1, 20, 500, 1_000, 10_000] {
        assert_eq!(Workload::hostnames(n).hostnames_published(), n);
    }
    let w = Workload::hostnames(1_000);
    assert_eq!((w.ingresses, w.services, w.dns_endpoints), (476, 476, 48));
    let c = Workload::cluster(10_000);
    assert_eq!((c.objects(), c.synced_records()), (21_000, 42_000));
}

#[test]
fn churn_is_spread_over_every_kind_with_fresh_addresses() {
    let w = Workload::cluster(100);
    let targets: Vec<_> = (0..210).filter_map(|i| churn_target(&w, i, 210)).collect();
    assert_eq!(targets.len(), 210);
    let count = |kind| targets.iter().filter(|t| t.kind == kind).count();
    assert_eq!(count(ObjectKind::Ingress), 100);
    assert_eq!(count(ObjectKind::Service), 100);
    assert_eq!(count(ObjectKind::DnsEndpoint), 10);
    assert_ne!(churn_address(0), churn_address(1));
    assert_eq!(churn_address(0).to_string(), "198.18.0.1");
    assert_eq!(churn_address(299).to_string(), "198.18.1.44");
}

#[test]
fn the_adopted_zone_is_what_externaldns_v014_writes() {
    let w = Workload {
        ingresses: 1,
        services: 1,
        dns_endpoints: 1,
    };
    let zone = externaldns_v014_zone(&w);
    let rows: Vec<(String, String, String, u32)> = zone
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.record_type.to_string(),
                r.content.clone(),
                r.ttl,
            )
        })
        .collect();
    let owner = "production-cluster-01";
    let txt = |resource: &str| {
        format!(
            "\"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}\""
        )
    };
    assert_eq!(
        rows,
        vec![
            ("ing-0.example.com".into(), "A".into(), "10.0.0.0".into(), 1),
            (
                "ing-0.example.com".into(),
                "TXT".into(),
                txt("ingress/default/ing-0"),
                1
            ),
            (
                "a-ing-0.example.com".into(),
                "TXT".into(),
                txt("ingress/default/ing-0"),
                1
            ),
            ("svc-0.example.com".into(), "A".into(), "10.1.0.0".into(), 1),
            (
                "svc-0.example.com".into(),
                "TXT".into(),
                txt("service/default/svc-0"),
                1
            ),
            (
                "a-svc-0.example.com".into(),
                "TXT".into(),
                txt("service/default/svc-0"),
                1
            ),
            (
                "dep-0.example.com".into(),
                "A".into(),
                "10.2.0.0".into(),
                300
            ),
            (
                "dep-0.example.com".into(),
                "TXT".into(),
                txt("crd/default/dep-0"),
                1
            ),
            (
                "a-dep-0.example.com".into(),
                "TXT".into(),
                txt("crd/default/dep-0"),
                1
            ),
        ]
    );
}

#[test]
fn the_model_follows_externaldns_call_pattern() {
    // 1,000 hostnames on a Free zone.
    let m = model::initial_sync(1_000, 200);
    assert_eq!(m.externaldns_v0_14.total, 2 + 2 + 3_000);
    assert_eq!(m.externaldns_v0_21.total, 2 + 2 + 10);
    assert_eq!(m.api_minimum.total, 12);
    assert_eq!(model::initial_sync(1_000, 3_500).api_minimum.batch, 1);
    // A 5,000-record zone for five minutes at a one-minute interval.
    let s = model::steady_state_five_minutes(5_000);
    assert_eq!(s.externaldns_v0_14.total, 5 * (1 + 50));
    assert_eq!(s.externaldns_v0_21.total, 5 * (1 + 51));
    assert_eq!(s.api_minimum.total, 5);
    // 100 changes in rounds of 10 in a 2,000-record zone.
    let c = model::churn(100, 10, 2_000, 200);
    assert_eq!(c.externaldns_v0_14.single, 400);
    assert_eq!(c.externaldns_v0_21.batch, 10);
    assert_eq!(c.api_minimum.total, 10);
    // Adoption of 10,000 hostnames (30,000 records).
    let a = model::adoption(10_000);
    assert_eq!(a.externaldns_v0_14.total, 1 + 300);
    assert_eq!(a.api_minimum.total, 1 + 6);
    assert_eq!(a.externaldns_v0_21.single + a.externaldns_v0_21.batch, 0);
}

#[test]
fn percentiles_are_nearest_rank() {
    let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    let p = Percentiles::of(&samples);
    assert_eq!(p.samples, 100);
    assert_eq!((p.p50, p.p90, p.p99, p.max), (0.05, 0.09, 0.099, 0.1));
    assert_eq!(Percentiles::of(&[]).samples, 0);
    let one = Percentiles::of(&[Duration::from_secs(2)]);
    assert_eq!((one.p50, one.p99, one.max), (2.0, 2.0, 2.0));
}

#[test]
fn proc_and_metrics_text_are_read() {
    let status = "Name:\tflaredns\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
    assert_eq!(process::status_kib(status, "VmRSS:"), Some(10_240));
    assert_eq!(process::status_kib(status, "VmHWM:"), Some(20_480));
    assert_eq!(process::status_kib(status, "VmSwap:"), None);
    let stat = "4242 (flare dns) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0";
    assert_eq!(process::cpu_ticks(stat), Some(300));
    assert_eq!(process::cpu_ticks("garbage"), None);
    let metrics = "# HELP x\nflaredns_reconcile_duration_seconds_count 3\nflaredns_reconcile_duration_seconds_sum 0.5\n";
    assert_eq!(
        figures::metric(metrics, "flaredns_reconcile_duration_seconds_count"),
        Some(3.0)
    );
    assert_eq!(figures::metric(metrics, "flaredns_leader"), None);
    let me = process::read(std::process::id()).expect("this process is readable");
    assert!(me.rss_bytes > 0 && me.peak_rss_bytes >= me.rss_bytes);
}
