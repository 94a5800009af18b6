//! Saying what happened where users look: DNSEndpoint status and Kubernetes
//! Events on the objects concerned.
//!
//! Status: `status.observedGeneration` as ExternalDNS sets it, plus a `Ready`
//! condition saying which records exist or why not (kept only where the installed
//! CRD has the field). Events (events.k8s.io/v1): a Warning for an invalid field,
//! a name claimed by two objects, a name held by another owner or by a record
//! without owner, and a change Cloudflare refused; Normal events for records
//! created, updated and deleted as `--events-emit` chooses. Events are rate
//! limited per object and reason, and kube's recorder folds repeats into series,
//! so a bad object cannot flood the API server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter as EventReporter};
use serde::Serialize;
use serde_json::json;

use super::desired::{ObjectKey, ObjectView, State};
use crate::plan::{Action, Change, Skip, SkipReason};
use crate::provider::cloudflare::apply::ApplyReport;
use crate::source::SourceKind;
use crate::sync::lock;

/// A Kubernetes Event flaredns may emit about a record (`--events-emit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
pub enum EventKind {
    /// A record was created or updated.
    #[value(name = "RecordReady")]
    RecordReady,
    /// A record was deleted.
    #[value(name = "RecordDeleted")]
    RecordDeleted,
    /// A record could not be written.
    #[value(name = "RecordError")]
    RecordError,
}

/// The same Event (object, reason) at most this often; repeats in between are
/// dropped (kube's recorder also folds what it sends into series).
const EVENT_INTERVAL: Duration = Duration::from_secs(600);

/// Events sent per reconcile at most, whatever happens.
const EVENTS_PER_PASS: usize = 100;

/// Objects copied out of the state at a time while reporting.
const VIEWS_PER_PAGE: usize = 256;

/// What a pass planned, by the object that asked for it: reporting on each
/// object looks up its own skips and changes instead of scanning the whole plan
/// (an initial sync has one change per name, and as many objects).
pub struct PassIndex<'a> {
    skips: HashMap<&'a str, Vec<&'a Skip>>,
    changes: HashMap<&'a str, Vec<&'a Change>>,
    applied: &'a ApplyReport,
}

impl<'a> PassIndex<'a> {
    pub fn new(
        skipped: &'a [Skip],
        planned: impl IntoIterator<Item = &'a Change>,
        applied: &'a ApplyReport,
    ) -> Self {
        let mut skips: HashMap<&str, Vec<&Skip>> = HashMap::new();
        for skip in skipped {
            if let Some(resource) = skip.resource.as_deref() {
                skips.entry(resource).or_default().push(skip);
            }
        }
        let mut changes: HashMap<&str, Vec<&Change>> = HashMap::new();
        for change in planned {
            if let Some(resource) = change.resource.as_deref() {
                changes.entry(resource).or_default().push(change);
            }
        }
        PassIndex {
            skips,
            changes,
            applied,
        }
    }

    /// The index of one whole plan.
    #[cfg(test)]
    pub fn of_plan(plan: &'a crate::plan::Plan, applied: &'a ApplyReport) -> Self {
        let changes = plan.units.iter().flat_map(|u| &u.changes);
        PassIndex::new(&plan.skipped, changes, applied)
    }

    fn skips(&self, resource: &str) -> &[&'a Skip] {
        self.skips.get(resource).map_or(&[], Vec::as_slice)
    }

    fn changes(&self, resource: &str) -> &[&'a Change] {
        self.changes.get(resource).map_or(&[], Vec::as_slice)
    }

    /// Whether the pass has anything to say about the object `resource`.
    fn mentions(&self, resource: &str) -> bool {
        self.skips.contains_key(resource)
            || self.changes.contains_key(resource)
            || !self.applied.refused.is_empty()
    }
}

/// Writes status and Events after each pass.
pub struct Reporter {
    client: kube::Client,
    recorder: Recorder,
    crd: ApiResource,
    emit: Vec<EventKind>,
    sent: Mutex<HashMap<(ObjectKey, String), Instant>>,
    status: Mutex<HashMap<ObjectKey, ReadyCondition>>,
}

