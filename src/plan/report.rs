//! Showing a plan to people and programs: a readable table, Markdown for a pull
//! request comment, and JSON with a documented, stable schema.
//!
//! # JSON schema `flaredns.plan/v1`
//!
//! ```text
//! {
//!   "schema": "flaredns.plan/v1",
//!   "summary": { "create": n, "update": n, "delete": n, "in_sync": n, "skipped": n,
//!                "problems": n, "operations": n, "has_changes": bool },
//!   "changes":    [ { "action": "create|update|delete", "zone": "example.com",
//!                     "name", "type", "set_identifier"?, "resource"?, "reason",
//!                     "before"?: Record, "after"?: Record } ],
//!   "operations": [ { "op": "create|update|delete", "zone", "name", "type",
//!                     "content", "id"?, "ttl"?, "proxied"? } ],
//!   "in_sync":    [ { "name", "type", "resource"?, "detail" } ],
//!   "skipped":    [ { "name", "type", "resource"?, "reason", "detail" } ],
//!   "problems":   [ { "object": {"kind","namespace","name"}, "field", "value",
//!                     "consequence": "ignored|skipped", "reason", "message" } ],
//!   "adjustments":[ { "name", "type", "resource"?, "message" } ],
//!   "passed_over":{ "<kind>": count }
//! }
//! Record = { "targets": [..], "ttl": n|null (null = automatic), "proxied": bool,
//!            "comment"?: s, "tags"?: [..] }
//! ```
//! Fields are only ever added within `v1`; a renamed or removed field gets `v2`.

use std::collections::BTreeMap;

use comfy_table::presets::{ASCII_MARKDOWN, NOTHING};
use comfy_table::{ContentArrangement, Table};
use serde_json::{Value, json};

use crate::endpoint::{Endpoint, EndpointKey};
use crate::problem::{Consequence, Problem};

use super::{Action, Plan, RecordOp, SkipReason};

/// The identifier of the JSON schema below.
pub const JSON_SCHEMA: &str = "flaredns.plan/v1";

/// A plan together with what the sources could not use.
pub struct Report<'a> {
    pub plan: &'a Plan,
    pub problems: &'a [Problem],
    /// Documents the sources passed over, counted by kind (`Deployment`,
    /// or a document that is not a Kubernetes object).
    pub passed_over: &'a BTreeMap<String, usize>,
}

