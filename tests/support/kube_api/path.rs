//! Request paths: which resource (or discovery document) a URL names.

use super::kinds::{self, KINDS, Kind};

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: the other groups.
    Groups,
    /// `/api/v1` or `/apis/<group>/<version>`: the resources of a group version.
    GroupVersion {
        /// Empty for the core group.
        group: String,
        /// The version.
        version: String,
    },
    /// A collection, an object or an object's subresource.
    Resource(Target),
}

/// A resource path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Index of the type in [`KINDS`].
    pub kind: usize,
    /// The namespace segment, if the path has one.
    pub namespace: Option<String>,
    /// The object name, if the path names one.
    pub name: Option<String>,
    /// The subresource (`status`), if any.
    pub subresource: Option<String>,
}

impl Target {
    /// The served type.
    pub fn kind(&self) -> &'static Kind {
        &KINDS[self.kind]
    }
}

/// Parses a URL path; `None` for anything the fake does not serve.
pub fn parse(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        ["version"] => Some(Route::Version),
        ["api"] => Some(Route::CoreVersions),
        ["apis"] => Some(Route::Groups),
        ["api", version] => group_version("", version),
        ["apis", group, version] => group_version(group, version),
        ["api", version, rest @ ..] => resource("", version, rest),
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        _ => None,
    }
}

fn group_version(group: &str, version: &str) -> Option<Route> {
    kinds::group_versions()
        .contains(&(group, version))
        .then(|| Route::GroupVersion {
            group: group.to_owned(),
            version: version.to_owned(),
        })
}

/// `plural[/name[/sub]]` or `namespaces/ns/plural[/name[/sub]]`. A path under
/// `namespaces/<ns>` whose next segment is `status` or `finalize` is the
/// Namespace object's subresource, as on a real server.
fn resource(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    let (namespace, rest) = match rest {
        ["namespaces", _, sub] if group.is_empty() && is_namespace_sub(sub) => (None, rest),
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some((*ns).to_owned()), tail),
        _ => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(*name), None),
        [plural, name, sub] => (*plural, Some(*name), Some(*sub)),
        _ => return None,
    };
    let kind = kinds::by_path(group, version, plural)?;
    if kind.namespaced != namespace.is_some() && (namespace.is_some() || name.is_some()) {
        // A cluster-scoped type under a namespace, or a namespaced object
        // named without its namespace.
        return None;
    }
    Some(Route::Resource(Target {
        kind: kinds::index(kind)?,
        namespace,
        name: name.map(str::to_owned),
        subresource: subresource.map(str::to_owned),
    }))
}

fn is_namespace_sub(segment: &str) -> bool {
    matches!(segment, "status" | "finalize")
}
