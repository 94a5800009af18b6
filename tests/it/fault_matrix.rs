//! The fault matrix: the real binary against the Kubernetes API test server and
//! the Cloudflare sandbox, every fault × every workload. Each case seeds foreign
//! records, publishes the workload's starting objects, waits until they are in
//! the zone, then moves the objects to the workload's target while injecting
//! the fault, lets the fault pass, and waits for the zone to converge. It then
//! asserts the invariants of `support::invariants` over the final zone and the
//! sandbox's whole write history, that the fault really happened, and that no
//! controller exited on its own.
//!
//! One test per fault; its four workloads run side by side, each in a world of
//! its own, so that the file's time is that of its slowest faults (the client's
//! 30-second time-out and the 15-second lease), not their sum.

use crate::support;

use std::time::{Duration, Instant};

use flaredns::sandbox::RecordObject;
use flaredns::sandbox::{CallKind, FailWrite, HistoryEntry, Throttle};

use support::invariants::{self, Expected};
use support::kube_api::Verb;
use support::workload::{
    Fault, Kind, Move, ObjectSpec, Objects, apply_move, desired, hosts, moves, objects,
    seed_foreign,
};
use support::world::{Controller, OWNER, World, free_port, is_leader, world};

/// Several small batches per workload, so that "the k-th batch" and "in the
/// middle of a sync" are real, and a pause between them so that a test can act
/// while a sync is under way.
const CONTROLLER_ARGS: [&str; 2] = ["--batch-change-size=5", "--batch-change-interval=200ms"];

/// Leader election on, with the lease in the test server's `default` namespace.
const ELECTION_ARGS: [&str; 3] = [
    "--leader-election=true",
    "--leader-election-namespace=default",
    "--leader-election-lease-name=flaredns",
];

/// Which batch of the workload a batch fault hits.
const KTH_BATCH: u64 = 2;

/// Longest wait for a zone to converge: covers a standby's takeover (one lease
/// period) and the client's 30-second time-out.
const CONVERGENCE: Duration = Duration::from_secs(90);

/// The workloads of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    Create,
    Update,
    Delete,
    Mixed,
}

const WORKLOADS: [Workload; 4] = [
    Workload::Create,
    Workload::Update,
    Workload::Delete,
    Workload::Mixed,
];

/// 24 names over every source: eight Ingresses, two DNSEndpoints of six names,
/// two Services of two names, and an Ingress claiming the foreign names.
fn base(ip: &str) -> Vec<ObjectSpec> {
    let mut specs: Vec<ObjectSpec> = (0..8)
        .map(|i| {
            ObjectSpec::new(
                Kind::Ingress,
                &format!("web{i}"),
                &[format!("web{i}.example.com")],
                ip,
            )
        })
        .collect();
    specs.push(ObjectSpec::new(
        Kind::DnsEndpoint,
        "api",
        &hosts("api", 6),
        ip,
    ));
    specs.push(ObjectSpec::new(
        Kind::DnsEndpoint,
        "cdn",
        &hosts("cdn", 6),
        ip,
    ));
    for i in 0..2 {
        specs.push(ObjectSpec::new(
            Kind::Service,
            &format!("lb{i}"),
            &hosts(&format!("lb{i}-"), 2),
            ip,
        ));
    }
    specs.push(squatter(ip));
    specs
}

/// An Ingress asking for the names foreign records hold: flaredns must leave
/// them as they are.
fn squatter(ip: &str) -> ObjectSpec {
    ObjectSpec::new(
        Kind::Ingress,
        "squatter",
        &[
            support::workload::OTHER_OWNERS_NAME.to_string(),
            support::workload::UNOWNED_NAME.to_string(),
        ],
        ip,
    )
}

/// Whether an Ingress is one of `web0` to `web3`.
fn first_four(name: &str) -> bool {
    matches!(name, "web0" | "web1" | "web2" | "web3")
}

const FIRST_IP: &str = "198.51.100.1";
const SECOND_IP: &str = "198.51.100.2";

