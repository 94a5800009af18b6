//! One reconcile pass: read the zones, resolve ownership, plan, apply. Shared by
//! `flaredns sandbox`, `flaredns plan` against a live zone, and the controller.

use serde::Serialize;

use crate::plan::{self, Desired, Plan, PlanConfig};
use crate::provider::cloudflare::Cloudflare;
use crate::provider::cloudflare::apply::ApplyReport;
use crate::provider::cloudflare::client::CallCounts;
use crate::provider::cloudflare::error::ApiError;
use crate::registry::txt::TxtRegistry;

/// Passes a reconcile may take when a write's outcome was unknown or the zone
/// view was stale: each re-reads the zone first, so none writes blindly.
pub const MAX_PASSES: usize = 3;

/// What one reconcile did.
#[derive(Clone, Debug, Serialize)]
pub struct ReconcileReport {
    /// The plan of the last pass.
    pub plan: Plan,
    /// What applying did, pass by pass.
    pub applied: Vec<ApplyReport>,
    /// Records read in the last pass.
    pub records_read: usize,
    /// Cloudflare calls made by this reconcile.
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

/// Reads, plans and (unless `dry_run`) applies, re-reading the zone when a
/// write's outcome was unknown.
pub async fn reconcile(
    provider: &Cloudflare,
    registry: &TxtRegistry,
    config: &PlanConfig,
    desired: &Desired,
    dry_run: bool,
) -> Result<ReconcileReport, ApiError> {
    let before = provider.client().counts();
    let mut applied = Vec::new();
    for _ in 0..MAX_PASSES {
        let records = provider.read(&config.zones).await?;
        let records_read = records.len();
        let state = registry.resolve(&records);
        let plan = plan::compute(desired.clone(), &state, registry, config);
        if dry_run || !plan.has_changes() {
            return Ok(ReconcileReport {
                plan,
                applied,
                records_read,
                calls: provider.client().counts().since(&before),
            });
        }
        let report = provider.apply(&plan.units, &config.zones).await;
        let again = report.needs_reread;
        applied.push(report);
        if !again {
            return Ok(ReconcileReport {
                plan,
                applied,
                records_read,
                calls: provider.client().counts().since(&before),
            });
        }
        tracing::info!("re-reading the zone before planning again");
    }
    let records = provider.read(&config.zones).await?;
    let records_read = records.len();
    let plan = plan::compute(
        desired.clone(),
        &registry.resolve(&records),
        registry,
        config,
    );
    Ok(ReconcileReport {
        plan,
        applied,
        records_read,
        calls: provider.client().counts().since(&before),
    })
}
