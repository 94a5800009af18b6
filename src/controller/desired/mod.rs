//! The desired state: the endpoints each watched object asks for, and the
//! problems found on it. The only thing the controller keeps of the cluster.
//!
//! Watchers feed it three operations, as a list/watch index: apply one object,
//! delete one object, and, after a re-list, reset one kind to exactly the objects
//! the list returned (so objects deleted while disconnected disappear). A fourth,
//! hold, marks an object whose endpoints cannot be computed yet (a NodePort
//! Service before the nodes are listed): the records it published stay as they
//! are. Every change bumps a version that the reconcile loop waits on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use tokio::sync::watch;

mod stored;

use self::stored::StoredEndpoint;
use crate::endpoint::Endpoint;
use crate::plan::slices::Slicing;
use crate::plan::{Desired, HoldReason};
use crate::problem::{Consequence, Problem};
use crate::source::{SourceKind, SourceOutput};
use crate::sync::lock;

/// One watched object: its kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: SourceKind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    /// The `resource` label of the object's records (`service/default/web`).
    pub fn resource_label(&self) -> String {
        let prefix = self.kind.def().resource_prefix;
        format!("{prefix}/{}/{}", self.namespace, self.name)
    }
}

/// What the controller remembers of an object besides its endpoints: enough to
/// address Events and status to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    pub uid: Option<String>,
    /// `metadata.generation` (DNSEndpoint status records it as observed).
    pub generation: Option<i64>,
    /// `status.observedGeneration` as the object carries it now.
    pub observed_generation: Option<i64>,
}

/// What one object contributes.
#[derive(Clone, Debug, Default, PartialEq)]
struct Entry {
    info: ObjectInfo,
    /// Compact: the state keeps every endpoint for as long as it runs.
    endpoints: Box<[StoredEndpoint]>,
    problems: Vec<Problem>,
    /// The object's endpoints wait for cluster data: what it published stays.
    awaiting_data: bool,
}

/// One object's contribution, as the reporters see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectView {
    pub key: ObjectKey,
    pub info: ObjectInfo,
    pub endpoints: Vec<Endpoint>,
    pub problems: Vec<Problem>,
}

/// The desired state, shared between the watchers and the reconcile loop.
pub struct State {
    /// Entries boxed: a B-tree node has room for eleven, and most of a node
    /// is empty room, so it holds pointers rather than entries.
    objects: Mutex<BTreeMap<ObjectKey, Box<Entry>>>,
    version: watch::Sender<u64>,
    /// When the oldest change not yet reconciled happened (for the
    /// event-to-apply delay).
    pending_since: Mutex<Option<std::time::Instant>>,
}

impl Default for State {
    fn default() -> Self {
        State {
            objects: Mutex::new(BTreeMap::new()),
            version: watch::channel(0).0,
            pending_since: Mutex::new(None),
        }
    }
}

impl State {
    /// Records what `key` asks for now; a no-op when nothing changed (watch
    /// events that change nothing DNS cares about wake nobody).
    pub fn apply(&self, key: ObjectKey, info: ObjectInfo, output: SourceOutput) {
        let resource = key.resource_label();
        let endpoints = output.endpoints.into_iter();
        let entry = Entry {
            info,
            endpoints: endpoints
                .map(|e| StoredEndpoint::keep(e, &resource))
                .collect(),
            problems: output.problems,
            awaiting_data: false,
        };
        let changed = {
            let mut objects = lock(&self.objects);
            // A change that DNS or status cares about; not a new resourceVersion.
            let changed = objects.get(&key).is_none_or(|before| {
                before.endpoints != entry.endpoints
                    || before.problems != entry.problems
                    || before.info.generation != entry.info.generation
                    || before.awaiting_data
            });
            // An object whose status flaredns writes keeps its entry, so
            // that its status says it asks for nothing.
            if entry.endpoints.is_empty()
                && entry.problems.is_empty()
                && !key.kind.def().writes_status
            {
                objects.remove(&key);
            } else {
                objects.insert(key, Box::new(entry));
            }
            changed
        };
        if changed {
            self.bump();
        }
    }

