//! The planner: desired endpoints × current records → the changes to make.
//!
//! Pure: no I/O, no clock. The same planner serves the controller, `flaredns
//! plan` and the sandbox. It follows ExternalDNS's planner (conflict resolution,
//! policies, ownership) and adds Cloudflare's normalisation so that nothing
//! flaps, and it groups every change to one name, records and ownership TXT
//! records together, into one [`ChangeUnit`] so that the client can keep it in
//! one atomic batch.
//!
//! The rules it never breaks (DESIGN.md invariants 1–4):
//! - only records owned through this controller's TXT records are updated or
//!   deleted; records of other owners and unowned records are never touched;
//! - nothing outside the domain filters is created, updated or deleted;
//! - `upsert-only` never deletes, `create-only` never updates or deletes;
//! - planning against the result of applying a plan gives an empty plan.

mod current;
mod desired;
mod diff;
pub mod report;
pub mod slices;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::endpoint::{Endpoint, EndpointKey, RecordType, Zone, ZoneRecord};
use crate::filter::{DomainFilter, TargetNetFilter};
use crate::record::RecordData;
use crate::registry::CurrentState;
use crate::registry::txt::TxtRegistry;

/// `--policy`: which kinds of change are allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Create, update and delete.
    #[default]
    Sync,
    /// Create and update; never delete.
    UpsertOnly,
    /// Create only.
    CreateOnly,
}

impl Policy {
    pub fn allows(self, action: Action) -> bool {
        matches!(
            (self, action),
            (_, Action::Create) | (Policy::Sync, _) | (Policy::UpsertOnly, Action::Update)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Sync => "sync",
            Policy::UpsertOnly => "upsert-only",
            Policy::CreateOnly => "create-only",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the planner needs besides the endpoints and the zone.
#[derive(Clone, Debug)]
pub struct PlanConfig {
    pub policy: Policy,
    pub domain_filter: DomainFilter,
    pub target_net_filter: TargetNetFilter,
    /// `--managed-record-types` less `--exclude-record-types`.
    pub managed_types: Vec<RecordType>,
    /// The zones flaredns may write into; a name in none of them is skipped.
    pub zones: Vec<Zone>,
    /// `--cloudflare-proxied`.
    pub proxied_by_default: bool,
    /// `--cloudflare-record-comment`.
    pub default_comment: Option<String>,
    /// `--min-ttl`: fills TTLs that are not configured.
    pub min_ttl: Option<u32>,
    /// `--registry=noop`: no ownership records; every record of a managed type in
    /// the zones is managed, and no TXT record is written.
    pub without_ownership: bool,
    /// Whether the plan lists every endpoint that is already in sync, with why
    /// (`flaredns plan` shows them). The controller only needs their number,
    /// which saves a record per name on every pass.
    pub list_in_sync: bool,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            policy: Policy::Sync,
            domain_filter: DomainFilter::default(),
            target_net_filter: TargetNetFilter::default(),
            managed_types: vec![RecordType::A, RecordType::Aaaa, RecordType::Cname],
            zones: Vec::new(),
            proxied_by_default: false,
            default_comment: None,
            min_ttl: None,
            without_ownership: false,
            list_in_sync: true,
        }
    }
}

/// What happens to an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        })
    }
}

/// A record to write, in the provider's terms (one content per record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: RecordType,
    #[serde(flatten)]
    pub data: RecordData,
}

/// One provider call's worth of change to one record. The zone's records are
/// boxed so that an operation, most often a create, is no larger than a
/// create needs (an initial sync holds one per record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum RecordOp {
    Create {
        record: RecordSpec,
    },
    /// Change fields of an existing record; `before` carries its id.
    Update {
        before: Box<ZoneRecord>,
        after: RecordSpec,
    },
    Delete {
        record: Box<ZoneRecord>,
    },
}

impl RecordOp {
    /// The record type the operation is about.
    pub fn record_type(&self) -> RecordType {
        match self {
            RecordOp::Create { record } => record.record_type,
            RecordOp::Update { after, .. } => after.record_type,
            RecordOp::Delete { record } => record.record_type,
        }
    }

    /// Whether this operation writes an ownership TXT record.
    pub fn is_ownership(&self) -> bool {
        self.record_type() == RecordType::Txt
    }
}

/// One endpoint-level change, for people: what, why, and for which object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub action: Action,
    pub key: EndpointKey,
    /// Boxed, like `after`: a change has one or both, and a plan holds a
    /// change per name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<Endpoint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Box<Endpoint>>,
    /// The object that asks for (or last asked for) the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
}

/// Every change to one name, records and ownership TXT records together: the
/// unit the client never splits across batches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeUnit {
    pub zone_id: String,
    pub zone_name: String,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub set_identifier: String,
    pub changes: Vec<Change>,
    /// In the order Cloudflare's batch runs them: deletes, updates, creates.
    pub operations: Vec<RecordOp>,
}

