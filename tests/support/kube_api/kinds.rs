//! The resource types the fake serves: the ones flaredns's controller reads or
//! writes. A request for any other resource gets a 404, as it would from a
//! cluster without that API.

/// One served resource type.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// API group; empty for the core group (`/api/v1`).
    pub group: &'static str,
    /// API version inside the group.
    pub version: &'static str,
    /// `kind` of one object.
    pub kind: &'static str,
    /// Lower-case plural used in paths.
    pub plural: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether the type has a `status` subresource: then writes to the main
    /// resource keep the stored status and writes to `/status` change only it.
    pub status_subresource: bool,
}

impl Kind {
    /// `apiVersion` of an object: `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group` (just `plural` for the core group), as errors name it.
    pub fn resource_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The URL prefix of the group version: `/api/v1` or `/apis/group/version`.
    pub fn group_version_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }
}

/// Every served type. The index of a type in this table is its identity in the
/// store.
pub static KINDS: &[Kind] = &[
    Kind {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        namespaced: true,
        status_subresource: true,
    },
    Kind {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        namespaced: true,
        status_subresource: true,
    },
    Kind {
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        namespaced: false,
        status_subresource: true,
    },
    Kind {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
        status_subresource: true,
    },
    Kind {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        plural: "ingresses",
        namespaced: true,
        status_subresource: true,
    },
    Kind {
        group: "discovery.k8s.io",
        version: "v1",
        kind: "EndpointSlice",
        plural: "endpointslices",
        namespaced: true,
        status_subresource: false,
    },
    Kind {
        group: "externaldns.k8s.io",
        version: "v1alpha1",
        kind: "DNSEndpoint",
        plural: "dnsendpoints",
        namespaced: true,
        status_subresource: true,
    },
    Kind {
        group: "events.k8s.io",
        version: "v1",
        kind: "Event",
        plural: "events",
        namespaced: true,
        status_subresource: false,
    },
    Kind {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        namespaced: true,
        status_subresource: false,
    },
];

/// The type served at `group/version/plural`.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// The type of an object with this `apiVersion` and `kind`.
pub fn by_type(api_version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
}

/// The index of a served type in [`KINDS`] (its identity in the store).
pub fn index(kind: &'static Kind) -> Option<usize> {
    KINDS.iter().position(|k| std::ptr::eq(k, kind))
}

/// The type of a kube-rs resource type (k8s-openapi or derived).
pub fn of<K: kube::Resource<DynamicType = ()>>() -> Option<&'static Kind> {
    by_path(&K::group(&()), &K::version(&()), &K::plural(&()))
}

/// The group versions served, in discovery order, without repeats.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for kind in KINDS {
        if !out.contains(&(kind.group, kind.version)) {
            out.push((kind.group, kind.version));
        }
    }
    out
}
