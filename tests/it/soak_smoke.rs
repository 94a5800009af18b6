//! The soak loop of `benches/soak.rs`, run briefly with a fixed seed so that CI
//! exercises it: 20 seconds of churn and faults, then every invariant.

use crate::support;

use std::time::Duration;

use support::soak::{SoakConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_seconds_of_churn_and_faults_break_no_invariant() {
    let summary = run(SoakConfig {
        duration: Duration::from_secs(20),
        seed: 7,
        checkpoint_every: None,
    })
    .await;
    let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    println!("{json}");
    assert!(summary.violations.is_empty(), "{json}");
    assert!(summary.changes_applied > 10, "{json}");
    assert!(summary.faults_injected.values().sum::<u64>() > 0, "{json}");
    assert!(summary.batches > 0, "{json}");
    // The foreign records and at least one owned record with its TXT.
    assert!(summary.final_record_count >= 3, "{json}");
}
