//! Comparing desired and current, one name (a "row") at a time, and turning the
//! differences into record operations.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::endpoint::{Endpoint, RecordType, Zone, ZoneRecord, label};
use crate::record::RecordData;
use crate::registry::txt::{TxtRecord, TxtRegistry};
use crate::registry::{
    CurrentEndpoint, CurrentState, Labels, Ownership, OwnershipRecord, TxtFormat,
};

use super::current::{CurrentRow, CurrentRows};
use super::desired::{self, DesiredRow, DesiredRows};
use super::{
    Action, Change, ChangeUnit, HoldReason, InSync, Plan, PlanConfig, RecordOp, RecordSpec, Skip,
    SkipReason,
};

/// What every row is planned against.
pub struct Context<'a> {
    pub registry: &'a TxtRegistry,
    pub config: &'a PlanConfig,
    /// Heritage TXT records that claim no existing record, by name: the
    /// first of each name in the registry's order (see [`dangling_by_name`]).
    pub dangling: HashMap<&'a str, &'a OwnershipRecord<'a>>,
    /// Objects whose published records must not be deleted (see `plan::Desired`).
    pub held_resources: &'a BTreeMap<String, HoldReason>,
    /// How many endpoints of the whole zone each ownership record claims (a
    /// legacy TXT record claims every type at its name but AAAA), by record id.
    pub claims: HashMap<&'a str, usize>,
}

/// The ownership records that claim nothing, by name, the first of each
/// name kept: every new record looks its ownership record name up once.
pub fn dangling_by_name<'a>(
    dangling: &'a [OwnershipRecord<'a>],
) -> HashMap<&'a str, &'a OwnershipRecord<'a>> {
    let mut by_name = HashMap::with_capacity(dangling.len());
    for record in dangling {
        by_name.entry(record.record.name.as_str()).or_insert(record);
    }
    by_name
}

/// Counts, for every ownership record, the endpoints that rely on it.
pub fn count_claims<'a>(state: &'a CurrentState<'a>) -> HashMap<&'a str, usize> {
    let mut claims = HashMap::with_capacity(state.endpoints.len());
    for c in &state.endpoints {
        for o in &c.ownership_records {
            *claims.entry(&*o.record.id).or_insert(0) += 1;
        }
    }
    claims
}

/// Compares every row and records the result in `plan`: a merge of the two
/// sorted row lists.
pub fn diff_rows(
    desired: DesiredRows<'_>,
    current: CurrentRows<'_, '_>,
    context: &Context<'_>,
    plan: &mut Plan,
) {
    let mut desired = desired.into_iter().peekable();
    let mut current = current.into_rows().into_iter().peekable();
    loop {
        let order = match (desired.peek(), current.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(d), Some(c)) => d.key().cmp(&c.key()),
        };
        let (d, c) = match order {
            Ordering::Less => (desired.next(), None),
            Ordering::Greater => (None, current.next()),
            Ordering::Equal => (desired.next(), current.next()),
        };
        context.plan_row(d, c, plan);
    }
}

/// The operations of one row, kept apart so they can be emitted in batch order.
#[derive(Default)]
struct RowOps {
    changes: Vec<Change>,
    deletes: Vec<RecordOp>,
    updates: Vec<RecordOp>,
    creates: Vec<RecordOp>,
    /// Ownership records of deleted endpoints, once per endpoint that released
    /// them; deleted when every endpoint that claims them is deleted.
    released_ownership: Vec<ZoneRecord>,
}

