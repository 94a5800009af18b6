//! The source kinds: one entry per kind in [`SOURCES`], and every fact about a
//! kind that the rest of flaredns needs, so that a new kind is one entry here
//! plus its pure mapping module.
//!
//! An entry says how the kind is named (`--source`, the `resource` label of its
//! ownership records, Events), which object types it reads (its own and those
//! of its dependencies: a Service reads nodes, pods and EndpointSlices) with the
//! RBAC rules those need, how it is mapped from manifests (`flaredns plan`), and
//! how the controller watches it ([`Watch`]). The controller, the desired state,
//! the reporter, the manifest reader and the chart's RBAC test all loop over
//! this table; none of them names a kind.

use std::any::Any;
use std::fmt;

use kube::ResourceExt;
use kube::api::DynamicObject;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::problem::{Consequence, ObjectRef, Problem};

use super::manifest::Manifests;
use super::{SourceConfig, SourceKind, SourceOutput};

/// An object type flaredns reads: from the API server (watched) and from
/// manifest files (`flaredns plan`).
pub struct ObjectType {
    /// `apiVersion`, e.g. `networking.k8s.io/v1`.
    pub api_version: &'static str,
    /// `kind`, e.g. `Ingress`.
    pub kind: &'static str,
    /// The resource's plural name in RBAC rules and API paths, e.g. `ingresses`.
    pub plural: &'static str,
    /// Whether objects live in a namespace (a node does not).
    pub namespaced: bool,
    /// Decodes one object of this type from a manifest (see [`decode_manifest`]).
    pub decode: DecodeFn,
}

/// Decodes one manifest object into its typed form, boxed so that one
/// [`Manifests`] holds objects of every type.
pub type DecodeFn =
    fn(Value) -> Result<Box<dyn Any + Send + Sync>, serde_path_to_error::Error<serde_json::Error>>;

impl ObjectType {
    /// The API group (empty for the core group).
    pub fn group(&self) -> &'static str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }
}

impl fmt::Debug for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.api_version, self.kind)
    }
}

/// One RBAC rule the controller needs for a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RbacRule {
    pub api_group: &'static str,
    pub resource: &'static str,
    pub verbs: &'static [&'static str],
}

/// The verbs a watched type needs.
pub const READ: &[&str] = &["get", "list", "watch"];

/// How the controller watches a kind.
#[derive(Clone, Copy)]
pub enum Watch {
    /// Each object is mapped alone. Objects are watched as JSON and decoded
    /// here, so one that does not match its schema is a problem on itself,
    /// never the end of the stream.
    Alone(fn(&DynamicObject, &SourceConfig) -> SourceOutput),
    /// Objects are mapped together with reduced facts of the dependency types
    /// they read, through the controller's generic join (see
    /// [`super::join`]); the value names which join.
    Joined(JoinKind),
}

/// The joins the controller runs, one per kind that reads other objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// Services with nodes, pods and EndpointSlices ([`super::service::ServiceJoin`]).
    Service,
}

/// Everything about one source kind.
pub struct SourceDef {
    pub kind: SourceKind,
    /// The `--source` value.
    pub name: &'static str,
    /// The first segment of the `resource` label in ownership records
    /// (`ingress/default/web`), as ExternalDNS writes it.
    pub resource_prefix: &'static str,
    /// The type of its objects (for `crd`, the default that
    /// `--crd-source-apiversion` and `--crd-source-kind` may replace).
    pub object: &'static ObjectType,
    /// The types its mapping reads besides its own objects.
    pub dependencies: &'static [&'static ObjectType],
    /// Rules beyond reading its object and dependency types.
    pub extra_rbac: &'static [RbacRule],
    /// Whether the `controller` annotation can opt an object out (ExternalDNS
    /// does not look at it on DNSEndpoints).
    pub honours_controller_annotation: bool,
    /// Whether flaredns writes the object's status (and so keeps an entry for
    /// it even when it asks for nothing).
    pub writes_status: bool,
    /// Maps the kind's objects found in manifests, with their dependencies.
    pub from_manifests: fn(&Manifests, &SourceConfig) -> SourceOutput,
    /// How the controller watches it.
    pub watch: Watch,
}

