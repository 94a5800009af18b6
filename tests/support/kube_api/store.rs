//! The object store: every object as JSON, one global resource version, a
//! bounded history of changes for watches, and list snapshots for `continue`.
//!
//! Synchronous and free of I/O; the server holds it behind a mutex and wakes
//! watchers after each write.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::error::ApiError;
use super::kinds::{KINDS, Kind};
use super::selector::Selectors;

/// How many list snapshots are kept for `continue` tokens before the oldest
/// is dropped (its token then answers 410).
const MAX_SNAPSHOTS: usize = 64;

/// Where an object lives: its type (index in [`KINDS`]), namespace (empty for
/// cluster-scoped types) and name. Ordered so that a type's objects are
/// listed by namespace, then name, as a real API server lists them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Index of the type in [`KINDS`].
    pub kind: usize,
    /// Namespace, or empty.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl Key {
    /// The type of the object.
    pub fn kind(&self) -> &'static Kind {
        &KINDS[self.kind]
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeType {
    /// Created.
    Added,
    /// Replaced or patched.
    Modified,
    /// Deleted.
    Deleted,
}

/// One entry of the history watches replay.
#[derive(Clone, Debug)]
pub struct Change {
    /// The resource version the change produced.
    pub resource_version: u64,
    /// Which object.
    pub key: Key,
    /// What happened.
    pub change: ChangeType,
    /// The object after the change (for a delete: its last state, carrying
    /// the delete's resource version).
    pub object: Arc<Value>,
    /// The object before a modification, so that a watch with a selector can
    /// tell an object that stopped matching (sent as `DELETED`) from one that
    /// started matching (sent as `ADDED`).
    pub previous: Option<Arc<Value>>,
}

/// Which parts of an object a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteScope {
    /// The main resource through the API: for types with a status
    /// subresource, the stored status is kept (and dropped on create).
    Main,
    /// The `status` subresource: only `status` changes.
    Status,
    /// A test's own write through the handle: everything, status included.
    Everything,
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct ListPage {
    /// The objects of this page.
    pub items: Vec<Arc<Value>>,
    /// The resource version the whole list (all pages) was taken at.
    pub resource_version: u64,
    /// The token for the next page, if any.
    pub continue_token: Option<String>,
    /// How many objects follow this page.
    pub remaining: Option<usize>,
}

/// A list result kept for its `continue` tokens: later pages come from it, so
/// writes between pages do not show (a consistent snapshot, as etcd gives).
#[derive(Debug)]
struct Snapshot {
    resource_version: u64,
    items: Vec<Arc<Value>>,
}

/// The store. See the module docs.
#[derive(Debug)]
pub struct Store {
    resource_version: u64,
    next_uid: u64,
    objects: BTreeMap<Key, Arc<Value>>,
    history: VecDeque<Change>,
    history_capacity: usize,
    /// Changes up to this version are no longer in the history: a watch or
    /// continue token from an older version gets 410.
    compacted_through: u64,
    snapshots: HashMap<u64, Snapshot>,
    next_snapshot: u64,
}

impl Store {
    /// An empty store keeping at most `history_capacity` changes.
    pub fn new(history_capacity: usize) -> Self {
        Store {
            resource_version: 1,
            next_uid: 1,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_capacity: history_capacity.max(1),
            compacted_through: 1,
            snapshots: HashMap::new(),
            next_snapshot: 1,
        }
    }

    /// The latest resource version.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// The oldest version a watch can start from.
    pub fn compacted_through(&self) -> u64 {
        self.compacted_through
    }

