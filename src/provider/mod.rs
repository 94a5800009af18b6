//! DNS providers: where planned changes are applied, behind one seam
//! ([`ZoneStore`]) that the reconcile pass (`crate::reconcile`) runs against:
//! Cloudflare over HTTP in production, the in-memory store for
//! `--provider=inmemory` and for tests of the pass without HTTP.

pub mod cloudflare;
pub mod inmemory;

use std::future::Future;

pub use self::cloudflare::apply::{ApplyReport, BatchSent, RefusedUnit};
pub use self::cloudflare::client::CallCounts;
use crate::endpoint::{Zone, ZoneRecord};
use crate::plan::ChangeUnit;

/// A store of zone records that a reconcile pass reads and writes.
pub trait ZoneStore {
    /// Why the zone could not be read.
    type ReadError: std::error::Error + Send + Sync + 'static;

    /// Every record of the zones, in the chunks they were read in (a page).
    fn read_pages(
        &self,
        zones: &[Zone],
    ) -> impl Future<Output = Result<Vec<Vec<ZoneRecord>>, Self::ReadError>> + Send;

    /// Applies change units, each atomically; says what was written,
    /// deleted, refused, and whether the zone must be read again.
    fn apply(
        &self,
        units: &[ChangeUnit],
        zones: &[Zone],
    ) -> impl Future<Output = ApplyReport> + Send;

    /// Splits units into those that can be sent now and those that should
    /// wait for later units to fill their batch (a store without batches
    /// sends everything at once).
    fn split_ready(
        &self,
        units: Vec<ChangeUnit>,
        zones: &[Zone],
    ) -> (Vec<ChangeUnit>, Vec<ChangeUnit>);

    /// The calls made to the store so far, by kind.
    fn calls(&self) -> CallCounts;
}

/// A borrowed store is a store: a pass can run against a store its caller
/// keeps using.
impl<S: ZoneStore + Sync> ZoneStore for &S {
    type ReadError = S::ReadError;

    fn read_pages(
        &self,
        zones: &[Zone],
    ) -> impl Future<Output = Result<Vec<Vec<ZoneRecord>>, Self::ReadError>> + Send {
        (**self).read_pages(zones)
    }

    fn apply(
        &self,
        units: &[ChangeUnit],
        zones: &[Zone],
    ) -> impl Future<Output = ApplyReport> + Send {
        (**self).apply(units, zones)
    }

    fn split_ready(
        &self,
        units: Vec<ChangeUnit>,
        zones: &[Zone],
    ) -> (Vec<ChangeUnit>, Vec<ChangeUnit>) {
        (**self).split_ready(units, zones)
    }

    fn calls(&self) -> CallCounts {
        (**self).calls()
    }
}
