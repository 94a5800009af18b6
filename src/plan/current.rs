//! The zone as the planner sees it: the current endpoints it may consider,
//! grouped into rows (every record type at one name and set identifier) and
//! sorted, so that the desired side ([`super::desired`]) and the diff
//! ([`super::diff`]) can look a name up. Both read it; it reads neither.

use crate::endpoint::{RecordType, Zone, zone_for};
use crate::registry::{CurrentEndpoint, CurrentState};

use super::PlanConfig;

/// One row's current endpoints (one per record type, sorted by type): every
/// record type at one name and set identifier.
pub struct CurrentRow<'a, 'z> {
    pub zone: &'z Zone,
    pub endpoints: Vec<&'a CurrentEndpoint<'a>>,
}

impl<'a> CurrentRow<'a, '_> {
    pub fn key(&self) -> (&str, &str) {
        let first = &self.endpoints[0].endpoint;
        (&first.dns_name, &first.set_identifier)
    }

    pub fn get(&self, record_type: RecordType) -> Option<&'a CurrentEndpoint<'a>> {
        self.endpoints
            .iter()
            .find(|c| c.endpoint.record_type == record_type)
            .copied()
    }
}

/// Rows sorted by name and set identifier.
pub struct CurrentRows<'a, 'z>(Vec<CurrentRow<'a, 'z>>);

impl<'a, 'z> CurrentRows<'a, 'z> {
    /// The rows, in order.
    pub fn into_rows(self) -> Vec<CurrentRow<'a, 'z>> {
        self.0
    }

    /// The row of a name, if the zone has one.
    pub fn find(&self, name: &str, set_identifier: &str) -> Option<&CurrentRow<'a, 'z>> {
        self.0
            .binary_search_by(|row| row.key().cmp(&(name, set_identifier)))
            .ok()
            .map(|i| &self.0[i])
    }
}

/// The current endpoints the planner may consider: managed types, inside the
/// domain filters, in a known zone. Everything else is invisible to it and so can
/// never be changed.
pub fn current_rows<'a, 'z>(
    current: &'a CurrentState,
    config: &'z PlanConfig,
) -> CurrentRows<'a, 'z> {
    let mut visible: Vec<(&'z Zone, &'a CurrentEndpoint)> = current
        .endpoints
        .iter()
        .filter(|c| {
            config.managed_types.contains(&c.endpoint.record_type)
                && config.domain_filter.matches(&c.endpoint.dns_name)
        })
        .filter_map(|c| zone_for(&config.zones, &c.endpoint.dns_name).map(|z| (z, c)))
        .collect();
    visible.sort_by(|(_, a), (_, b)| {
        let (a, b) = (&a.endpoint, &b.endpoint);
        (&a.dns_name, &a.set_identifier, a.record_type).cmp(&(
            &b.dns_name,
            &b.set_identifier,
            b.record_type,
        ))
    });
    let mut rows: Vec<CurrentRow<'a, 'z>> = Vec::new();
    for (zone, c) in visible {
        match rows.last_mut() {
            Some(row)
                if row.key() == (&c.endpoint.dns_name[..], &c.endpoint.set_identifier[..]) =>
            {
                row.endpoints.push(c)
            }
            _ => rows.push(CurrentRow {
                zone,
                endpoints: vec![c],
            }),
        }
    }
    CurrentRows(rows)
}