impl Context<'_> {
    fn owned(&self, c: &CurrentEndpoint) -> bool {
        self.config.without_ownership || c.ownership == Ownership::Owned
    }

    fn plan_row(
        &self,
        desired: Option<DesiredRow<'_>>,
        current: Option<CurrentRow<'_, '_>>,
        plan: &mut Plan,
    ) {
        let (zone, name, set_identifier) = match (&desired, &current) {
            (Some(d), _) => (d.zone, d.key().0.to_string(), d.key().1.to_string()),
            (None, Some(c)) => (c.zone, c.key().0.to_string(), c.key().1.to_string()),
            (None, None) => return,
        };
        let mut desired_by_type = desired.map(|d| d.endpoints).unwrap_or_default();
        let current_by_type = current.map(|c| c.endpoints).unwrap_or_default();
        let blocker = current_by_type.iter().find(|c| !self.owned(c)).copied();
        let mut types: Vec<RecordType> = desired_by_type
            .iter()
            .map(|e| e.record_type)
            .chain(current_by_type.iter().map(|c| c.endpoint.record_type))
            .collect();
        types.sort_unstable();
        types.dedup();
        let mut ops = RowOps::default();
        for record_type in types {
            let d = desired_by_type
                .iter()
                .position(|e| e.record_type == record_type)
                .map(|i| desired_by_type.swap_remove(i));
            let c = current_by_type
                .iter()
                .find(|c| c.endpoint.record_type == record_type)
                .copied();
            match (d, c) {
                (Some(d), None) => match blocker {
                    Some(b) => plan.skipped.push(blocked(&d, b)),
                    None => self.plan_create(&d, zone, &mut ops, plan),
                },
                (None, Some(c)) => {
                    if !self.owned(c) {
                        continue;
                    }
                    if let Some((resource, hold)) = c
                        .endpoint
                        .resource()
                        .and_then(|r| self.held_resources.get_key_value(r))
                    {
                        plan.skipped.push(Skip {
                            key: c.endpoint.key(),
                            resource: Some(resource.to_string()),
                            reason: hold.skip_reason(),
                            detail: format!(
                                "{resource} {}; the record it published stays as it is",
                                hold.explanation()
                            ),
                        });
                    } else if self.config.policy.allows(Action::Delete) {
                        self.plan_delete(c, &mut ops);
                    } else {
                        plan.skipped.push(Skip {
                            key: c.endpoint.key(),
                            resource: c.endpoint.resource().map(str::to_string),
                            reason: SkipReason::Policy {
                                action: Action::Delete,
                            },
                            detail: format!(
                                "no object asks for it any more, but --policy={} never deletes",
                                self.config.policy
                            ),
                        });
                    }
                }
                (Some(d), Some(c)) => {
                    if !self.owned(c) {
                        plan.skipped.push(blocked(&d, c));
                        continue;
                    }
                    self.plan_update(&d, c, zone, &mut ops, plan);
                }
                (None, None) => {}
            }
        }
        let mut released: BTreeMap<String, (usize, ZoneRecord)> = BTreeMap::new();
        for record in ops.released_ownership.drain(..) {
            released
                .entry(record.id.to_string())
                .or_insert((0, record))
                .0 += 1;
        }
        for (id, (count, record)) in released {
            if self.claims.get(id.as_str()).copied().unwrap_or(0) <= count {
                ops.deletes.push(RecordOp::Delete {
                    record: Box::new(record),
                });
            }
        }
        if ops.deletes.is_empty() && ops.updates.is_empty() && ops.creates.is_empty() {
            return;
        }
        // Sized exactly: a unit usually holds one change and two operations,
        // and growth by doubling would leave room for four of each (2 KB per
        // name when an initial sync plans tens of thousands).
        let mut operations =
            Vec::with_capacity(ops.deletes.len() + ops.updates.len() + ops.creates.len());
        operations.append(&mut ops.deletes);
        operations.append(&mut ops.updates);
        operations.append(&mut ops.creates);
        let mut changes = ops.changes;
        changes.shrink_to_fit();
        plan.units.push(ChangeUnit {
            zone_id: zone.id.clone(),
            zone_name: zone.name.clone(),
            name,
            set_identifier,
            changes,
            operations,
        });
    }

    fn plan_create(&self, d: &Endpoint, zone: &Zone, ops: &mut RowOps, plan: &mut Plan) {
        let mut txt_ops = Vec::new();
        if !self.config.without_ownership {
            let txts = self.registry.txt_records_for(d);
            if let Some(reason) = self.unwritable_ownership(d, zone, &txts) {
                plan.skipped.push(Skip {
                    key: d.key(),
                    resource: d.resource().map(str::to_string),
                    reason: SkipReason::NoOwnershipRecord,
                    detail: reason,
                });
                return;
            }
            for txt in txts {
                match self.dangling.get(txt.name.as_str()).copied() {
                    Some(o)
                        if o.labels.get(label::OWNER).map(String::as_str)
                            == Some(self.registry.owner_id()) =>
                    {
                        // A leftover ownership record of ours: reuse it.
                        if strip_nonce(&o.labels) != self.desired_labels(d) {
                            txt_ops.push(RecordOp::Update {
                                before: Box::new(o.record.clone()),
                                after: txt_spec(&txt),
                            });
                        }
                    }
                    Some(o) => {
                        let owner = o.labels.get(label::OWNER).cloned().unwrap_or_default();
                        plan.skipped.push(Skip {
                            key: d.key(),
                            resource: d.resource().map(str::to_string),
                            detail: format!(
                                "the ownership record {} names owner {owner:?}",
                                o.record.name
                            ),
                            reason: SkipReason::ForeignOwner { owner },
                        });
                        return;
                    }
                    None => txt_ops.push(RecordOp::Create {
                        record: txt_spec(&txt),
                    }),
                }
            }
        }
        // Ownership first: even a unit too large for one batch never leaves a
        // record without its TXT record.
        for op in txt_ops {
            match op {
                RecordOp::Create { .. } => ops.creates.push(op),
                _ => ops.updates.push(op),
            }
        }
        for target in &d.targets {
            ops.creates.push(RecordOp::Create {
                record: record_spec(d, target),
            });
        }
        ops.changes.push(Change {
            action: Action::Create,
            key: d.key(),
            before: None,
            after: Some(Box::new(d.clone())),
            resource: d.resource().map(str::to_string),
            reason: match d.resource() {
                Some(r) => format!("asked for by {r}"),
                None => "asked for".to_string(),
            },
        });
    }

    /// Why the ownership records of `d` cannot be written, if they cannot.
    fn unwritable_ownership(
        &self,
        d: &Endpoint,
        zone: &Zone,
        txts: &[TxtRecord],
    ) -> Option<String> {
        if txts.is_empty() {
            return Some(format!(
                "no ownership TXT record can be named for {} (a label would exceed 63 characters); \
                 flaredns does not create records it could not own",
                d.dns_name
            ));
        }
        txts.iter().find(|t| !zone.contains(&t.name)).map(|t| {
            format!(
                "its ownership TXT record {} would fall outside zone {}; \
                 set a --txt-prefix ending in a dot, e.g. --txt-prefix=extdns-%{{record_type}}.",
                t.name, zone.name
            )
        })
    }

    fn plan_delete(&self, c: &CurrentEndpoint, ops: &mut RowOps) {
        for record in &c.records {
            ops.deletes.push(RecordOp::Delete {
                record: Box::new(ZoneRecord::clone(record)),
            });
        }
        ops.released_ownership
            .extend(c.ownership_records.iter().map(|o| o.record.clone()));
        ops.changes.push(Change {
            action: Action::Delete,
            key: c.endpoint.key(),
            before: Some(Box::new(c.endpoint.clone())),
            after: None,
            resource: c.endpoint.resource().map(str::to_string),
            reason: format!("no object asks for it any more; {}", ownership_detail(c)),
        });
    }

    fn plan_update(
        &self,
        d: &Endpoint,
        c: &CurrentEndpoint,
        zone: &Zone,
        ops: &mut RowOps,
        plan: &mut Plan,
    ) {
        let mut record_ops = Vec::new();
        let mut current_targets: BTreeMap<String, &ZoneRecord> = BTreeMap::new();
        for record in &c.records {
            match current_targets.entry(record.normalized_content()) {
                // A second record with the same content (Cloudflare refuses them,
                // but a zone may still hold one): keep one.
                std::collections::btree_map::Entry::Occupied(_) => {
                    record_ops.push(RecordOp::Delete {
                        record: Box::new(ZoneRecord::clone(record)),
                    })
                }
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(record);
                }
            }
        }
        for (content, record) in &current_targets {
            if !d.targets.contains(content) {
                record_ops.push(RecordOp::Delete {
                    record: Box::new((*record).clone()),
                });
            }
        }
        for (content, record) in &current_targets {
            if d.targets.contains(content) {
                let after = updated_spec(d, record, zone);
                if !record.data.differences(&after.data).is_empty() {
                    record_ops.push(RecordOp::Update {
                        before: Box::new((*record).clone()),
                        after,
                    });
                }
            }
        }
        for target in &d.targets {
            if !current_targets.contains_key(target) {
                record_ops.push(RecordOp::Create {
                    record: record_spec(d, target),
                });
            }
        }
        let owner_label = c.endpoint.labels.get(label::OWNER).map(String::as_str);
        let relabel =
            !self.config.without_ownership && owner_label != Some(self.registry.owner_id());
        if record_ops.is_empty() && !relabel {
            *plan.in_sync_by_type.entry(d.record_type).or_default() += 1;
            if self.config.list_in_sync {
                plan.in_sync.push(InSync {
                    key: d.key(),
                    resource: d.resource().map(str::to_string),
                    detail: ownership_detail(c),
                });
            }
            return;
        }
        if !self.config.policy.allows(Action::Update) {
            plan.skipped.push(Skip {
                key: d.key(),
                resource: d.resource().map(str::to_string),
                reason: SkipReason::Policy {
                    action: Action::Update,
                },
                detail: format!(
                    "differs ({}), but --policy={} never updates",
                    describe_difference(c, d, zone),
                    self.config.policy
                ),
            });
            return;
        }
        if !self.config.without_ownership {
            let mut with_ownership = self.ownership_updates(d, c, zone);
            with_ownership.append(&mut record_ops);
            record_ops = with_ownership;
        }
        for op in record_ops {
            match op {
                RecordOp::Delete { .. } => ops.deletes.push(op),
                RecordOp::Update { .. } => ops.updates.push(op),
                RecordOp::Create { .. } => ops.creates.push(op),
            }
        }
        let mut reason = describe_difference(c, d, zone);
        if relabel {
            reason.push_str(&format!(
                "; ownership moves from {:?} to {:?}",
                owner_label.unwrap_or_default(),
                self.registry.owner_id()
            ));
        }
        ops.changes.push(Change {
            action: Action::Update,
            key: d.key(),
            before: Some(Box::new(c.endpoint.clone())),
            after: Some(Box::new(d.clone())),
            resource: d.resource().map(str::to_string),
            reason: format!("{reason}; {}", ownership_detail(c)),
        });
    }

    /// The TXT writes that go with an update: the new-format ownership record is
    /// rewritten when its labels change, and written when only a legacy one exists.
    fn ownership_updates(&self, d: &Endpoint, c: &CurrentEndpoint, zone: &Zone) -> Vec<RecordOp> {
        let desired_labels = self.desired_labels(d);
        let mut ops = Vec::new();
        for txt in self.registry.txt_records_for(d) {
            let existing = c
                .ownership_records
                .iter()
                .find(|o| o.format == TxtFormat::New && o.record.name == txt.name);
            match existing {
                Some(o) if strip_nonce(&o.labels) == desired_labels => {}
                Some(o) => ops.push(RecordOp::Update {
                    before: Box::new(o.record.clone()),
                    after: txt_spec(&txt),
                }),
                None if zone.contains(&txt.name) => ops.push(RecordOp::Create {
                    record: txt_spec(&txt),
                }),
                None => {}
            }
        }
        ops
    }

    fn desired_labels(&self, d: &Endpoint) -> Labels {
        let mut labels = strip_nonce(&d.labels);
        labels.insert(
            label::OWNER.to_string(),
            self.registry.owner_id().to_string(),
        );
        labels
    }
}