    /// One object.
    pub fn get(&self, key: &Key) -> Result<Arc<Value>, ApiError> {
        self.objects
            .get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(key.kind(), &key.name))
    }

    /// The objects of a type (in one namespace, or all), filtered.
    pub fn select(
        &self,
        kind: usize,
        namespace: Option<&str>,
        selectors: &Selectors,
    ) -> Vec<Arc<Value>> {
        let start = Key {
            kind,
            namespace: namespace.unwrap_or_default().to_owned(),
            name: String::new(),
        };
        self.objects
            .range(start..)
            .take_while(|(k, _)| k.kind == kind && namespace.is_none_or(|ns| k.namespace == ns))
            .filter(|(_, v)| selectors.matches(v))
            .map(|(_, v)| Arc::clone(v))
            .collect()
    }

    /// A list page: the first page takes a snapshot when it is cut by
    /// `limit`; `continue` tokens read later pages from that snapshot.
    pub fn list(
        &mut self,
        kind: usize,
        namespace: Option<&str>,
        selectors: &Selectors,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        let limit = limit.filter(|&l| l > 0);
        let (snapshot_id, offset) = match continue_token.filter(|t| !t.is_empty()) {
            Some(token) => parse_continue(token)?,
            None => {
                let items = self.select(kind, namespace, selectors);
                if limit.is_none_or(|l| items.len() <= l) {
                    return Ok(ListPage {
                        items,
                        resource_version: self.resource_version,
                        continue_token: None,
                        remaining: None,
                    });
                }
                let id = self.next_snapshot;
                self.next_snapshot += 1;
                self.snapshots.insert(
                    id,
                    Snapshot {
                        resource_version: self.resource_version,
                        items,
                    },
                );
                self.drop_old_snapshots();
                (id, 0)
            }
        };
        let expired = || {
            ApiError::Expired(
                "The provided continue parameter is too old to display a consistent list result. \
                 You can start a new list without the continue parameter."
                    .to_owned(),
            )
        };
        let snapshot = self.snapshots.get(&snapshot_id).ok_or_else(expired)?;
        if snapshot.resource_version < self.compacted_through {
            self.snapshots.remove(&snapshot_id);
            return Err(expired());
        }
        let total = snapshot.items.len();
        let end = limit.map_or(total, |l| offset.saturating_add(l).min(total));
        let items = snapshot
            .items
            .get(offset.min(total)..end)
            .unwrap_or_default()
            .to_vec();
        let resource_version = snapshot.resource_version;
        let page = if end < total {
            ListPage {
                items,
                resource_version,
                continue_token: Some(format!("{snapshot_id}-{end}")),
                remaining: Some(total - end),
            }
        } else {
            self.snapshots.remove(&snapshot_id);
            ListPage {
                items,
                resource_version,
                continue_token: None,
                remaining: None,
            }
        };
        Ok(page)
    }

    fn drop_old_snapshots(&mut self) {
        while self.snapshots.len() > MAX_SNAPSHOTS {
            let Some(oldest) = self.snapshots.keys().min().copied() else {
                break;
            };
            self.snapshots.remove(&oldest);
        }
    }

    /// Creates an object in `namespace` (ignored for cluster-scoped types).
    pub fn create(
        &mut self,
        kind: usize,
        namespace: &str,
        mut object: Value,
        scope: WriteScope,
    ) -> Result<Arc<Value>, ApiError> {
        let ty = &KINDS[kind];
        check_type(ty, &object)?;
        let meta = metadata_mut(&mut object)?;
        let namespace = scoped_namespace(ty, namespace, meta)?;
        let has_rv = meta
            .get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty());
        if has_rv {
            return Err(ApiError::Internal(
                "resourceVersion should not be set on objects to be created".to_owned(),
            ));
        }
        let name = match meta
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(name) => name.to_owned(),
            None => match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => format!("{prefix}{:05x}", self.next_uid),
                _ => {
                    return Err(ApiError::Invalid(format!(
                        "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                        ty.kind
                    )));
                }
            },
        };
        validate_name(ty, &name)?;
        let key = Key {
            kind,
            namespace: namespace.clone(),
            name: name.clone(),
        };
        if self.objects.contains_key(&key) {
            return Err(ApiError::AlreadyExists {
                resource: ty.resource_name(),
                name,
            });
        }
        if scope != WriteScope::Everything && ty.status_subresource {
            // The API server resets status on create for these types.
            if let Some(map) = object.as_object_mut() {
                map.remove("status");
            }
        }
        let uid = format!("6b756265-0000-4000-8000-{:012x}", self.next_uid);
        self.next_uid += 1;
        self.resource_version += 1;
        let meta = metadata_mut(&mut object)?;
        meta.insert("name".into(), json!(name));
        if ty.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        meta.insert("generation".into(), json!(1));
        meta.insert("creationTimestamp".into(), json!(now()));
        meta.remove("managedFields");
        meta.remove("deletionTimestamp");
        let object = Arc::new(object);
        self.objects.insert(key.clone(), Arc::clone(&object));
        self.record(key, ChangeType::Added, Arc::clone(&object), None);
        Ok(object)
    }

    /// Replaces an object (PUT, and the result of a PATCH). A non-empty
    /// `metadata.resourceVersion` or `uid` in `next` is a precondition.
    /// A write that changes nothing keeps the resource version and sends no
    /// watch event, as on a real server.
    pub fn update(
        &mut self,
        key: &Key,
        next: Value,
        scope: WriteScope,
    ) -> Result<Arc<Value>, ApiError> {
        let ty = key.kind();
        let current = self.get(key)?;
        check_type(ty, &next)?;
        let body_meta = next.get("metadata").and_then(Value::as_object);
        let text = |field: &str| {
            body_meta
                .and_then(|m| m.get(field))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        if let Some(name) = text("name")
            && name != key.name
        {
            return Err(ApiError::BadRequest(format!(
                "the name of the object ({name}) does not match the name on the URL ({})",
                key.name
            )));
        }
        if ty.namespaced
            && let Some(ns) = text("namespace")
            && ns != key.namespace
        {
            return Err(ApiError::BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
                    .to_owned(),
            ));
        }
        let current_meta = &current["metadata"];
        if text("resourceVersion")
            .is_some_and(|rv| Some(rv) != current_meta["resourceVersion"].as_str())
            || text("uid").is_some_and(|uid| Some(uid) != current_meta["uid"].as_str())
        {
            return Err(ApiError::conflict(ty, &key.name));
        }

        let mut merged = match scope {
            WriteScope::Status => {
                let mut merged = (*current).clone();
                set_or_remove(&mut merged, "status", next.get("status").cloned());
                merged
            }
            WriteScope::Main => {
                let mut merged = next;
                if ty.status_subresource {
                    set_or_remove(&mut merged, "status", current.get("status").cloned());
                }
                merged
            }
            WriteScope::Everything => next,
        };
        // System fields always come from the stored object.
        let meta = metadata_mut(&mut merged)?;
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "resourceVersion",
            "generation",
        ] {
            match current_meta.get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        meta.remove("managedFields");
        if let Some(map) = merged.as_object_mut() {
            map.insert("apiVersion".into(), json!(ty.api_version()));
            map.insert("kind".into(), json!(ty.kind));
        }
        if merged == *current {
            return Ok(current);
        }
        if spec_of(ty, &merged) != spec_of(ty, &current) {
            let generation = current_meta["generation"].as_i64().unwrap_or(0) + 1;
            metadata_mut(&mut merged)?.insert("generation".into(), json!(generation));
        }
        self.resource_version += 1;
        metadata_mut(&mut merged)?.insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        let object = Arc::new(merged);
        self.objects.insert(key.clone(), Arc::clone(&object));
        self.record(
            key.clone(),
            ChangeType::Modified,
            Arc::clone(&object),
            Some(current),
        );
        Ok(object)
    }

    /// Deletes an object at once (no finalizers, no grace period). The
    /// optional preconditions are those of `DeleteOptions`.
    pub fn delete(
        &mut self,
        key: &Key,
        resource_version: Option<&str>,
        uid: Option<&str>,
    ) -> Result<Arc<Value>, ApiError> {
        let current = self.get(key)?;
        let meta = &current["metadata"];
        if resource_version.is_some_and(|rv| Some(rv) != meta["resourceVersion"].as_str())
            || uid.is_some_and(|u| Some(u) != meta["uid"].as_str())
        {
            return Err(ApiError::conflict(key.kind(), &key.name));
        }
        self.objects.remove(key);
        self.resource_version += 1;
        let mut last = (*current).clone();
        metadata_mut(&mut last)?.insert(
            "resourceVersion".into(),
            json!(self.resource_version.to_string()),
        );
        let last = Arc::new(last);
        self.record(key.clone(), ChangeType::Deleted, Arc::clone(&last), None);
        Ok(last)
    }

    /// The changes after `resource_version`, or 410 when the history no
    /// longer reaches back that far.
    pub fn changes_since(&self, resource_version: u64) -> Result<Vec<Change>, ApiError> {
        if resource_version < self.compacted_through {
            return Err(ApiError::Expired(format!(
                "too old resource version: {resource_version} ({})",
                self.compacted_through
            )));
        }
        Ok(self
            .history
            .iter()
            .filter(|c| c.resource_version > resource_version)
            .cloned()
            .collect())
    }

    /// Forgets the whole history and moves the resource version on by one
    /// (as other writes in a cluster would), so that every version a client
    /// holds is too old: every watch resumed from one, and every `continue`
    /// token, gets 410.
    pub fn compact(&mut self) {
        self.history.clear();
        self.resource_version += 1;
        self.compacted_through = self.resource_version;
    }

    fn record(
        &mut self,
        key: Key,
        change: ChangeType,
        object: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) {
        self.history.push_back(Change {
            resource_version: self.resource_version,
            key,
            change,
            object,
            previous,
        });
        while self.history.len() > self.history_capacity {
            if let Some(old) = self.history.pop_front() {
                self.compacted_through = old.resource_version;
            }
        }
    }
}

