//! A test world for end-to-end runs: the Kubernetes API test server and the
//! Cloudflare sandbox in this process, and the real `flaredns` binary as a
//! child process against them. Used by the controller tests, the fault
//! matrix and the scale benchmark.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use flaredns::sandbox::{CallKind, PlanTier, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

use super::kube_api::KubeApi;

/// The zone every world serves.
pub const ZONE: &str = "example.com";

/// The owner id the controller runs with.
pub const OWNER: &str = "production-cluster-01";

/// A running controller process; killed when dropped.
pub struct Controller(pub Child);

impl Controller {
    /// The process id, for `/proc` readings.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Kills the process with SIGKILL (no shutdown path runs) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Sends SIGTERM (the shutdown path runs: the batch in flight finishes,
    /// the lease is released) and waits up to `limit` for the exit, then
    /// SIGKILLs. The exit status, if it exited in time.
    pub fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        unsafe extern "C" {
            fn kill(pid: i32, signal: i32) -> i32;
        }
        const SIGTERM: i32 = 15;
        // SAFETY: kill(2) on our own child's pid touches no memory of ours.
        unsafe {
            kill(self.0.id() as i32, SIGTERM);
        }
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }

    /// The exit status if the process has exited on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.0.try_wait().ok().flatten()
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The two fakes and the controller's metrics port.
pub struct World {
    pub kube: KubeApi,
    pub cloudflare: SandboxHandle,
    pub metrics_port: u16,
    /// The controller binary (the test's or benchmark's build of it).
    pub binary: PathBuf,
}

/// A port nobody listens on yet.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A world with one Free-plan zone and the default sandbox.
pub async fn world() -> World {
    world_with(SandboxConfig::default(), PlanTier::Free).await
}

/// A world with one zone on `plan`, the sandbox configured by `config` and
/// always reading request bodies strictly, so that a field Cloudflare does not
/// define fails the test.
pub async fn world_with(config: SandboxConfig, plan: PlanTier) -> World {
    let kube = KubeApi::start().await.unwrap();
    let cloudflare = Sandbox::start(SandboxConfig {
        strict_requests: true,
        ..config
    })
    .await
    .unwrap();
    cloudflare.add_zone(ZONE, plan).unwrap();
    World {
        kube,
        cloudflare,
        metrics_port: free_port(),
        binary: PathBuf::from(env!("CARGO_BIN_EXE_flaredns")),
    }
}

impl World {
    /// The controller's arguments: every source, sync policy, no periodic
    /// resync within a test, no pause between batches.
    pub fn base_args(&self, metrics_port: u16) -> Vec<String> {
        let mut args: Vec<String> = [
            "--source=ingress",
            "--source=service",
            "--source=crd",
            "--provider=cloudflare",
            "--policy=sync",
            "--domain-filter=example.com",
            "--interval=1h",
            "--batch-change-interval=0s",
            "--log-level=debug",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        args.push(format!("--txt-owner-id={OWNER}"));
        args.push(format!("--server={}", self.kube.url()));
        args.push(format!("--cloudflare-api-url={}", self.cloudflare.url()));
        args.push(format!("--metrics-address=127.0.0.1:{metrics_port}"));
        args
    }

    /// Starts the controller on the world's metrics port; `extra` arguments
    /// come last, so they win over the defaults.
    pub fn start(&self, extra: &[&str]) -> Controller {
        self.start_on(self.metrics_port, extra)
    }

    /// Starts a controller serving metrics on `metrics_port`. Its log goes to
    /// the file named by `FLAREDNS_TEST_LOG`, if set.
    pub fn start_on(&self, metrics_port: u16, extra: &[&str]) -> Controller {
        let log = match std::env::var_os("FLAREDNS_TEST_LOG") {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => Stdio::null(),
        };
        let child = Command::new(&self.binary)
            .args(self.base_args(metrics_port))
            .args(extra)
            .env("CF_API_TOKEN", self.cloudflare.token().unwrap())
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Controller(child)
    }

    /// The zone's records as sorted (name, type, content).
    pub fn records(&self) -> Vec<(String, String, String)> {
        let mut records: Vec<_> = self
            .cloudflare
            .records(ZONE)
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.record_type, r.content))
            .collect();
        records.sort();
        records
    }

    /// Whether the zone has a record of `name` and `record_type`.
    pub fn has(&self, name: &str, record_type: &str) -> bool {
        self.records()
            .iter()
            .any(|(n, t, _)| n == name && t == record_type)
    }

    /// Calls of `kind` the sandbox answered so far.
    pub fn calls(&self, kind: CallKind) -> u64 {
        self.cloudflare.counts().get(kind)
    }

    /// The metrics text of the controller on `port`, if it answers.
    pub async fn metrics(port: u16) -> Option<String> {
        let answer = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .ok()?;
        answer.text().await.ok()
    }

    /// Waits until the controller on `port` answers `/readyz` with 200.
    pub async fn until_ready(port: u16, limit: Duration) {
        let url = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + limit;
        while !reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "not ready within {limit:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Whether the replica serving metrics on `port` says it holds the lease.
pub async fn is_leader(port: u16) -> bool {
    World::metrics(port)
        .await
        .is_some_and(|t| t.lines().any(|l| l == "flaredns_leader 1"))
}

/// Waits up to 30 s for `condition`.
pub async fn until(what: &str, condition: impl FnMut() -> bool) {
    until_within(what, Duration::from_secs(30), condition).await
}

/// Waits up to `limit` for `condition`, polling every 50 ms.
pub async fn until_within(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An Ingress publishing `host` (one name or a comma-separated list) at `ip`,
/// with `extra` annotations.
pub fn ingress(name: &str, host: &str, ip: &str, extra: Value) -> Value {
    let mut annotations = json!({ "external-dns.alpha.kubernetes.io/hostname": host });
    if let Value::Object(more) = extra {
        annotations.as_object_mut().unwrap().extend(more);
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": { "name": name, "namespace": "default", "annotations": annotations },
        "spec": { "ingressClassName": "nginx" },
        "status": { "loadBalancer": { "ingress": [{ "ip": ip }] } }
    })
}

/// A Service publishing `host`, with `spec` and `status` as given.
pub fn service(name: &str, host: &str, spec: Value, status: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name, "namespace": "default",
            "annotations": { "external-dns.alpha.kubernetes.io/hostname": host }
        },
        "spec": spec,
        "status": status
    })
}

/// A LoadBalancer Service publishing `host` at `ip`.
pub fn load_balancer(name: &str, host: &str, ip: &str) -> Value {
    service(
        name,
        host,
        json!({ "type": "LoadBalancer", "ports": [{ "port": 443 }] }),
        json!({ "loadBalancer": { "ingress": [{ "ip": ip }] } }),
    )
}

/// A DNSEndpoint with one A record per (name, address).
pub fn dns_endpoint(name: &str, records: &[(&str, &str)]) -> Value {
    let endpoints: Vec<Value> = records
        .iter()
        .map(|(dns_name, ip)| {
            json!({
                "dnsName": dns_name, "recordType": "A", "recordTTL": 300,
                "targets": [ip]
            })
        })
        .collect();
    json!({
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": { "name": name, "namespace": "default" },
        "spec": { "endpoints": endpoints }
    })
}
