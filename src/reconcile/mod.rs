//! The reconcile pass, the only one: read the zone (or reuse the view kept
//! since the last read), then resolve ownership and plan slice by slice (see
//! [`crate::plan::slices`]), sending each slice's complete batches before the
//! next slice is planned. A pass holds one slice's plan and sends the same
//! batches a plan of the whole zone would.
//!
//! It runs against any [`ZoneStore`] (Cloudflare, or the in-memory store) and
//! any [`DesiredSource`] (the controller's state, or a fixed [`Desired`]). The
//! controller runs it on every change and resync; `flaredns sandbox`, live
//! `flaredns plan` (a dry run), the tests and the benchmarks run it through
//! [`converge`]. It returns what it planned and applied as values
//! ([`PassReport`]); metrics, Events and status are the caller's.

mod summary;
mod view;

use std::time::Instant;

use serde::Serialize;

pub use self::summary::PassSummary;
pub use self::view::ZoneView;
use crate::plan::slices::{SlicedZone, Slicing};
use crate::plan::{self, Action, Desired, Plan, PlanConfig};
use crate::provider::{ApplyReport, CallCounts, ZoneStore};
use crate::registry::txt::TxtRegistry;

/// Where a pass takes the desired endpoints from, one slice at a time.
pub trait DesiredSource {
    /// How many endpoints there are in all (to size the slices).
    fn endpoint_count(&self) -> usize;

    /// The endpoints of slice `slice` of `zone`, with every object whose
    /// records must be held.
    fn desired_in_slice(
        &self,
        zone: &SlicedZone<'_>,
        registry: &TxtRegistry,
        slice: u64,
    ) -> Desired;
}

impl DesiredSource for Desired {
    fn endpoint_count(&self) -> usize {
        self.endpoints.len()
    }

    fn desired_in_slice(
        &self,
        zone: &SlicedZone<'_>,
        registry: &TxtRegistry,
        slice: u64,
    ) -> Desired {
        Desired {
            endpoints: self
                .endpoints
                .iter()
                .filter(|e| zone.plans(registry, slice, &e.dns_name))
                .cloned()
                .collect(),
            held_resources: self.held_resources.clone(),
        }
    }
}

/// How a pass behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassOptions {
    /// Plan only (`--dry-run`, `flaredns plan`).
    pub dry_run: bool,
    /// Names per slice (`--plan-slice-size`).
    pub slice_size: usize,
    /// Keep every slice's plan whole and return it ([`PassReport::plan`]):
    /// what `flaredns plan` and the sandbox print. The controller keeps only
    /// the summary.
    pub keep_plan: bool,
    /// Keep the changes (without their endpoints) in the summary, for the
    /// Events that tell objects about their records.
    pub keep_changes: bool,
}

/// How a pass ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassOutcome {
    /// The zone is as desired.
    Converged,
    /// The store refused some changes for what they asked: the same request
    /// would be refused again, so only a change of the objects (or the next
    /// full resync) tries again.
    Refused,
    /// The zone could not be read, or a write failed or went unanswered:
    /// retried after a fresh read.
    Failed,
}

/// What one pass did.
#[derive(Clone, Debug, Serialize)]
pub struct PassReport {
    pub outcome: PassOutcome,
    /// Counts, skips and (when kept) changes, gathered slice by slice.
    #[serde(skip)]
    pub summary: PassSummary,
    /// Every slice's plan, merged, when [`PassOptions::keep_plan`].
    pub plan: Option<Plan>,
    /// What applying did (nothing on a dry run).
    pub applied: ApplyReport,
    /// Records in the zone view the pass planned against.
    pub records_read: usize,
    /// Whether the zone was read (not the kept view).
    pub full_read: bool,
    pub slices: u64,
    /// When the first batch went out, if one did.
    #[serde(skip)]
    pub first_apply: Option<Instant>,
    /// Calls the pass made to the store.
    pub calls: CallCounts,
    /// Why the zone could not be read, when it could not.
    pub read_error: Option<String>,
}