/// `snapshot-offset` → the two numbers, or 400.
fn parse_continue(token: &str) -> Result<(u64, usize), ApiError> {
    token
        .split_once('-')
        .and_then(|(id, offset)| Some((id.parse().ok()?, offset.parse().ok()?)))
        .ok_or_else(|| ApiError::BadRequest(format!("invalid continue token: {token}")))
}

/// Checks `apiVersion` and `kind` when the body has them.
fn check_type(ty: &Kind, object: &Value) -> Result<(), ApiError> {
    if !object.is_object() {
        return Err(ApiError::BadRequest(
            "the body is not a JSON object".to_owned(),
        ));
    }
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    let kind = object.get("kind").and_then(Value::as_str);
    if api_version.is_some_and(|v| v != ty.api_version()) || kind.is_some_and(|k| k != ty.kind) {
        return Err(ApiError::BadRequest(format!(
            "the API version in the data ({}) or kind ({}) does not match the expected {} {}",
            api_version.unwrap_or_default(),
            kind.unwrap_or_default(),
            ty.api_version(),
            ty.kind
        )));
    }
    Ok(())
}

/// `metadata` as a map, created when missing; 400 when it is not an object.
fn metadata_mut(object: &mut Value) -> Result<&mut serde_json::Map<String, Value>, ApiError> {
    let map = object
        .as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("the body is not a JSON object".to_owned()))?;
    map.entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("metadata is not an object".to_owned()))
}

