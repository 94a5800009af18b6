//! The derived `DNSEndpoint` schema against ExternalDNS's published schema.

use flaredns::crd::DNSEndpoint;
use kube::core::CustomResourceExt;
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/dnsendpoint-v1alpha1.json"
    ))
    .expect("reference schema");
    serde_json::from_str(&text).expect("reference JSON")
}

fn derived() -> Value {
    let crd = DNSEndpoint::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("a schema");
    serde_json::to_value(schema).expect("schema JSON")
}

/// Drops what the two forms express differently but means the same: our doc
/// comments (`description`), and the `additionalProperties: false` the reference's
/// converter adds to closed objects (a structural CRD schema is closed anyway).
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, v)| {
                    *k != "description"
                        && !(*k == "additionalProperties" && **v == Value::Bool(false))
                })
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

#[test]
fn spec_properties_equal_the_reference() {
    let ours = comparable(&derived()["properties"]["spec"]);
    let theirs = comparable(&reference()["properties"]["spec"]);
    assert_eq!(ours, theirs);
    // The endpoint fields, one by one, so a mismatch is easy to read.
    let fields = theirs["properties"]["endpoints"]["items"]["properties"]
        .as_object()
        .expect("endpoint properties");
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "dnsName",
            "labels",
            "providerSpecific",
            "recordTTL",
            "recordType",
            "setIdentifier",
            "targets"
        ]
    );
    for (name, schema) in fields {
        assert_eq!(
            &ours["properties"]["endpoints"]["items"]["properties"][name], schema,
            "spec.endpoints[].{name}"
        );
    }
}

#[test]
fn status_keeps_observed_generation_and_adds_conditions() {
    let ours = comparable(&derived()["properties"]["status"]);
    let theirs = comparable(&reference()["properties"]["status"]);
    assert_eq!(
        ours["properties"]["observedGeneration"],
        theirs["properties"]["observedGeneration"]
    );
    let condition = &ours["properties"]["conditions"]["items"]["properties"];
    let names: Vec<&str> = condition
        .as_object()
        .expect("condition properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        vec![
            "lastTransitionTime",
            "message",
            "observedGeneration",
            "reason",
            "status",
            "type"
        ]
    );
    assert_eq!(condition["lastTransitionTime"]["format"], "date-time");
}

#[test]
fn the_guide_record_parses() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/manifests/guide/custom-record.yaml"
    ))
    .expect("guide manifest");
    let object: DNSEndpoint = serde_norway::from_str(&text).expect("a DNSEndpoint");
    assert_eq!(object.metadata.name.as_deref(), Some("static-entry"));
    let entry = &object.spec.endpoints[0];
    assert_eq!(entry.dns_name, "static.example.com");
    assert_eq!(entry.record_type, "A");
    assert_eq!(entry.record_ttl, 300);
    assert_eq!(entry.targets, vec!["192.0.2.100"]);
}