/// A reconcile pass and what it keeps between passes: the zone view.
pub struct Reconciler<S> {
    pub store: S,
    pub registry: TxtRegistry,
    pub plan_config: PlanConfig,
    pub options: PassOptions,
    /// The zone as of the last read plus this reconciler's own writes since.
    view: Option<ZoneView>,
}

impl<S: ZoneStore> Reconciler<S> {
    pub fn new(
        store: S,
        registry: TxtRegistry,
        plan_config: PlanConfig,
        options: PassOptions,
    ) -> Self {
        Reconciler {
            store,
            registry,
            plan_config,
            options,
            view: None,
        }
    }

    /// Forgets the zone view: the next pass reads the zone (a standby's view
    /// goes stale while the leader writes).
    pub fn forget_view(&mut self) {
        self.view = None;
    }

    /// One pass: read (when `full` or no view is kept), then plan and apply
    /// slice by slice.
    pub async fn pass(&mut self, desired: &impl DesiredSource, full: bool) -> PassReport {
        let started = Instant::now();
        let calls_before = self.store.calls();
        let full_read = full || self.view.is_none();
        if full_read {
            // The old view goes first: two copies of a large zone would double
            // the peak.
            self.view = None;
            match self.store.read_pages(&self.plan_config.zones).await {
                Ok(pages) => self.view = Some(ZoneView::from_chunks(pages)),
                Err(error) => {
                    tracing::error!(%error, "cannot read the zone");
                    return PassReport {
                        outcome: PassOutcome::Failed,
                        summary: PassSummary::default(),
                        plan: None,
                        applied: ApplyReport::default(),
                        records_read: 0,
                        full_read,
                        slices: 0,
                        first_apply: None,
                        calls: self.store.calls().since(&calls_before),
                        read_error: Some(error.to_string()),
                    };
                }
            }
        }
        // The registry and the planner read the view in place; it takes this
        // pass's writes once they are done with it.
        let view = self.view.take().unwrap_or_default();
        let records_read = view.len();
        // A name has a record and its ownership record, or is yet to be made.
        let names = (records_read / 2).max(desired.endpoint_count());
        let slicing = Slicing::for_names(names, self.options.slice_size);
        let zone = SlicedZone::new(&self.registry, view.iter(), slicing);
        let zones = &self.plan_config.zones;
        let dry_run = self.options.dry_run;
        let mut summary = PassSummary::default();
        let mut whole_plan = self.options.keep_plan.then(Plan::default);
        let mut applied = ApplyReport::default();
        let mut first_apply = None;
        // What each apply wrote, kept apart for the view (see `ZoneView`).
        let mut written = Vec::new();
        // Units whose batch is not full yet: they wait for the next slice's.
        let mut waiting = Vec::new();
        for slice in 0..slicing.count() {
            let current = zone.resolve(&self.registry, slice);
            let slice_desired = desired.desired_in_slice(&zone, &self.registry, slice);
            summary.add_current(&current);
            summary.add_desired(&slice_desired);
            let plan = plan::compute(slice_desired, &current, &self.registry, &self.plan_config);
            drop(current);
            log_changes(&plan, dry_run);
            let units = match whole_plan.as_mut() {
                // The summary takes a copy and hands back its units; the plan
                // itself joins the whole plan.
                Some(whole) => {
                    let units = summary.add_plan(plan.clone(), self.options.keep_changes);
                    merge_plan(whole, plan);
                    units
                }
                None => summary.add_plan(plan, self.options.keep_changes),
            };
            waiting.extend(units);
            let last = slice + 1 == slicing.count();
            // After a failed write nothing more is sent; the slices are still
            // planned, so that the metrics and the log see the whole zone.
            if dry_run || applied.must_stop() {
                waiting.clear();
                continue;
            }
            let ready = if last {
                std::mem::take(&mut waiting)
            } else {
                let (ready, rest) = self.store.split_ready(std::mem::take(&mut waiting), zones);
                waiting = rest;
                ready
            };
            if ready.is_empty() {
                continue;
            }
            let mut report = self.store.apply(&ready, zones).await;
            first_apply.get_or_insert_with(Instant::now);
            written.push(std::mem::take(&mut report.written));
            applied.absorb(report);
        }
        drop(waiting);
        drop(zone);
        if let Some(error) = &applied.stopped {
            tracing::warn!(%error, applied = applied.applied, "applying stopped early");
        }
        if applied.must_stop() {
            // The zone is read again before anything else is planned.
            self.view = None;
        } else {
            let mut view = view;
            view.update(&applied.deleted, written);
            self.view = Some(view);
        }
        let calls = self.store.calls().since(&calls_before);
        let converged =
            applied.refused.is_empty() && applied.stopped.is_none() && !applied.needs_reread;
        tracing::info!(
            desired = summary.desired_endpoints,
            current = records_read,
            created = summary.count(Action::Create),
            updated = summary.count(Action::Update),
            deleted = summary.count(Action::Delete),
            refused = applied.refused.len(),
            batches = applied.batches.len(),
            calls = calls.total(),
            slices = slicing.count(),
            full_read,
            duration_ms = started.elapsed().as_millis() as u64,
            "reconciled"
        );
        let outcome = if applied.must_stop() {
            PassOutcome::Failed
        } else if converged {
            PassOutcome::Converged
        } else {
            PassOutcome::Refused
        };
        PassReport {
            outcome,
            summary,
            plan: whole_plan,
            applied,
            records_read,
            full_read,
            slices: slicing.count(),
            first_apply,
            calls,
            read_error: None,
        }
    }
}

