//! Every zone the sandbox holds, by id.

use std::collections::BTreeMap;

use crate::endpoint::{normalize_name, validate_name};

use super::config::PlanTier;
use super::stamp::{self, Clock};
use super::zone::ZoneState;

/// A zone that cannot be added.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("{0:?} is not a zone name: it needs at least two labels of letters, digits and '-'")]
    InvalidName(String),
    #[error("a zone named {0:?} exists already")]
    Duplicate(String),
    #[error("a zone with id {0:?} exists already")]
    DuplicateId(String),
}

/// The zones, by id.
#[derive(Clone, Debug, Default)]
pub struct Store {
    zones: BTreeMap<String, ZoneState>,
}

/// Checks a zone apex name: a valid DNS name with at least two labels and no
/// wildcard or underscore (the API's zone name pattern).
fn zone_name(name: &str) -> Result<String, ZoneError> {
    let normalized = normalize_name(name);
    let valid = validate_name(&normalized).is_ok()
        && normalized.contains('.')
        && normalized
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if valid {
        Ok(normalized)
    } else {
        Err(ZoneError::InvalidName(name.to_string()))
    }
}

impl Store {
    /// Adds an empty zone and returns its new id.
    pub fn add_zone(
        &mut self,
        name: &str,
        plan: PlanTier,
        clock: &Clock,
    ) -> Result<String, ZoneError> {
        let name = zone_name(name)?;
        let id = stamp::new_id();
        self.insert(ZoneState::new(id.clone(), name, plan, clock.stamp()))?;
        Ok(id)
    }

    /// Adds a zone built elsewhere (from a state file).
    pub fn insert(&mut self, zone: ZoneState) -> Result<(), ZoneError> {
        let name = zone_name(&zone.name)?;
        if self.zones.values().any(|z| z.name == name) {
            return Err(ZoneError::Duplicate(name));
        }
        if self.zones.contains_key(&zone.id) {
            return Err(ZoneError::DuplicateId(zone.id));
        }
        let mut zone = zone;
        zone.name = name;
        self.zones.insert(zone.id.clone(), zone);
        Ok(())
    }

    /// The zone with this id.
    pub fn zone(&self, id: &str) -> Option<&ZoneState> {
        self.zones.get(id)
    }

    pub fn zone_mut(&mut self, id: &str) -> Option<&mut ZoneState> {
        self.zones.get_mut(id)
    }

    /// The zone with this id or this name.
    pub fn find(&self, id_or_name: &str) -> Option<&ZoneState> {
        self.zones.get(id_or_name).or_else(|| {
            let name = normalize_name(id_or_name);
            self.zones.values().find(|z| z.name == name)
        })
    }

    /// The id of the zone with this id or this name.
    pub fn find_id(&self, id_or_name: &str) -> Option<String> {
        self.find(id_or_name).map(|z| z.id.clone())
    }

    /// Every zone, in id order.
    pub fn zones(&self) -> impl Iterator<Item = &ZoneState> {
        self.zones.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_named_once_and_found_by_id_or_name() {
        let clock = Clock::default();
        let mut store = Store::default();
        let id = store
            .add_zone("Example.COM.", PlanTier::Pro, &clock)
            .unwrap();
        assert!(stamp::is_id(&id));
        assert_eq!(
            store.find("example.com").map(|z| z.id.as_str()),
            Some(id.as_str())
        );
        assert_eq!(store.find(&id).map(|z| z.plan), Some(PlanTier::Pro));
        assert_eq!(
            store.add_zone("example.com", PlanTier::Free, &clock),
            Err(ZoneError::Duplicate("example.com".into()))
        );
        for bad in ["localhost", "*.example.com", "_x.example.com", "a..b", ""] {
            assert!(matches!(
                store.add_zone(bad, PlanTier::Free, &clock),
                Err(ZoneError::InvalidName(_))
            ));
        }
        assert_eq!(store.zones().count(), 1);
    }
}
