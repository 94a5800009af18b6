//! The soak loop: two replicas of the real binary (leader election on) under
//! random churn of Kubernetes objects and random faults from the fault matrix,
//! for a bounded time, then the invariants of [`super::invariants`] over the
//! final zone and the sandbox's whole write history.
//!
//! Everything random comes from one seeded generator, so a seed names a run's
//! sequence of changes and faults (not its timing, which the processes decide).
//! Used by `benches/soak.rs` (minutes to hours) and by a short CI smoke test.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flaredns::sandbox::RecordObject;
use flaredns::sandbox::{CallKind, FailWrite, Throttle};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use super::invariants::{self, Expected};
use super::workload::{
    Fault, Kind, Move, OTHER_OWNERS_NAME, ObjectSpec, Objects, UNOWNED_NAME, apply_move, desired,
    seed_foreign,
};
use super::world::{Controller, OWNER, World, ZONE, free_port, is_leader, world};

/// The controller's arguments on top of the world's: small batches with a
/// pause between them, so that faults land in the middle of the work.
const CONTROLLER_ARGS: [&str; 5] = [
    "--batch-change-size=5",
    "--batch-change-interval=100ms",
    "--leader-election=true",
    "--leader-election-namespace=default",
    "--leader-election-lease-name=flaredns",
];

/// Longest wait for the zone to converge once churn and faults stop: a
/// standby's takeover, a client time-out and a few retries.
const CONVERGENCE: Duration = Duration::from_secs(120);

/// The object slots churn draws from: (kind, name, most host names). Each slot
/// has names of its own, so that no two objects claim one name.
const SLOTS: [(Kind, &str, usize); 10] = [
    (Kind::Ingress, "web0", 2),
    (Kind::Ingress, "web1", 2),
    (Kind::Ingress, "web2", 3),
    (Kind::Ingress, "web3", 1),
    (Kind::Ingress, "web4", 1),
    (Kind::DnsEndpoint, "bulk0", 6),
    (Kind::DnsEndpoint, "bulk1", 6),
    (Kind::DnsEndpoint, "bulk2", 4),
    (Kind::Service, "lb0", 3),
    (Kind::Service, "lb1", 2),
];

/// Addresses objects point at.
const ADDRESSES: [&str; 4] = [
    "198.51.100.1",
    "198.51.100.2",
    "198.51.100.3",
    "203.0.113.7",
];

/// How a soak run goes.
#[derive(Clone, Debug)]
pub struct SoakConfig {
    /// Churn and faults last this long; convergence and checks come after.
    pub duration: Duration,
    pub seed: u64,
    /// Pauses churn and faults this often to wait for convergence, check
    /// every invariant and forget the history checked so far (so that hours of
    /// history do not pile up in memory). `None`: one check at the end.
    pub checkpoint_every: Option<Duration>,
}

/// What a soak run did and found, printed as JSON.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SoakSummary {
    pub seed: u64,
    pub duration_seconds: f64,
    /// Object creations, replacements and deletions made in Kubernetes.
    pub changes_applied: u64,
    /// Faults injected, by kind.
    pub faults_injected: BTreeMap<&'static str, u64>,
    /// Controller processes killed and started again.
    pub restarts: u64,
    /// Times churn paused for convergence and a full check.
    pub checkpoints: u64,
    /// Batch calls the sandbox answered.
    pub batches: u64,
    pub violations: Vec<String>,
    /// Records in the zone at the end, foreign ones included.
    pub final_record_count: usize,
}

/// The run's state: the world, the replicas, the objects, what was counted.
struct Soak {
    world: World,
    rng: StdRng,
    replicas: Vec<(u16, Controller)>,
    objects: Objects,
    foreign: Vec<RecordObject>,
    summary: SoakSummary,
    /// When to restore the revoked token, if it is revoked.
    restore_token_at: Option<Instant>,
}