/// Adds one slice's plan to the plan of the whole zone.
fn merge_plan(whole: &mut Plan, slice: Plan) {
    let Plan {
        units,
        skipped,
        in_sync,
        in_sync_by_type,
        adjustments,
    } = slice;
    whole.units.extend(units);
    whole.skipped.extend(skipped);
    whole.in_sync.extend(in_sync);
    for (record_type, n) in in_sync_by_type {
        *whole.in_sync_by_type.entry(record_type).or_default() += n;
    }
    whole.adjustments.extend(adjustments);
}

/// One log line per planned change.
fn log_changes(plan: &Plan, dry_run: bool) {
    for unit in &plan.units {
        for change in &unit.changes {
            let targets = change
                .after
                .as_ref()
                .or(change.before.as_ref())
                .map(|e| e.targets.join(","))
                .unwrap_or_default();
            tracing::info!(
                action = %change.action,
                name = %change.key.dns_name,
                r#type = %change.key.record_type,
                %targets,
                object = change.resource.as_deref().unwrap_or(""),
                dry_run,
                "{}",
                change.reason
            );
        }
    }
}

/// Passes [`converge`] may take when a write's outcome was unknown or the
/// zone view was stale: each reads the zone first, so none writes blindly.
pub const MAX_PASSES: usize = 3;

/// What [`converge`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ReconcileReport {
    /// The plan of the last pass.
    pub plan: Plan,
    /// What applying did, pass by pass.
    pub applied: Vec<ApplyReport>,
    /// Records read in the last pass.
    pub records_read: usize,
    /// Calls made to the store, all passes together.
    pub calls: CallCounts,
}

impl ReconcileReport {
    /// Whether the zone is as desired: the last reading needed no change, or the
    /// last apply went through whole (nothing refused, nothing left unknown).
    pub fn converged(&self) -> bool {
        !self.plan.has_changes()
            || self
                .applied
                .last()
                .is_some_and(|a| a.refused.is_empty() && !a.needs_reread && a.stopped.is_none())
    }
}

/// Why [`converge`] could not finish.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the zone: {0}")]
pub struct ReadFailed(pub String);

