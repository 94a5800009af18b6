//! Ownership: which records in the zone flaredns may change.
//!
//! ExternalDNS keeps ownership in TXT records next to the records it manages
//! (`registry::txt`). The registry reads the zone's records, attaches to every
//! other record the owner its TXT records name, and produces the TXT records to
//! write for new records. The planner only ever changes records that resolve to
//! [`Ownership::Owned`].

pub mod txt;

use serde::Serialize;

use crate::endpoint::{Endpoint, ZoneRecord};

/// Labels stored in an ownership TXT record (`owner`, `resource`, …).
pub type Labels = crate::endpoint::Labels;

/// Who owns a record, according to the TXT records that cover it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "owner", rename_all = "kebab-case")]
pub enum Ownership {
    /// A TXT record names this controller's `--txt-owner-id` (or the owner given to
    /// `--migrate-from-txt-owner`).
    Owned,
    /// A TXT record names another owner id.
    Foreign(String),
    /// No ownership TXT record covers the record: created by hand or by another tool.
    Unowned,
}

/// The two TXT name formats ExternalDNS has written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxtFormat {
    /// `<type>-<name>` (all versions; the only one written since ExternalDNS v0.18).
    New,
    /// The record's own name (ExternalDNS up to v0.17); read as a fallback.
    Legacy,
}

/// A heritage TXT record, decoded. It borrows the record from the zone's
/// records: resolving a zone copies none of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnershipRecord<'z> {
    pub record: &'z ZoneRecord,
    pub format: TxtFormat,
    /// Decoded labels; an encrypted value keeps its nonce under
    /// `txt-encryption-nonce` so that it can be reproduced.
    pub labels: Labels,
}

/// The records of one endpoint key (name, type, set identifier) as the zone holds
/// them, with their ownership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CurrentEndpoint<'z> {
    /// The records grouped as one endpoint: targets are the normalised contents,
    /// `ttl` the first record's TTL, Cloudflare properties from the first record,
    /// labels from the ownership TXT record that decided ownership.
    pub endpoint: Endpoint,
    /// The provider records behind the endpoint, one per target.
    pub records: Vec<&'z ZoneRecord>,
    pub ownership: Ownership,
    /// Every heritage TXT record that claims this endpoint, new format first.
    pub ownership_records: Vec<OwnershipRecord<'z>>,
}

/// The zone as the registry sees it, borrowing the zone's records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CurrentState<'z> {
    /// Every record that is not a heritage TXT record, grouped by endpoint key,
    /// sorted by key.
    pub endpoints: Vec<CurrentEndpoint<'z>>,
    /// Heritage TXT records that claim no existing record.
    pub dangling_ownership: Vec<OwnershipRecord<'z>>,
}
