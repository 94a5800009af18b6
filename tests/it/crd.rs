//! The DNSEndpoint CRD flaredns installs: the committed copies are what
//! `flaredns crd` prints, its schema is ExternalDNS's property by property (the
//! optional `status.conditions` being the one addition), and the guide's
//! DNSEndpoint validates against it.

use flaredns::crd::{definition, definition_yaml};
use serde_json::{Map, Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// ExternalDNS's CRD schema, converted to JSON Schema (objects closed).
fn reference() -> Value {
    serde_json::from_str(&read("tests/data/dnsendpoint-v1alpha1.json")).expect("reference JSON")
}

/// Our CRD's `openAPIV3Schema`, as JSON.
fn ours() -> Value {
    let crd = definition();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("a schema");
    serde_json::to_value(schema).expect("schema JSON")
}

#[test]
fn the_committed_copies_are_what_flaredns_crd_prints() {
    let expected = definition_yaml().expect("YAML");
    for path in [
        "crds/dnsendpoint.yaml",
        "charts/flaredns/files/dnsendpoint.yaml",
    ] {
        assert!(
            read(path) == expected,
            "{path} is stale; refresh it with: cargo run -- crd > {path}"
        );
    }
    // `flaredns crd` prints exactly that text.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .arg("crd")
        .output()
        .expect("flaredns runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn identity_matches_externaldns() {
    let crd = serde_json::to_value(definition()).expect("CRD JSON");
    assert_eq!(crd["metadata"]["name"], "dnsendpoints.externaldns.k8s.io");
    assert_eq!(
        crd["metadata"]["annotations"],
        json!({"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/external-dns/pull/2007"})
    );
    let spec = &crd["spec"];
    assert_eq!(spec["group"], "externaldns.k8s.io");
    assert_eq!(
        spec["names"],
        json!({
            "kind": "DNSEndpoint",
            "listKind": "DNSEndpointList",
            "plural": "dnsendpoints",
            "singular": "dnsendpoint"
        })
    );
    assert_eq!(spec["scope"], "Namespaced");
    let versions = spec["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["name"], "v1alpha1");
    assert_eq!(versions[0]["served"], true);
    assert_eq!(versions[0]["storage"], true);
    assert_eq!(versions[0]["subresources"], json!({"status": {}}));
    // ExternalDNS accepts an object without `spec`.
    assert_eq!(ours().get("required"), None);
}

/// Walks the reference schema and checks that ours has the same type, format,
/// items and properties at every node; returns the paths of properties we add.
fn compare(reference: &Value, ours: &Value, path: &str, added: &mut Vec<String>) {
    for key in ["type", "format"] {
        assert_eq!(ours.get(key), reference.get(key), "{key} of {path}");
    }
    // The converter's `additionalProperties: false` only says "closed", which a
    // structural CRD schema is anyway; a map's value schema must match.
    match reference.get("additionalProperties") {
        Some(Value::Bool(false)) | None => {
            assert_eq!(ours.get("additionalProperties"), None, "map at {path}")
        }
        Some(values) => compare(
            values,
            &ours["additionalProperties"],
            &format!("{path}{{}}"),
            added,
        ),
    }
    match (reference.get("items"), ours.get("items")) {
        (Some(theirs), Some(mine)) => compare(theirs, mine, &format!("{path}[]"), added),
        (None, None) => {}
        _ => panic!("items of {path} differ"),
    }
    let empty = Map::new();
    let theirs = reference
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mine = ours
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, schema) in theirs {
        let Some(our_schema) = mine.get(name) else {
            panic!("{path}.{name} is missing");
        };
        compare(schema, our_schema, &format!("{path}.{name}"), added);
    }
    added.extend(
        mine.keys()
            .filter(|name| !theirs.contains_key(*name))
            .map(|name| format!("{path}.{name}")),
    );
}

#[test]
fn the_schema_is_externaldns_property_by_property_plus_conditions() {
    let mut reference = reference();
    // The converter pins apiVersion and kind with `const`; a CRD says `string`.
    for key in ["apiVersion", "kind"] {
        let property = &mut reference["properties"][key];
        assert_eq!(property["type"], "string");
        property.as_object_mut().expect("object").remove("const");
    }
    let mut added = Vec::new();
    compare(&reference, &ours(), "", &mut added);
    assert_eq!(added, vec![".status.conditions"]);
    let endpoint = &ours()["properties"]["spec"]["properties"]["endpoints"]["items"];
    assert_eq!(endpoint["properties"].as_object().map(Map::len), Some(7));
}

/// Our schema as JSON Schema, closed the way the reference is: every object with
/// properties rejects others, and `nullable` becomes a `null` type. A structural
/// CRD schema prunes unknown fields on the server; closing it makes a misspelt
/// field visible here.
fn closed(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable")
                .map(|(k, v)| (k.clone(), closed(v)))
                .collect();
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(t) = map.get("type")
            {
                out.insert("type".into(), json!([t, "null"]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(closed).collect()),
        other => other.clone(),
    }
}

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft7::new(schema).expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn the_guide_record_validates_and_typos_do_not() {
    let guide: Value =
        serde_norway::from_str(&read("tests/data/manifests/guide/custom-record.yaml"))
            .expect("guide YAML");
    let schema = closed(&ours());
    assert_eq!(errors(&schema, &guide), Vec::<String>::new());
    assert_eq!(errors(&reference(), &guide), Vec::<String>::new());

    // A status as flaredns writes it validates too.
    let mut with_status = guide.clone();
    with_status["status"] = json!({
        "observedGeneration": 2,
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "Published",
            "message": "1 record in sync", "lastTransitionTime": "2026-01-02T03:04:05Z",
            "observedGeneration": 2
        }]
    });
    assert_eq!(errors(&schema, &with_status), Vec::<String>::new());
    // No spec at all is accepted, as ExternalDNS accepts it.
    let mut bare = guide.clone();
    bare.as_object_mut().expect("object").remove("spec");
    assert_eq!(errors(&schema, &bare), Vec::<String>::new());

    let cases = [
        ("/spec/endpoints/0/recordTTL", json!("300")),
        ("/spec/endpoints/0/targets", json!("192.0.2.100")),
        ("/spec/endpoints/0/dnsNames", json!("static.example.com")),
        ("/spec/endpoint", json!([])),
        ("/status/observedGeneration", json!("two")),
    ];
    for (pointer, value) in cases {
        let mut bad = with_status.clone();
        let (parent, field) = pointer.rsplit_once('/').expect("a pointer");
        bad.pointer_mut(parent).expect("parent")[field] = value;
        let ours = errors(&schema, &bad);
        assert_eq!(ours.len(), 1, "{pointer}: {ours:?}");
        // ExternalDNS's schema refuses the same, once its unknown conditions go.
        bad["status"]
            .as_object_mut()
            .expect("status")
            .remove("conditions");
        assert_eq!(errors(&reference(), &bad).len(), 1, "{pointer}");
    }
}
