//! The source table ([`flaredns::source::kinds::SOURCES`]) against what
//! stands outside the code: the RBAC rules each source needs are the ones in
//! `tests/data/source-rbac.json`, which the chart tests
//! (`tests/deploy/test_rbac_and_vectors.py`) hold the chart's ClusterRole to.
//! A new source kind fails here until the file says what it needs, and then
//! there until the chart grants it.

use serde_json::{Value, json};

use flaredns::source::SourceKind;
use flaredns::source::kinds::SOURCES;

const RBAC_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/source-rbac.json");

/// The table's rules, as the chart's tests read them.
fn table_rules() -> Value {
    let mut by_source = serde_json::Map::new();
    for def in &SOURCES {
        let rules: Vec<Value> = def
            .rbac(false)
            .iter()
            .map(|rule| json!([rule.api_group, rule.resource, rule.verbs]))
            .collect();
        by_source.insert(def.name.to_string(), Value::Array(rules));
    }
    Value::Object(by_source)
}

#[test]
fn the_rbac_file_is_what_the_table_needs() {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(RBAC_FILE).unwrap()).unwrap();
    assert_eq!(
        file,
        table_rules(),
        "tests/data/source-rbac.json must list the rules of every source in \
         flaredns::source::kinds::SOURCES; write this: {:#}",
        table_rules()
    );
}

#[test]
fn every_source_parses_and_prints_as_its_entry_says() {
    for def in &SOURCES {
        assert_eq!(def.name.parse::<SourceKind>(), Ok(def.kind));
        assert_eq!(def.kind.to_string(), def.name);
    }
    let error = "gateway-nothing".parse::<SourceKind>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unsupported source \"gateway-nothing\"; flaredns offers ingress, service and crd"
    );
}

#[test]
fn the_help_names_every_source() {
    let help = crate::support::flaredns(&["--help"], &[]);
    let text = String::from_utf8_lossy(&help.stdout);
    let source_help = text
        .split("--source <SOURCE>")
        .nth(1)
        .and_then(|rest| rest.split("\n      --").next())
        .expect("--help describes --source");
    for def in &SOURCES {
        assert!(
            source_help.contains(def.name),
            "--source's help does not name {}: {source_help}",
            def.name
        );
    }
}
