//! Applying a plan's change units through the batch endpoint.
//!
//! Units travel in chunks of at most the zone's batch limit (see `batch`). A
//! batch is all-or-nothing: when Cloudflare refuses one, the chunk is split in
//! halves and each half sent again, down to the single unit it refuses. That unit
//! is reported and the rest applied: a handful of extra calls, never one call per
//! record. A chunk whose outcome is unknown stops the pass, so that the caller
//! re-reads the zone before anything is sent again.

use std::time::Duration;

use serde::Serialize;

use super::batch::{Chunk, UnitPart, chunk, chunk_by_zone};
use super::client::Client;
use super::convert;
use super::error::{ApiError, code};
use super::types::{BatchRequest, RecordId, RecordRequest, WithId};
use crate::endpoint::ZoneRecord;
use crate::plan::{ChangeUnit, RecordOp};

/// A batch call made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchSent {
    pub zone_id: String,
    pub operations: usize,
    /// The names whose units the batch carried.
    pub names: Vec<String>,
    pub applied: bool,
}

/// A unit Cloudflare refused, with its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefusedUnit {
    pub zone_id: String,
    pub name: String,
    pub error: String,
}

/// What applying did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ApplyReport {
    pub batches: Vec<BatchSent>,
    /// Units applied.
    pub applied: usize,
    /// Units Cloudflare refused; the rest was applied.
    pub refused: Vec<RefusedUnit>,
    /// Units found already applied (an identical record existed, or a record to
    /// delete was already gone): the zone view was stale.
    pub converged: usize,
    /// The records the applied batches wrote, as Cloudflare returned them (posts
    /// with their new ids), so that a zone view can be kept without re-reading.
    /// Kept as zone records: the full API records are several times larger.
    #[serde(skip)]
    pub written: Vec<ZoneRecord>,
    /// The ids of records the applied batches deleted.
    #[serde(skip)]
    pub deleted: Vec<String>,
    /// A batch's outcome is unknown, or the view was stale: re-read the zone
    /// before planning again.
    pub needs_reread: bool,
    /// Why the pass stopped early, if it did.
    pub stopped: Option<String>,
}

impl ApplyReport {
    /// Adds what a later apply of the same pass did.
    pub fn absorb(&mut self, later: ApplyReport) {
        self.batches.extend(later.batches);
        self.applied += later.applied;
        self.refused.extend(later.refused);
        self.converged += later.converged;
        self.written.extend(later.written);
        self.deleted.extend(later.deleted);
        self.needs_reread |= later.needs_reread;
        if self.stopped.is_none() {
            self.stopped = later.stopped;
        }
    }

    /// Whether applying should go no further this pass: a batch's outcome is
    /// unknown, the view was stale, or a call failed.
    pub fn must_stop(&self) -> bool {
        self.needs_reread || self.stopped.is_some()
    }
}

/// How many batches pass between two progress lines.
const PROGRESS_EVERY: usize = 10;

/// Applies `units` in chunks of at most `limit(zone_id)` operations, waiting
/// `interval` between batch calls (`--batch-change-interval`).
pub async fn apply(
    client: &Client,
    units: &[ChangeUnit],
    limit: impl Fn(&str) -> usize,
    interval: Duration,
) -> ApplyReport {
    let mut report = ApplyReport::default();
    // Every create and update returns its record; room for all of them at
    // once (a doubling vector of an initial sync's records wastes megabytes).
    let writes = units
        .iter()
        .flat_map(|u| &u.operations)
        .filter(|op| !matches!(op, RecordOp::Delete { .. }))
        .count();
    report.written.reserve_exact(writes);
    let chunks = chunk_by_zone(units, limit);
    let total = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        if i > 0 && !interval.is_zero() {
            tokio::time::sleep(interval).await;
        }
        // A long sync (an initial one, paced by the rate limit) says how far
        // it got, every tenth batch.
        if i > 0 && i % PROGRESS_EVERY == 0 {
            tracing::info!(
                batches_sent = i,
                batches = total,
                units_applied = report.applied,
                units = units.len(),
                "applying changes"
            );
        }
        if let Err(stop) = send_parts(client, chunk.zone_id, chunk.parts, &mut report).await {
            report.stopped = Some(stop.to_string());
            if matches!(stop, ApiError::OutcomeUnknown { .. }) {
                report.needs_reread = true;
            }
            return report;
        }
    }
    report
}