/// Why a desired endpoint (or a record) is left alone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SkipReason {
    /// A TXT record names another owner id.
    ForeignOwner { owner: String },
    /// A record without an ownership TXT record holds the name.
    UnownedRecord,
    /// The name is outside `--domain-filter` / inside `--exclude-domains`.
    OutsideDomainFilter,
    /// No zone flaredns can see holds the name.
    NoZone,
    /// The record type is not in `--managed-record-types` (or is excluded).
    UnmanagedType,
    /// Another object's endpoint for the same name and type won.
    LostConflict { winner: String },
    /// Nothing left to publish (no targets, or all filtered out).
    NoTargets,
    /// No ownership TXT record can be written next to the record, so flaredns
    /// will not create it (it could never manage or delete it).
    NoOwnershipRecord,
    /// The policy does not allow this change.
    Policy { action: Action },
    /// The object that published the record has a field flaredns could not use;
    /// what it published stays as it is until the object is fixed.
    HeldForInvalidObject,
    /// The object's records depend on cluster data (nodes, pods,
    /// EndpointSlices) that is not listed yet; they stay as they are until it is.
    HeldAwaitingClusterData,
}

/// Why an object's published records are held (see [`Desired`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HoldReason {
    /// The object has a field flaredns skipped.
    InvalidField,
    /// The cluster data its records depend on is not listed yet.
    AwaitingClusterData,
}

impl HoldReason {
    /// The reason a skip of a held object's record reports.
    pub fn skip_reason(self) -> SkipReason {
        match self {
            HoldReason::InvalidField => SkipReason::HeldForInvalidObject,
            HoldReason::AwaitingClusterData => SkipReason::HeldAwaitingClusterData,
        }
    }

    /// Why, in words, after the object's name.
    pub fn explanation(self) -> &'static str {
        match self {
            HoldReason::InvalidField => "has a field flaredns could not use",
            HoldReason::AwaitingClusterData => {
                "depends on nodes, pods or EndpointSlices that are not listed yet"
            }
        }
    }
}

/// An endpoint (or current record) the plan leaves alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub key: EndpointKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: SkipReason,
    pub detail: String,
}

/// An endpoint that already is as desired: adopted or unchanged, no write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InSync {
    pub key: EndpointKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub detail: String,
}

/// A value flaredns adjusted to what Cloudflare accepts, so that it does not flap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub key: EndpointKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
}

/// The result of planning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub units: Vec<ChangeUnit>,
    pub skipped: Vec<Skip>,
    /// Empty unless [`PlanConfig::list_in_sync`].
    pub in_sync: Vec<InSync>,
    /// Endpoints in sync, by record type (always counted).
    #[serde(skip)]
    pub in_sync_by_type: BTreeMap<RecordType, usize>,
    pub adjustments: Vec<Adjustment>,
}

impl Plan {
    /// Endpoints that are already as desired.
    pub fn in_sync_count(&self) -> usize {
        self.in_sync_by_type.values().sum()
    }

    /// Whether the plan writes anything.
    pub fn has_changes(&self) -> bool {
        !self.units.is_empty()
    }

    /// Number of record operations (what a batch counts).
    pub fn operation_count(&self) -> usize {
        self.units.iter().map(|u| u.operations.len()).sum()
    }

    /// Endpoint changes of one action.
    pub fn count(&self, action: Action) -> usize {
        self.units
            .iter()
            .flat_map(|u| &u.changes)
            .filter(|c| c.action == action)
            .count()
    }
}

/// What the sources ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    /// Every endpoint the sources produced; several objects may ask for the same
    /// name (conflicts are resolved by the planner, deterministically).
    pub endpoints: Vec<Endpoint>,
    /// `resource` labels of objects whose published records stay as they are,
    /// and why: a field flaredns skipped (an invalid hostname or target), so a
    /// typo in a manifest cannot take a name off the internet (invariant 6), or
    /// cluster data the object's records depend on not listed yet.
    pub held_resources: BTreeMap<String, HoldReason>,
}

impl From<Vec<Endpoint>> for Desired {
    fn from(endpoints: Vec<Endpoint>) -> Self {
        Desired {
            endpoints,
            held_resources: BTreeMap::new(),
        }
    }
}

/// Plans the changes that bring `current` (the zone as the registry resolved it)
/// to `desired`.
pub fn compute(
    desired: impl Into<Desired>,
    current: &CurrentState,
    registry: &TxtRegistry,
    config: &PlanConfig,
) -> Plan {
    let desired = desired.into();
    let mut plan = Plan::default();
    let current_rows = current::current_rows(current, config);
    let desired_rows = desired::prepare(
        desired.endpoints,
        &desired.held_resources,
        &current_rows,
        config,
        &mut plan,
    );
    let context = diff::Context {
        registry,
        config,
        dangling: diff::dangling_by_name(&current.dangling_ownership),
        held_resources: &desired.held_resources,
        claims: diff::count_claims(current),
    };
    diff::diff_rows(desired_rows, current_rows, &context, &mut plan);
    plan
}
