//! The zone read back: records grouped into endpoints, each with the ownership
//! its TXT records give it (ExternalDNS's `Records()`).
//!
//! For a record at name `n` of type `t` (`n` with a leading `*` replaced by the
//! wildcard replacement), new-format TXT records for (`n`, `t`) decide; when there
//! are none and `t` is not AAAA, legacy TXT records for `n` do. Every heritage TXT
//! record claiming the endpoint is listed with it, so that deleting the endpoint
//! can delete them all; heritage TXT records that claim nothing are listed apart.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::endpoint::{
    CloudflareProps, Endpoint, EndpointKey, RecordType, ZoneRecord, normalized_name, sort_targets,
};
use crate::registry::{
    CurrentEndpoint, CurrentState, Labels, Ownership, OwnershipRecord, TxtFormat,
};

use super::TxtRegistry;
use super::labels::without_nonce;

/// A heritage TXT record with the record name and type its name speaks for.
struct Claim<'z> {
    /// Empty when the TXT name does not carry the configured affix.
    name: String,
    record_type: Option<RecordType>,
    record: OwnershipRecord<'z>,
}

/// A record's name and type, the name borrowed when already normalised (as
/// listed names are).
type GroupKey<'z> = (Cow<'z, str>, RecordType);

/// Splits the zone into endpoints and ownership records and matches them up.
pub(super) fn resolve<'z>(
    registry: &TxtRegistry,
    records: impl IntoIterator<Item = &'z ZoneRecord>,
) -> CurrentState<'z> {
    let mut claims = Vec::new();
    let mut groups: BTreeMap<GroupKey<'z>, Vec<&'z ZoneRecord>> = BTreeMap::new();
    for record in records {
        if record.record_type == RecordType::Txt
            && let Ok(labels) = registry.decode_labels(record.content())
        {
            let (name, record_type) = registry
                .name_mapper()
                .parse_txt_name(&normalized_name(&record.name));
            let format = match record_type {
                Some(_) => TxtFormat::New,
                None => TxtFormat::Legacy,
            };
            claims.push(Claim {
                name,
                record_type,
                record: OwnershipRecord {
                    record,
                    format,
                    labels,
                },
            });
            continue;
        }
        let key = (normalized_name(&record.name), record.record_type);
        groups.entry(key).or_default().push(record);
    }

    // A fixed order makes the outcome independent of the order the provider lists.
    claims.sort_by(|a, b| {
        let (a, b) = (a.record.record, b.record.record);
        (&a.name, a.content(), &a.id).cmp(&(&b.name, b.content(), &b.id))
    });
    // Names and records apart, so that the index can borrow the names while
    // endpoints take the records. The last endpoint a record claims takes it;
    // the others get a copy (usually there is one, and nothing is copied).
    let (claimed, mut ownership): (Vec<_>, Vec<_>) = claims
        .into_iter()
        .map(|c| ((c.name, c.record_type), Some(c.record)))
        .unzip();
    let index = ClaimIndex::new(&claimed);
    let claims_of = |(name, record_type): &GroupKey<'_>| {
        let lookup = registry.name_mapper().lookup_name(name);
        let new_format = index.new_format(&lookup, *record_type);
        let legacy = if *record_type == RecordType::Aaaa {
            &[][..]
        } else {
            index.legacy(&lookup)
        };
        (new_format, legacy)
    };
    // Each group's claims, looked up once: counting uses needs them all first.
    let group_claims: Vec<_> = groups.keys().map(claims_of).collect();
    let mut uses = vec![0usize; ownership.len()];
    for (new_format, legacy) in &group_claims {
        for &i in new_format.iter().chain(*legacy) {
            uses[i] += 1;
        }
    }

    let endpoints = groups
        .into_iter()
        .zip(group_claims)
        .filter_map(|((key, records), (new_format, legacy))| {
            let deciding = if new_format.is_empty() {
                legacy
            } else {
                new_format
            };
            let (ownership_of, labels) = decide(
                registry,
                deciding.iter().filter_map(|&i| ownership[i].as_ref()),
            );
            let mut ownership_records = Vec::with_capacity(new_format.len() + legacy.len());
            for &i in new_format.iter().chain(legacy) {
                uses[i] -= 1;
                let record = if uses[i] == 0 {
                    ownership[i].take()
                } else {
                    ownership[i].clone()
                };
                ownership_records.extend(record);
            }
            let key = EndpointKey {
                dns_name: key.0.into_owned(),
                record_type: key.1,
                set_identifier: String::new(),
            };
            let (endpoint, records) = group(key, records, labels)?;
            Some(CurrentEndpoint {
                endpoint,
                records,
                ownership: ownership_of,
                ownership_records,
            })
        })
        .collect();

    // What no endpoint took claims nothing.
    let dangling_ownership = ownership.into_iter().flatten().collect();
    CurrentState {
        endpoints,
        dangling_ownership,
    }
}

