//! One scale run: a world holding a workload, and the flaredns process against
//! it, with the waits every scenario needs (ready, a number of reconcile
//! passes, quiet).

use std::time::{Duration, Instant, SystemTime};

use flaredns::sandbox::{CallEntry, PlanTier, Sandbox, SandboxConfig};

use super::super::kube_api::{KubeApi, KubeApiConfig};
use super::super::world::{Controller, World, ZONE, free_port};
use super::ScaleError;
use super::figures::{self, Calls};
use super::process::Sampler;
use super::workload::Workload;

/// How often waits poll.
const POLL: Duration = Duration::from_millis(20);

/// The watch history the Kubernetes API test server keeps. Pods created by
/// the thousand push older changes out; bookmarks (below) keep watches past
/// them, as a real API server's do.
const KUBE_HISTORY: usize = 10_000;
const KUBE_BOOKMARKS: Duration = Duration::from_secs(1);

/// The metric counting reconcile passes (one histogram sample per pass).
pub const PASSES: &str = "flaredns_reconcile_duration_seconds_count";

/// Settings every run's controller gets.
#[derive(Clone, Debug)]
pub struct ControllerSettings {
    /// `--cloudflare-dns-records-per-page`.
    pub per_page: u32,
    /// `--plan-slice-size`, when not the default.
    pub plan_slice_size: Option<usize>,
}

/// A world with a workload in it and, once started, a controller.
pub struct Run {
    pub world: World,
    pub workload: Workload,
    pub plan: PlanTier,
    pub settings: ControllerSettings,
    controller: Option<Controller>,
    sampler: Option<Sampler>,
    /// When the current controller was spawned.
    pub started: Option<(Instant, SystemTime)>,
}

impl Run {
    /// A fresh world on `plan` (the sandbox keeps no zone copies, which would
    /// cost gigabytes at 10,000 objects) with `workload` created in it.
    pub async fn new(
        workload: Workload,
        plan: PlanTier,
        settings: ControllerSettings,
    ) -> Result<Self, ScaleError> {
        let kube = KubeApi::start_with(KubeApiConfig {
            history_capacity: KUBE_HISTORY,
            bookmark_interval: Some(KUBE_BOOKMARKS),
        })
        .await
        .map_err(|e| ScaleError::Fake(e.to_string()))?;
        let cloudflare = Sandbox::start(SandboxConfig {
            keep_history: false,
            strict_requests: true,
            ..SandboxConfig::default()
        })
        .await
        .map_err(|e| ScaleError::Fake(e.to_string()))?;
        cloudflare
            .add_zone(ZONE, plan)
            .map_err(|e| ScaleError::Fake(e.to_string()))?;
        let world = World {
            kube,
            cloudflare,
            metrics_port: free_port(),
            binary: std::path::PathBuf::from(env!("CARGO_BIN_EXE_flaredns")),
        };
        for object in workload.all() {
            world
                .kube
                .create(&object.manifest(object.initial_address()))
                .map_err(|e| ScaleError::Fake(e.to_string()))?;
        }
        Ok(Run {
            world,
            workload,
            plan,
            settings,
            controller: None,
            sampler: None,
            started: None,
        })
    }

    /// Starts the controller with `extra` arguments after the world's and the
    /// run's own, and starts sampling its memory.
    pub fn start(&mut self, extra: &[&str]) -> u32 {
        let per_page = format!(
            "--cloudflare-dns-records-per-page={}",
            self.settings.per_page
        );
        let slice_size = self
            .settings
            .plan_slice_size
            .map(|n| format!("--plan-slice-size={n}"));
        let mut args: Vec<&str> = vec!["--log-level=info", per_page.as_str()];
        args.extend(slice_size.as_deref());
        args.extend_from_slice(extra);
        self.started = Some((Instant::now(), SystemTime::now()));
        let controller = self.world.start(&args);
        let pid = controller.pid();
        self.sampler = Some(Sampler::start(pid));
        self.controller = Some(controller);
        pid
    }

    /// Kills the controller, if one runs.
    pub fn stop(&mut self) {
        self.sampler = None;
        if let Some(mut controller) = self.controller.take() {
            // SIGTERM, so that a profiling build writes its profile.
            controller.terminate(Duration::from_secs(10));
        }
    }

    /// The memory sampler of the running controller.
    pub fn sampler(&self) -> Result<&Sampler, ScaleError> {
        self.sampler.as_ref().ok_or(ScaleError::NotRunning)
    }

    /// Fails when the controller has exited.
    fn check_alive(&mut self) -> Result<(), ScaleError> {
        match self.controller.as_mut().map(Controller::exited) {
            Some(Some(status)) => Err(ScaleError::Exited(status.to_string())),
            Some(None) => Ok(()),
            None => Err(ScaleError::NotRunning),
        }
    }

    /// Time since the controller was spawned.
    pub fn since_start(&self) -> Duration {
        self.started.map(|(i, _)| i.elapsed()).unwrap_or_default()
    }

    /// Waits until `/readyz` answers 200; returns the time since start.
    pub async fn until_ready(&mut self, limit: Duration) -> Result<Duration, ScaleError> {
        let url = format!("http://127.0.0.1:{}/readyz", self.world.metrics_port);
        let deadline = Instant::now() + limit;
        loop {
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(self.since_start());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(ScaleError::Timeout("the controller to be ready"));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Reconcile passes the controller has finished.
    pub async fn passes(&self) -> Option<u64> {
        let text = World::metrics(self.world.metrics_port).await?;
        figures::metric(&text, PASSES).map(|v| v as u64)
    }

    /// A metric of the controller, if it answers.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = World::metrics(self.world.metrics_port).await?;
        figures::metric(&text, name)
    }

    /// Waits until at least `count` passes have finished; returns the time
    /// since start.
    pub async fn until_passes(
        &mut self,
        count: u64,
        limit: Duration,
    ) -> Result<Duration, ScaleError> {
        let deadline = Instant::now() + limit;
        loop {
            if self.passes().await.is_some_and(|p| p >= count) {
                return Ok(self.since_start());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                return Err(ScaleError::Timeout("a reconcile pass to finish"));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every call the sandbox answered.
    pub fn call_log(&self) -> Vec<CallEntry> {
        self.world.cloudflare.call_log()
    }

    /// The calls made since `at`.
    pub fn calls_since(&self, at: SystemTime) -> Calls {
        Calls::of(&figures::since(&self.call_log(), at))
    }

    /// Whether every hostname of the workload has its A record with `address`
    /// of `expected` and its ownership TXT record. Returns the hostnames that
    /// do not.
    pub fn missing_records(
        &self,
        expected: impl Fn(&super::workload::ObjectRef) -> std::net::Ipv4Addr,
    ) -> Result<Vec<String>, ScaleError> {
        let records = self
            .world
            .cloudflare
            .records(ZONE)
            .map_err(|e| ScaleError::Fake(e.to_string()))?;
        let present: std::collections::HashSet<(&str, &str, &str)> = records
            .iter()
            .map(|r| (r.name.as_str(), r.record_type.as_str(), r.content.as_str()))
            .collect();
        let txt: std::collections::HashSet<&str> = records
            .iter()
            .filter(|r| r.record_type == "TXT")
            .map(|r| r.name.as_str())
            .collect();
        Ok(self
            .workload
            .all()
            .filter_map(|object| {
                let host = object.hostname();
                let address = expected(&object).to_string();
                let ok = present.contains(&(host.as_str(), "A", address.as_str()))
                    && txt.contains(format!("a-{host}").as_str());
                (!ok).then_some(host)
            })
            .collect())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop();
    }
}
