//! `flaredns plan` end to end: the real binary on the guide's example and on
//! manifests with bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const GUIDE_FLAGS: [&str; 3] = [
    "--txt-owner-id=production-cluster-01",
    "--domain-filter=example.com",
    "--cloudflare-proxied=true",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn plan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .current_dir(repo(""))
        .arg("plan")
        .args(args)
        .env_remove("CF_API_TOKEN")
        .output()
        .expect("the binary runs")
}

fn plan_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--output=json");
    let out = plan(&all);
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn guide_args(zone_file: &str) -> Vec<&str> {
    let mut args = vec!["--manifests", "examples/guide", "--zone-file", zone_file];
    args.extend(GUIDE_FLAGS);
    args
}

fn names_of(ops: &Value, op: &str) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = ops
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["op"] == op)
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_guide_creates_nginx_adopts_static_and_leaves_mail_alone() {
    let report = plan_json(&guide_args("examples/guide/zone.json"));
    assert_eq!(report["schema"], "flaredns.plan/v1");
    assert_eq!(report["summary"]["create"], 1);
    assert_eq!(report["summary"]["update"], 0);
    assert_eq!(report["summary"]["delete"], 0);
    let change = &report["changes"][0];
    assert_eq!(change["name"], "nginx.example.com");
    assert_eq!(change["type"], "A");
    assert_eq!(
        change["after"],
        json!({"targets": ["203.0.113.10"], "ttl": null, "proxied": true})
    );
    assert_eq!(change["resource"], "ingress/default/nginx-ingress");
    assert_eq!(
        names_of(&report["operations"], "create"),
        vec![
            ("a-nginx.example.com".into(), "TXT".into()),
            ("nginx.example.com".into(), "A".into())
        ]
    );
    let ops = report["operations"].as_array().unwrap();
    let a = ops.iter().find(|o| o["type"] == "A").unwrap();
    assert_eq!(
        (a["ttl"].as_u64(), a["proxied"].as_bool()),
        (Some(1), Some(true))
    );
    // static.example.com is adopted: in sync, no write.
    assert_eq!(report["in_sync"][0]["name"], "static.example.com");
    assert!(
        report["in_sync"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("owned by production-cluster-01")
    );
    // The MX and SPF records are never touched.
    assert!(ops.iter().all(|o| o["name"] != "example.com"));
    assert!(report["problems"].as_array().unwrap().is_empty());
}

#[test]
fn the_guide_against_an_empty_zone_creates_both_hostnames() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(
        &empty,
        r#"{"success":true,"errors":[],"messages":[],"result":[]}"#,
    )
    .unwrap();
    let report = plan_json(&guide_args(empty.to_str().unwrap()));
    assert_eq!(report["summary"]["create"], 2);
    assert_eq!(
        names_of(&report["operations"], "create"),
        vec![
            ("a-nginx.example.com".into(), "TXT".into()),
            ("a-static.example.com".into(), "TXT".into()),
            ("nginx.example.com".into(), "A".into()),
            ("static.example.com".into(), "A".into()),
        ]
    );
}

#[test]
fn a_zone_that_already_matches_has_no_changes() {
    // The guide's zone plus what the first plan creates.
    let first = plan_json(&guide_args("examples/guide/zone.json"));
    let mut zone: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("examples/guide/zone.json")).unwrap())
            .unwrap();
    let records = zone["result"].as_array_mut().unwrap();
    for (i, op) in first["operations"].as_array().unwrap().iter().enumerate() {
        records.push(json!({
            "id": format!("{:032x}", 0xfeed00 + i),
            "name": op["name"], "type": op["type"], "content": op["content"],
            "ttl": op["ttl"], "proxied": op["proxied"],
            "zone_id": "9a7806061c88ada191ed06f989cc3dac", "zone_name": "example.com",
        }));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone.json");
    std::fs::write(&path, serde_json::to_string(&zone).unwrap()).unwrap();
    let mut args = guide_args(path.to_str().unwrap());
    args.push("--detailed-exitcode");
    let out = plan(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("No changes."), "{text}");

    // And the guide's own zone, which does need a change, exits 2.
    let mut args = guide_args("examples/guide/zone.json");
    args.push("--detailed-exitcode");
    assert_eq!(plan(&args).status.code(), Some(2));
}