/// Reads the zone once for a pass in parts: hands every record to `place`
/// with its resolve key (see `TxtRegistry::resolve_key`), and returns the
/// heritage TXT records that claim nothing, as [`resolve`] would list them.
/// Meanwhile it keeps only the types present at each lookup name (borrowed
/// where a record's own name is its lookup name), not the zone's endpoints.
pub(super) fn survey<'z>(
    registry: &TxtRegistry,
    records: impl IntoIterator<Item = &'z ZoneRecord>,
    mut place: impl FnMut(&'z ZoneRecord, &str),
) -> Vec<OwnershipRecord<'z>> {
    let mapper = registry.name_mapper();
    // The record types at each lookup name, one bit per type: what a claim
    // needs to find a record.
    let mut types_at: HashMap<Cow<'z, str>, u32> = HashMap::new();
    let mut claims: Vec<(String, Option<RecordType>, &'z ZoneRecord)> = Vec::new();
    for record in records {
        let name = normalized_name(&record.name);
        if record.record_type == RecordType::Txt && registry.is_ownership_value(record.content()) {
            let (speaks_for, record_type) = mapper.parse_txt_name(&name);
            if speaks_for.is_empty() {
                place(record, &mapper.lookup_name(&name));
            } else {
                place(record, &speaks_for);
            }
            claims.push((speaks_for, record_type, record));
            continue;
        }
        let lookup = match name {
            Cow::Borrowed(name) => mapper.lookup_name(name),
            Cow::Owned(name) => Cow::Owned(mapper.lookup_name(&name).into_owned()),
        };
        place(record, &lookup);
        *types_at.entry(lookup).or_default() |= type_bit(record.record_type);
    }
    // As `resolve` matches them: a new-format claim needs its type at its
    // name, a legacy one any type but AAAA; an empty name claims nothing.
    let claims_something = |name: &str, record_type: Option<RecordType>| {
        let types = types_at.get(name).copied().unwrap_or(0);
        match record_type {
            Some(t) => types & type_bit(t) != 0,
            None => types & !type_bit(RecordType::Aaaa) != 0,
        }
    };
    let mut dangling: Vec<OwnershipRecord<'z>> = claims
        .into_iter()
        .filter(|(name, record_type, _)| name.is_empty() || !claims_something(name, *record_type))
        .filter_map(|(_, record_type, record)| {
            // Decoded once more: only the few records that claim nothing
            // keep their labels.
            let labels = registry.decode_labels(record.content()).ok()?;
            let format = match record_type {
                Some(_) => TxtFormat::New,
                None => TxtFormat::Legacy,
            };
            Some(OwnershipRecord {
                record,
                format,
                labels,
            })
        })
        .collect();
    // The order `resolve` sorts its claims in.
    dangling.sort_by(|a, b| {
        let (a, b) = (a.record, b.record);
        (&a.name, a.content(), &a.id).cmp(&(&b.name, b.content(), &b.id))
    });
    dangling
}

/// One bit per record type (there are fewer than 32).
fn type_bit(record_type: RecordType) -> u32 {
    1 << (record_type as u32)
}

/// Claims by the key they speak for (indices into the sorted claims). Keyed by
/// the borrowed name alone, so that a lookup needs no key of its own.
struct ClaimIndex<'c> {
    new_format: HashMap<&'c str, Vec<(RecordType, Vec<usize>)>>,
    legacy: HashMap<&'c str, Vec<usize>>,
}

