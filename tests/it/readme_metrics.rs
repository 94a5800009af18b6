//! The README lists every metric flaredns serves, with its type: this test fails
//! (and prints the table to paste) when the list and the code differ.

use flaredns::telemetry::metrics::{
    ActionLabels, CloudflareMetrics, ControllerMetrics, OwnerMismatchLabels, ReasonLabels,
    RecordTypeLabels, RequestLabels, SourceLabels, SourceTypeLabels, encode,
};
use prometheus_client::registry::Registry;

/// Every served metric as (name, type, help), in registry order.
fn served() -> Vec<(String, String, String)> {
    let mut registry = Registry::default();
    let cloudflare = CloudflareMetrics::default();
    let controller = ControllerMetrics::default();
    // Families are served once they have a sample: give each one.
    let _ = cloudflare.requests.get_or_create(&RequestLabels {
        operation: "list".into(),
        status: "200".into(),
    });
    let by_type = RecordTypeLabels {
        record_type: "A".into(),
    };
    let _ = controller.verified_records.get_or_create(&by_type);
    let _ = controller.registry_records.get_or_create(&by_type);
    let _ = controller.source_records.get_or_create(&by_type);
    let _ = controller
        .skipped_owner_mismatch
        .get_or_create(&OwnerMismatchLabels {
            record_type: "A".into(),
            owner: "a".into(),
            foreign_owner: "b".into(),
            domain: "example.com".into(),
        });
    let _ = controller
        .source_invalid_endpoints
        .get_or_create(&SourceTypeLabels {
            record_type: "A".into(),
            source_type: "ingress".into(),
        });
    let _ = controller.records_written.get_or_create(&ActionLabels {
        action: "create".into(),
    });
    let _ = controller.invalid_endpoints.get_or_create(&ReasonLabels {
        reason: "invalid-ttl".into(),
    });
    let _ = controller.watch_restarts.get_or_create(&SourceLabels {
        source: "ingress".into(),
    });
    cloudflare.register(&mut registry);
    controller.register(&mut registry);
    let text = encode(&registry);
    let mut help = std::collections::HashMap::new();
    let mut metrics = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help.insert(name.to_string(), text.trim_end_matches('.').to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            // Counters are served with a `_total` suffix.
            let served = if kind == "counter" && !name.ends_with("_total") {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            metrics.push((
                served,
                kind.to_string(),
                help.get(name).cloned().unwrap_or_default(),
            ));
        }
    }
    metrics
}

fn table() -> String {
    let mut out = String::from("| metric | type | meaning |\n| --- | --- | --- |\n");
    for (name, kind, help) in served() {
        out.push_str(&format!("| `{name}` | {kind} | {help} |\n"));
    }
    out
}

#[test]
fn the_readme_lists_every_metric() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let expected = table();
    assert!(
        readme.contains(&expected),
        "the README's metrics table is out of date; paste this under \"## Metrics\":\n\n{expected}"
    );
}