impl Workload {
    /// The objects before and after the workload.
    fn objects(self) -> (Objects, Objects) {
        let before = objects(base(FIRST_IP));
        match self {
            Workload::Create => (Objects::new(), before),
            Workload::Update => (before, objects(base(SECOND_IP))),
            Workload::Delete => {
                // Four Ingresses stay; 20 names (and the squatter) go.
                let kept = before
                    .values()
                    .filter(|s| s.kind == Kind::Ingress && first_four(&s.name))
                    .cloned();
                let after = objects(kept);
                (before, after)
            }
            Workload::Mixed => {
                let mut after = before.clone();
                // Deleted: four Ingresses and a Service.
                after.retain(|(kind, name), _| {
                    let gone = (*kind == Kind::Ingress && first_four(name))
                        || (*kind == Kind::Service && name == "lb0");
                    !gone
                });
                // Updated: four Ingresses and the squatter.
                for spec in after.values_mut() {
                    if spec.kind == Kind::Ingress {
                        spec.ip = SECOND_IP.to_string();
                    }
                }
                // Half replaced: three names go, three stay, three come.
                if let Some(api) = after.get_mut(&(Kind::DnsEndpoint, "api".to_string())) {
                    api.hosts = (3..9).map(|i| format!("api{i}.example.com")).collect();
                }
                // Created: a new Ingress with four names.
                after.extend(objects([ObjectSpec::new(
                    Kind::Ingress,
                    "fresh",
                    &hosts("fresh", 4),
                    FIRST_IP,
                )]));
                (before, after)
            }
        }
    }
}

/// One controller process and its metrics port.
struct Replica {
    port: u16,
    controller: Controller,
    /// Killed by the test (so its exit is expected).
    killed: bool,
}

/// The controllers of one case, each on a metrics port of its own.
struct Replicas<'w> {
    world: &'w World,
    election: bool,
    running: Vec<Replica>,
    /// Processes this test killed and replaced.
    restarts: usize,
}

impl<'w> Replicas<'w> {
    fn start(world: &'w World, count: usize, election: bool) -> Self {
        let mut replicas = Replicas {
            world,
            election,
            running: Vec::new(),
            restarts: 0,
        };
        for _ in 0..count {
            let started = replicas.spawn();
            replicas.running.push(started);
        }
        replicas
    }

    fn spawn(&self) -> Replica {
        let port = free_port();
        let mut args: Vec<&str> = CONTROLLER_ARGS.to_vec();
        if self.election {
            args.extend(ELECTION_ARGS);
        }
        Replica {
            port,
            controller: self.world.start_on(port, &args),
            killed: false,
        }
    }

    /// SIGKILL, no shutdown path.
    fn kill(&mut self, index: usize) {
        if let Some(replica) = self.running.get_mut(index) {
            replica.controller.kill();
            replica.killed = true;
        }
    }

