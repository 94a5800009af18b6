//! `/metrics` of the running controller, as scrapers read it: the classic text
//! format passes `promtool check metrics` (Debian's `prometheus` package; the
//! test command installs it), and a scraper that prefers OpenMetrics gets it.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use support::world::{World, dns_endpoint, ingress, load_balancer, until, world};

/// Lint findings promtool reports whatever the format: ExternalDNS's own
/// gauges named `*_endpoints_total`, kept under those names for existing
/// dashboards.
const ACCEPTED_FINDINGS: [&str; 2] = [
    "external_dns_source_endpoints_total",
    "external_dns_registry_endpoints_total",
];

fn promtool() -> String {
    std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".to_string())
}

/// promtool's exit code and its findings, one per line.
fn check_metrics(text: &str) -> (i32, Vec<String>) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run promtool ({error}): install it with \
                 `apt-get install --no-install-recommends prometheus` (scripts/test does), \
                 or set PROMTOOL"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let findings = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .collect();
    (output.status.code().unwrap_or(-1), findings)
}

async fn scrape(port: u16, accept: &str) -> (String, String) {
    let answer = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    (content_type, answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_passes_the_classic_format_of_a_busy_controller() {
    let w = world().await;
    // Every source, a bad annotation (invalid endpoints, Events) and a
    // record another owner holds (an ownership conflict).
    w.kube
        .create(&ingress(
            "web",
            "web.example.com,bad..example.com",
            "198.51.100.1",
            json!({ "external-dns.alpha.kubernetes.io/ttl": "abc" }),
        ))
        .unwrap();
    w.kube
        .create(&load_balancer("api", "api.example.com", "198.51.100.2"))
        .unwrap();
    w.kube
        .create(&dns_endpoint(
            "static",
            &[("static.example.com", "192.0.2.1")],
        ))
        .unwrap();
    let _controller = w.start(&[]);
    until("the records exist", || {
        w.has("web.example.com", "A")
            && w.has("api.example.com", "A")
            && w.has("static.example.com", "A")
    })
    .await;
    World::until_ready(w.metrics_port, Duration::from_secs(30)).await;

    let (content_type, text) = scrape(w.metrics_port, "text/plain;version=0.0.4").await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF"), "classic text has no EOF marker");
    assert!(
        text.contains("# TYPE flaredns_cloudflare_requests_total counter"),
        "{text}"
    );
    assert!(text.contains("external_dns_controller_last_sync_timestamp_seconds"));

    let (code, findings) = check_metrics(&text);
    let unexpected: Vec<&String> = findings
        .iter()
        .filter(|f| !ACCEPTED_FINDINGS.iter().any(|name| f.contains(name)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "promtool findings beyond the two accepted ones: {unexpected:#?}\n{text}"
    );
    // Exit 3 is "lint findings"; 1 would be a parse error.
    assert!(
        code == 0 || code == 3,
        "promtool exit {code}: {findings:#?}"
    );
    for name in ACCEPTED_FINDINGS {
        assert!(
            findings.iter().any(|f| f.contains(name)),
            "{name} is exposed under ExternalDNS's name: {findings:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scraper_preferring_openmetrics_gets_openmetrics() {
    let w = world().await;
    let _controller = w.start(&[]);
    World::until_ready(w.metrics_port, Duration::from_secs(30)).await;
    // What Prometheus 2.x sends.
    let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (content_type, text) = scrape(w.metrics_port, accept).await;
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE flaredns_cloudflare_requests counter"));
}