impl<'c> ClaimIndex<'c> {
    fn new(claims: &'c [(String, Option<RecordType>)]) -> Self {
        let mut index = ClaimIndex {
            new_format: HashMap::new(),
            legacy: HashMap::new(),
        };
        for (i, (name, record_type)) in claims.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            match record_type {
                Some(t) => {
                    let types = index.new_format.entry(name.as_str()).or_default();
                    match types.iter_mut().find(|(u, _)| u == t) {
                        Some((_, claims)) => claims.push(i),
                        None => types.push((*t, vec![i])),
                    }
                }
                None => index.legacy.entry(name.as_str()).or_default().push(i),
            }
        }
        index
    }

    fn new_format(&self, name: &str, record_type: RecordType) -> &[usize] {
        self.new_format
            .get(name)
            .and_then(|types| types.iter().find(|(t, _)| *t == record_type))
            .map_or(&[], |(_, claims)| claims.as_slice())
    }

    fn legacy(&self, name: &str) -> &[usize] {
        self.legacy.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Ownership from the deciding TXT records, and the labels of the one that
/// decided. When several disagree, another owner's claim wins over ours: a
/// record two owners claim is left alone. (ExternalDNS keeps whichever the
/// provider happened to list last.)
fn decide<'a, 'z: 'a>(
    registry: &TxtRegistry,
    deciding: impl Iterator<Item = &'a OwnershipRecord<'z>>,
) -> (Ownership, Labels) {
    let mut ours = None;
    for record in deciding {
        match registry.ownership_of(&record.labels) {
            Ownership::Owned => {
                ours.get_or_insert(record);
            }
            foreign => return (foreign, without_nonce(&record.labels)),
        }
    }
    match ours {
        Some(record) => (Ownership::Owned, without_nonce(&record.labels)),
        None => (Ownership::Unowned, Labels::new()),
    }
}

