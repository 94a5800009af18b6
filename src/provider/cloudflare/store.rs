//! Cloudflare as a [`ZoneStore`]: the reconcile pass reads pages, sends
//! batches and asks which units can go together through these methods.

use super::Cloudflare;
use super::error::ApiError;
use crate::endpoint::{Zone, ZoneRecord};
use crate::plan::ChangeUnit;
use crate::provider::{ApplyReport, CallCounts, ZoneStore};

impl ZoneStore for Cloudflare {
    type ReadError = ApiError;

    async fn read_pages(&self, zones: &[Zone]) -> Result<Vec<Vec<ZoneRecord>>, ApiError> {
        Cloudflare::read_pages(self, zones).await
    }

    async fn apply(&self, units: &[ChangeUnit], zones: &[Zone]) -> ApplyReport {
        Cloudflare::apply(self, units, zones).await
    }

    fn split_ready(
        &self,
        units: Vec<ChangeUnit>,
        zones: &[Zone],
    ) -> (Vec<ChangeUnit>, Vec<ChangeUnit>) {
        Cloudflare::split_ready(self, units, zones)
    }

    fn calls(&self) -> CallCounts {
        self.client().counts()
    }
}