impl Report<'_> {
    /// The one-line summary.
    pub fn summary(&self) -> String {
        let plan = self.plan;
        if !plan.has_changes() {
            return format!(
                "No changes. {} in sync, {} skipped, {} problems in the manifests.",
                plan.in_sync_count(),
                plan.skipped.len(),
                self.problems.len()
            );
        }
        format!(
            "Plan: {} to create, {} to update, {} to delete ({} record operations). \
             {} in sync, {} skipped, {} problems in the manifests.",
            plan.count(Action::Create),
            plan.count(Action::Update),
            plan.count(Action::Delete),
            plan.operation_count(),
            plan.in_sync_count(),
            plan.skipped.len(),
            self.problems.len()
        )
    }

    /// The plan as JSON (schema `flaredns.plan/v1`).
    pub fn to_json(&self) -> Value {
        let plan = self.plan;
        let changes: Vec<Value> = plan
            .units
            .iter()
            .flat_map(|u| {
                u.changes.iter().map(move |c| {
                    let mut v = json!({
                        "action": c.action,
                        "zone": u.zone_name,
                        "name": c.key.dns_name,
                        "type": c.key.record_type,
                        "reason": c.reason,
                    });
                    if !c.key.set_identifier.is_empty() {
                        v["set_identifier"] = json!(c.key.set_identifier);
                    }
                    if let Some(r) = &c.resource {
                        v["resource"] = json!(r);
                    }
                    if let Some(b) = &c.before {
                        v["before"] = record_json(b);
                    }
                    if let Some(a) = &c.after {
                        v["after"] = record_json(a);
                    }
                    v
                })
            })
            .collect();
        let operations: Vec<Value> = plan
            .units
            .iter()
            .flat_map(|u| {
                u.operations.iter().map(move |op| {
                    let mut v = match op {
                        RecordOp::Create { record } => json!({
                            "op": "create", "name": record.name, "type": record.record_type,
                            "content": record.data.content, "ttl": record.data.ttl,
                            "proxied": record.data.proxied,
                        }),
                        RecordOp::Update { before, after } => json!({
                            "op": "update", "id": before.id, "name": after.name,
                            "type": after.record_type, "content": after.data.content,
                            "ttl": after.data.ttl, "proxied": after.data.proxied,
                        }),
                        RecordOp::Delete { record } => json!({
                            "op": "delete", "id": record.id, "name": record.name,
                            "type": record.record_type, "content": record.content(),
                        }),
                    };
                    v["zone"] = json!(u.zone_name);
                    v
                })
            })
            .collect();
        let named = |key: &EndpointKey, resource: &Option<String>| {
            let mut v = json!({ "name": key.dns_name, "type": key.record_type });
            if let Some(r) = resource {
                v["resource"] = json!(r);
            }
            v
        };
        json!({
            "schema": JSON_SCHEMA,
            "summary": {
                "create": plan.count(Action::Create),
                "update": plan.count(Action::Update),
                "delete": plan.count(Action::Delete),
                "in_sync": plan.in_sync_count(),
                "skipped": plan.skipped.len(),
                "problems": self.problems.len(),
                "operations": plan.operation_count(),
                "has_changes": plan.has_changes(),
            },
            "changes": changes,
            "operations": operations,
            "in_sync": plan.in_sync.iter().map(|s| {
                let mut v = named(&s.key, &s.resource);
                v["detail"] = json!(s.detail);
                v
            }).collect::<Vec<_>>(),
            "skipped": plan.skipped.iter().map(|s| {
                let mut v = named(&s.key, &s.resource);
                v["reason"] = json!(skip_label(&s.reason));
                v["detail"] = json!(s.detail);
                v
            }).collect::<Vec<_>>(),
            "problems": self.problems,
            "adjustments": plan.adjustments.iter().map(|a| {
                let mut v = named(&a.key, &a.resource);
                v["message"] = json!(a.message);
                v
            }).collect::<Vec<_>>(),
            "passed_over": self.passed_over,
        })
    }

    /// The plan as a readable text report.
    pub fn to_text(&self) -> String {
        self.render(false)
    }

    /// The plan as Markdown, for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        self.render(true)
    }

    fn render(&self, markdown: bool) -> String {
        let plan = self.plan;
        let mut out = String::new();
        let heading = |out: &mut String, title: &str| {
            if markdown {
                out.push_str(&format!("\n### {title}\n\n"));
            } else {
                out.push_str(&format!("\n{title}\n"));
            }
        };
        if markdown {
            out.push_str("## flaredns plan\n\n");
        }
        out.push_str(&self.summary());
        out.push('\n');

        if plan.has_changes() {
            heading(&mut out, "Changes");
            let mut rows = Vec::new();
            for unit in &plan.units {
                for c in &unit.changes {
                    let shown = c.after.as_deref().or(c.before.as_deref());
                    rows.push(vec![
                        c.action.to_string(),
                        c.key.dns_name.clone(),
                        c.key.record_type.to_string(),
                        shown.map(|e| e.targets.join(", ")).unwrap_or_default(),
                        shown.map(ttl_text).unwrap_or_default(),
                        shown.map(proxied_text).unwrap_or_default(),
                        c.resource.clone().unwrap_or_default(),
                        c.reason.clone(),
                    ]);
                }
            }
            out.push_str(&table(
                markdown,
                &[
                    "action", "name", "type", "targets", "TTL", "proxied", "object", "reason",
                ],
                rows,
            ));
            heading(&mut out, "Record operations");
            let mut rows = Vec::new();
            for unit in &plan.units {
                for op in &unit.operations {
                    let (verb, name, t, content, detail) = match op {
                        RecordOp::Create { record } => (
                            "create",
                            record.name.as_str(),
                            record.record_type,
                            record.data.content.text(),
                            format!("ttl {} proxied {}", record.data.ttl, record.data.proxied),
                        ),
                        RecordOp::Update { before, after } => (
                            "update",
                            after.name.as_str(),
                            after.record_type,
                            after.data.content.text(),
                            format!(
                                "id {} ttl {} proxied {}",
                                before.id, after.data.ttl, after.data.proxied
                            ),
                        ),
                        RecordOp::Delete { record } => (
                            "delete",
                            record.name.as_str(),
                            record.record_type,
                            record.content(),
                            format!("id {}", record.id),
                        ),
                    };
                    rows.push(vec![
                        verb.to_string(),
                        name.to_string(),
                        t.to_string(),
                        content.to_string(),
                        detail,
                    ]);
                }
            }
            out.push_str(&table(
                markdown,
                &["op", "name", "type", "content", "detail"],
                rows,
            ));
        }
        let keyed = |key: &EndpointKey, resource: &Option<String>, rest: &[&str]| {
            let mut row = vec![
                key.dns_name.clone(),
                key.record_type.to_string(),
                resource.clone().unwrap_or_default(),
            ];
            row.extend(rest.iter().map(|s| s.to_string()));
            row
        };
        if !plan.in_sync.is_empty() {
            heading(&mut out, "In sync (no write)");
            let rows = plan
                .in_sync
                .iter()
                .map(|s| keyed(&s.key, &s.resource, &[&s.detail]))
                .collect();
            out.push_str(&table(
                markdown,
                &["name", "type", "object", "detail"],
                rows,
            ));
        }
        if !plan.skipped.is_empty() {
            heading(&mut out, "Skipped");
            let rows = plan
                .skipped
                .iter()
                .map(|s| keyed(&s.key, &s.resource, &[skip_label(&s.reason), &s.detail]))
                .collect();
            out.push_str(&table(
                markdown,
                &["name", "type", "object", "reason", "detail"],
                rows,
            ));
        }
        if !self.problems.is_empty() {
            heading(&mut out, "Problems in the manifests");
            let rows = self
                .problems
                .iter()
                .map(|p| {
                    vec![
                        p.object.to_string(),
                        p.field.clone(),
                        format!("{:?}", p.value),
                        match p.consequence {
                            Consequence::Ignored => "ignored".to_string(),
                            Consequence::Skipped => "skipped".to_string(),
                        },
                        p.message.clone(),
                    ]
                })
                .collect();
            out.push_str(&table(
                markdown,
                &["object", "field", "value", "effect", "message"],
                rows,
            ));
        }
        if !plan.adjustments.is_empty() {
            heading(&mut out, "Adjusted to what Cloudflare accepts");
            let rows = plan
                .adjustments
                .iter()
                .map(|a| keyed(&a.key, &a.resource, &[&a.message]))
                .collect();
            out.push_str(&table(
                markdown,
                &["name", "type", "object", "message"],
                rows,
            ));
        }
        if !self.passed_over.is_empty() {
            let kinds: Vec<String> = self
                .passed_over
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            out.push_str(&format!(
                "\nPassed over (not a source of DNS names): {}.\n",
                kinds.join(", ")
            ));
        }
        out
    }
}