/// The records of one key as an endpoint: records sorted by normalised content
/// (so that `records[i]` backs `targets[i]`), TTL and Cloudflare properties from
/// the first. `None` only for an empty group, which grouping never produces.
fn group(
    key: EndpointKey,
    mut records: Vec<&ZoneRecord>,
    labels: Labels,
) -> Option<(Endpoint, Vec<&ZoneRecord>)> {
    records.sort_by_cached_key(|r| (r.normalized_content(), r.content().to_owned(), r.id.clone()));
    let first = records.first()?;
    let mut tags = first.data.tags().to_vec();
    tags.sort();
    tags.dedup();
    let endpoint = Endpoint {
        dns_name: key.dns_name,
        record_type: key.record_type,
        set_identifier: key.set_identifier,
        targets: sort_targets(records.iter().map(|r| r.normalized_content()).collect()),
        ttl: Some(first.data.ttl),
        labels,
        cloudflare: CloudflareProps {
            proxied: Some(first.data.proxied),
            comment: first.data.comment().map(str::to_string),
            tags,
        },
        provider_specific: Vec::new(),
    };
    Some((endpoint, records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::label;
    use crate::registry::txt::{AesKey, TxtRegistryConfig};
    use proptest::prelude::*;

    fn registry(prefix: &str) -> TxtRegistry {
        TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            prefix: prefix.to_string(),
            ..Default::default()
        })
        .unwrap()
    }

    fn record(id: &str, name: &str, record_type: RecordType, content: &str) -> ZoneRecord {
        ZoneRecord::new(id, "zone", name, record_type, content)
    }

    fn heritage(owner: &str) -> String {
        format!("\"heritage=external-dns,external-dns/owner={owner}\"")
    }

    fn find<'a>(state: &'a CurrentState<'a>, name: &str, t: RecordType) -> &'a CurrentEndpoint<'a> {
        state
            .endpoints
            .iter()
            .find(|e| e.endpoint.dns_name == name && e.endpoint.record_type == t)
            .unwrap_or_else(|| panic!("no endpoint {name} {t}"))
    }

    fn txt_names<'a>(records: &'a [OwnershipRecord<'a>]) -> Vec<&'a str> {
        records.iter().map(|r| r.record.name.as_str()).collect()
    }

    #[test]
    fn records_group_into_sorted_endpoints() {
        let mut second = record("2", "web.example.com", RecordType::A, "192.0.2.2");
        second.data.ttl = 300;
        second.data.proxied = true;
        second.data.set_comment(Some("second".to_string()));
        let mut first = record("1", "Web.Example.com", RecordType::A, "192.0.2.1");
        first.data.ttl = 120;
        first.data.set_tags(vec![
            "b:1".to_string(),
            "a:1".to_string(),
            "b:1".to_string(),
        ]);
        let zone_records = vec![
            second,
            record("3", "web.example.com", RecordType::Aaaa, "2001:DB8::1"),
            first,
            record("4", "api.example.com", RecordType::Cname, "LB.example.com."),
        ];
        let state = registry("").resolve(&zone_records);
        let keys: Vec<_> = state
            .endpoints
            .iter()
            .map(|e| (e.endpoint.dns_name.as_str(), e.endpoint.record_type))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("api.example.com", RecordType::Cname),
                ("web.example.com", RecordType::A),
                ("web.example.com", RecordType::Aaaa),
            ]
        );
        let web = find(&state, "web.example.com", RecordType::A);
        assert_eq!(web.endpoint.targets, vec!["192.0.2.1", "192.0.2.2"]);
        let ids: Vec<_> = web.records.iter().map(|r| &*r.id).collect();
        assert_eq!(ids, vec!["1", "2"]);
        assert_eq!(web.endpoint.ttl, Some(120));
        assert_eq!(web.endpoint.cloudflare.proxied, Some(false));
        assert_eq!(web.endpoint.cloudflare.comment, None);
        assert_eq!(web.endpoint.cloudflare.tags, vec!["a:1", "b:1"]);
        assert_eq!(web.ownership, Ownership::Unowned);
        assert!(web.endpoint.labels.is_empty());
        let v6 = find(&state, "web.example.com", RecordType::Aaaa);
        assert_eq!(v6.endpoint.targets, vec!["2001:db8::1"]);
        let api = find(&state, "api.example.com", RecordType::Cname);
        assert_eq!(api.endpoint.targets, vec!["lb.example.com"]);
        assert!(state.dangling_ownership.is_empty());
    }

    #[test]
    fn new_format_decides_and_legacy_is_listed_after_it() {
        let zone_records = vec![
            record("1", "web.example.com", RecordType::Cname, "lb.example.com"),
            record("2", "web.example.com", RecordType::Txt, &heritage("other")),
            record(
                "3",
                "cname-web.example.com",
                RecordType::Txt,
                &heritage("me"),
            ),
        ];
        let state = registry("").resolve(&zone_records);
        let web = find(&state, "web.example.com", RecordType::Cname);
        assert_eq!(web.ownership, Ownership::Owned);
        assert_eq!(
            web.endpoint.labels.get("owner").map(String::as_str),
            Some("me")
        );
        assert_eq!(
            txt_names(&web.ownership_records),
            vec!["cname-web.example.com", "web.example.com"]
        );
        assert_eq!(web.ownership_records[0].format, TxtFormat::New);
        assert_eq!(web.ownership_records[1].format, TxtFormat::Legacy);
        // Heritage TXT records are not endpoints.
        assert_eq!(state.endpoints.len(), 1);
    }

    #[test]
    fn a_legacy_txt_claims_every_type_but_aaaa() {
        let zone_records = vec![
            record("1", "mail.example.com", RecordType::A, "192.0.2.1"),
            record("2", "mail.example.com", RecordType::Mx, "mx.example.com"),
            record("3", "mail.example.com", RecordType::Aaaa, "2001:db8::1"),
            record(
                "4",
                "txt.mail.example.com",
                RecordType::Txt,
                &heritage("me"),
            ),
        ];
        let state = registry("txt.").resolve(&zone_records);
        for t in [RecordType::A, RecordType::Mx] {
            let e = find(&state, "mail.example.com", t);
            assert_eq!(e.ownership, Ownership::Owned);
            assert_eq!(
                txt_names(&e.ownership_records),
                vec!["txt.mail.example.com"]
            );
        }
        let v6 = find(&state, "mail.example.com", RecordType::Aaaa);
        assert_eq!(v6.ownership, Ownership::Unowned);
        assert!(v6.ownership_records.is_empty());
        assert!(state.dangling_ownership.is_empty());
    }

    #[test]
    fn disagreeing_claims_leave_the_record_to_the_other_owner() {
        let zone_records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record("2", "a-web.example.com", RecordType::Txt, &heritage("me")),
            record(
                "3",
                "a-web.example.com",
                RecordType::Txt,
                "\"heritage=external-dns,external-dns/owner=zed,external-dns/resource=x\"",
            ),
        ];
        let state = registry("").resolve(&zone_records);
        let web = find(&state, "web.example.com", RecordType::A);
        assert_eq!(web.ownership, Ownership::Foreign("zed".to_string()));
        assert_eq!(
            web.endpoint.labels.get("resource").map(String::as_str),
            Some("x")
        );
        assert_eq!(web.ownership_records.len(), 2);
    }

    #[test]
    fn a_heritage_txt_without_owner_is_foreign() {
        let zone_records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record(
                "2",
                "a-web.example.com",
                RecordType::Txt,
                "\"heritage=external-dns\"",
            ),
        ];
        let state = registry("").resolve(&zone_records);
        let web = find(&state, "web.example.com", RecordType::A);
        assert_eq!(web.ownership, Ownership::Foreign(String::new()));
    }

    #[test]
    fn migration_owner_counts_as_ours() {
        let r = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "new".to_string(),
            migrate_from_owner: Some("old".to_string()),
            ..Default::default()
        })
        .unwrap();
        let zone_records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record("2", "a-web.example.com", RecordType::Txt, &heritage("old")),
        ];
        let state = r.resolve(&zone_records);
        let web = find(&state, "web.example.com", RecordType::A);
        assert_eq!(web.ownership, Ownership::Owned);
        assert_eq!(
            web.endpoint.labels.get("owner").map(String::as_str),
            Some("old")
        );
    }

    #[test]
    fn unclaimed_heritage_txt_records_dangle_and_others_are_records() {
        let zone_records = vec![
            record(
                "1",
                "txt.a-gone.example.com",
                RecordType::Txt,
                &heritage("me"),
            ),
            record(
                "2",
                "no-prefix.example.com",
                RecordType::Txt,
                &heritage("me"),
            ),
            record("3", "spf.example.com", RecordType::Txt, "\"v=spf1 -all\""),
            record("4", "bad.example.com", RecordType::Txt, "\"heritage=mate\""),
        ];
        let state = registry("txt.").resolve(&zone_records);
        assert_eq!(
            txt_names(&state.dangling_ownership),
            vec!["no-prefix.example.com", "txt.a-gone.example.com"]
        );
        let names: Vec<_> = state
            .endpoints
            .iter()
            .map(|e| e.endpoint.dns_name.as_str())
            .collect();
        assert_eq!(names, vec!["bad.example.com", "spf.example.com"]);
        assert!(
            state
                .endpoints
                .iter()
                .all(|e| e.ownership == Ownership::Unowned)
        );
    }

    #[test]
    fn wildcards_are_looked_up_under_the_replacement() {
        let r = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            wildcard_replacement: "wc".to_string(),
            ..Default::default()
        })
        .unwrap();
        let zone_records = vec![
            record(
                "1",
                "*.apps.example.com",
                RecordType::Cname,
                "lb.example.com",
            ),
            record(
                "2",
                "cname-wc.apps.example.com",
                RecordType::Txt,
                &heritage("me"),
            ),
        ];
        let state = r.resolve(&zone_records);
        let wild = find(&state, "*.apps.example.com", RecordType::Cname);
        assert_eq!(wild.ownership, Ownership::Owned);
    }

    #[test]
    fn encrypted_claims_keep_their_content_and_nonce() {
        let r = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            encryption_key: Some(AesKey::from_bytes([1; 32])),
            ..Default::default()
        })
        .unwrap();
        let ep = Endpoint::new("web.example.com", RecordType::A, ["192.0.2.1"]).unwrap();
        let txt = r.txt_records_for(&ep).remove(0);
        let zone_records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record("2", &txt.name, RecordType::Txt, &txt.content),
        ];
        let state = r.resolve(&zone_records);
        let web = find(&state, "web.example.com", RecordType::A);
        assert_eq!(web.ownership, Ownership::Owned);
        assert_eq!(web.ownership_records[0].record.content(), txt.content);
        assert!(
            web.ownership_records[0]
                .labels
                .contains_key(label::ENCRYPTION_NONCE)
        );
        assert!(!web.endpoint.labels.contains_key(label::ENCRYPTION_NONCE));
        // Without the key the same zone shows an ordinary TXT record and no owner.
        let zone_records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record("2", &txt.name, RecordType::Txt, &txt.content),
        ];
        let state = registry("").resolve(&zone_records);
        assert_eq!(state.endpoints.len(), 2);
        assert_eq!(
            find(&state, "web.example.com", RecordType::A).ownership,
            Ownership::Unowned
        );
    }

    #[test]
    fn the_outcome_does_not_depend_on_listing_order() {
        let records = vec![
            record("1", "web.example.com", RecordType::A, "192.0.2.1"),
            record("2", "web.example.com", RecordType::A, "192.0.2.2"),
            record("3", "a-web.example.com", RecordType::Txt, &heritage("me")),
            record("4", "a-web.example.com", RecordType::Txt, &heritage("you")),
            record("5", "web.example.com", RecordType::Txt, &heritage("me")),
        ];
        let mut reversed = records.clone();
        reversed.reverse();
        assert_eq!(
            registry("").resolve(&records),
            registry("").resolve(&reversed)
        );
    }

    #[test]
    fn every_record_type_has_its_own_bit() {
        let bits: std::collections::BTreeSet<u32> =
            RecordType::ALL.iter().map(|&t| type_bit(t)).collect();
        assert_eq!(bits.len(), RecordType::ALL.len());
    }

    fn record_types() -> impl Strategy<Value = RecordType> {
        proptest::sample::select(RecordType::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn arbitrary_zones_never_panic_and_lose_nothing(
            zone in proptest::collection::vec(
                (".{0,30}", record_types(), prop_oneof![
                    ".{0,60}",
                    "\"heritage=external-dns(,external-dns/owner=[a-z]{0,3})?\"",
                    "[A-Za-z0-9+/]{0,40}={0,2}",
                ]),
                0..12,
            ),
            prefix in prop_oneof![Just(""), Just("txt."), Just("%{record_type}-")],
        ) {
            let records: Vec<_> = zone
                .iter()
                .enumerate()
                .map(|(i, (name, t, content))| record(&i.to_string(), name, *t, content))
                .collect();
            let count = records.len();
            let state = TxtRegistry::new(TxtRegistryConfig {
                owner_id: "me".to_string(),
                prefix: prefix.to_string(),
                encryption_key: Some(AesKey::from_bytes([3; 32])),
                ..Default::default()
            })
            .unwrap()
            .resolve(&records);
            // Every record is either behind an endpoint or a heritage TXT record,
            // listed with an endpoint or as dangling.
            let mut ids: Vec<&str> = state
                .endpoints
                .iter()
                .flat_map(|e| e.records.iter().map(|r| &*r.id))
                .chain(state.dangling_ownership.iter().map(|o| &*o.record.id))
                .chain(state.endpoints.iter().flat_map(|e| e.ownership_records.iter().map(|o| &*o.record.id)))
                .collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), count);
        }

        /// A survey finds the ownership records a resolve leaves dangling, in
        /// the same order, and places every record under its resolve key.
        #[test]
        fn a_survey_finds_what_resolve_leaves_dangling(
            zone in proptest::collection::vec(
                (
                    prop_oneof!["[a-z]{1,3}\\.example\\.com", "(a|aaaa|cname|txt)-?[a-z]{1,3}\\.example\\.com", "\\*\\.[a-z]{1,2}\\.example\\.com"],
                    prop_oneof![Just(RecordType::A), Just(RecordType::Aaaa), Just(RecordType::Cname), Just(RecordType::Txt)],
                    prop_oneof![
                        Just("\"heritage=external-dns,external-dns/owner=me\"".to_string()),
                        Just("\"heritage=external-dns,external-dns/owner=you\"".to_string()),
                        "[a-z0-9.]{1,8}",
                    ],
                ),
                0..16,
            ),
            prefix in prop_oneof![Just(""), Just("%{record_type}"), Just("%{record_type}-"), Just("txt.")],
            wildcard in prop_oneof![Just(""), Just("wc")],
        ) {
            let registry = TxtRegistry::new(TxtRegistryConfig {
                owner_id: "me".to_string(),
                prefix: prefix.to_string(),
                wildcard_replacement: wildcard.to_string(),
                ..Default::default()
            })
            .unwrap();
            let records: Vec<_> = zone
                .iter()
                .enumerate()
                .map(|(i, (name, t, content))| record(&i.to_string(), name, *t, content))
                .collect();
            let mut placed = Vec::new();
            let dangling = survey(&registry, &records, |r, key| placed.push((r.id.to_string(), key.to_string())));
            prop_assert_eq!(dangling, registry.resolve(&records).dangling_ownership);
            let expected: Vec<_> = records
                .iter()
                .map(|r| (r.id.to_string(), registry.resolve_key(r)))
                .collect();
            prop_assert_eq!(placed, expected);
        }
    }
}
