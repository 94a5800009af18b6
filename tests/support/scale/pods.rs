//! Scenario: a cluster with many Pods and no Service that needs them. The
//! Pods are created in the Kubernetes API test server while the controller
//! runs; it should neither read them nor grow.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::{Value, json};

use super::ScaleError;
use super::figures::Calls;
use super::run::Run;

/// Time for watches, bookmarks and the controller to settle before and after.
const SETTLE: Duration = Duration::from_secs(3);
/// Creations between two yields to the runtime, so the fakes keep serving.
const YIELD_EVERY: usize = 500;

/// What the Pods scenario measured.
#[derive(Clone, Debug, Serialize)]
pub struct Pods {
    pub pods: usize,
    /// How long the Kubernetes API test server took to take them all.
    pub create_seconds: f64,
    pub creates_per_second: f64,
    /// The controller's resident size before and after, in bytes.
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    pub rss_growth_bytes: i64,
    /// Requests the controller made about Pods (0: it never reads them).
    pub pod_requests: usize,
    /// Cloudflare calls meanwhile.
    pub calls: Calls,
}

/// A running Pod on one of 50 nodes.
pub fn pod(index: usize) -> Value {
    let [_, _, high, low] = (index as u32).to_be_bytes();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("worker-{index}"),
            "namespace": "default",
            "labels": { "app": format!("batch-{}", index % 100) }
        },
        "spec": {
            "nodeName": format!("node-{}", index % 50),
            "containers": [{ "name": "main", "image": "registry.example.com/batch:1.0" }]
        },
        "status": {
            "phase": "Running",
            "podIP": Ipv4Addr::new(10, 200, high, low).to_string(),
            "hostIP": Ipv4Addr::new(192, 168, 0, (index % 50) as u8).to_string()
        }
    })
}

/// Creates `count` Pods while the controller runs and compares its memory.
pub async fn pods(run: &mut Run, count: usize) -> Result<Pods, ScaleError> {
    tokio::time::sleep(SETTLE).await;
    let before = run.sampler()?.now().ok_or(ScaleError::NotRunning)?;
    let requests_before = pod_requests(run);
    let began = SystemTime::now();
    let timer = Instant::now();
    for index in 0..count {
        run.world
            .kube
            .create(&pod(index))
            .map_err(|e| ScaleError::Fake(e.to_string()))?;
        if index % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
        }
    }
    let create_seconds = timer.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let after = run.sampler()?.now().ok_or(ScaleError::NotRunning)?;
    Ok(Pods {
        pods: count,
        create_seconds,
        creates_per_second: count as f64 / create_seconds.max(f64::EPSILON),
        rss_before_bytes: before.rss_bytes,
        rss_after_bytes: after.rss_bytes,
        rss_growth_bytes: after.rss_bytes as i64 - before.rss_bytes as i64,
        pod_requests: pod_requests(run) - requests_before,
        calls: run.calls_since(began),
    })
}

fn pod_requests(run: &Run) -> usize {
    run.world
        .kube
        .requests()
        .iter()
        .filter(|r| r.resource.as_deref() == Some("pods"))
        .count()
}
