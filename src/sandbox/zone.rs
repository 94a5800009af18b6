//! One zone held in memory: its records by id, indexed by name so that the
//! same-name rules (CNAME exclusivity, identical records) stay cheap in zones of
//! tens of thousands of records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::config::PlanTier;
use super::wire::{AccountObject, OwnerObject, PlanObject, RecordObject, ZoneMeta, ZoneObject};

/// The account every sandbox zone belongs to.
const ACCOUNT_ID: &str = "5a0d0e1b5a0d0e1b5a0d0e1b5a0d0e1b";
const ACCOUNT_NAME: &str = "flaredns sandbox";
/// The name servers every sandbox zone reports.
const NAME_SERVERS: [&str; 2] = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"];

/// A zone and its records.
#[derive(Clone, Debug)]
pub struct ZoneState {
    pub id: String,
    /// Lower-case apex name.
    pub name: String,
    pub plan: PlanTier,
    pub created_on: String,
    pub modified_on: String,
    records: BTreeMap<String, RecordObject>,
    /// Record ids by record name.
    by_name: HashMap<String, BTreeSet<String>>,
}

impl ZoneState {
    /// An empty zone.
    pub fn new(id: String, name: String, plan: PlanTier, created_on: String) -> Self {
        ZoneState {
            id,
            name,
            plan,
            modified_on: created_on.clone(),
            created_on,
            records: BTreeMap::new(),
            by_name: HashMap::new(),
        }
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&RecordObject> {
        self.records.get(id)
    }

    /// The records named `name` (already normalised).
    pub fn named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a RecordObject> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|id| self.records.get(id))
    }

    /// Every record, in id order.
    pub fn records(&self) -> impl Iterator<Item = &RecordObject> {
        self.records.values()
    }

    /// Adds or replaces a record (by id).
    pub fn insert(&mut self, record: RecordObject) {
        self.remove(&record.id);
        self.by_name
            .entry(record.name.clone())
            .or_default()
            .insert(record.id.clone());
        self.records.insert(record.id.clone(), record);
    }

    /// Removes a record, returning it.
    pub fn remove(&mut self, id: &str) -> Option<RecordObject> {
        let record = self.records.remove(id)?;
        if let Some(ids) = self.by_name.get_mut(&record.name) {
            ids.remove(id);
            if ids.is_empty() {
                self.by_name.remove(&record.name);
            }
        }
        Some(record)
    }

    /// The records sorted as the API lists them by default and as the handle
    /// returns them: by type, then name, then content.
    pub fn sorted_records(&self) -> Vec<RecordObject> {
        let mut records: Vec<RecordObject> = self.records.values().cloned().collect();
        records.sort_by(|a, b| {
            (&a.record_type, &a.name, &a.content, &a.id).cmp(&(
                &b.record_type,
                &b.name,
                &b.content,
                &b.id,
            ))
        });
        records
    }

    /// The zone as `GET /zones/{id}` returns it, with every field the published
    /// schema requires.
    pub fn to_api(&self) -> ZoneObject {
        ZoneObject {
            id: self.id.clone(),
            name: self.name.clone(),
            status: "active".into(),
            paused: false,
            zone_type: "full".into(),
            plan: PlanObject {
                id: self.plan.plan_id().into(),
                name: self.plan.display_name().into(),
                legacy_id: self.plan.legacy_id().into(),
            },
            account: AccountObject {
                id: ACCOUNT_ID.into(),
                name: ACCOUNT_NAME.into(),
            },
            owner: OwnerObject {
                id: ACCOUNT_ID.into(),
                name: ACCOUNT_NAME.into(),
                owner_type: "organization".into(),
            },
            development_mode: 0,
            name_servers: NAME_SERVERS.iter().map(|s| s.to_string()).collect(),
            original_name_servers: None,
            original_registrar: None,
            original_dnshost: None,
            activated_on: Some(self.created_on.clone()),
            created_on: self.created_on.clone(),
            modified_on: self.modified_on.clone(),
            meta: ZoneMeta {
                step: 4,
                custom_certificate_quota: 0,
                page_rule_quota: 3,
                phishing_detected: false,
            },
            permissions: vec![
                "#dns_records:edit".into(),
                "#dns_records:read".into(),
                "#zone:read".into(),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, name: &str, record_type: &str, content: &str) -> RecordObject {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "type": record_type, "content": content
        }))
        .unwrap()
    }

    #[test]
    fn the_name_index_follows_inserts_and_removes() {
        let mut zone = ZoneState::new("z".into(), "example.com".into(), PlanTier::Free, "t".into());
        zone.insert(record("1", "a.example.com", "A", "192.0.2.1"));
        zone.insert(record("2", "a.example.com", "TXT", "\"x\""));
        zone.insert(record("3", "b.example.com", "A", "192.0.2.2"));
        assert_eq!(zone.named("a.example.com").count(), 2);
        // Renaming through insert moves the record in the index.
        zone.insert(record("2", "b.example.com", "TXT", "\"x\""));
        assert_eq!(zone.named("a.example.com").count(), 1);
        assert_eq!(zone.named("b.example.com").count(), 2);
        assert!(zone.remove("1").is_some());
        assert_eq!(zone.named("a.example.com").count(), 0);
        assert!(zone.remove("1").is_none());
        assert_eq!(zone.records().count(), 2);
        let sorted: Vec<String> = zone.sorted_records().into_iter().map(|r| r.id).collect();
        assert_eq!(sorted, vec!["3", "2"]);
    }
}