/// Runs the soak and returns its summary; violations are in the summary, not
/// raised.
pub async fn run(config: SoakConfig) -> SoakSummary {
    let started = Instant::now();
    let world = world().await;
    let mut soak = Soak {
        rng: StdRng::seed_from_u64(config.seed),
        replicas: Vec::new(),
        objects: Objects::new(),
        foreign: Vec::new(),
        summary: SoakSummary {
            seed: config.seed,
            ..SoakSummary::default()
        },
        restore_token_at: None,
        world,
    };
    match seed_foreign(&soak.world.cloudflare) {
        Ok(foreign) => soak.foreign = foreign,
        Err(e) => {
            soak.summary
                .violations
                .push(format!("cannot seed foreign records: {e}"));
            return soak.summary;
        }
    }
    for _ in 0..SLOTS.len() / 2 {
        soak.churn();
    }
    for _ in 0..2 {
        let replica = soak.spawn();
        soak.replicas.push(replica);
    }

    let deadline = Instant::now() + config.duration;
    let mut next_checkpoint = config.checkpoint_every.map(|every| Instant::now() + every);
    while Instant::now() < deadline {
        let pause = soak.rng.random_range(100..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        soak.watch_replicas();
        soak.restore_token_when_due();
        for _ in 0..soak.rng.random_range(1..=3) {
            soak.churn();
        }
        if soak.rng.random_bool(0.3) {
            let fault = Fault::ALL[soak.rng.random_range(0..Fault::ALL.len())];
            soak.inject(fault).await;
        }
        if let (Some(at), Some(every)) = (next_checkpoint, config.checkpoint_every)
            && Instant::now() >= at
        {
            soak.checkpoint(true).await;
            next_checkpoint = Some(Instant::now() + every);
        }
    }
    soak.checkpoint(false).await;
    soak.summary.duration_seconds = started.elapsed().as_secs_f64();
    soak.summary.final_record_count = soak.world.cloudflare.records(ZONE).map_or(0, |r| r.len());
    soak.summary
}

impl Soak {
    fn spawn(&self) -> (u16, Controller) {
        let port = free_port();
        (port, self.world.start_on(port, &CONTROLLER_ARGS))
    }

    fn expected(&self) -> Expected {
        Expected {
            owner: OWNER.to_string(),
            desired: desired(&self.objects),
            foreign: self.foreign.clone(),
        }
    }

    /// One random change to one object slot: create it, move it to other
    /// names or another address, or delete it. Now and then the squatter, an
    /// object claiming the foreign names, comes or goes.
    fn churn(&mut self) {
        let step = if self.rng.random_bool(0.05) {
            let squatter = ObjectSpec::new(
                Kind::Ingress,
                "squatter",
                &[OTHER_OWNERS_NAME.to_string(), UNOWNED_NAME.to_string()],
                ADDRESSES[0],
            );
            match self
                .objects
                .contains_key(&(Kind::Ingress, "squatter".to_string()))
            {
                true => Move::Delete(squatter),
                false => Move::Create(squatter),
            }
        } else {
            let (kind, name, most) = SLOTS[self.rng.random_range(0..SLOTS.len())];
            let count = self.rng.random_range(1..=most);
            let first = self.rng.random_range(0..=most - count);
            let hosts: Vec<String> = (first..first + count)
                .map(|i| format!("{name}-{i}.{ZONE}"))
                .collect();
            let ip = ADDRESSES[self.rng.random_range(0..ADDRESSES.len())];
            let spec = ObjectSpec::new(kind, name, &hosts, ip);
            match self.objects.get(&(kind, name.to_string())) {
                None => Move::Create(spec),
                Some(_) if self.rng.random_bool(0.3) => Move::Delete(spec),
                Some(_) => Move::Replace(spec),
            }
        };
        match apply_move(&self.world.kube, &step) {
            Ok(()) => {
                self.summary.changes_applied += 1;
                match step {
                    Move::Create(spec) | Move::Replace(spec) => {
                        self.objects.insert((spec.kind, spec.name.clone()), spec);
                    }
                    Move::Delete(spec) => {
                        self.objects.remove(&(spec.kind, spec.name));
                    }
                }
            }
            Err(e) => self
                .summary
                .violations
                .push(format!("the test server refused {step:?}: {e}")),
        }
    }

    async fn inject(&mut self, fault: Fault) {
        *self
            .summary
            .faults_injected
            .entry(fault.name())
            .or_default() += 1;
        let cloudflare = &self.world.cloudflare;
        match fault {
            Fault::RateLimitStorm => cloudflare.throttle(Throttle {
                calls: self.rng.random_range(1..=8),
                retry_after: Duration::from_secs(1),
            }),
            Fault::ServerError => {
                let fail = FailWrite {
                    nth: self.rng.random_range(1..=3),
                    status: self.rng.random_range(500..=503),
                };
                if let Err(e) = cloudflare.fail_write(fail) {
                    self.summary
                        .violations
                        .push(format!("cannot arm {fail:?}: {e}"));
                }
            }
            Fault::LostAnswerReset => {
                if let Err(e) = cloudflare.reset_after_write(self.rng.random_range(1..=3)) {
                    self.summary
                        .violations
                        .push(format!("cannot arm a reset: {e}"));
                }
            }
            Fault::LostAnswerTimeout => {
                // Longer than the client's 30-second time-out, for the next
                // batch only (or whatever comes within five seconds).
                let batches = self.world.calls(CallKind::Batch);
                cloudflare.set_answer_delay(Duration::from_secs(35));
                let until = Instant::now() + Duration::from_secs(5);
                while self.world.calls(CallKind::Batch) == batches && Instant::now() < until {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                cloudflare.set_answer_delay(Duration::ZERO);
            }
            Fault::Sigkill => {
                let index = self.rng.random_range(0..self.replicas.len());
                self.restart(index);
            }
            Fault::WatchCut => {
                self.world.kube.expire_history();
                self.world.kube.cut_watches();
            }
            Fault::KubeApiErrors => {
                self.world.kube.fail_next(self.rng.random_range(3..=10));
                self.world.kube.cut_watches();
            }
            Fault::TokenRevoked => {
                if let Some(token) = cloudflare.token() {
                    cloudflare.revoke_token(token);
                    let hold = self.rng.random_range(1000..4000);
                    self.restore_token_at = Some(Instant::now() + Duration::from_millis(hold));
                }
            }
            Fault::LeaderKilled => {
                let mut leader = None;
                for (i, (port, _)) in self.replicas.iter().enumerate() {
                    if is_leader(*port).await {
                        leader = Some(i);
                    }
                }
                // Between leaders (a takeover under way) there is none to kill.
                if let Some(index) = leader {
                    self.restart(index);
                }
            }
        }
    }

    /// SIGKILL, then a new process in its place (a standby, if the other
    /// replica takes the lease first).
    fn restart(&mut self, index: usize) {
        let replacement = self.spawn();
        if let Some(slot) = self.replicas.get_mut(index) {
            slot.1.kill();
            *slot = replacement;
            self.summary.restarts += 1;
        }
    }

    /// A replica that exited on its own is a violation; it is started again
    /// so that the run goes on.
    fn watch_replicas(&mut self) {
        let exited: Vec<usize> = self
            .replicas
            .iter_mut()
            .enumerate()
            .filter_map(|(i, (_, c))| {
                let violation = invariants::exited_on_its_own(&format!("replica {i}"), c.exited());
                violation.map(|v| (i, v))
            })
            .map(|(i, v)| {
                self.summary.violations.push(v);
                i
            })
            .collect();
        for i in exited {
            self.restart(i);
        }
    }

    fn restore_token_when_due(&mut self) {
        if self.restore_token_at.is_some_and(|at| Instant::now() >= at) {
            self.restore_token();
        }
    }

    fn restore_token(&mut self) {
        if let Some(token) = self.world.cloudflare.token() {
            self.world.cloudflare.restore_token(token);
        }
        self.restore_token_at = None;
    }

    /// Ends every fault, waits for the zone to converge and checks every
    /// invariant over the zone and the history so far; with `forget`, then
    /// drops the checked history.
    async fn checkpoint(&mut self, forget: bool) {
        self.summary.checkpoints += 1;
        self.restore_token();
        self.world.cloudflare.clear_faults();
        let expected = self.expected();
        // Only a wait: what is still wrong at the end is reported below.
        let deadline = Instant::now() + CONVERGENCE;
        while Instant::now() < deadline {
            let records = self.world.cloudflare.records(ZONE).unwrap_or_default();
            if invariants::zone_matches(&expected, &records).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let records = self.world.cloudflare.records(ZONE).unwrap_or_default();
        let history = self.world.cloudflare.history();
        self.summary
            .violations
            .extend(invariants::check_all(&expected, &records, &history));
        self.watch_replicas();
        self.summary.batches += self.world.calls(CallKind::Batch);
        if forget {
            self.world.cloudflare.clear_log();
        }
    }
}