    /// Holds what `key` published: its endpoints depend on cluster data that is
    /// not listed yet. What the state knew of it stays until the next apply.
    pub fn hold(&self, key: ObjectKey, info: ObjectInfo) {
        let changed = {
            let mut objects = lock(&self.objects);
            let entry = objects.entry(key).or_default();
            let changed = !entry.awaiting_data;
            entry.info = info;
            entry.awaiting_data = true;
            changed
        };
        if changed {
            self.bump();
        }
    }

    /// Forgets a deleted object.
    pub fn delete(&self, key: &ObjectKey) {
        let removed = lock(&self.objects).remove(key).is_some();
        if removed {
            self.bump();
        }
    }

    /// After a re-list of `kind`: forgets every object of that kind the list did
    /// not return.
    pub fn reset(&self, kind: SourceKind, listed: &BTreeSet<ObjectKey>) {
        let removed = {
            let mut objects = lock(&self.objects);
            let before = objects.len();
            objects.retain(|key, _| key.kind != kind || listed.contains(key));
            before != objects.len()
        };
        if removed {
            self.bump();
        }
    }

    /// The endpoints to plan, with the objects whose records must be held.
    pub fn desired(&self) -> Desired {
        self.desired_picking(|_| true)
    }

    /// The endpoints of slice `slice`, with every object whose records must
    /// be held: a pass plans a zone slice by slice, and copies one slice at a
    /// time. Each endpoint's slice is found from the hash the state keeps;
    /// `slice_of_name` gives the slice of a name that is not its own lookup
    /// name (a wildcard).
    pub fn desired_in_slice(
        &self,
        slicing: Slicing,
        slice: u64,
        slice_of_name: impl Fn(&str) -> u64,
    ) -> Desired {
        self.desired_picking(|e| e.slice(slicing, &slice_of_name) == slice)
    }

    fn desired_picking(&self, wanted: impl Fn(&StoredEndpoint) -> bool) -> Desired {
        let objects = lock(&self.objects);
        let mut desired = Desired::default();
        for (key, entry) in objects.iter() {
            let mut picked = entry.endpoints.iter().filter(|e| wanted(e));
            if let Some(first) = picked.next() {
                let resource = key.resource_label();
                desired.endpoints.push(first.restore(&resource));
                desired
                    .endpoints
                    .extend(picked.map(|e| e.restore(&resource)));
            }
            if entry.awaiting_data {
                desired
                    .held_resources
                    .insert(key.resource_label(), HoldReason::AwaitingClusterData);
            }
            for problem in &entry.problems {
                if problem.consequence == Consequence::Skipped {
                    desired
                        .held_resources
                        .entry(problem.object.resource_label())
                        .or_insert(HoldReason::InvalidField);
                }
            }
        }
        desired
    }

    /// Number of endpoints the objects ask for.
    pub fn endpoint_count(&self) -> usize {
        lock(&self.objects)
            .values()
            .map(|e| e.endpoints.len())
            .sum()
    }

    /// Up to `limit` of the objects after `after`, in key order, that `wanted`
    /// picks (given each key and whether the object has problems), for status
    /// and Events. Callers page through them: an initial sync mentions every
    /// object, and a copy of all of them at once would double the state.
    pub fn views_where(
        &self,
        after: Option<&ObjectKey>,
        limit: usize,
        wanted: impl Fn(&ObjectKey, bool) -> bool,
    ) -> Vec<ObjectView> {
        use std::ops::Bound;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        lock(&self.objects)
            .range((from, Bound::Unbounded))
            .filter(|(key, e)| wanted(key, !e.problems.is_empty()))
            .take(limit)
            .map(|(key, e)| ObjectView {
                key: key.clone(),
                info: e.info.clone(),
                endpoints: restore_all(&e.endpoints, &key.resource_label()),
                problems: e.problems.clone(),
            })
            .collect()
    }

    /// Notes that an object's status now carries `generation` as observed.
    pub fn observed(&self, key: &ObjectKey, generation: i64) {
        if let Some(entry) = lock(&self.objects).get_mut(key) {
            entry.info.observed_generation = Some(generation);
        }
    }

    /// Every problem currently known, for reporting.
    pub fn problems(&self) -> Vec<Problem> {
        lock(&self.objects)
            .values()
            .flat_map(|e| e.problems.iter().cloned())
            .collect()
    }

