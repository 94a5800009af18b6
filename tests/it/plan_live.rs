//! `flaredns plan` against a live zone (the sandbox): read-only calls only.

use std::process::Command;

use flaredns::cli::sandbox::seed_input;
use flaredns::cli::zone_file::{parse_record_list, zone_records};
use flaredns::sandbox::{PlanTier, RecordInput, Sandbox, SandboxConfig};
use serde_json::Value;

#[tokio::test]
async fn plan_reads_the_live_zone_and_writes_nothing() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    handle.add_zone("example.com", PlanTier::Free).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let zone = std::fs::read_to_string(format!("{root}/examples/guide/zone.json")).unwrap();
    let (records, unsupported) = zone_records(parse_record_list(&zone).unwrap(), "");
    assert!(unsupported.is_empty());
    let records: Vec<RecordInput> = records.iter().map(seed_input).collect();
    handle.put_records("example.com", records).unwrap();
    let token = handle.token().unwrap().to_string();
    let url = handle.url();

    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_flaredns"))
            .current_dir(root)
            .args([
                "plan",
                "--manifests",
                "examples/guide",
                "--output=json",
                "--txt-owner-id=production-cluster-01",
                "--domain-filter=example.com",
                "--cloudflare-proxied=true",
            ])
            .arg(format!("--cloudflare-api-url={url}"))
            .env("CF_API_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["create"], 1);
    assert_eq!(report["in_sync"][0]["name"], "static.example.com");
    let log = handle.call_log();
    assert_eq!(log.len(), 3, "verify, zones, one listing");
    assert!(log.iter().all(|e| e.method == "GET"), "plan only reads");
}

#[test]
fn plan_without_credentials_or_zone_file_says_what_to_set() {
    let output = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "plan",
            "--manifests",
            "examples/guide",
            "--domain-filter=example.com",
        ])
        .env_remove("CF_API_TOKEN")
        .env_remove("CF_API_KEY")
        .env_remove("CF_API_EMAIL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("CF_API_TOKEN"), "{err}");
}
