//! The promises flaredns makes about a zone, checked over the sandbox's final
//! records and over every state in its write history: the fault matrix and the
//! soak run both end with these.
//!
//! Every check is a pure function returning violations as sentences that name
//! the record (id, name, type), so that a failing run says what went wrong and
//! where. An empty list means the invariant holds.
//!
//! The ownership rule is restated here rather than taken from
//! `flaredns::registry`, so that a bug in the registry cannot hide itself: with
//! no `--txt-prefix`/`--txt-suffix`, the TXT record covering `name` of type `T`
//! is named `<t>-<first label>.<rest>` (`a-web.example.com`) and its value
//! carries `heritage=external-dns` and `external-dns/owner=<owner id>`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitStatus;

use flaredns::sandbox::HistoryEntry;
use flaredns::sandbox::RecordObject;

/// A record as the desired state names it: (name, type, content).
pub type RecordKey = (String, String, String);

/// What a run should end with, and what it must never touch.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The `--txt-owner-id` the controller runs with.
    pub owner: String,
    /// The records flaredns should own at the end.
    pub desired: BTreeSet<RecordKey>,
    /// Records seeded before the controller started that are not its own
    /// (another owner's record and TXT, an unowned record), as they were then.
    pub foreign: Vec<RecordObject>,
}

/// Every invariant over the final records and the history: the zone equals the
/// desired state, nothing is duplicated, no owned record ever lacked its TXT,
/// no foreign record was touched.
pub fn check_all(
    expected: &Expected,
    records: &[RecordObject],
    history: &[HistoryEntry],
) -> Vec<String> {
    let mut violations = zone_matches(expected, records);
    violations.extend(no_duplicates("final zone", records));
    violations.extend(history_holds(expected, history));
    violations.extend(foreign_untouched("final zone", &expected.foreign, records));
    violations
}

/// The invariants that hold in every intermediate state: no duplicate, every
/// owned record covered by its TXT, every foreign record as seeded.
pub fn history_holds(expected: &Expected, history: &[HistoryEntry]) -> Vec<String> {
    let mut violations = Vec::new();
    for entry in history {
        let at = format!("after call {}", entry.seq);
        violations.extend(no_duplicates(&at, &entry.records));
        violations.extend(owned_records_covered(&at, expected, &entry.records));
        violations.extend(foreign_untouched(&at, &expected.foreign, &entry.records));
    }
    violations
}

/// The zone holds exactly the desired records (besides the foreign ones), each
/// with one ownership TXT of this owner, and no TXT of this owner covers
/// anything else (an orphan).
pub fn zone_matches(expected: &Expected, records: &[RecordObject]) -> Vec<String> {
    let foreign_ids: BTreeSet<&str> = expected.foreign.iter().map(|r| r.id.as_str()).collect();
    let ours: Vec<&RecordObject> = records
        .iter()
        .filter(|r| !foreign_ids.contains(r.id.as_str()))
        .collect();
    let mut violations = Vec::new();

    let actual: BTreeSet<RecordKey> = ours
        .iter()
        .filter(|r| r.record_type != "TXT")
        .map(|r| key(r))
        .collect();
    for missing in expected.desired.difference(&actual) {
        violations.push(format!("missing record {}", show(missing)));
    }
    for extra in actual.difference(&expected.desired) {
        violations.push(format!("unexpected record {}", show(extra)));
    }

    // One TXT per desired (name, type), and no other TXT of this owner.
    let wanted_txt: BTreeSet<String> = expected
        .desired
        .iter()
        .map(|(name, record_type, _)| ownership_name(name, record_type))
        .collect();
    let mut txt_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for txt in ours.iter().filter(|r| r.record_type == "TXT") {
        if !is_owned_by(&txt.content, &expected.owner) {
            violations.push(format!(
                "TXT {} ({}) is neither foreign nor this owner's: {}",
                txt.name, txt.id, txt.content
            ));
            continue;
        }
        *txt_seen.entry(txt.name.as_str()).or_default() += 1;
        if !wanted_txt.contains(&txt.name) {
            violations.push(format!("orphaned ownership TXT {} ({})", txt.name, txt.id));
        }
    }
    for name in &wanted_txt {
        match txt_seen.get(name.as_str()) {
            None => violations.push(format!("missing ownership TXT {name}")),
            Some(1) => {}
            Some(n) => violations.push(format!("{n} ownership TXT records named {name}")),
        }
    }
    violations
}