fn strip_nonce(labels: &Labels) -> Labels {
    let mut labels = labels.clone();
    labels.remove(label::ENCRYPTION_NONCE);
    labels
}

/// The skip entry for a desired endpoint whose name is held by a record flaredns
/// does not own.
fn blocked(d: &Endpoint, holder: &CurrentEndpoint) -> Skip {
    let (reason, detail) = match &holder.ownership {
        Ownership::Foreign(owner) => (
            SkipReason::ForeignOwner {
                owner: owner.clone(),
            },
            format!(
                "{} is owned by {owner:?}{}",
                holder.endpoint.key(),
                through(holder)
            ),
        ),
        _ => (
            SkipReason::UnownedRecord,
            format!(
                "{} exists with no ownership TXT record; flaredns leaves records it does not own alone",
                holder.endpoint.key()
            ),
        ),
    };
    Skip {
        key: d.key(),
        resource: d.resource().map(str::to_string),
        reason,
        detail,
    }
}

fn through(c: &CurrentEndpoint) -> String {
    if c.ownership_records.is_empty() {
        return String::new();
    }
    let names: Vec<String> = c
        .ownership_records
        .iter()
        .map(|o| match o.format {
            TxtFormat::New => o.record.name.clone(),
            TxtFormat::Legacy => format!("{} (legacy)", o.record.name),
        })
        .collect();
    format!(" through {}", names.join(", "))
}