impl SourceDef {
    /// Every RBAC rule the kind needs: read access to its object and
    /// dependency types, then its extra rules. `namespaced` leaves out the
    /// cluster-wide types, which a namespaced Role cannot grant.
    pub fn rbac(&self, namespaced: bool) -> Vec<RbacRule> {
        std::iter::once(self.object)
            .chain(self.dependencies.iter().copied())
            .filter(|t| t.namespaced || !namespaced)
            .map(|t| RbacRule {
                api_group: t.group(),
                resource: t.plural,
                verbs: READ,
            })
            .chain(self.extra_rbac.iter().copied())
            .collect()
    }
}

impl fmt::Debug for SourceDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceDef")
            .field("name", &self.name)
            .field("object", &self.object)
            .finish_non_exhaustive()
    }
}

/// Every source kind flaredns offers, in `--source`'s help order; entry `i`
/// is the kind whose [`SourceKind`] discriminant is `i` (a test checks).
pub static SOURCES: [SourceDef; 3] = [
    super::ingress::SOURCE,
    super::service::SOURCE,
    super::dnsendpoint::SOURCE,
];

/// The entry of `kind`.
pub fn def(kind: SourceKind) -> &'static SourceDef {
    &SOURCES[kind as usize]
}

/// Every object type some source reads, each once, in table order.
pub fn object_types() -> impl Iterator<Item = &'static ObjectType> {
    let mut seen: Vec<&'static ObjectType> = Vec::new();
    SOURCES
        .iter()
        .flat_map(|def| std::iter::once(def.object).chain(def.dependencies.iter().copied()))
        .filter(move |t| {
            let new = !seen.iter().any(|s| std::ptr::eq(*s, *t));
            if new {
                seen.push(t);
            }
            new
        })
}

/// [`DecodeFn`] for a typed object.
pub fn decode_manifest<T>(
    value: Value,
) -> Result<Box<dyn Any + Send + Sync>, serde_path_to_error::Error<serde_json::Error>>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    let object: T = serde_path_to_error::deserialize(value)?;
    Ok(Box::new(object))
}

/// Decodes a watched object into its typed form; one that does not match the
/// schema becomes a problem on itself (`kind` names it), with the field.
pub fn decode_watched<T: DeserializeOwned>(
    object: &DynamicObject,
    kind: &str,
) -> Result<T, SourceOutput> {
    let undecodable = |field: &str, message: &str| {
        let reference = ObjectRef::new(
            kind,
            &object.namespace().unwrap_or_default(),
            &object.name_any(),
        );
        SourceOutput {
            endpoints: Vec::new(),
            problems: vec![Problem::new(
                &reference,
                field,
                "",
                Consequence::Skipped,
                "undecodable-object",
                format!("the object does not match the {kind} schema: {message}"),
            )],
        }
    };
    let value = serde_json::to_value(object).map_err(|e| undecodable("", &e.to_string()))?;
    serde_path_to_error::deserialize(value)
        .map_err(|error| undecodable(&error.path().to_string(), &error.inner().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_in_source_kind_order() {
        for (i, def) in SOURCES.iter().enumerate() {
            assert_eq!(def.kind as usize, i, "{}", def.name);
            assert_eq!(SourceKind::ALL[i], def.kind);
        }
    }

    #[test]
    fn names_and_prefixes_are_unique() {
        for (i, a) in SOURCES.iter().enumerate() {
            for b in &SOURCES[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.resource_prefix, b.resource_prefix);
            }
        }
    }

    #[test]
    fn object_types_are_listed_once() {
        let kinds: Vec<&str> = object_types().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                "Ingress",
                "Service",
                "Node",
                "Pod",
                "EndpointSlice",
                "DNSEndpoint"
            ]
        );
    }

    #[test]
    fn namespaced_rules_leave_out_nodes() {
        let service = def(SourceKind::Service);
        let resources = |namespaced| -> Vec<&str> {
            service
                .rbac(namespaced)
                .iter()
                .map(|r| r.resource)
                .collect()
        };
        assert_eq!(
            resources(false),
            ["services", "nodes", "pods", "endpointslices"]
        );
        assert_eq!(resources(true), ["services", "pods", "endpointslices"]);
    }
}
