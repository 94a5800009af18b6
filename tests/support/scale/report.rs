//! The one JSON document a scale run writes, the targets it checks, and the
//! readable summary printed next to it.

use std::fmt::Write as _;

use serde::Serialize;

use super::Options;
use super::adoption::Adoption;
use super::churn::Churn;
use super::initial_sync::InitialSync;
use super::model::{Model, ModelInputs};
use super::pods::Pods;
use super::steady_state::SteadyState;

const MIB: f64 = 1024.0 * 1024.0;

/// The issue's limits.
const PEAK_RSS_LIMIT_BYTES: u64 = 50 * 1024 * 1024;
const POD_RSS_GROWTH_LIMIT_BYTES: i64 = 2 * 1024 * 1024;
const READY_LIMIT_SECONDS: f64 = 10.0;
const P99_LIMIT_SECONDS: f64 = 1.0;
/// The issue's budgets for 1,000 and 10,000 hostnames on a Free-plan zone.
const ISSUE_BUDGETS: [(usize, u64); 2] = [(1_000, 13), (10_000, 105)];

/// The machine the figures were taken on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_bytes: u64,
    /// The flaredns binary measured (a release build under `cargo bench`).
    pub binary: String,
}

impl Machine {
    /// This machine, from `/proc/cpuinfo` and `/proc/meminfo`.
    pub fn this(binary: &str) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default(),
            memory_bytes: super::process::status_kib(&meminfo, "MemTotal:").unwrap_or(0) * 1024,
            binary: binary.to_string(),
        }
    }
}

/// The flaredns process of the cluster run, after initial sync, churn and
/// the Pods.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessFigures {
    /// `VmHWM`: the kernel's high-water mark of the resident set.
    pub peak_rss_bytes: u64,
    /// The highest `VmRSS` sampled every 50 ms (a cross-check).
    pub sampled_peak_rss_bytes: u64,
    /// User plus system CPU time.
    pub cpu_seconds: f64,
}

/// What the scenarios measured.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub initial_sync: Vec<InitialSync>,
    pub churn: Churn,
    pub pods: Pods,
    pub steady_state: SteadyState,
    pub adoption: Adoption,
    pub process: ProcessFigures,
    /// 429 answers in the cluster run (the other runs count theirs in their
    /// own calls).
    pub rate_limited: u64,
}

/// One target of the issue, checked.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// The whole document.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub harness: &'static str,
    pub command: String,
    pub machine: Machine,
    pub options: Options,
    pub figures: Figures,
    pub rate_limited_total: u64,
    pub targets: Vec<Target>,
    pub model: Model,
}

impl Report {
    /// Gathers the figures, checks the targets and adds the model.
    pub fn new(options: &Options, figures: Figures) -> Self {
        let rate_limited_total = figures.rate_limited
            + figures
                .initial_sync
                .iter()
                .skip(1)
                .map(|s| s.calls.rate_limited)
                .sum::<u64>()
            + figures.adoption.calls.rate_limited;
        let free_limit = flaredns::sandbox::PlanTier::Free.batch_limit() as u64;
        let paid_limit = flaredns::sandbox::PlanTier::Pro.batch_limit() as u64;
        let model = Model::for_run(ModelInputs {
            hostnames: options.objects as u64,
            paid_hostnames: options.paid_hostnames as u64,
            free_batch_limit: free_limit,
            paid_batch_limit: paid_limit,
            records: figures.steady_state.records as u64,
            changes: options.changes as u64,
            burst: options.burst as u64,
            adoption_hostnames: figures.adoption.hostnames as u64,
        });
        let targets = targets(&figures, rate_limited_total);
        Report {
            harness: "flaredns scale benchmark",
            command: std::env::args().collect::<Vec<_>>().join(" "),
            machine: Machine::this(env!("CARGO_BIN_EXE_flaredns")),
            options: options.clone(),
            figures,
            rate_limited_total,
            targets,
            model,
        }
    }

    /// Whether every target was met.
    pub fn all_met(&self) -> bool {
        self.targets.iter().all(|t| t.met)
    }