/// Runs full passes (each reads the zone) until one needs nothing re-read,
/// for at most [`MAX_PASSES`] passes that write, then (if the last still left
/// something unknown) plans once more without writing; with `dry_run` it plans
/// once. The zone is planned whole (one slice), since the plan is kept whole
/// anyway; the plan of the last pass is returned.
pub async fn converge<S: ZoneStore + Sync>(
    store: &S,
    registry: &TxtRegistry,
    plan_config: &PlanConfig,
    desired: &Desired,
    dry_run: bool,
) -> Result<ReconcileReport, ReadFailed> {
    let options = PassOptions {
        dry_run,
        slice_size: usize::MAX,
        keep_plan: true,
        keep_changes: false,
    };
    let mut reconciler = Reconciler::new(store, registry.clone(), plan_config.clone(), options);
    let before = reconciler.store.calls();
    let mut applied = Vec::new();
    let mut last = None;
    for pass in 0..=MAX_PASSES {
        if pass == MAX_PASSES {
            reconciler.options.dry_run = true;
        }
        let report = reconciler.pass(desired, true).await;
        if let Some(error) = report.read_error {
            return Err(ReadFailed(error));
        }
        let again = report.applied.needs_reread;
        let wrote = !report.applied.batches.is_empty() || report.applied.stopped.is_some();
        if wrote {
            applied.push(report.applied);
        }
        last = Some((report.plan.unwrap_or_default(), report.records_read));
        if reconciler.options.dry_run || !again {
            break;
        }
        tracing::info!("re-reading the zone before planning again");
    }
    let (plan, records_read) = last.unwrap_or_default();
    Ok(ReconcileReport {
        plan,
        applied,
        records_read,
        calls: reconciler.store.calls().since(&before),
    })
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::endpoint::{Endpoint, RecordType, Zone, ZoneRecord};
    use crate::provider::inmemory::{InMemoryStore, InMemoryZones};
    use crate::registry::txt::TxtRegistryConfig;

    fn zone() -> Zone {
        Zone {
            id: "z".to_string(),
            name: "example.com".to_string(),
            paid_plan: false,
        }
    }

    fn reconciler(records: Vec<ZoneRecord>, options: PassOptions) -> Reconciler<InMemoryStore> {
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            ..Default::default()
        })
        .unwrap();
        let plan_config = PlanConfig {
            zones: vec![zone()],
            ..Default::default()
        };
        let store = InMemoryStore::new(InMemoryZones::new(vec![zone()], records));
        Reconciler::new(store, registry, plan_config, options)
    }

    fn options(slice_size: usize) -> PassOptions {
        PassOptions {
            dry_run: false,
            slice_size,
            keep_plan: false,
            keep_changes: false,
        }
    }

    fn hosts(n: usize) -> Desired {
        (0..n)
            .map(|i| {
                Endpoint::new(&format!("h{i}.example.com"), RecordType::A, ["192.0.2.1"])
                    .unwrap()
                    .with_label("resource", "ingress/default/web")
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn contents(store: &InMemoryStore) -> Vec<(String, RecordType, String)> {
        let mut records: Vec<_> = store
            .records()
            .into_iter()
            .map(|r| (r.name.clone(), r.record_type, r.content().to_string()))
            .collect();
        records.sort();
        records
    }

    #[tokio::test]
    async fn a_pass_creates_then_the_next_writes_nothing_and_reads_nothing() {
        let mut r = reconciler(Vec::new(), options(1_000));
        let first = r.pass(&hosts(5), true).await;
        assert_eq!(first.outcome, PassOutcome::Converged);
        assert_eq!(first.summary.count(Action::Create), 5);
        assert_eq!((first.calls.list, first.calls.batch), (1, 1));
        // Each name: its A record and its ownership TXT record.
        assert_eq!(r.store.records().len(), 10);

        // The kept view has the writes: no read, nothing to do.
        let second = r.pass(&hosts(5), false).await;
        assert!(!second.full_read);
        assert!(!second.summary.has_changes());
        assert_eq!(second.calls.total(), 0);

        // A full pass reads once and still writes nothing.
        let third = r.pass(&hosts(5), true).await;
        assert!(!third.summary.has_changes());
        assert_eq!((third.calls.list, third.calls.batch), (1, 0));
    }

    #[tokio::test]
    async fn slices_write_what_one_plan_of_the_whole_zone_writes() {
        let mut whole = reconciler(Vec::new(), options(usize::MAX));
        let mut sliced = reconciler(Vec::new(), options(3));
        let desired = hosts(40);
        let one = whole.pass(&desired, true).await;
        let many = sliced.pass(&desired, true).await;
        assert_eq!(one.slices, 1);
        assert!(many.slices > 1);
        assert_eq!(contents(&whole.store), contents(&sliced.store));
        assert_eq!(one.summary.units, many.summary.units);

        // Fewer names now: the slices delete what the whole plan deletes.
        let fewer = hosts(25);
        whole.pass(&fewer, true).await;
        sliced.pass(&fewer, true).await;
        assert_eq!(contents(&whole.store), contents(&sliced.store));
        assert_eq!(whole.store.records().len(), 50);
    }

    #[tokio::test]
    async fn a_dry_run_plans_everything_and_writes_nothing() {
        let mut r = reconciler(
            Vec::new(),
            PassOptions {
                dry_run: true,
                keep_plan: true,
                ..options(2)
            },
        );
        let report = r.pass(&hosts(7), true).await;
        assert_eq!(report.calls.batch, 0);
        assert!(r.store.records().is_empty());
        let plan = report.plan.expect("kept");
        assert_eq!(plan.count(Action::Create), 7);
        assert_eq!(report.summary.count(Action::Create), 7);
    }

    /// A store whose zone cannot be read.
    struct Unreadable;

    #[derive(Debug, thiserror::Error)]
    #[error("the zone is gone")]
    struct Gone;

    impl ZoneStore for Unreadable {
        type ReadError = Gone;
        async fn read_pages(&self, _: &[Zone]) -> Result<Vec<Vec<ZoneRecord>>, Gone> {
            Err(Gone)
        }
        async fn apply(&self, _: &[plan::ChangeUnit], _: &[Zone]) -> ApplyReport {
            unreachable!("nothing is applied without a read")
        }
        fn split_ready(
            &self,
            units: Vec<plan::ChangeUnit>,
            _: &[Zone],
        ) -> (Vec<plan::ChangeUnit>, Vec<plan::ChangeUnit>) {
            (units, Vec::new())
        }
        fn calls(&self) -> CallCounts {
            CallCounts::default()
        }
    }

    #[tokio::test]
    async fn an_unreadable_zone_fails_the_pass_and_writes_nothing() {
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            ..Default::default()
        })
        .unwrap();
        let config = PlanConfig {
            zones: vec![zone()],
            ..Default::default()
        };
        let mut r = Reconciler::new(Unreadable, registry.clone(), config.clone(), options(10));
        let report = r.pass(&hosts(3), true).await;
        assert_eq!(report.outcome, PassOutcome::Failed);
        assert_eq!(report.read_error.as_deref(), Some("the zone is gone"));
        let error = converge(&Unreadable, &registry, &config, &hosts(3), false)
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "cannot read the zone: the zone is gone");
    }

    #[tokio::test]
    async fn converge_applies_once_and_returns_the_whole_plan() {
        let store = InMemoryStore::new(InMemoryZones::new(vec![zone()], Vec::new()));
        let registry = TxtRegistry::new(TxtRegistryConfig {
            owner_id: "me".to_string(),
            ..Default::default()
        })
        .unwrap();
        let config = PlanConfig {
            zones: vec![zone()],
            ..Default::default()
        };
        let report = converge(&store, &registry, &config, &hosts(4), false)
            .await
            .unwrap();
        assert!(report.converged());
        assert_eq!(report.plan.count(Action::Create), 4);
        assert_eq!(report.applied.len(), 1);
        assert_eq!((report.calls.list, report.calls.batch), (1, 1));
        let again = converge(&store, &registry, &config, &hosts(4), false)
            .await
            .unwrap();
        assert!(!again.plan.has_changes());
        assert!(again.applied.is_empty());
    }
}