/// "owned by <owner> through <txt names>".
fn ownership_detail(c: &CurrentEndpoint) -> String {
    match c.endpoint.labels.get(label::OWNER) {
        Some(owner) => format!("owned by {owner}{}", through(c)),
        None => "managed (no ownership records: --registry=noop)".to_string(),
    }
}

/// What changes between current and desired, in words: the targets, then what
/// an update of the endpoint's first record changes in it.
fn describe_difference(current: &CurrentEndpoint, desired: &Endpoint, zone: &Zone) -> String {
    let mut parts = Vec::new();
    if current.endpoint.targets != desired.targets {
        parts.push(format!(
            "targets {} → {}",
            current.endpoint.targets.join(","),
            desired.targets.join(",")
        ));
    }
    if let Some(record) = current.records.first() {
        let after = updated_spec(desired, record, zone);
        parts.extend(record.data.differences(&after.data).parts());
    }
    if parts.is_empty() {
        "ownership record refreshed".to_string()
    } else {
        parts.join("; ")
    }
}

/// A new record for one target of `d`.
fn record_spec(d: &Endpoint, target: &str) -> RecordSpec {
    let (content, priority) = split_priority(d.record_type, target);
    RecordSpec {
        name: d.dns_name.clone(),
        record_type: d.record_type,
        data: desired::record_data(d, content.into(), priority),
    }
}