/// The short label of a skip reason (JSON `reason`, table column).
pub fn skip_label(reason: &SkipReason) -> &'static str {
    match reason {
        SkipReason::ForeignOwner { .. } => "foreign-owner",
        SkipReason::UnownedRecord => "unowned-record",
        SkipReason::OutsideDomainFilter => "outside-domain-filter",
        SkipReason::NoZone => "no-zone",
        SkipReason::UnmanagedType => "unmanaged-type",
        SkipReason::LostConflict { .. } => "conflict",
        SkipReason::NoTargets => "no-targets",
        SkipReason::NoOwnershipRecord => "no-ownership-record",
        SkipReason::Policy { .. } => "policy",
        SkipReason::HeldForInvalidObject => "held-for-invalid-object",
        SkipReason::HeldAwaitingClusterData => "held-awaiting-cluster-data",
    }
}

fn record_json(e: &Endpoint) -> Value {
    let mut v = json!({
        "targets": e.targets,
        "ttl": e.ttl,
        "proxied": e.cloudflare.proxied.unwrap_or(false),
    });
    if let Some(c) = &e.cloudflare.comment {
        v["comment"] = json!(c);
    }
    if !e.cloudflare.tags.is_empty() {
        v["tags"] = json!(e.cloudflare.tags);
    }
    v
}

fn ttl_text(e: &Endpoint) -> String {
    match e.ttl {
        None | Some(1) => "auto".to_string(),
        Some(t) => t.to_string(),
    }
}

fn proxied_text(e: &Endpoint) -> String {
    if e.cloudflare.proxied == Some(true) {
        "yes".to_string()
    } else {
        "no".to_string()
    }
}

fn table(markdown: bool, header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    if markdown {
        table.load_preset(ASCII_MARKDOWN);
        table.set_content_arrangement(ContentArrangement::Disabled);
    } else {
        table.load_preset(NOTHING);
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table.set_header(header.iter().map(|h| {
        if markdown {
            h.to_string()
        } else {
            h.to_uppercase()
        }
    }));
    for row in rows {
        let row = if markdown {
            row.into_iter().map(|c| c.replace('|', "\\|")).collect()
        } else {
            row
        };
        table.add_row(row);
    }
    let mut text = table.to_string();
    text.push('\n');
    text
}