/// The `Ready` condition of one DNSEndpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Reporter {
    pub fn new(
        client: kube::Client,
        crd_api_version: &str,
        crd_kind: &str,
        emit: Vec<EventKind>,
    ) -> Self {
        let (group, version) = crd_api_version
            .split_once('/')
            .unwrap_or(("", crd_api_version));
        let crd = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, crd_kind));
        let reporter = EventReporter {
            controller: "flaredns".to_string(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Reporter {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            crd,
            emit,
            sent: Mutex::new(HashMap::new()),
            status: Mutex::new(HashMap::new()),
        }
    }

    /// Whether Events tell objects about their records' changes: only then
    /// does a pass keep its changes for the reporter.
    pub fn tells_of_changes(&self) -> bool {
        self.emit
            .iter()
            .any(|k| matches!(k, EventKind::RecordReady | EventKind::RecordDeleted))
    }

    /// Writes what one pass found: its skips, its changes (those
    /// [`Reporter::tells_of_changes`] needs) and what applying did.
    pub async fn after_pass(
        &self,
        state: &State,
        skipped: &[Skip],
        changes: &[Change],
        applied: &ApplyReport,
    ) {
        let index = PassIndex::new(skipped, changes, applied);
        // Only the objects there is something to say about: those whose status
        // flaredns writes, objects with problems, and those the pass planned for.
        let mut budget = EVENTS_PER_PASS;
        let mut after: Option<ObjectKey> = None;
        loop {
            // Once the Events budget is spent, only status is left to write.
            let events_left = budget > 0;
            let views = state.views_where(after.as_ref(), VIEWS_PER_PAGE, |key, has_problems| {
                key.kind.def().writes_status
                    || (events_left && (has_problems || index.mentions(&key.resource_label())))
            });
            let Some(last) = views.last() else {
                break;
            };
            after = Some(last.key.clone());
            for view in &views {
                let resource = view.key.resource_label();
                for (event_type, reason, note) in events_for(view, &resource, &index, &self.emit) {
                    if budget == 0 {
                        break;
                    }
                    if self.publish(view, event_type, reason, note).await {
                        budget -= 1;
                    }
                }
                if view.key.kind.def().writes_status {
                    let condition = ready_condition(view, &resource, &index);
                    self.write_status(state, view, condition).await;
                }
            }
        }
    }

    async fn publish(
        &self,
        view: &ObjectView,
        event_type: EventType,
        reason: &str,
        note: String,
    ) -> bool {
        let key = (view.key.clone(), format!("{reason}:{note}"));
        {
            let mut sent = lock(&self.sent);
            if sent
                .get(&key)
                .is_some_and(|at| at.elapsed() < EVENT_INTERVAL)
            {
                return false;
            }
            sent.retain(|_, at| at.elapsed() < EVENT_INTERVAL);
            sent.insert(key, Instant::now());
        }
        let reference = object_reference(&view.key, view.info.uid.clone(), &self.crd);
        let event = Event {
            type_: event_type,
            reason: reason.to_string(),
            note: Some(truncate(&note, 1000)),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        if let Err(error) = self.recorder.publish(&event, &reference).await {
            tracing::debug!(object = %view.key.resource_label(), %error, "cannot publish an Event");
        }
        true
    }

    async fn write_status(&self, state: &State, view: &ObjectView, condition: ReadyCondition) {
        let Some(generation) = view.info.generation else {
            return;
        };
        let unchanged = lock(&self.status).get(&view.key) == Some(&condition)
            && view.info.observed_generation == Some(generation);
        if unchanged {
            return;
        }
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &view.key.namespace, &self.crd);
        let now = jiff_now();
        let patch = json!({
            "status": {
                "observedGeneration": generation,
                "conditions": [{
                    "type": "Ready",
                    "status": if condition.ready { "True" } else { "False" },
                    "reason": condition.reason,
                    "message": truncate(&condition.message, 32_000),
                    "lastTransitionTime": now,
                    "observedGeneration": generation,
                }],
            }
        });
        match api
            .patch_status(
                &view.key.name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => {
                lock(&self.status).insert(view.key.clone(), condition);
                state.observed(&view.key, generation);
            }
            Err(error) => {
                // As ExternalDNS: a status that cannot be written is only logged.
                tracing::warn!(object = %view.key.resource_label(), %error, "cannot write DNSEndpoint status");
            }
        }
    }
}