    /// Waits until a replica has finished a pass that converged (with
    /// nothing to publish, the zone alone cannot tell).
    async fn synced(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for replica in &self.running {
                if let Some(text) = World::metrics(replica.port).await
                    && text.lines().any(|l| {
                        l.strip_prefix("external_dns_controller_last_sync_timestamp_seconds ")
                            .and_then(|v| v.parse::<f64>().ok())
                            .is_some_and(|v| v > 0.0)
                    })
                {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err("no replica finished a pass".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts a fresh process in place of a killed one.
    fn restart(&mut self, index: usize) {
        let started = self.spawn();
        if let Some(slot) = self.running.get_mut(index) {
            *slot = started;
            self.restarts += 1;
        }
    }

    /// The index of the replica holding the lease, once exactly one does.
    async fn leader(&self) -> Result<usize, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut leaders = Vec::new();
            for (i, replica) in self.running.iter().enumerate() {
                if !replica.killed && is_leader(replica.port).await {
                    leaders.push(i);
                }
            }
            if let [one] = leaders[..] {
                return Ok(one);
            }
            if Instant::now() > deadline {
                return Err(format!("{} replicas claim the lease", leaders.len()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A violation for every replica that exited although this test did not
    /// kill it.
    fn exits(&mut self) -> Vec<String> {
        self.running
            .iter_mut()
            .enumerate()
            .filter(|(_, r)| !r.killed)
            .filter_map(|(i, r)| {
                invariants::exited_on_its_own(&format!("replica {i}"), r.controller.exited())
            })
            .collect()
    }
}

/// Waits up to `limit` for `condition`; an error names what never happened.
async fn wait_for(
    what: &str,
    limit: Duration,
    mut condition: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while !condition() {
        if Instant::now() > deadline {
            return Err(format!("timed out after {limit:?} waiting until {what}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Waits until the zone holds exactly what `expected` wants; the error lists
/// what was still wrong.
async fn converge(world: &World, expected: &Expected, stage: &str) -> Result<(), String> {
    let deadline = Instant::now() + CONVERGENCE;
    loop {
        let records = world
            .cloudflare
            .records(support::world::ZONE)
            .unwrap_or_default();
        let wrong = invariants::zone_matches(expected, &records);
        if wrong.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no convergence {stage} within {CONVERGENCE:?}:\n  {}",
                wrong.join("\n  ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn apply_all(world: &World, steps: &[Move]) -> Result<(), String> {
    for step in steps {
        apply_move(&world.kube, step).map_err(|e| format!("cannot apply {step:?}: {e}"))?;
    }
    Ok(())
}

/// Clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// The CPU time (user and system, in clock ticks) a process has used, where
/// `/proc` tells.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it do not.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15; the rest starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Whether the sandbox answered some call as `answered` says.
fn sandbox_answered(
    world: &World,
    answered: impl Fn(&flaredns::sandbox::CallEntry) -> bool,
) -> bool {
    world.cloudflare.call_log().iter().any(answered)
}

/// Whether the zone already holds the target (then a fault meant for the
/// middle of the work came too late).
fn already_converged(world: &World, expected: &Expected) -> bool {
    let records = world
        .cloudflare
        .records(support::world::ZONE)
        .unwrap_or_default();
    invariants::zone_matches(expected, &records).is_empty()
}

/// Moves the objects to the workload's target while `fault` happens, and
/// checks that it did happen. Returns once the fault is over.
async fn inject(
    fault: Fault,
    world: &World,
    replicas: &mut Replicas<'_>,
    steps: &[Move],
    target: &Expected,
) -> Result<(), String> {
    let batches = world.calls(CallKind::Batch);
    let kth_batch_sent = || world.calls(CallKind::Batch) >= batches + KTH_BATCH;
    let soon = Duration::from_secs(30);
    match fault {
        Fault::RateLimitStorm => {
            world.cloudflare.throttle(Throttle {
                calls: 8,
                retry_after: Duration::from_secs(1),
            });
            apply_all(world, steps)?;
            wait_for("the throttled calls are used up", soon, || {
                world
                    .cloudflare
                    .call_log()
                    .iter()
                    .filter(|e| e.status == Some(429))
                    .count()
                    >= 8
            })
            .await
        }
        Fault::ServerError => {
            world
                .cloudflare
                .fail_write(FailWrite {
                    nth: KTH_BATCH,
                    status: 500,
                })
                .map_err(|e| e.to_string())?;
            apply_all(world, steps)?;
            wait_for("the k-th batch is answered 500", soon, || {
                sandbox_answered(world, |e| {
                    e.kind == CallKind::Batch && e.status == Some(500)
                })
            })
            .await
        }
        Fault::LostAnswerReset => {
            world
                .cloudflare
                .reset_after_write(KTH_BATCH)
                .map_err(|e| e.to_string())?;
            apply_all(world, steps)?;
            wait_for(
                "the k-th batch is applied and its answer lost",
                soon,
                || sandbox_answered(world, |e| e.kind == CallKind::Batch && e.status.is_none()),
            )
            .await
        }
        Fault::LostAnswerTimeout => {
            // Longer than the client's 30-second time-out.
            world.cloudflare.set_answer_delay(Duration::from_secs(35));
            apply_all(world, steps)?;
            let sent = wait_for("a batch is applied, its answer held back", soon, || {
                world.calls(CallKind::Batch) > batches
            })
            .await;
            // That answer already waits; the next ones come at once.
            world.cloudflare.set_answer_delay(Duration::ZERO);
            sent
        }
        Fault::Sigkill => {
            replicas.kill(0);
            apply_all(world, steps)?;
            replicas.restart(0);
            wait_for("the initial sync sent k batches", soon, kth_batch_sent).await?;
            replicas.kill(0);
            if already_converged(world, target) {
                return Err("the initial sync had finished before the kill".into());
            }
            replicas.restart(0);
            Ok(())
        }
        Fault::WatchCut => {
            let lists = world.kube.count(Verb::List, "ingresses");
            let (first, second) = steps.split_at(steps.len() / 2);
            apply_all(world, first)?;
            world.kube.expire_history();
            world.kube.cut_watches();
            apply_all(world, second)?;
            wait_for("the Ingress watch re-lists after its 410", soon, || {
                world.kube.count(Verb::List, "ingresses") > lists
            })
            .await
        }
        Fault::KubeApiErrors => {
            // Every request answered 500 until nine have been; the cut makes
            // the watches come back through them.
            world.kube.fail_next(9);
            world.kube.cut_watches();
            apply_all(world, steps)?;
            wait_for("every armed 500 is answered", soon, || {
                world.kube.pending_failures() == 0
            })
            .await?;
            // A replica starting while the API fails (its Lease, its first
            // lists) waits it out too.
            replicas.kill(0);
            world.kube.fail_next(6);
            replicas.restart(0);
            wait_for("every armed 500 is answered again", soon, || {
                world.kube.pending_failures() == 0
            })
            .await
        }
        Fault::TokenRevoked => {
            let token = world
                .cloudflare
                .token()
                .ok_or("the sandbox has no token")?
                .to_string();
            world.cloudflare.revoke_token(&token);
            apply_all(world, steps)?;
            let refused = wait_for("a call is refused with 403", soon, || {
                sandbox_answered(world, |e| e.status == Some(403))
            })
            .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            world.cloudflare.restore_token(&token);
            refused?;
            // A refused token stops the pass: one refused batch per attempt,
            // not one per record (one attempt, then retries after 1 s and 2 s).
            let refused_batches = world
                .cloudflare
                .call_log()
                .iter()
                .filter(|e| e.kind == CallKind::Batch && e.status == Some(403))
                .count();
            if refused_batches > 3 {
                return Err(format!(
                    "{refused_batches} batches refused with 403: the refused token was tried record by record"
                ));
            }
            Ok(())
        }
        Fault::LeaderKilled => {
            let leader = replicas.leader().await?;
            // A standby waits for the lease; it does not spin. Idle, it uses
            // no measurable CPU; a busy loop used a quarter of a second per
            // second even with eight processes sharing two cores.
            let standby_pid = replicas.running.get(1 - leader).map(|r| r.controller.pid());
            let cpu_before = standby_pid.and_then(cpu_ticks);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let cpu_after = standby_pid.and_then(cpu_ticks);
            if let (Some(before), Some(after)) = (cpu_before, cpu_after)
                && after.saturating_sub(before) > TICKS_PER_SECOND / 10
            {
                return Err(format!(
                    "the standby used {} CPU ticks in two idle seconds",
                    after - before
                ));
            }
            apply_all(world, steps)?;
            wait_for("the leader sent k batches", soon, kth_batch_sent).await?;
            replicas.kill(leader);
            if already_converged(world, target) {
                return Err("the leader had finished before the kill".into());
            }
            // The standby must take over (within about one lease period).
            let standby = replicas.running.get(1 - leader).map(|r| r.port);
            let deadline = Instant::now() + Duration::from_secs(45);
            loop {
                if let Some(port) = standby
                    && is_leader(port).await
                {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err("the standby never took the lease".into());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// One fault × workload case; `Err` describes every violation.
async fn run_case(fault: Fault, workload: Workload) -> Result<(), String> {
    let world = world().await;
    let foreign = seed_foreign(&world.cloudflare).map_err(|e| e.to_string())?;
    let expect = |objects: &Objects| Expected {
        owner: OWNER.to_string(),
        desired: desired(objects),
        foreign: foreign.clone(),
    };
    let (before, after) = workload.objects();
    apply_all(&world, &moves(&Objects::new(), &before))?;
    // With leader election on, a restart also sets up a Lease.
    let election = matches!(fault, Fault::LeaderKilled | Fault::KubeApiErrors);
    let mut replicas = Replicas::start(&world, if election { 2 } else { 1 }, election);
    converge(&world, &expect(&before), "before the workload").await?;
    replicas.synced().await?;

    let target = expect(&after);
    inject(
        fault,
        &world,
        &mut replicas,
        &moves(&before, &after),
        &target,
    )
    .await?;
    converge(&world, &target, "after the fault").await?;

    let records = world
        .cloudflare
        .records(support::world::ZONE)
        .map_err(|e| e.to_string())?;
    let mut violations = invariants::check_all(&target, &records, &world.cloudflare.history());
    violations.extend(replicas.exits());
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations.join("\n  "))
    }
}

/// Runs every workload under `fault`, side by side, and fails with every
/// violation of every case.
async fn run_fault(fault: Fault) {
    let outcomes = futures::future::join_all(WORKLOADS.map(|w| run_case(fault, w))).await;
    let failures: Vec<String> = WORKLOADS
        .iter()
        .zip(outcomes)
        .filter_map(|(workload, outcome)| {
            outcome
                .err()
                .map(|e| format!("{fault:?} × {workload:?}:\n  {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

macro_rules! fault_tests {
    ($($name:ident: $fault:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            run_fault($fault).await;
        }
    )*};
}

fault_tests! {
    a_429_storm_with_retry_after: Fault::RateLimitStorm;
    a_500_on_the_kth_batch: Fault::ServerError;
    a_batch_applied_whose_connection_is_reset: Fault::LostAnswerReset;
    a_batch_applied_whose_answer_times_out: Fault::LostAnswerTimeout;
    sigkill_in_the_middle_of_an_initial_sync_then_a_restart: Fault::Sigkill;
    the_watch_cut_with_410_on_resume: Fault::WatchCut;
    the_kubernetes_api_answering_500_for_a_while: Fault::KubeApiErrors;
    the_token_revoked_then_restored: Fault::TokenRevoked;
    the_leader_killed_while_writing_with_a_standby_running: Fault::LeaderKilled;
}

/// A record as the sandbox would return it.
fn record(
    id: &str,
    name: &str,
    record_type: &str,
    content: &str,
    modified_on: &str,
) -> RecordObject {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": name, "type": record_type, "content": content,
        "ttl": 1, "proxied": false, "modified_on": modified_on
    }))
    .unwrap_or_else(|e| panic!("a record literal decodes: {e}"))
}

/// The checks would fail if the promises were broken: each kind of breach
/// planted in a zone or a history is reported, naming the record.
#[test]
fn the_invariants_report_every_kind_of_breach() {
    let owned_txt = invariants::ownership_value(OWNER, "ingress/default/web");
    let foreign = vec![
        record("f1", "other.example.com", "A", "192.0.2.50", "t0"),
        record("f2", "manual.example.com", "A", "192.0.2.51", "t0"),
    ];
    let expected = Expected {
        owner: OWNER.to_string(),
        desired: [(
            "web.example.com".to_string(),
            "A".to_string(),
            "198.51.100.1".to_string(),
        )]
        .into(),
        foreign: foreign.clone(),
    };
    let good = vec![
        foreign[0].clone(),
        foreign[1].clone(),
        record("r1", "web.example.com", "A", "198.51.100.1", "t1"),
        record("t1", "a-web.example.com", "TXT", &owned_txt, "t1"),
    ];
    let entry = |seq: u64, records: Vec<RecordObject>| HistoryEntry {
        seq,
        zone_id: "z".to_string(),
        kind: CallKind::Batch,
        records,
    };
    assert_eq!(
        invariants::check_all(&expected, &good, &[entry(1, good.clone())]),
        Vec::<String>::new()
    );

    // A record without its TXT, in one state of the history.
    let uncovered = vec![
        foreign[0].clone(),
        foreign[1].clone(),
        record("r1", "web.example.com", "A", "198.51.100.1", "t1"),
    ];
    let found = invariants::history_holds(&expected, &[entry(7, uncovered)]);
    assert_eq!(
        found,
        ["after call 7: record web.example.com A (r1) has no ownership TXT"]
    );

    // A foreign record touched (same content, new modification time) and one
    // deleted.
    let mut touched = good.clone();
    touched[0].modified_on = "t2".to_string();
    touched.remove(1);
    let found = invariants::foreign_untouched("final zone", &foreign, &touched);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("(f1) was modified"), "{found:?}");
    assert!(found[1].contains("(f2) is gone"), "{found:?}");

    // A duplicate, an orphaned TXT, a missing record and an extra one.
    let mut wrong = good.clone();
    wrong.push(record("r2", "web.example.com", "A", "198.51.100.1", "t1"));
    wrong.push(record("t2", "a-old.example.com", "TXT", &owned_txt, "t1"));
    wrong.push(record("r3", "stray.example.com", "A", "198.51.100.9", "t1"));
    let found = invariants::check_all(&expected, &wrong, &[]);
    let expected_found = [
        "unexpected record stray.example.com A 198.51.100.9",
        "orphaned ownership TXT a-old.example.com (t2)",
        "final zone: duplicate web.example.com A 198.51.100.1 (ids r1 and r2)",
    ];
    for message in expected_found {
        assert!(
            found.iter().any(|f| f == message),
            "{message} not in {found:?}"
        );
    }
    let missing = invariants::zone_matches(&expected, &foreign);
    assert_eq!(
        missing,
        [
            "missing record web.example.com A 198.51.100.1",
            "missing ownership TXT a-web.example.com"
        ]
    );

    // Another owner's TXT is not ours; only this owner's value counts.
    assert!(invariants::is_owned_by(&owned_txt, OWNER));
    assert!(!invariants::is_owned_by(
        &invariants::ownership_value("other-cluster", "ingress/default/web"),
        OWNER
    ));
    assert!(!invariants::is_owned_by("\"v=spf1 -all\"", OWNER));
}