/// MX targets are written as ExternalDNS writes them, `"<priority> <host>"`;
/// Cloudflare keeps the priority apart.
fn split_priority(record_type: RecordType, target: &str) -> (String, Option<u16>) {
    if record_type == RecordType::Mx
        && let Some((priority, host)) = target.split_once(' ')
        && let Ok(priority) = priority.parse()
    {
        return (host.trim().to_string(), Some(priority));
    }
    (target.to_string(), None)
}

/// The record as it should be after an update that keeps its content: what
/// the endpoint leaves unset keeps the record's value.
fn updated_spec(d: &Endpoint, record: &ZoneRecord, zone: &Zone) -> RecordSpec {
    let current = &record.data;
    let mut data = desired::record_data(d, current.content.clone(), current.priority);
    if d.ttl.is_none() && !data.proxied {
        data.ttl = current.ttl;
    }
    // Free-plan zones cannot hold tags: never touch them there.
    if !zone.paid_plan {
        data.set_tags(current.tags().to_vec());
    }
    // No source asks for per-record settings yet: an update keeps them.
    data.set_settings(current.settings());
    RecordSpec {
        name: record.name.clone(),
        record_type: record.record_type,
        data,
    }
}

fn txt_spec(txt: &TxtRecord) -> RecordSpec {
    RecordSpec {
        name: txt.name.clone(),
        record_type: RecordType::Txt,
        data: RecordData::new(txt.content.as_str()),
    }
}