    /// Number of objects that contribute something.
    pub fn objects(&self) -> usize {
        lock(&self.objects).len()
    }

    /// A receiver that sees every change of the state.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Takes the time of the oldest change not yet reconciled.
    pub fn take_pending_since(&self) -> Option<std::time::Instant> {
        lock(&self.pending_since).take()
    }

    fn bump(&self) {
        lock(&self.pending_since).get_or_insert_with(std::time::Instant::now);
        self.version.send_modify(|v| *v += 1);
    }
}

fn restore_all(endpoints: &[StoredEndpoint], resource: &str) -> Vec<Endpoint> {
    endpoints.iter().map(|e| e.restore(resource)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use crate::problem::ObjectRef;

    fn key(kind: SourceKind, name: &str) -> ObjectKey {
        ObjectKey {
            kind,
            namespace: "default".to_string(),
            name: name.to_string(),
        }
    }

    fn output(name: &str, ip: &str) -> SourceOutput {
        SourceOutput {
            endpoints: vec![
                Endpoint::new(name, RecordType::A, [ip])
                    .unwrap()
                    .with_label("resource", "ingress/default/x"),
            ],
            problems: Vec::new(),
        }
    }

    #[test]
    fn apply_delete_and_reset() {
        let state = State::default();
        let rx = state.subscribe();
        state.apply(
            key(SourceKind::Ingress, "a"),
            ObjectInfo::default(),
            output("a.example.com", "192.0.2.1"),
        );
        state.apply(
            key(SourceKind::Ingress, "b"),
            ObjectInfo::default(),
            output("b.example.com", "192.0.2.2"),
        );
        state.apply(
            key(SourceKind::Service, "c"),
            ObjectInfo::default(),
            output("c.example.com", "192.0.2.3"),
        );
        assert_eq!(state.desired().endpoints.len(), 3);
        assert_eq!(*rx.borrow(), 3);
        // The same again changes nothing.
        state.apply(
            key(SourceKind::Ingress, "a"),
            ObjectInfo::default(),
            output("a.example.com", "192.0.2.1"),
        );
        assert_eq!(*rx.borrow(), 3);
        state.delete(&key(SourceKind::Ingress, "b"));
        assert_eq!(state.desired().endpoints.len(), 2);
        // A re-list of ingresses that no longer returns "a".
        state.reset(SourceKind::Ingress, &BTreeSet::new());
        let names: Vec<_> = state
            .desired()
            .endpoints
            .into_iter()
            .map(|e| e.dns_name)
            .collect();
        assert_eq!(names, vec!["c.example.com"]);
    }

    #[test]
    fn views_page_through_the_picked_objects_in_key_order() {
        let state = State::default();
        for name in ["a", "b", "c", "d", "e"] {
            let kind = if name == "c" {
                SourceKind::Service
            } else {
                SourceKind::Ingress
            };
            state.apply(
                key(kind, name),
                ObjectInfo::default(),
                output(&format!("{name}.example.com"), "192.0.2.1"),
            );
        }
        let ingresses = |k: &ObjectKey, _: bool| k.kind == SourceKind::Ingress;
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let page = state.views_where(after.as_ref(), 2, ingresses);
            let Some(last) = page.last() else { break };
            after = Some(last.key.clone());
            pages.push(page.iter().map(|v| v.key.name.clone()).collect::<Vec<_>>());
        }
        assert_eq!(pages, vec![vec!["a", "b"], vec!["d", "e"]]);
    }

    #[test]
    fn skipped_fields_hold_their_object() {
        let state = State::default();
        let object = ObjectRef::new("Ingress", "default", "broken");
        let problem = Problem::new(
            &object,
            "metadata.annotations[\"external-dns.alpha.kubernetes.io/hostname\"]",
            "bad..example.com",
            Consequence::Skipped,
            "invalid-hostname",
            "not a DNS name",
        );
        state.apply(
            key(SourceKind::Ingress, "broken"),
            ObjectInfo::default(),
            SourceOutput {
                endpoints: Vec::new(),
                problems: vec![problem],
            },
        );
        assert!(
            state
                .desired()
                .held_resources
                .contains_key("ingress/default/broken")
        );
        assert_eq!(state.problems().len(), 1);
    }
}
