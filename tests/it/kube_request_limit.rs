//! `--kube-api-qps` and `--kube-api-burst`: the controller's Kubernetes client
//! sends a burst of `burst` requests at once and the rest at `qps` per second,
//! counted by the Kubernetes API test server.

use crate::support;

use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;

use flaredns::controller::kube_client::{self, KubeClientConfig};
use support::kube_api::{KubeApi, Verb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_sends_a_burst_then_waits_for_tokens() {
    let server = KubeApi::start().await.unwrap();
    let config = KubeClientConfig {
        server: Some(server.url()),
        kubeconfig: None,
        request_timeout: Duration::from_secs(30),
        // One token a second: the fourth list cannot start until a second
        // after the first three, far longer than three local lists take.
        qps: 1,
        burst: 3,
    };
    let client = kube_client::connect(&config).await.unwrap();
    let namespaces: Api<Namespace> = Api::all(client);
    let mut lists: FuturesUnordered<_> = (0..5)
        .map(|_| {
            let namespaces = namespaces.clone();
            async move { namespaces.list(&ListParams::default()).await }
        })
        .collect();

    for _ in 0..3 {
        lists.next().await.unwrap().unwrap();
    }
    assert_eq!(
        server.count(Verb::List, "namespaces"),
        3,
        "the burst went through, and nothing more"
    );
    while let Some(list) = lists.next().await {
        list.unwrap();
    }
    assert_eq!(server.count(Verb::List, "namespaces"), 5);
}
