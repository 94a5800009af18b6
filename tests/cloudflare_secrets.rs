//! The API token never appears in logs (at trace level), errors or Debug output;
//! and a long sync logs its progress.
//!
//! A test binary of its own, the one exception to `tests/it`: it installs a
//! trace-level subscriber, and tracing's per-callsite filter cache is shared
//! with every test running in the process, so among the other integration
//! tests a callsite another test's subscriber cached as off stays off here.

#[path = "sandbox_support/mod.rs"]
mod sandbox_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flaredns::endpoint::Zone;
use flaredns::provider::cloudflare::StartupError;
use flaredns::provider::cloudflare::error::{CredentialOrigin, explain_startup};
use flaredns::sandbox::{PlanTier, Throttle};

use sandbox_support::client_setup::*;

/// A writer that keeps what tracing writes, to search it afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_appears_in_logs_errors_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 100);
    let mut seen = Vec::new();
    let report = sync(&cf, &hostnames(5)).await;
    seen.push(format!("{report:?} {cf:?}"));
    // Faults and refusals, each with its error text.
    handle.throttle(Throttle {
        calls: 1,
        retry_after: Duration::from_millis(100),
    });
    seen.push(format!("{:?}", sync(&cf, &hostnames(7)).await.applied));
    handle.revoke_token(&token);
    let error = cf.connect(&filter()).await.unwrap_err();
    seen.push(format!("{error} {error:?}"));
    if let StartupError::Api(api) = &error {
        seen.push(explain_startup(api, &CredentialOrigin::default()));
    }
    let zones = vec![Zone {
        id: handle.zone_id(ZONE).unwrap(),
        name: ZONE.to_string(),
        paid_plan: false,
    }];
    seen.push(format!("{:?}", cf.read(&zones).await.unwrap_err()));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("cloudflare request"), "trace logging was on");
    assert!(!logs.contains(&token), "the token is in the logs");
    for text in seen {
        assert!(!text.contains(&token), "the token is in {text}");
    }
}

#[tokio::test]
async fn a_long_sync_logs_its_progress_every_ten_batches() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 100);
    // 1,100 names, two records each: 11 batches of 200 on a Free zone.
    let report = sync(&cf, &hostnames(1_100)).await;
    assert_eq!(report.calls.batch, 11);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let progress: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("applying changes"))
        .collect();
    assert_eq!(progress.len(), 1, "{logs}");
    assert!(
        progress[0].contains("batches_sent=10")
            && progress[0].contains("batches=11")
            && progress[0].contains("units_applied=1000")
            && progress[0].contains("units=1100"),
        "{}",
        progress[0]
    );
}