/// Sends parts as one batch; on a refusal, splits them until the refused unit
/// is found. Transient failures and refused credentials stop the pass (`Err`).
async fn send_parts(
    client: &Client,
    zone_id: &str,
    parts: Vec<UnitPart<'_>>,
    report: &mut ApplyReport,
) -> Result<(), ApiError> {
    // Depth-first over halves, without recursion in an async fn.
    let mut pending = vec![parts];
    while let Some(parts) = pending.pop() {
        let request = batch_request(&parts);
        let names: Vec<String> = parts.iter().map(|p| p.unit.name.clone()).collect();
        let operations = request.len();
        match client.batch(zone_id, &request).await {
            Ok(response) => {
                report.batches.push(BatchSent {
                    zone_id: zone_id.to_string(),
                    operations,
                    names,
                    applied: true,
                });
                report.applied += parts.len();
                client.metrics().batch_operations.observe(operations as f64);
                report
                    .deleted
                    .extend(request.deletes.iter().map(|d| d.id.clone()));
                let records = response
                    .patches
                    .into_iter()
                    .chain(response.puts)
                    .chain(response.posts);
                let zone: std::sync::Arc<str> = zone_id.into();
                report
                    .written
                    .extend(records.filter_map(|r| convert::zone_record(r, &zone).ok()));
                tracing::debug!(zone = zone_id, operations, "batch applied");
            }
            // Not a refused credential (see `is_refusal`): that refuses every
            // batch alike, and splitting would only multiply the calls.
            Err(error) if error.is_refusal() => {
                report.batches.push(BatchSent {
                    zone_id: zone_id.to_string(),
                    operations,
                    names: names.clone(),
                    applied: false,
                });
                if parts.len() > 1 {
                    let mut first = parts;
                    let second = first.split_off(first.len() / 2);
                    // Pushed second first so the first half is sent first.
                    pending.push(second);
                    pending.push(first);
                    continue;
                }
                let name = names.into_iter().next().unwrap_or_default();
                if error.has_code(code::IDENTICAL_RECORD)
                    || error.has_code(code::RECORD_EXISTS)
                    || error.has_code(code::RECORD_NOT_FOUND)
                {
                    // Already as wanted: someone (or an earlier, unanswered batch)
                    // got there first. The next pass reads the truth.
                    tracing::info!(zone = zone_id, %name, %error, "change already applied");
                    report.converged += 1;
                    report.needs_reread = true;
                } else {
                    tracing::warn!(zone = zone_id, %name, %error, "Cloudflare refused a change");
                    client.metrics().refused_changes.inc();
                    report.refused.push(RefusedUnit {
                        zone_id: zone_id.to_string(),
                        name,
                        error: error.to_string(),
                    });
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The batch body for some units: deletes, patches (only the fields that
/// change, so that anything else on the record is kept), and posts.
pub fn batch_request(parts: &[UnitPart<'_>]) -> BatchRequest {
    let mut request = BatchRequest::default();
    for part in parts {
        for op in &part.unit.operations[part.range.clone()] {
            match op {
                RecordOp::Delete { record } => request.deletes.push(RecordId {
                    id: record.id.to_string(),
                }),
                RecordOp::Update { before, after } => request.patches.push(WithId {
                    id: before.id.to_string(),
                    body: convert::record_patch(&before.data.differences(&after.data)),
                }),
                RecordOp::Create { record } => request.posts.push(RecordRequest::from(record)),
            }
        }
    }
    request
}

/// The chunks a set of units would be sent in (for dry runs and reports).
pub fn plan_chunks(units: &[ChangeUnit], limit: usize) -> Vec<Chunk<'_>> {
    chunk(units, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use crate::plan::RecordSpec;
    use crate::provider::cloudflare::types::RecordPatch;
    use crate::record::RecordData;

    fn data(content: &str, ttl: u32, proxied: bool) -> RecordData {
        RecordData::new(content)
            .with_ttl(ttl)
            .with_proxied(proxied)
            .with_comment(Some("kept".to_string()))
    }

    fn record(id: &str, content: &str, ttl: u32, proxied: bool) -> ZoneRecord {
        ZoneRecord {
            data: data(content, ttl, proxied),
            ..ZoneRecord::new(id, "z", "a.example.com", RecordType::A, content)
        }
    }

    fn spec(content: &str, ttl: u32, proxied: bool) -> RecordSpec {
        RecordSpec {
            name: "a.example.com".to_string(),
            record_type: RecordType::A,
            data: data(content, ttl, proxied),
        }
    }

    #[test]
    fn updates_patch_only_what_changes() {
        let unit = ChangeUnit {
            zone_id: "z".into(),
            zone_name: "example.com".into(),
            name: "a.example.com".into(),
            set_identifier: String::new(),
            changes: Vec::new(),
            operations: vec![RecordOp::Update {
                before: Box::new(record("1", "192.0.2.1", 300, false)),
                after: spec("192.0.2.1", 1, true),
            }],
        };
        let parts = vec![UnitPart {
            unit: &unit,
            range: 0..1,
        }];
        assert_eq!(
            batch_request(&parts).patches[0].body,
            RecordPatch {
                ttl: Some(1),
                proxied: Some(true),
                ..RecordPatch::default()
            }
        );
    }

    #[test]
    fn a_unit_becomes_deletes_patches_and_posts() {
        let unit = ChangeUnit {
            zone_id: "z".into(),
            zone_name: "example.com".into(),
            name: "a.example.com".into(),
            set_identifier: String::new(),
            changes: Vec::new(),
            operations: vec![
                RecordOp::Delete {
                    record: Box::new(record("1", "192.0.2.1", 1, false)),
                },
                RecordOp::Update {
                    before: Box::new(record("2", "192.0.2.2", 1, false)),
                    after: spec("192.0.2.2", 1, true),
                },
                RecordOp::Create {
                    record: spec("192.0.2.3", 1, true),
                },
            ],
        };
        let parts = vec![UnitPart {
            unit: &unit,
            range: 0..3,
        }];
        let request = batch_request(&parts);
        assert_eq!(request.deletes.len(), 1);
        assert_eq!(request.patches[0].id, "2");
        assert_eq!(request.posts[0].content, "192.0.2.3");
        assert_eq!(request.len(), 3);
    }
}

/// The exact JSON of every record body the client builds, written out by hand
/// from Cloudflare's API reference rather than from the client's own types: a
/// renamed, mis-nested or wrongly skipped field fails here, whatever a fake
/// server would accept.
#[cfg(test)]
mod wire_golden {
    use serde_json::json;

    use super::*;
    use crate::endpoint::RecordType;
    use crate::plan::RecordSpec;
    use crate::provider::cloudflare::types::RecordPatch;
    use crate::record::RecordData;

    fn desired(record_type: RecordType, content: &str) -> RecordSpec {
        RecordSpec {
            name: "web.example.com".to_string(),
            record_type,
            data: RecordData::new(content),
        }
    }

    /// The POST body the client sends for a record.
    fn post(spec: &RecordSpec) -> RecordRequest {
        convert::record_request(&spec.name, spec.record_type, &spec.data)
    }

    /// The PATCH body the client sends to turn `before` into `after`.
    fn patch(before: &ZoneRecord, after: &RecordSpec) -> RecordPatch {
        convert::record_patch(&before.data.differences(&after.data))
    }

    fn current(id: &str, record_type: RecordType, content: &str) -> ZoneRecord {
        ZoneRecord::new(id, "z", "web.example.com", record_type, content)
    }

    fn body(value: impl Serialize) -> serde_json::Value {
        serde_json::to_value(value).expect("a request body encodes")
    }

    #[test]
    fn a_post_body_sends_name_type_content_ttl_and_proxied_every_time() {
        assert_eq!(
            body(post(&desired(RecordType::Txt, "\"heritage=external-dns\""))),
            json!({
                "name": "web.example.com",
                "type": "TXT",
                "content": "\"heritage=external-dns\"",
                "ttl": 1,
                "proxied": false
            })
        );
        let mut full = desired(RecordType::A, "192.0.2.1");
        full.data = full
            .data
            .with_ttl(300)
            .with_proxied(true)
            .with_comment(Some("managed by flaredns".to_string()))
            .with_tags(vec!["team:dns".to_string()]);
        assert_eq!(
            body(post(&full)),
            json!({
                "name": "web.example.com",
                "type": "A",
                "content": "192.0.2.1",
                "ttl": 300,
                "proxied": true,
                "comment": "managed by flaredns",
                "tags": ["team:dns"]
            })
        );
        let mut mx = desired(RecordType::Mx, "mail.example.com");
        mx.data = mx.data.with_priority(Some(10));
        assert_eq!(
            body(post(&mx)),
            json!({
                "name": "web.example.com",
                "type": "MX",
                "content": "mail.example.com",
                "ttl": 1,
                "proxied": false,
                "priority": 10
            })
        );
    }

    #[test]
    fn a_patch_body_sends_only_what_differs() {
        let before = current("1", RecordType::A, "192.0.2.1");
        let mut after = desired(RecordType::A, "192.0.2.9");
        after.data = after.data.with_ttl(300).with_proxied(true);
        assert_eq!(
            body(patch(&before, &after)),
            json!({"content": "192.0.2.9", "ttl": 300, "proxied": true})
        );
        let mut commented = current("1", RecordType::A, "192.0.2.1");
        commented.data.set_comment(Some("old".to_string()));
        commented.data.set_tags(vec!["team:web".to_string()]);
        let mut uncommented = desired(RecordType::A, "192.0.2.1");
        uncommented.data.set_tags(vec!["team:dns".to_string()]);
        assert_eq!(
            body(patch(&commented, &uncommented)),
            json!({"comment": "", "tags": ["team:dns"]})
        );
        let mut mx = desired(RecordType::Mx, "mail.example.com");
        mx.data = mx.data.with_priority(Some(20));
        assert_eq!(
            body(patch(
                &current("2", RecordType::Mx, "mail.example.com"),
                &mx
            )),
            json!({"priority": 20})
        );
        assert_eq!(
            body(patch(&before, &desired(RecordType::A, "192.0.2.1"))),
            json!({})
        );
    }

    #[test]
    fn a_batch_body_has_deletes_patches_puts_and_posts_in_cloudflare_s_shape() {
        let unit = ChangeUnit {
            zone_id: "z".into(),
            zone_name: "example.com".into(),
            name: "web.example.com".into(),
            set_identifier: String::new(),
            changes: Vec::new(),
            operations: vec![
                RecordOp::Create {
                    record: desired(RecordType::A, "192.0.2.3"),
                },
                RecordOp::Delete {
                    record: Box::new(current("1", RecordType::Cname, "lb.example.net")),
                },
                RecordOp::Update {
                    before: Box::new(current("2", RecordType::Txt, "\"a\"")),
                    after: desired(RecordType::Txt, "\"b\""),
                },
            ],
        };
        let parts = [UnitPart {
            unit: &unit,
            range: 0..3,
        }];
        assert_eq!(
            body(batch_request(&parts)),
            json!({
                "deletes": [{"id": "1"}],
                "patches": [{"id": "2", "content": "\"b\""}],
                "posts": [{
                    "name": "web.example.com",
                    "type": "A",
                    "content": "192.0.2.3",
                    "ttl": 1,
                    "proxied": false
                }]
            })
        );
        // The client sends no puts today; the list's shape is pinned all the same.
        let puts = BatchRequest {
            puts: vec![WithId {
                id: "3".to_string(),
                body: RecordRequest::new("web.example.com", RecordType::Aaaa, "2001:db8::1"),
            }],
            ..BatchRequest::default()
        };
        assert_eq!(
            body(&puts),
            json!({"puts": [{
                "id": "3",
                "name": "web.example.com",
                "type": "AAAA",
                "content": "2001:db8::1",
                "ttl": 1,
                "proxied": false
            }]})
        );
    }
}
