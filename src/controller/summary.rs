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
