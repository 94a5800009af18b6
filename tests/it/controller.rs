//! The controller end to end: the real binary, watching the Kubernetes API test
//! server through the real kube client, writing to the Cloudflare sandbox through
//! the real Cloudflare client.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flaredns::sandbox::CallKind;
use k8s_openapi::api::core::v1::Node;
use serde_json::{Value, json};

use support::kube_api::Verb;
use support::world::{
    World, dns_endpoint, free_port, ingress, is_leader, load_balancer, service, until,
    until_within, world,
};

/// The Ingress `web`, publishing `web.example.com` at `ip`.
fn web(ip: &str) -> Value {
    ingress("web", "web.example.com", ip, json!({}))
}

fn static_entry() -> Value {
    dns_endpoint("static-entry", &[("static.example.com", "192.0.2.100")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_objects_become_records_and_a_second_pass_writes_nothing() {
    let w = world().await;
    w.kube
        .create(&ingress(
            "nginx-ingress",
            "nginx.example.com",
            "203.0.113.10",
            json!({
                "external-dns.alpha.kubernetes.io/cloudflare-proxied": "true",
                "external-dns.alpha.kubernetes.io/ttl": "120"
            }),
        ))
        .unwrap();
    w.kube.create(&static_entry()).unwrap();
    let _controller = w.start(&[]);
    until("the guide's records exist", || {
        w.has("nginx.example.com", "A")
            && w.has("a-nginx.example.com", "TXT")
            && w.has("static.example.com", "A")
            && w.has("a-static.example.com", "TXT")
    })
    .await;
    // Ready once it has listed and reconciled.
    World::until_ready(w.metrics_port, Duration::from_secs(30)).await;
    let batches = w.calls(CallKind::Batch);
    // Nothing changes: no further write.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.calls(CallKind::Batch), batches);

    // DNSEndpoint status: observed generation and the Ready condition.
    until("the DNSEndpoint status is written", || {
        w.kube
            .get_value(
                "externaldns.k8s.io/v1alpha1",
                "DNSEndpoint",
                Some("default"),
                "static-entry",
            )
            .is_ok_and(|v| v["status"]["observedGeneration"] == 1)
    })
    .await;
    let object = w
        .kube
        .get_value(
            "externaldns.k8s.io/v1alpha1",
            "DNSEndpoint",
            Some("default"),
            "static-entry",
        )
        .unwrap();
    let condition = &object["status"]["conditions"][0];
    assert_eq!(condition["type"], "Ready");
    assert_eq!(condition["status"], "True");
    assert!(
        condition["message"]
            .as_str()
            .unwrap()
            .contains("static.example.com")
    );

    // /metrics serves ExternalDNS's and flaredns's metrics.
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", w.metrics_port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("external_dns_controller_last_sync_timestamp_seconds"),
        "{text}"
    );
    assert!(
        text.contains("flaredns_cloudflare_requests_total"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_address_is_one_batch_and_no_listing_and_a_delete_removes_the_txt() {
    let w = world().await;
    w.kube.create(&web("198.51.100.1")).unwrap();
    let _controller = w.start(&[]);
    until("web exists", || w.has("web.example.com", "A")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (batches, lists) = (w.calls(CallKind::Batch), w.calls(CallKind::List));

    w.kube.replace(&web("198.51.100.2")).unwrap();
    until("web points at the new address", || {
        w.records()
            .iter()
            .any(|(n, t, c)| n == "web.example.com" && t == "A" && c == "198.51.100.2")
    })
    .await;
    assert_eq!(
        w.calls(CallKind::Batch),
        batches + 1,
        "one batch per change"
    );
    assert_eq!(w.calls(CallKind::List), lists, "no listing for a change");

    w.kube.delete(&web("198.51.100.2")).unwrap();
    until("web and its TXT are gone", || {
        !w.has("web.example.com", "A") && !w.has("a-web.example.com", "TXT")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_only_keeps_the_record_of_a_deleted_ingress() {
    let w = world().await;
    w.kube.create(&web("198.51.100.1")).unwrap();
    let _controller = w.start(&["--policy=upsert-only"]);
    until("web exists", || w.has("web.example.com", "A")).await;
    w.kube.delete(&web("198.51.100.1")).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(w.has("web.example.com", "A") && w.has("a-web.example.com", "TXT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_deleted_while_the_watch_was_down_is_removed_after_the_relist() {
    let w = world().await;
    w.kube
        .create(&ingress(
            "gone",
            "gone.example.com",
            "198.51.100.3",
            json!({}),
        ))
        .unwrap();
    w.kube
        .create(&ingress(
            "kept",
            "kept.example.com",
            "198.51.100.4",
            json!({}),
        ))
        .unwrap();
    let _controller = w.start(&[]);
    until("both exist", || {
        w.has("gone.example.com", "A") && w.has("kept.example.com", "A")
    })
    .await;
    // The watch drops, the history expires, the object goes: a 410 and a re-list.
    w.kube.expire_history();
    w.kube
        .delete(&ingress(
            "gone",
            "gone.example.com",
            "198.51.100.3",
            json!({}),
        ))
        .unwrap();
    w.kube.cut_watches();
    until("gone is deleted", || !w.has("gone.example.com", "A")).await;
    assert!(w.has("kept.example.com", "A"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_annotation_is_an_event_and_the_rest_is_published() {
    let w = world().await;
    w.kube
        .create(&ingress(
            "shop",
            "shop.example.com",
            "198.51.100.5",
            json!({}),
        ))
        .unwrap();
    let _controller = w.start(&[]);
    until("shop exists", || w.has("shop.example.com", "A")).await;
    // A bad hostname next to a good one, and a bad TTL.
    w.kube
        .replace(&ingress(
            "shop",
            "shop.example.com,bad..example.com,cart.example.com",
            "198.51.100.5",
            json!({
                "external-dns.alpha.kubernetes.io/ttl": "abc"
            }),
        ))
        .unwrap();
    until("cart is published", || w.has("cart.example.com", "A")).await;
    until("an Event names the key", || {
        w.kube.events().is_ok_and(|events| {
            events.iter().any(|e| {
                e.note
                    .as_deref()
                    .is_some_and(|n| n.contains("external-dns.alpha.kubernetes.io/hostname"))
            })
        })
    })
    .await;
    assert!(w.has("shop.example.com", "A"), "nothing deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_runs_one_reconcile_and_exits() {
    let w = world().await;
    w.kube.create(&static_entry()).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args([
            "--source=crd",
            "--provider=cloudflare",
            "--txt-owner-id=production-cluster-01",
            "--domain-filter=example.com",
            "--once",
        ])
        .arg(format!("--server={}", w.kube.url()))
        .arg(format!("--cloudflare-api-url={}", w.cloudflare.url()))
        .arg(format!("--metrics-address=127.0.0.1:{}", w.metrics_port))
        .env("CF_API_TOKEN", w.cloudflare.token().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(w.has("static.example.com", "A"));
    // A revoked token fails the start-up checks: non-zero under --once.
    let token = w.cloudflare.token().unwrap().to_string();
    w.cloudflare.revoke_token(&token);
    let output = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args([
            "--source=crd",
            "--provider=cloudflare",
            "--domain-filter=example.com",
            "--once",
        ])
        .arg(format!("--server={}", w.kube.url()))
        .arg(format!("--cloudflare-api-url={}", w.cloudflare.url()))
        .arg(format!("--metrics-address=127.0.0.1:{}", w.metrics_port))
        .env("CF_API_TOKEN", &token)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("revoked"), "{stderr}");
    assert!(!stderr.contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_one_writer_and_the_standby_takes_over() {
    let w = world().await;
    w.kube.create(&web("198.51.100.1")).unwrap();
    let election = [
        "--leader-election=true",
        "--leader-election-namespace=default",
        "--leader-election-lease-name=flaredns",
    ];
    let ports = [free_port(), free_port()];
    let mut replicas = [
        Some(w.start_on(ports[0], &election)),
        Some(w.start_on(ports[1], &election)),
    ];
    until("web exists", || w.has("web.example.com", "A")).await;
    // Exactly one replica holds the lease.
    let mut leaders = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        leaders.clear();
        for (i, port) in ports.iter().enumerate() {
            if is_leader(*port).await {
                leaders.push(i);
            }
        }
        if leaders.len() == 1 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(leaders.len(), 1, "exactly one leader");
    let leader = leaders[0];
    let holder = w.kube.lease("default", "flaredns").unwrap();
    assert!(holder.spec.unwrap().holder_identity.is_some());

    // A change is written once, by the leader only.
    let batches = w.calls(CallKind::Batch);
    w.kube.replace(&web("198.51.100.2")).unwrap();
    until("the change is applied", || {
        w.records()
            .iter()
            .any(|(n, _, c)| n == "web.example.com" && c == "198.51.100.2")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        w.calls(CallKind::Batch),
        batches + 1,
        "only the leader writes"
    );

    // The leader dies without releasing the lease; the standby takes over
    // within one lease period and converges.
    if let Some(mut dead) = replicas[leader].take() {
        dead.kill();
    }
    w.kube.replace(&web("198.51.100.3")).unwrap();
    until_within(
        "the standby applies the change",
        Duration::from_secs(45),
        || {
            w.records()
                .iter()
                .any(|(n, _, c)| n == "web.example.com" && c == "198.51.100.3")
        },
    )
    .await;
    assert!(is_leader(ports[1 - leader]).await);
}

fn node(name: &str, external_ip: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name },
        "status": { "addresses": [
            { "type": "InternalIP", "address": "10.0.0.1" },
            { "type": "ExternalIP", "address": external_ip }
        ]}
    })
}

fn node_port(name: &str, host: &str) -> Value {
    service(
        name,
        host,
        json!({ "type": "NodePort", "ports": [{ "port": 80, "nodePort": 30080, "protocol": "TCP" }] }),
        json!({}),
    )
}

fn a_record(w: &World, name: &str) -> Vec<String> {
    w.records()
        .into_iter()
        .filter(|(n, t, _)| n == name && t == "A")
        .map(|(_, _, c)| c)
        .collect()
}

fn requests_for(w: &World, resource: &str) -> usize {
    [Verb::List, Verb::Watch]
        .into_iter()
        .map(|verb| w.kube.count(verb, resource))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_service_that_needs_nodes_makes_the_controller_watch_them() {
    let w = world().await;
    w.kube.create(&node("n1", "203.0.113.1")).unwrap();
    w.kube
        .create(&load_balancer("lb", "lb.example.com", "198.51.100.7"))
        .unwrap();
    let _controller = w.start(&[
        "--managed-record-types=A",
        "--managed-record-types=CNAME",
        "--managed-record-types=SRV",
    ]);
    until("lb exists", || w.has("lb.example.com", "A")).await;
    World::until_ready(w.metrics_port, Duration::from_secs(30)).await;
    for resource in ["nodes", "pods", "endpointslices"] {
        assert_eq!(requests_for(&w, resource), 0, "{resource} are not watched");
    }

    // A NodePort Service arrives: its records are the nodes' external
    // addresses, and follow them. Pods are still not needed.
    w.kube.create(&node_port("np", "np.example.com")).unwrap();
    until("np points at the node", || {
        a_record(&w, "np.example.com") == ["203.0.113.1"]
    })
    .await;
    assert!(w.has("_np._tcp.np.example.com", "SRV"));
    w.kube.create(&node("n2", "203.0.113.2")).unwrap();
    until("np points at both nodes", || {
        a_record(&w, "np.example.com") == ["203.0.113.1", "203.0.113.2"]
    })
    .await;
    w.kube.delete_named::<Node>(None, "n1").unwrap();
    until("np follows the node's removal", || {
        a_record(&w, "np.example.com") == ["203.0.113.2"]
    })
    .await;
    assert!(requests_for(&w, "nodes") > 0);
    assert_eq!(
        requests_for(&w, "pods"),
        0,
        "NodePort without Local needs no pods"
    );
    assert_eq!(requests_for(&w, "endpointslices"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_node_port_records_while_the_nodes_cannot_be_listed() {
    let w = world().await;
    w.kube.create(&node("n1", "203.0.113.1")).unwrap();
    w.kube.create(&node_port("np", "np.example.com")).unwrap();
    let mut first = w.start(&[]);
    until("np exists", || {
        a_record(&w, "np.example.com") == ["203.0.113.1"]
    })
    .await;
    first.kill();

    // The restarted controller cannot list nodes for a while; meanwhile it
    // reconciles (the new Ingress is published) and keeps the NodePort record.
    w.kube.fail_next_for(3, "nodes");
    w.kube.create(&web("198.51.100.1")).unwrap();
    let _second = w.start(&[]);
    until("web is published", || w.has("web.example.com", "A")).await;
    until_within("the node list succeeded", Duration::from_secs(60), || {
        w.kube.pending_failures() == 0
    })
    .await;
    w.kube.replace(&node("n1", "203.0.113.9")).unwrap();
    until("np follows the node", || {
        a_record(&w, "np.example.com") == ["203.0.113.9"]
    })
    .await;
    for entry in w.cloudflare.history() {
        assert!(
            entry
                .records
                .iter()
                .any(|r| r.name == "np.example.com" && r.record_type == "A"),
            "the NodePort record was never deleted (write {})",
            entry.seq
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_service_publishes_its_ready_pods() {
    let w = world().await;
    for (pod, ip) in [("db-0", "10.1.0.1"), ("db-1", "10.1.0.2")] {
        w.kube
            .create(&json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": pod, "namespace": "default", "labels": { "app": "db" } },
                "spec": { "hostname": pod, "nodeName": "n1", "containers": [] },
                "status": { "phase": "Running", "podIP": ip }
            }))
            .unwrap();
    }
    let slice = |entries: &[(&str, &str, bool)]| {
        let endpoints: Vec<Value> = entries
            .iter()
            .map(|(pod, ip, ready)| {
                json!({
                    "addresses": [ip],
                    "conditions": { "ready": ready },
                    "targetRef": { "kind": "Pod", "name": pod, "namespace": "default" }
                })
            })
            .collect();
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {
                "name": "db-x", "namespace": "default",
                "labels": { "kubernetes.io/service-name": "db" }
            },
            "addressType": "IPv4",
            "endpoints": endpoints
        })
    };
    w.kube
        .create(&slice(&[
            ("db-0", "10.1.0.1", true),
            ("db-1", "10.1.0.2", false),
        ]))
        .unwrap();
    w.kube
        .create(&json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {
                "name": "db", "namespace": "default",
                "annotations": { "external-dns.alpha.kubernetes.io/hostname": "db.example.com" }
            },
            "spec": { "clusterIP": "None", "selector": { "app": "db" } }
        }))
        .unwrap();
    let _controller = w.start(&[]);
    until("the ready pod is published", || {
        a_record(&w, "db.example.com") == ["10.1.0.1"] && w.has("db-0.db.example.com", "A")
    })
    .await;
    w.kube
        .replace(&slice(&[
            ("db-0", "10.1.0.1", true),
            ("db-1", "10.1.0.2", true),
        ]))
        .unwrap();
    until("both pods are published", || {
        a_record(&w, "db.example.com") == ["10.1.0.1", "10.1.0.2"]
            && w.has("db-1.db.example.com", "A")
    })
    .await;
    assert_eq!(requests_for(&w, "nodes"), 0, "pod addresses need no nodes");
}

/// The guide's manifests, as the objects the API server holds.
fn guide_objects() -> Vec<Value> {
    use serde::Deserialize;
    let root = env!("CARGO_MANIFEST_DIR");
    ["nginx-ingress.yaml", "custom-record.yaml"]
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(format!("{root}/examples/guide/{file}")).unwrap();
            serde_norway::Deserializer::from_str(&text)
                .map(|document| Value::deserialize(document).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_provider_runs_the_guide_with_no_token_and_logs_its_changes() {
    let w = world().await;
    for object in guide_objects() {
        w.kube.create(&object).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args([
            "--source=ingress",
            "--source=crd",
            "--provider=inmemory",
            "--txt-owner-id=production-cluster-01",
            "--domain-filter=example.com",
            "--log-format=json",
            "--once",
        ])
        .arg(format!("--server={}", w.kube.url()))
        .arg(format!("--metrics-address=127.0.0.1:{}", w.metrics_port))
        .env_remove("CF_API_TOKEN")
        .env_remove("CF_API_KEY")
        .env_remove("CF_API_EMAIL")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    for name in ["nginx.example.com", "static.example.com"] {
        assert!(
            log.lines()
                .any(|line| line.contains(r#""action":"create""#) && line.contains(name)),
            "{name} is not logged as created: {log}"
        );
    }
    // Nothing reached Cloudflare's (sandbox) API.
    assert_eq!(w.calls(CallKind::Batch), 0);
    assert!(w.records().is_empty());

    // Without a domain filter there is no zone to hold: a clear start-up error.
    let output = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args(["--source=crd", "--provider=inmemory", "--once"])
        .arg(format!("--server={}", w.kube.url()))
        .env_remove("CF_API_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--domain-filter"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
