//! A recognisable API token goes through every path of the real binary (a
//! controller at trace level that meets 403s, `/metrics` in both formats,
//! `flaredns config`, a start-up error, plain HTTP to a remote host) and of a
//! worker task that panics while holding the client: it appears nowhere.

use crate::sandbox_support;
use crate::support;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flaredns::sandbox::{PlanTier, Sandbox, SandboxConfig, TokenConfig};
use serde_json::json;

use support::kube_api::KubeApi;
use support::world::{Controller, World, free_port, ingress, until, until_within};

/// 40 characters, as Cloudflare's tokens; easy to find in any output.
const TOKEN: &str = "SECRETtoken-never-in-any-output-0123456x";

/// Pieces of the token an encoder could leave behind (base64 or URL
/// encoding would still show these).
fn leaks(text: &str) -> bool {
    text.contains(TOKEN) || text.contains("never-in-any-output")
}

async fn secret_world() -> World {
    assert_eq!(TOKEN.len(), 40);
    let config = SandboxConfig {
        tokens: vec![TokenConfig::new(TOKEN)],
        ..SandboxConfig::default()
    };
    let kube = KubeApi::start().await.unwrap();
    let cloudflare = Sandbox::start(config).await.unwrap();
    cloudflare.add_zone("example.com", PlanTier::Free).unwrap();
    World {
        kube,
        cloudflare,
        metrics_port: free_port(),
        binary: env!("CARGO_BIN_EXE_flaredns").into(),
    }
}

async fn scrape(port: u16, accept: &str) -> String {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .header("Accept", accept)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_in_no_log_metric_or_message_of_the_binary() {
    let w = secret_world().await;
    w.kube
        .create(&ingress(
            "web",
            "web.example.com",
            "198.51.100.1",
            json!({}),
        ))
        .unwrap();
    let log_path = std::env::temp_dir().join(format!("flaredns-secret-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    // Killed when dropped, should an assertion fail first.
    let mut controller = Controller(
        Command::new(&w.binary)
            .args(w.base_args(w.metrics_port))
            .args(["--log-level=trace", "--log-format=json"])
            .env("CF_API_TOKEN", TOKEN)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap(),
    );
    until("web is published", || w.has("web.example.com", "A")).await;

    // The token is revoked: writes meet 403 (9109) until it is restored.
    w.cloudflare.revoke_token(TOKEN);
    w.kube
        .replace(&ingress(
            "web",
            "web.example.com",
            "198.51.100.2",
            json!({}),
        ))
        .unwrap();
    let port = w.metrics_port;
    let mut metrics = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !metrics.contains("status=\"403\"") {
        assert!(std::time::Instant::now() < deadline, "no 403 seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
        metrics = scrape(port, "text/plain;version=0.0.4").await;
    }
    w.cloudflare.restore_token(TOKEN);
    until_within("the change lands", Duration::from_secs(60), || {
        w.records()
            .iter()
            .any(|(n, t, c)| n == "web.example.com" && t == "A" && c == "198.51.100.2")
    })
    .await;
    let openmetrics = scrape(port, "application/openmetrics-text").await;
    assert!(
        !leaks(&metrics) && !leaks(&openmetrics),
        "the token is in /metrics"
    );

    // SIGTERM: the shutdown path logs too.
    let status = controller.terminate(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit 0 on SIGTERM: {status:?}"
    );
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(logs.contains("\"level\":\"TRACE\""), "trace logging was on");
    assert!(logs.contains("9109"), "the 403 was logged: {warnings:#?}");
    assert!(!leaks(&logs), "the token is in the logs");

    // `flaredns config`, a start-up error under --once (the token revoked),
    // and plain HTTP to a remote host.
    let config = Command::new(&w.binary)
        .args(["config", "--provider=cloudflare", "--source=ingress"])
        .env("CF_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(config.status.success());
    w.cloudflare.revoke_token(TOKEN);
    let startup = Command::new(&w.binary)
        .args(w.base_args(free_port()))
        .arg("--once")
        .env("CF_API_TOKEN", TOKEN)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert!(!startup.status.success());
    let plain_http = Command::new(&w.binary)
        .args(w.base_args(free_port()))
        .args([
            "--once",
            "--cloudflare-api-url=http://cloudflare.invalid/client/v4",
        ])
        .env("CF_API_TOKEN", TOKEN)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert!(!plain_http.status.success());
    let plain_http_error = String::from_utf8_lossy(&plain_http.stderr);
    assert!(plain_http_error.contains("http"), "{plain_http_error}");
    for output in [config, startup, plain_http] {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!leaks(&text), "the token is in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_panics_holding_the_client_prints_no_token() {
    use sandbox_support::client_setup::{client, fast_retry, provider};

    let captured = Arc::new(Mutex::new(String::new()));
    let sink = captured.clone();
    let previous = std::panic::take_hook();
    // What the default hook prints: the thread, the message and the location.
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        sink.lock()
            .unwrap()
            .push_str(&format!("thread {thread}: {info}\n"));
    }));

    let w = secret_world().await;
    let cf = provider(client(&w.cloudflare, TOKEN, fast_retry()), 100);
    let env = |name: &str| (name == "CF_API_TOKEN").then(|| TOKEN.into());
    let argv = ["flaredns", "--provider=cloudflare", "--source=ingress"];
    let args = flaredns::cli::parse(argv, &env).unwrap().cli.controller;
    let config = flaredns::config::Config::resolve(&args, &env)
        .unwrap()
        .config;
    let task = tokio::spawn(async move {
        panic!("worker failed holding {cf:?} and {config:?}");
    });
    let joined = task.await.unwrap_err();
    std::panic::set_hook(previous);
    let message = format!("{joined} {joined:?}");
    let printed = captured.lock().unwrap().clone();
    assert!(printed.contains("worker failed holding"), "{printed}");
    assert!(
        !leaks(&printed),
        "the token is in the panic message: {printed}"
    );
    assert!(
        !leaks(&message),
        "the token is in the join error: {message}"
    );
}