    /// A readable summary of the figures, the targets and the model.
    pub fn summary(&self) -> String {
        let f = &self.figures;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "flaredns scale run: {} objects on {} CPUs ({}), {:.1} GB",
            self.options.objects,
            self.machine.cpus,
            self.machine.cpu_model,
            self.machine.memory_bytes as f64 / 1e9
        );
        for sync in &f.initial_sync {
            let c = &sync.calls;
            let _ = writeln!(
                s,
                "initial sync [{}]: {} hostnames, {} calls (verify {}, zones {}, list {}, batch {}, single {}; budget {}), \
                 ready {:.2} s, synced {:.2} s",
                sync.name,
                sync.hostnames,
                c.total,
                c.verify,
                c.zones,
                c.list,
                c.batch,
                c.single,
                sync.budget.total,
                sync.ready_seconds,
                sync.wall_seconds
            );
        }
        let d = &f.churn.event_to_batch_seconds;
        let _ = writeln!(
            s,
            "churn: {} changes in rounds of {}, {} batches; event to batch p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s",
            f.churn.changes, f.churn.burst, f.churn.calls.batch, d.p50, d.p90, d.p99, d.max
        );
        let _ = writeln!(
            s,
            "pods: {} created at {:.0}/s; RSS {:.1} MiB -> {:.1} MiB; {} Pod requests by flaredns",
            f.pods.pods,
            f.pods.creates_per_second,
            f.pods.rss_before_bytes as f64 / MIB,
            f.pods.rss_after_bytes as f64 / MIB,
            f.pods.pod_requests
        );
        let _ = writeln!(
            s,
            "process: peak RSS {:.1} MiB (sampled {:.1} MiB), CPU {:.2} s",
            f.process.peak_rss_bytes as f64 / MIB,
            f.process.sampled_peak_rss_bytes as f64 / MIB,
            f.process.cpu_seconds
        );
        let st = &f.steady_state;
        let _ = writeln!(
            s,
            "steady state: {} records, {:.2} lists per {:.0} s interval (expected {}), {} writes; \
             {:.1} calls per 5 minutes at a 1 m interval; restarted process peak RSS {:.1} MiB",
            st.records,
            st.lists_per_interval,
            st.interval_seconds,
            st.expected_lists_per_interval,
            st.calls.writes + st.startup.writes,
            st.calls_per_5_minutes_at_1m_interval,
            st.peak_rss_bytes as f64 / MIB
        );
        let a = &f.adoption;
        let _ = writeln!(
            s,
            "adoption: {} hostnames ({} records), {} calls, {} writes",
            a.hostnames, a.records, a.calls.total, a.calls.writes
        );
        let _ = writeln!(s, "429 answers: {}", self.rate_limited_total);
        let _ = writeln!(s, "targets:");
        for t in &self.targets {
            let _ = writeln!(
                s,
                "  [{}] {}: {} (measured {})",
                if t.met { "met" } else { "MISSED" },
                t.name,
                t.target,
                t.measured
            );
        }
        let m = &self.model;
        let _ = writeln!(s, "{}:", m.label);
        for (name, c) in [
            ("initial sync, hostname-sized run (Free)", &m.initial_sync),
            (
                "steady state per 5 min, this zone",
                &m.steady_state_per_5_minutes,
            ),
            (
                "steady state per 5 min, 5,000 records",
                &m.steady_state_per_5_minutes_5000_records,
            ),
            ("churn", &m.churn),
            ("adoption", &m.adoption),
        ] {
            let _ = writeln!(
                s,
                "  {name}: ExternalDNS v0.14 {} calls, v0.21+ {} calls, API minimum {}",
                c.externaldns_v0_14.total, c.externaldns_v0_21.total, c.api_minimum.total
            );
        }
        s
    }
}

fn target(name: &str, target: String, measured: String, met: bool) -> Target {
    Target {
        name: name.to_string(),
        target,
        measured,
        met,
    }
}

/// The issue's targets, checked against the figures. Targets the issue states
/// for one size (10,000 objects) are checked at every size and say so.
fn targets(f: &Figures, rate_limited: u64) -> Vec<Target> {
    let mut out = Vec::new();
    for sync in &f.initial_sync {
        out.push(target(
            &format!("initial sync calls [{}]", sync.name),
            format!(
                "<= {} (verify + zone + 1 list + {} batches of {})",
                sync.budget.total, sync.budget.batch, sync.batch_limit
            ),
            sync.calls.total.to_string(),
            sync.within_budget && sync.missing_records == 0,
        ));
        if let Some((_, limit)) = ISSUE_BUDGETS
            .iter()
            .find(|(h, _)| *h == sync.hostnames && sync.batch_limit == 200)
        {
            out.push(target(
                &format!("issue budget for {} hostnames", sync.hostnames),
                format!("<= {limit} calls"),
                sync.calls.total.to_string(),
                sync.calls.total <= *limit,
            ));
        }
    }
    out.push(target(
        "429s",
        "0".into(),
        rate_limited.to_string(),
        rate_limited == 0,
    ));
    let st = &f.steady_state;
    out.push(target(
        "steady state",
        format!(
            "0 writes, {} list(s) per interval",
            st.expected_lists_per_interval
        ),
        format!(
            "{} writes, {:.2} lists per interval",
            st.calls.writes + st.startup.writes,
            st.lists_per_interval
        ),
        st.calls.writes + st.startup.writes == 0
            && st.calls.list == st.expected_lists_per_interval * st.intervals
            && st.calls.total == st.calls.list,
    ));
    out.push(target(
        "adoption",
        "0 writes".into(),
        format!("{} writes", f.adoption.calls.writes),
        f.adoption.calls.writes == 0 && f.adoption.records_after == f.adoption.records,
    ));
    let d = &f.churn.event_to_batch_seconds;
    out.push(target(
        "event to batch p99 (issue: at 10,000 objects)",
        format!("< {P99_LIMIT_SECONDS} s"),
        format!("{:.3} s", d.p99),
        d.p99 < P99_LIMIT_SECONDS && f.churn.missing_records == 0,
    ));
    out.push(target(
        "peak RSS (issue: at 10,000 objects)",
        format!("< {:.0} MiB", PEAK_RSS_LIMIT_BYTES as f64 / MIB),
        format!(
            "{:.1} MiB syncing, {:.1} MiB restarted on the synced zone",
            f.process.peak_rss_bytes as f64 / MIB,
            f.steady_state.peak_rss_bytes as f64 / MIB
        ),
        f.process.peak_rss_bytes.max(f.steady_state.peak_rss_bytes) < PEAK_RSS_LIMIT_BYTES,
    ));
    out.push(target(
        "RSS with the Pods added",
        "unchanged within 2 MiB".into(),
        format!("{:+.2} MiB", f.pods.rss_growth_bytes as f64 / MIB),
        f.pods.rss_growth_bytes.abs() <= POD_RSS_GROWTH_LIMIT_BYTES,
    ));
    if let Some(cluster) = f.initial_sync.first() {
        out.push(target(
            "time to ready (issue: at 10,000 objects)",
            format!("<= {READY_LIMIT_SECONDS} s"),
            format!("{:.2} s", cluster.ready_seconds),
            cluster.ready_seconds <= READY_LIMIT_SECONDS,
        ));
    }
    out
}
