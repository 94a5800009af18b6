//! The bad-input corpus (`tests/data/bad-input/`) through the real pipeline:
//! manifest reader → sources → TXT registry → planner, as `flaredns plan` wires
//! them, against a zone that already holds what the case's objects published
//! earlier (records with their owned TXT records).
//!
//! Every case pins invariant 6 of `docs/design.md`: no panic; an invalid optional
//! value is ignored and the endpoint still planned; an invalid host name or
//! target is skipped with a problem naming the object, the field and a fixed
//! reason label; everything else is still published; nothing is deleted; and
//! planning again after applying the plan changes nothing.
//!
//! `cases.yaml` lists per case: the manifest file, what it tests, the zone's
//! records before (`[owner:]resource name TYPE content`, `-` for a record without
//! ownership TXT), the exact problems expected, the names that must be published
//! (asked for and in the zone afterwards) or absent (not in the zone afterwards), record fields to check after applying the plan, and, for a
//! manifest that must not parse, where the error must point.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use flaredns::cli::{self, Command};
use flaredns::config::Config;
use flaredns::endpoint::{Endpoint, RecordType, Zone, ZoneRecord, normalize_name};
use flaredns::plan::{self, Action, Change, Desired, Plan, PlanConfig};
use flaredns::problem::{Consequence, Problem};
use flaredns::provider::inmemory::InMemoryZones;
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};
use flaredns::setup;
use flaredns::source::manifest;
use flaredns::source::{SourceConfig, SourceOutput};

const OWNER: &str = "bad-input-cluster";
const ZONE_ID: &str = "2c8a0f6e9d1b4c3a8e7f6d5c4b3a2910";
const ZONE_NAME: &str = "example.com";
const FLAGS: [&str; 7] = [
    "--source=ingress",
    "--source=service",
    "--source=crd",
    "--provider=cloudflare",
    "--policy=sync",
    "--txt-owner-id=bad-input-cluster",
    "--domain-filter=example.com",
];
/// The corpus must stay at least this large.
const MIN_CASES: usize = 200;
/// Longest value a problem may quote back (`problem::shorten` plus its ellipsis).
const MAX_QUOTED_CHARS: usize = 121;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    tests: String,
    #[serde(default)]
    zone: Vec<String>,
    #[serde(default)]
    problems: Vec<ExpectedProblem>,
    #[serde(default)]
    published: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    records: Vec<ExpectedRecord>,
    parse_error: Option<ExpectedParseError>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedProblem {
    /// `Kind namespace/name`, as `ObjectRef` displays.
    object: String,
    /// A substring of the problem's field.
    field: String,
    /// `ignored` or `skipped`.
    consequence: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedRecord {
    name: String,
    #[serde(rename = "type")]
    record_type: String,
    content: Option<String>,
    ttl: Option<u32>,
    proxied: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedParseError {
    document: usize,
    field: Option<String>,
    /// A substring of the error message.
    message: Option<String>,
}

/// The configured parts of the pipeline, built from flags as the binary builds them.
struct Pipeline {
    config: Config,
    sources: SourceConfig,
    registry: TxtRegistry,
    plan: PlanConfig,
}

impl Pipeline {
    fn new() -> Pipeline {
        let no_env = |_: &str| None;
        let argv = ["flaredns", "config"].into_iter().chain(FLAGS);
        let parsed = cli::parse(argv, &no_env).expect("the flags parse");
        let Some(Command::Config(args)) = parsed.cli.command else {
            panic!("the flags did not parse as a configuration");
        };
        let config = Config::resolve(&args, &no_env)
            .expect("the flags resolve")
            .config;
        Pipeline {
            sources: setup::source_config(&config).expect("source settings"),
            registry: setup::registry(&config).expect("registry settings"),
            plan: setup::plan_config(&config, vec![zone()]).expect("planner settings"),
            config,
        }
    }

    fn compute(&self, output: &SourceOutput, records: Vec<ZoneRecord>) -> Plan {
        let desired = Desired {
            endpoints: output.endpoints.clone(),
            held_resources: setup::held_resources(&output.problems),
        };
        plan::compute(
            desired,
            &self.registry.resolve(&records),
            &self.registry,
            &self.plan,
        )
    }
}

fn zone() -> Zone {
    Zone {
        id: ZONE_ID.to_string(),
        name: ZONE_NAME.to_string(),
        paid_plan: false,
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad-input")
}

fn consequence_label(c: Consequence) -> &'static str {
    match c {
        Consequence::Ignored => "ignored",
        Consequence::Skipped => "skipped",
    }
}

/// A metric label: lower-case words joined by single dashes.
fn is_fixed_label(reason: &str) -> bool {
    !reason.is_empty()
        && reason
            .split('-')
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
}

/// The zone's records before the case: each `[owner:]resource name TYPE content`
/// line gives the record and, unless the resource is `-`, its new-format
/// ownership TXT record as that owner writes it.
fn zone_records(lines: &[String]) -> Vec<ZoneRecord> {
    let mut records = Vec::new();
    let mut next_id = 1u32;
    let mut push = |name: &str, record_type: RecordType, content: &str| {
        records.push(ZoneRecord::new(
            format!("{next_id:032x}"),
            ZONE_ID,
            normalize_name(name),
            record_type,
            content,
        ));
        next_id += 1;
    };
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [owned_by, name, record_type, content] = fields[..] else {
            panic!("zone line {line:?} is not `[owner:]resource name TYPE content`");
        };
        let record_type: RecordType = record_type.parse().expect("a known record type");
        push(name, record_type, content);
        if owned_by == "-" {
            continue;
        }
        let (owner, resource) = owned_by.split_once(':').unwrap_or((OWNER, owned_by));
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: owner.to_string(),
            ..TxtRegistryConfig::default()
        })
        .expect("an owner id");
        let endpoint = Endpoint::new(name, record_type, [content])
            .expect("a valid zone record")
            .with_label("resource", resource);
        for txt in registry.txt_records_for(&endpoint) {
            push(&txt.name, RecordType::Txt, &txt.content);
        }
    }
    records
}

