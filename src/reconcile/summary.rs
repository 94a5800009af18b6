//! What a pass's plans said, kept slice by slice (see [`crate::plan::slices`])
//! for the metrics, the log and the reporter, so that no slice's plan outlives
//! the slice.

use std::collections::BTreeMap;

use crate::endpoint::RecordType;
use crate::plan::{Action, Change, ChangeUnit, Desired, Plan, Skip};
use crate::registry::CurrentState;

/// What a pass's plans said, gathered slice by slice for the metrics, the log
/// and the reporter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassSummary {
    /// Zone records that are not ownership records, by type.
    pub zone_records: BTreeMap<RecordType, i64>,
    /// The zone's endpoints (records grouped by name and type).
    pub zone_endpoints: usize,
    /// Endpoints the sources asked for.
    pub desired_endpoints: usize,
    /// Targets the sources asked for, by record type.
    pub source_records: BTreeMap<RecordType, i64>,
    /// Endpoints already as desired, by record type.
    pub in_sync_by_type: BTreeMap<RecordType, usize>,
    pub skipped: Vec<Skip>,
    /// Endpoint changes planned, by action.
    pub changes_by_action: BTreeMap<Action, usize>,
    /// Change units planned.
    pub units: usize,
    /// The changes planned, without their endpoints: kept only when the
    /// reporter tells objects about their records (`--events-emit`).
    pub changes: Vec<Change>,
}

impl PassSummary {
    /// Counts a slice of the zone.
    pub fn add_current(&mut self, current: &CurrentState<'_>) {
        for c in &current.endpoints {
            *self.zone_records.entry(c.endpoint.record_type).or_default() += c.records.len() as i64;
        }
        self.zone_endpoints += current.endpoints.len();
    }

    /// Counts a slice of the desired endpoints.
    pub fn add_desired(&mut self, desired: &Desired) {
        self.desired_endpoints += desired.endpoints.len();
        for e in &desired.endpoints {
            *self.source_records.entry(e.record_type).or_default() += e.targets.len() as i64;
        }
    }

    /// Takes a slice's plan: keeps what the pass reports (the changes too when
    /// `keep_changes`) and returns the units to apply.
    pub fn add_plan(&mut self, plan: Plan, keep_changes: bool) -> Vec<ChangeUnit> {
        for (t, n) in plan.in_sync_by_type {
            *self.in_sync_by_type.entry(t).or_default() += n;
        }
        self.skipped.extend(plan.skipped);
        self.units += plan.units.len();
        for change in plan.units.iter().flat_map(|u| &u.changes) {
            *self.changes_by_action.entry(change.action).or_default() += 1;
            if keep_changes {
                self.changes.push(Change {
                    action: change.action,
                    key: change.key.clone(),
                    before: None,
                    after: None,
                    resource: change.resource.clone(),
                    reason: change.reason.clone(),
                });
            }
        }
        plan.units
    }

    /// Endpoint changes of one action.
    pub fn count(&self, action: Action) -> usize {
        self.changes_by_action.get(&action).copied().unwrap_or(0)
    }

    /// Whether the pass planned any write.
    pub fn has_changes(&self) -> bool {
        self.units > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
    use crate::plan::{PlanConfig, compute};
    use crate::registry::txt::{TxtRegistry, TxtRegistryConfig};

    /// Two slices' plans: one creates a name, the other finds one in sync.
    fn plans() -> (Plan, Plan) {
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            ..Default::default()
        })
        .unwrap();
        let config = PlanConfig {
            zones: vec![Zone {
                id: "z".to_string(),
                name: "example.com".to_string(),
                paid_plan: false,
            }],
            ..Default::default()
        };
        let endpoint = |name: &str| {
            Endpoint::new(name, RecordType::A, ["192.0.2.1"])
                .unwrap()
                .with_label("resource", "ingress/default/web")
        };
        let heritage = "\"heritage=external-dns,external-dns/owner=me,external-dns/resource=ingress/default/web\"";
        let records = vec![
            ZoneRecord::new("1", "z", "b.example.com", RecordType::A, "192.0.2.1"),
            ZoneRecord::new("2", "z", "a-b.example.com", RecordType::Txt, heritage),
        ];
        let new = compute(
            vec![endpoint("a.example.com")],
            &registry.resolve(&[]),
            &registry,
            &config,
        );
        let same = compute(
            vec![endpoint("b.example.com")],
            &registry.resolve(&records),
            &registry,
            &config,
        );
        (new, same)
    }

    #[test]
    fn slices_add_up_and_changes_are_kept_only_when_asked() {
        let (new, same) = plans();
        let mut summary = PassSummary::default();
        let units = summary.add_plan(new.clone(), false);
        assert_eq!(units, new.units);
        summary.add_plan(same.clone(), false);
        assert_eq!(summary.count(Action::Create), 1);
        assert_eq!(summary.units, 1);
        assert_eq!(summary.in_sync_by_type.get(&RecordType::A), Some(&1));
        assert!(summary.changes.is_empty());

        let mut told = PassSummary::default();
        told.add_plan(new, true);
        let change = &told.changes[0];
        assert_eq!(change.action, Action::Create);
        assert_eq!(change.resource.as_deref(), Some("ingress/default/web"));
        // Without the endpoints, which only the log needed.
        assert!(change.before.is_none() && change.after.is_none());
    }
}