/// No two records share name, type and content (Cloudflare refuses identical
/// records; a second one would mean the refusal was lost somewhere).
pub fn no_duplicates(at: &str, records: &[RecordObject]) -> Vec<String> {
    let mut seen: BTreeMap<RecordKey, &str> = BTreeMap::new();
    let mut violations = Vec::new();
    for record in records {
        if let Some(first) = seen.insert(key(record), &record.id) {
            violations.push(format!(
                "{at}: duplicate {} (ids {first} and {})",
                show(&key(record)),
                record.id
            ));
        }
    }
    violations
}

/// Every record that is not foreign has, in the same state, an ownership TXT of
/// this owner. A batch is applied atomically, so a record and a TXT created
/// together appear together.
pub fn owned_records_covered(
    at: &str,
    expected: &Expected,
    records: &[RecordObject],
) -> Vec<String> {
    let foreign_ids: BTreeSet<&str> = expected.foreign.iter().map(|r| r.id.as_str()).collect();
    let owned_txt: BTreeSet<&str> = records
        .iter()
        .filter(|r| r.record_type == "TXT" && is_owned_by(&r.content, &expected.owner))
        .map(|r| r.name.as_str())
        .collect();
    records
        .iter()
        .filter(|r| r.record_type != "TXT" && !foreign_ids.contains(r.id.as_str()))
        .filter(|r| !owned_txt.contains(ownership_name(&r.name, &r.record_type).as_str()))
        .map(|r| {
            format!(
                "{at}: record {} {} ({}) has no ownership TXT",
                r.name, r.record_type, r.id
            )
        })
        .collect()
}

/// Every foreign record is present with its id, name, type, content and
/// `modified_on` as seeded.
pub fn foreign_untouched(
    at: &str,
    foreign: &[RecordObject],
    records: &[RecordObject],
) -> Vec<String> {
    let by_id: BTreeMap<&str, &RecordObject> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut violations = Vec::new();
    for seeded in foreign {
        match by_id.get(seeded.id.as_str()) {
            None => violations.push(format!(
                "{at}: foreign record {} {} ({}) is gone",
                seeded.name, seeded.record_type, seeded.id
            )),
            Some(now) => {
                let same = now.name == seeded.name
                    && now.record_type == seeded.record_type
                    && now.content == seeded.content
                    && now.ttl == seeded.ttl
                    && now.proxied == seeded.proxied
                    && now.modified_on == seeded.modified_on;
                if !same {
                    violations.push(format!(
                        "{at}: foreign record {} {} ({}) was modified: {:?} -> {:?} (modified_on {} -> {})",
                        seeded.name,
                        seeded.record_type,
                        seeded.id,
                        seeded.content,
                        now.content,
                        seeded.modified_on,
                        now.modified_on
                    ));
                }
            }
        }
    }
    violations
}

/// A controller that exited although nothing stopped it (only `--once` runs
/// may exit on their own).
pub fn exited_on_its_own(replica: &str, status: Option<ExitStatus>) -> Option<String> {
    status.map(|s| format!("{replica} exited on its own: {s}"))
}

/// The new-format ownership TXT name for a record, with no TXT prefix or
/// suffix: the lower-cased type and a dash before the first label.
pub fn ownership_name(name: &str, record_type: &str) -> String {
    format!("{}-{}", record_type.to_ascii_lowercase(), name)
}

/// The TXT value of an ownership record of `owner`, as flaredns writes it for
/// `resource` (`ingress/default/web`).
pub fn ownership_value(owner: &str, resource: &str) -> String {
    format!("\"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}\"")
}

/// Whether a TXT value is an ExternalDNS ownership record of `owner`.
pub fn is_owned_by(content: &str, owner: &str) -> bool {
    let mut heritage = false;
    let mut owned = false;
    for token in content.trim_matches('"').split(',') {
        match token.split_once('=') {
            Some(("heritage", "external-dns")) => heritage = true,
            Some(("external-dns/owner", value)) => owned = value == owner,
            _ => {}
        }
    }
    heritage && owned
}

fn key(record: &RecordObject) -> RecordKey {
    (
        record.name.clone(),
        record.record_type.clone(),
        record.content.clone(),
    )
}

fn show((name, record_type, content): &RecordKey) -> String {
    format!("{name} {record_type} {content}")
}