fn check_parse_error(case: &Case, path: &Path, expected: &ExpectedParseError) {
    let error = match manifest::load(&[path]) {
        Ok(_) => panic!("the manifest parsed, but must not"),
        Err(e) => e.to_string(),
    };
    let file = path.display().to_string();
    assert!(error.contains(&file), "{error:?} does not name {file}");
    let document = format!("document {}", expected.document);
    assert!(
        error.contains(&document),
        "{error:?} does not say {document}"
    );
    if let Some(field) = &expected.field {
        assert!(
            error.contains(&format!("field `{field}")),
            "{error:?} does not name the field {field}"
        );
    }
    if let Some(message) = &expected.message {
        assert!(
            error.contains(message),
            "{error:?} does not say {message:?}"
        );
    }
    assert!(
        case.problems.is_empty() && case.published.is_empty(),
        "a manifest that does not parse publishes nothing and has no problems"
    );
}

/// The problems must be exactly the expected ones (each expected problem matches
/// one actual problem of its own), and each must be well-formed.
fn check_problems(expected: &[ExpectedProblem], actual: &[Problem]) {
    for p in actual {
        assert!(
            is_fixed_label(p.reason),
            "reason {:?} is no label",
            p.reason
        );
        assert!(!p.field.is_empty() && !p.message.is_empty(), "{p}");
        assert!(!p.object.kind.is_empty(), "{p}");
        assert!(
            p.value.chars().count() <= MAX_QUOTED_CHARS,
            "a problem quotes {} characters",
            p.value.chars().count()
        );
    }
    let mut unmatched: Vec<&Problem> = actual.iter().collect();
    for e in expected {
        let position = unmatched.iter().position(|p| {
            p.object.to_string() == e.object
                && p.field.contains(&e.field)
                && consequence_label(p.consequence) == e.consequence
                && p.reason == e.reason
        });
        match position {
            Some(i) => {
                unmatched.swap_remove(i);
            }
            None => panic!(
                "expected problem {e:?} not found among:\n{}",
                actual
                    .iter()
                    .map(|p| format!("  {} [{}]", p, p.reason))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
    assert!(
        unmatched.is_empty(),
        "unexpected problems:\n{}",
        unmatched
            .iter()
            .map(|p| format!("  {} [{}]", p, p.reason))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn check_records(expected: &[ExpectedRecord], after: &[ZoneRecord]) {
    for e in expected {
        let name = normalize_name(&e.name);
        let record = after
            .iter()
            .find(|r| {
                r.name == name
                    && r.record_type.as_str() == e.record_type
                    && e.content.as_ref().is_none_or(|c| r.content() == c)
            })
            .unwrap_or_else(|| panic!("no record {e:?} after applying the plan"));
        if let Some(ttl) = e.ttl {
            assert_eq!(record.data.ttl, ttl, "TTL of {name}");
        }
        if let Some(proxied) = e.proxied {
            assert_eq!(record.data.proxied, proxied, "proxied of {name}");
        }
    }
}

fn run_case(pipeline: &Pipeline, case: &Case) {
    assert!(!case.tests.trim().is_empty(), "say what the case tests");
    let path = corpus_dir().join(&case.file);
    if let Some(expected) = &case.parse_error {
        check_parse_error(case, &path, expected);
        return;
    }
    let manifests = manifest::load(&[&path]).unwrap_or_else(|e| panic!("does not load: {e}"));
    let output = manifest::endpoints(
        &manifests,
        &pipeline.sources,
        &pipeline.config.sources.kinds,
    );
    check_problems(&case.problems, &output.problems);

    let before = zone_records(&case.zone);
    let plan = pipeline.compute(&output, before.clone());
    let deleted: Vec<&Change> = plan
        .units
        .iter()
        .flat_map(|u| &u.changes)
        .filter(|c| c.action == Action::Delete)
        .collect();
    assert!(deleted.is_empty(), "the plan deletes: {deleted:#?}");

    // A changed target replaces one record by another in one batch; what must
    // never happen is a name and type (or its ownership record) leaving the zone.
    let mut zones = InMemoryZones::new(vec![zone()], before.clone());
    zones.apply(&plan.units);
    let after = zones.records().to_vec();
    let kept: BTreeSet<(&str, RecordType)> = after
        .iter()
        .map(|r| (r.name.as_str(), r.record_type))
        .collect();
    for record in &before {
        assert!(
            kept.contains(&(record.name.as_str(), record.record_type)),
            "{} {} is gone from the zone",
            record.name,
            record.record_type
        );
    }

    let desired_names: BTreeSet<&str> = output
        .endpoints
        .iter()
        .map(|e| e.dns_name.as_str())
        .collect();
    for name in &case.published {
        let name = normalize_name(name);
        assert!(
            desired_names.contains(name.as_str()),
            "{name} is not asked for"
        );
        assert!(
            after
                .iter()
                .any(|r| r.name == name && r.record_type != RecordType::Txt),
            "{name} is not in the zone after applying the plan"
        );
    }
    for name in &case.absent {
        let name = normalize_name(name);
        assert!(
            after.iter().all(|r| r.name != name),
            "{name} is in the zone"
        );
    }
    check_records(&case.records, &after);

    let again = pipeline.compute(&output, after);
    assert!(
        !again.has_changes(),
        "planning again after applying the plan: {:#?}",
        again.units
    );
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[test]
fn every_bad_input_case_keeps_every_record() {
    let index = std::fs::read_to_string(corpus_dir().join("cases.yaml")).expect("cases.yaml");
    let corpus: Corpus = serde_norway::from_str(&index).expect("cases.yaml parses");
    let pipeline = Pipeline::new();

    let mut files = BTreeSet::new();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        assert!(
            files.insert(case.file.as_str()),
            "{} is listed twice",
            case.file
        );
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| run_case(&pipeline, case))) {
            failures.push(format!(
                "{} ({}): {}",
                case.file,
                case.tests,
                panic_text(&*payload)
            ));
        }
    }
    println!("bad-input cases run: {}", corpus.cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n\n")
    );
    assert!(
        corpus.cases.len() >= MIN_CASES,
        "the corpus has {} cases; it must keep at least {MIN_CASES}",
        corpus.cases.len()
    );
}

#[test]
fn every_corpus_file_is_listed() {
    let index = std::fs::read_to_string(corpus_dir().join("cases.yaml")).expect("cases.yaml");
    let corpus: Corpus = serde_norway::from_str(&index).expect("cases.yaml parses");
    let listed: BTreeSet<PathBuf> = corpus
        .cases
        .iter()
        .map(|c| corpus_dir().join(&c.file))
        .collect();
    let mut on_disk = BTreeSet::new();
    let mut folders = vec![corpus_dir()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a corpus folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|n| n != "cases.yaml") {
                on_disk.insert(path);
            }
        }
    }
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(unlisted.is_empty(), "files without a case: {unlisted:?}");
    assert!(missing.is_empty(), "cases without a file: {missing:?}");
    assert_eq!(listed.len(), corpus.cases.len());
}
