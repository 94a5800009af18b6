//! Scenario: adoption of a zone ExternalDNS v0.14 manages. The zone already
//! holds, for every hostname of the workload, the record, the legacy TXT
//! record and the `a-` TXT record under the same owner id; flaredns starts and
//! should find nothing to write.

use std::time::Duration;

use flaredns::sandbox::PlanTier;
use serde::Serialize;

use super::super::world::ZONE;
use super::ScaleError;
use super::figures::Calls;
use super::run::{ControllerSettings, Run};
use super::workload::{Workload, externaldns_v014_zone};

const LIMIT: Duration = Duration::from_secs(300);
/// Records handed to the sandbox per call while the zone is pre-loaded.
const LOAD_CHUNK: usize = 3_000;

/// What adoption measured.
#[derive(Clone, Debug, Serialize)]
pub struct Adoption {
    pub hostnames: usize,
    /// Records in the zone before flaredns starts (3 per hostname).
    pub records: usize,
    /// Calls up to the end of the first pass.
    pub calls: Calls,
    /// `ceil(records / per_page)`.
    pub expected_lists: u64,
    pub ready_seconds: f64,
    pub wall_seconds: f64,
    /// Records in the zone afterwards (unchanged when nothing was written).
    pub records_after: usize,
}

/// Builds a world whose zone ExternalDNS v0.14 manages for `hostnames`
/// hostnames and lets flaredns take it over.
pub async fn adoption(
    hostnames: usize,
    settings: ControllerSettings,
) -> Result<Adoption, ScaleError> {
    let workload = Workload::hostnames(hostnames);
    let per_page = settings.per_page;
    let mut run = Run::new(workload, PlanTier::Free, settings).await?;
    let zone = externaldns_v014_zone(&workload);
    let records = zone.len();
    let mut zone = zone.into_iter().peekable();
    while zone.peek().is_some() {
        let chunk: Vec<_> = zone.by_ref().take(LOAD_CHUNK).collect();
        run.world
            .cloudflare
            .put_records(ZONE, chunk)
            .map_err(|e| ScaleError::Fake(e.to_string()))?;
    }
    run.start(&[]);
    let ready = run.until_ready(LIMIT).await?;
    let wall = run.until_passes(1, LIMIT).await?;
    let calls = Calls::of(&run.call_log());
    let records_after = run
        .world
        .cloudflare
        .records(ZONE)
        .map_err(|e| ScaleError::Fake(e.to_string()))?
        .len();
    run.stop();
    Ok(Adoption {
        hostnames,
        records,
        calls,
        expected_lists: records.div_ceil(per_page.max(1) as usize).max(1) as u64,
        ready_seconds: ready.as_secs_f64(),
        wall_seconds: wall.as_secs_f64(),
        records_after,
    })
}