/// The Events one object gets from a pass: one per (type, reason), its note
/// listing every occurrence (kube's recorder folds Events of the same reason on
/// one object into a series, so separate notes would be lost).
pub fn events_for(
    view: &ObjectView,
    resource: &str,
    index: &PassIndex<'_>,
    emit: &[EventKind],
) -> Vec<(EventType, &'static str, String)> {
    let mut grouped: Vec<(EventType, &'static str, Vec<String>)> = Vec::new();
    for (event_type, reason, note) in occurrences(view, resource, index, emit) {
        match grouped
            .iter_mut()
            .find(|(t, r, _)| *t == event_type && *r == reason)
        {
            Some((_, _, notes)) => notes.push(note),
            None => grouped.push((event_type, reason, vec![note])),
        }
    }
    grouped
        .into_iter()
        .map(|(event_type, reason, notes)| (event_type, reason, notes.join("; ")))
        .collect()
}

/// Everything one object should hear about, one entry per occurrence.
fn occurrences(
    view: &ObjectView,
    resource: &str,
    index: &PassIndex<'_>,
    emit: &[EventKind],
) -> Vec<(EventType, &'static str, String)> {
    let applied = index.applied;
    let mut events = Vec::new();
    for problem in &view.problems {
        events.push((EventType::Warning, "InvalidField", problem.to_string()));
    }
    for skip in index.skips(resource) {
        let reason = match skip.reason {
            SkipReason::ForeignOwner { .. } | SkipReason::UnownedRecord => "OwnershipConflict",
            SkipReason::LostConflict { .. } => "NameConflict",
            _ => continue,
        };
        events.push((
            EventType::Warning,
            reason,
            format!("{}: {}", skip.key, skip.detail),
        ));
    }
    let names: Vec<&str> = view.endpoints.iter().map(|e| e.dns_name.as_str()).collect();
    for refused in &applied.refused {
        if names.contains(&refused.name.as_str()) {
            events.push((
                EventType::Warning,
                "RecordError",
                format!(
                    "Cloudflare refused the change to {}: {}",
                    refused.name, refused.error
                ),
            ));
        }
    }
    let refused: Vec<&str> = applied.refused.iter().map(|r| r.name.as_str()).collect();
    for change in index.changes(resource) {
        if refused.contains(&change.key.dns_name.as_str()) {
            continue;
        }
        let (kind, reason) = match change.action {
            Action::Create | Action::Update => (EventKind::RecordReady, "RecordReady"),
            Action::Delete => (EventKind::RecordDeleted, "RecordDeleted"),
        };
        if emit.contains(&kind) {
            events.push((
                EventType::Normal,
                reason,
                format!("{} {}: {}", change.action, change.key, change.reason),
            ));
        }
    }
    events
}

/// The `Ready` condition of a DNSEndpoint after a pass.
pub fn ready_condition(view: &ObjectView, resource: &str, index: &PassIndex<'_>) -> ReadyCondition {
    let names: Vec<&str> = view.endpoints.iter().map(|e| e.dns_name.as_str()).collect();
    if let Some(refused) = index
        .applied
        .refused
        .iter()
        .find(|r| names.contains(&r.name.as_str()))
    {
        return ReadyCondition {
            ready: false,
            reason: "RecordError",
            message: format!("Cloudflare refused {}: {}", refused.name, refused.error),
        };
    }
    if let Some(problem) = view
        .problems
        .iter()
        .find(|p| p.consequence == crate::problem::Consequence::Skipped)
    {
        return ReadyCondition {
            ready: false,
            reason: "InvalidField",
            message: problem.to_string(),
        };
    }
    let skipped: Vec<String> = index
        .skips(resource)
        .iter()
        .map(|s| format!("{}: {}", s.key, s.detail))
        .collect();
    if !skipped.is_empty() {
        return ReadyCondition {
            ready: false,
            reason: "RecordsSkipped",
            message: skipped.join("; "),
        };
    }
    let mut published: Vec<String> = view.endpoints.iter().map(|e| e.key().to_string()).collect();
    published.sort();
    ReadyCondition {
        ready: true,
        reason: "RecordsPublished",
        message: if published.is_empty() {
            "no records asked for".to_string()
        } else {
            format!("published: {}", published.join(", "))
        },
    }
}

fn object_reference(key: &ObjectKey, uid: Option<String>, crd: &ApiResource) -> ObjectReference {
    // `--crd-source-apiversion` and `--crd-source-kind` may name another
    // DNSEndpoint type than the table's.
    let (api_version, kind) = if key.kind == SourceKind::Crd {
        (crd.api_version.clone(), crd.kind.clone())
    } else {
        let object = key.kind.def().object;
        (object.api_version.to_string(), object.kind.to_string())
    };
    ObjectReference {
        api_version: Some(api_version),
        kind: Some(kind),
        name: Some(key.name.clone()),
        namespace: Some(key.namespace.clone()),
        uid,
        ..ObjectReference::default()
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The current time in RFC 3339, as Kubernetes writes timestamps.
fn jiff_now() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::desired::ObjectInfo;
    use crate::endpoint::{Endpoint, EndpointKey, RecordType};
    use crate::plan::Plan;
    use crate::problem::{Consequence, ObjectRef, Problem};
    use crate::provider::cloudflare::apply::RefusedUnit;

    fn view(problems: Vec<Problem>) -> ObjectView {
        ObjectView {
            key: ObjectKey {
                kind: SourceKind::Crd,
                namespace: "default".into(),
                name: "static-entry".into(),
            },
            info: ObjectInfo {
                uid: Some("u".into()),
                generation: Some(3),
                observed_generation: Some(2),
            },
            endpoints: vec![
                Endpoint::new("static.example.com", RecordType::A, ["192.0.2.100"]).unwrap(),
            ],
            problems,
        }
    }

    const RESOURCE: &str = "crd/default/static-entry";

    #[test]
    fn ready_when_published() {
        let (plan, applied) = (Plan::default(), ApplyReport::default());
        let c = ready_condition(
            &view(vec![]),
            RESOURCE,
            &PassIndex::of_plan(&plan, &applied),
        );
        assert!(c.ready);
        assert_eq!(c.reason, "RecordsPublished");
        assert!(c.message.contains("static.example.com A"));
    }

    #[test]
    fn not_ready_with_the_reason() {
        let mut plan = Plan::default();
        plan.skipped.push(Skip {
            key: EndpointKey {
                dns_name: "static.example.com".into(),
                record_type: RecordType::A,
                set_identifier: String::new(),
            },
            resource: Some(RESOURCE.into()),
            reason: SkipReason::ForeignOwner {
                owner: "other".into(),
            },
            detail: "owned by \"other\"".into(),
        });
        let nothing_applied = ApplyReport::default();
        let index = PassIndex::of_plan(&plan, &nothing_applied);
        let c = ready_condition(&view(vec![]), RESOURCE, &index);
        assert_eq!((c.ready, c.reason), (false, "RecordsSkipped"));
        let events = events_for(&view(vec![]), RESOURCE, &index, &[]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1, "OwnershipConflict");

        let refused = ApplyReport {
            refused: vec![RefusedUnit {
                zone_id: "z".into(),
                name: "static.example.com".into(),
                error: "81053".into(),
            }],
            ..ApplyReport::default()
        };
        let empty = Plan::default();
        let c = ready_condition(
            &view(vec![]),
            RESOURCE,
            &PassIndex::of_plan(&empty, &refused),
        );
        assert_eq!(c.reason, "RecordError");
    }

    #[test]
    fn invalid_fields_are_warnings_naming_the_field() {
        let object = ObjectRef::new("DNSEndpoint", "default", "static-entry");
        let problem = Problem::new(
            &object,
            "spec.endpoints[0].targets[0]",
            "192.0.2.1.",
            Consequence::Skipped,
            "invalid-target",
            "not an IPv4 address",
        );
        let v = view(vec![problem]);
        let (plan, applied) = (Plan::default(), ApplyReport::default());
        let index = PassIndex::of_plan(&plan, &applied);
        let events = events_for(&v, RESOURCE, &index, &[]);
        assert_eq!(events[0].1, "InvalidField");
        assert!(events[0].2.contains("spec.endpoints[0].targets[0]"));
        let c = ready_condition(&v, RESOURCE, &index);
        assert_eq!((c.ready, c.reason), (false, "InvalidField"));
    }
}
