//! The ExternalDNS chart's vectors (the argument lists its templates render),
//! read from `tests/data/externaldns-vectors.json` and fed to flaredns's own
//! parser: everything the chart renders for Cloudflare resolves, and what
//! flaredns does not offer is refused with a message naming the flag, never
//! ignored.
//!
//! The RBAC vector is about rendered Kubernetes objects, not arguments; it is
//! checked by the chart tests (`tests/deploy/test_rbac_and_vectors.py`), and counted here so that no
//! vector of the file goes unclaimed.

use std::process::{Command, Output};

use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/externaldns-vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn config(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .arg("config")
        .args(args)
        .env_remove("CF_API_TOKEN")
        .env_remove("CF_API_KEY")
        .output()
        .unwrap()
}

/// The chart's default provider is AWS: on flaredns it is the one thing that
/// differs, so it is swapped for cloudflare after checking it is refused.
fn with_cloudflare(args: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a == "--provider=aws" {
                "--provider=cloudflare".to_string()
            } else {
                a.clone()
            }
        })
        .collect()
}

#[test]
fn every_chart_vector_runs() {
    let mut counts = [0usize; 3];
    for vector in vectors() {
        let input = &vector["input"];
        let expected = &vector["expected"];
        let Some(values) = input.get("values") else {
            continue;
        };
        if !values.is_object() {
            continue; // annotation split vectors, handled by vectors_sources.rs
        }
        let case = vector["case"].as_str().unwrap();
        if let Some(args) = expected.get("args") {
            let args: Vec<String> = serde_json::from_value(args.clone()).unwrap();
            // The chart's default provider is refused with a clear message.
            let out = config(&args);
            assert_eq!(out.status.code(), Some(2), "{case}");
            let err = String::from_utf8_lossy(&out.stderr);
            let unknown: Vec<&String> = args.iter().filter(|a| a.contains("extraArg")).collect();
            if unknown.is_empty() {
                assert!(err.contains("--provider=cloudflare"), "{case}: {err}");
                // With Cloudflare, the chart's arguments resolve.
                let out = config(&with_cloudflare(&args));
                assert!(
                    out.status.success(),
                    "{case}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let resolved: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(resolved["scope"]["policy"], "upsert-only", "{case}");
                assert_eq!(resolved["registry"]["kind"], "txt", "{case}");
                assert_eq!(resolved["sync"]["interval"], "1m0s", "{case}");
                assert_eq!(
                    resolved["sources"]["kinds"],
                    serde_json::json!(["service", "ingress"]),
                    "{case}"
                );
                if let Some(suffix) = values.get("txtSuffix") {
                    assert_eq!(&resolved["registry"]["suffix"], suffix, "{case}");
                }
            } else {
                // Flags flaredns does not know are refused, naming the flag.
                let out = config(&with_cloudflare(&args));
                assert_eq!(out.status.code(), Some(2), "{case}");
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.contains("extraArg"), "{case}: {err}");
            }
            counts[0] += 1;
        } else if let Some(error) = expected.get("error") {
            // The chart refuses txtPrefix with txtSuffix; so does the parser.
            assert!(
                error.as_str().unwrap().contains("mutually exclusive"),
                "{case}"
            );
            let args = [
                "--source=ingress".to_string(),
                "--provider=cloudflare".to_string(),
                format!("--txt-prefix={}", values["txtPrefix"].as_str().unwrap()),
                format!("--txt-suffix={}", values["txtSuffix"].as_str().unwrap()),
            ];
            let out = config(&args);
            assert_eq!(out.status.code(), Some(2), "{case}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("mutually exclusive"),
                "{case}"
            );
            counts[1] += 1;
        } else if expected.get("rules").is_some() {
            counts[2] += 1;
        } else {
            panic!("chart vector of an unknown shape: {case}");
        }
    }
    assert_eq!(counts, [5, 1, 1], "args, error and RBAC vectors");
}

/// Every vector of the file is claimed by one of the three vector suites.
#[test]
fn no_vector_goes_unclaimed() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 83);
    let txt_keys = [
        "record",
        "creates",
        "dnsName",
        "txtName",
        "txtNames",
        "zoneRecords",
        "labels",
        "text",
        "aesKey",
        "keys",
    ];
    let source_keys = ["annotations", "ingress", "ingresses"];
    let mut claimed = [0usize; 3];
    for vector in &vectors {
        let input = vector["input"].as_object().unwrap();
        if input.keys().any(|k| txt_keys.contains(&k.as_str())) {
            claimed[0] += 1;
        } else if input.keys().any(|k| source_keys.contains(&k.as_str()))
            || input.get("values").is_some_and(Value::is_array)
        {
            claimed[1] += 1;
        } else if input.get("values").is_some_and(Value::is_object) {
            claimed[2] += 1;
        } else {
            panic!("unclaimed vector: {}", vector["case"]);
        }
    }
    assert_eq!(claimed, [50, 26, 7], "TXT, sources and chart vectors");
}