#[test]
fn markdown_output_is_a_pull_request_comment() {
    let mut args = guide_args("examples/guide/zone.json");
    args.push("--output=markdown");
    let out = plan(&args);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("## flaredns plan"), "{text}");
    assert!(text.contains("| create | nginx.example.com | A"), "{text}");
    assert!(text.contains("### In sync (no write)"), "{text}");
}

#[test]
fn bad_input_is_reported_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("apps.yaml"),
        r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    external-dns.alpha.kubernetes.io/hostname: "shop.example.com,bad..example.com"
    external-dns.alpha.kubernetes.io/ttl: "abc"
    external-dns.alpha.kubernetes.io/cloudflare-proxied: "maybe"
spec:
  rules: []
status:
  loadBalancer:
    ingress:
    - ip: 198.51.100.7
---
apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata:
  name: broken
  namespace: web
spec:
  endpoints:
  - dnsName: ok.example.com
    recordType: A
    targets: ["198.51.100.8"]
  - dnsName: dotted.example.com
    recordType: A
    targets: ["198.51.100.9."]
"#,
    )
    .unwrap();
    // The zone holds what web/broken published before: it must stay.
    std::fs::write(
        dir.path().join("zone.json"),
        json!([
            {"id": "1", "name": "dotted.example.com", "type": "A", "content": "198.51.100.1", "ttl": 1, "proxied": false},
            {"id": "2", "name": "a-dotted.example.com", "type": "TXT", "ttl": 1, "proxied": false,
             "content": "\"heritage=external-dns,external-dns/owner=production-cluster-01,external-dns/resource=crd/web/broken\""},
        ])
        .to_string(),
    )
    .unwrap();
    let manifests = dir.path().to_str().unwrap().to_string();
    let zone = dir.path().join("zone.json");
    let report = plan_json(&[
        "--manifests",
        &manifests,
        "--zone-file",
        zone.to_str().unwrap(),
        "--txt-owner-id=production-cluster-01",
        "--domain-filter=example.com",
    ]);
    let problems = report["problems"].as_array().unwrap();
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for expected in ["ttl", "cloudflare-proxied", "hostname", "targets"] {
        assert!(
            fields.iter().any(|f| f.contains(expected)),
            "no problem names {expected}: {fields:?}"
        );
    }
    assert!(problems.iter().any(|p| p["object"]["name"] == "shop"));
    assert!(problems.iter().any(|p| p["object"]["name"] == "broken"));
    // The good hostnames are still planned, TTL unset and proxied off as in ExternalDNS.
    let created = names_of(&report["operations"], "create");
    assert!(
        created.contains(&("shop.example.com".into(), "A".into())),
        "{created:?}"
    );
    assert!(
        created.contains(&("ok.example.com".into(), "A".into())),
        "{created:?}"
    );
    // Nothing is deleted: dotted.example.com stays while its object is broken.
    assert_eq!(report["summary"]["delete"], 0);
    assert!(
        report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "dotted.example.com" && s["reason"] == "held-for-invalid-object")
    );
}

#[test]
fn a_manifest_that_does_not_parse_names_file_document_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: http\n",
    )
    .unwrap();
    let out = plan(&[
        "--manifests",
        dir.path().to_str().unwrap(),
        "--zone-file",
        "/dev/null",
        "--domain-filter=example.com",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("svc.yaml"), "{err}");
    assert!(err.contains("document 2"), "{err}");
    assert!(err.contains("spec.ports[0].port"), "{err}");
}