/// The namespace an object is created in: the request's, which the body may
/// repeat but not contradict; empty for cluster-scoped types.
fn scoped_namespace(
    ty: &Kind,
    namespace: &str,
    meta: &serde_json::Map<String, Value>,
) -> Result<String, ApiError> {
    if !ty.namespaced {
        return Ok(String::new());
    }
    let body = meta
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    match body {
        Some(ns) if !namespace.is_empty() && ns != namespace => Err(ApiError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .to_owned(),
        )),
        Some(ns) => Ok(ns.to_owned()),
        None if namespace.is_empty() => Ok("default".to_owned()),
        None => Ok(namespace.to_owned()),
    }
}

/// A DNS subdomain name (RFC 1123), as the API server requires of names.
fn validate_name(ty: &Kind, name: &str) -> Result<(), ApiError> {
    let ok = name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::Invalid(format!(
            "{} \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'",
            ty.kind
        )))
    }
}

/// Sets a top-level field, or removes it for `None`.
fn set_or_remove(object: &mut Value, field: &str, value: Option<Value>) {
    if let Some(map) = object.as_object_mut() {
        match value {
            Some(v) => map.insert(field.to_owned(), v),
            None => map.remove(field),
        };
    }
}

/// The part of an object whose change bumps `generation`: everything but
/// `metadata` (and `status`, for types with a status subresource).
fn spec_of(ty: &Kind, object: &Value) -> Value {
    let mut out = object.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("metadata");
        if ty.status_subresource {
            map.remove("status");
        }
    }
    out
}

/// Now, as `metav1.Time` writes it (RFC 3339, whole seconds, UTC).
fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
