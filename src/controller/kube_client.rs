//! The Kubernetes API client: where the API server is (`--server`,
//! `--kubeconfig`, or the cluster's own), how long one request may take, and
//! how many requests per second flaredns may send (`--kube-api-qps`,
//! `--kube-api-burst`, enforced by [`RequestLimitLayer`]).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use kube::client::ClientBuilder;
use serde::Serialize;

use super::request_limit::{RequestLimitLayer, RequestRate};
use crate::go_syntax::serialize_duration;

/// Everything flaredns needs to reach the Kubernetes API.
#[derive(Clone, Debug, Serialize)]
pub struct KubeClientConfig {
    /// `--server`; `None` takes it from the kubeconfig or the cluster.
    pub server: Option<String>,
    /// `--kubeconfig`; `None` uses the usual search.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-api-request-timeout`, else the deprecated `--request-timeout`, else 30s.
    #[serde(serialize_with = "serialize_duration")]
    pub request_timeout: Duration,
    /// `--kube-api-qps`: requests per second on average.
    pub qps: u32,
    /// `--kube-api-burst`: requests that may start at once.
    pub burst: u32,
}

impl KubeClientConfig {
    /// The request rate the client keeps to.
    pub fn rate(&self) -> RequestRate {
        RequestRate {
            qps: f64::from(self.qps.max(1)),
            burst: self.burst.max(1),
        }
    }
}

/// A kube client from `--server`/`--kubeconfig`, else the in-cluster config or
/// the local kubeconfig, limited to `--kube-api-qps` and `--kube-api-burst`.
pub async fn connect(k: &KubeClientConfig) -> anyhow::Result<kube::Client> {
    let mut kube_config = if let Some(path) = &k.kubeconfig {
        let kubeconfig = kube::config::Kubeconfig::read_from(path)
            .with_context(|| format!("cannot read --kubeconfig {}", path.display()))?;
        kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
    } else if let Some(server) = &k.server {
        kube::Config::new(
            server
                .parse()
                .with_context(|| format!("--server {server:?} is not a URL"))?,
        )
    } else {
        kube::Config::infer().await.context(
            "cannot find the Kubernetes API: run in a cluster, or pass --kubeconfig or --server",
        )?
    };
    if let Some(server) = &k.server {
        kube_config.cluster_url = server
            .parse()
            .with_context(|| format!("--server {server:?} is not a URL"))?;
    }
    kube_config.read_timeout = read_timeout(k.request_timeout);
    Ok(ClientBuilder::try_from(kube_config)?
        .with_layer(&RequestLimitLayer::new(k.rate()))
        .build())
}
/// `--kube-api-request-timeout` as the client's read timeout: `0s` means
/// none, as in ExternalDNS; anything else at least a second, so that a typo
/// such as `30ms` cannot cut every request short.
fn read_timeout(flag: Duration) -> Option<Duration> {
    (!flag.is_zero()).then(|| flag.max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_read_timeout() {
        assert_eq!(read_timeout(Duration::ZERO), None);
        assert_eq!(
            read_timeout(Duration::from_millis(30)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            read_timeout(Duration::from_secs(30)),
            Some(Duration::from_secs(30))
        );
    }
}
