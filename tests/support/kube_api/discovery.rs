//! Discovery documents (`/version`, `/api`, `/apis`, group versions), enough
//! for kube's `Client::apiserver_version` and `Discovery`.

use serde_json::{Value, json};

use super::kinds::{self, KINDS};
use super::path::Route;

/// The document a discovery route answers with.
pub fn document(route: &Route) -> Value {
    match route {
        Route::Version => json!({
            "major": "1",
            "minor": "33",
            "gitVersion": "v1.33.0",
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2025-04-23T00:00:00Z",
            "goVersion": "go1.24.2",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
        Route::CoreVersions => json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1" }],
        }),
        Route::Groups => {
            let groups: Vec<Value> = kinds::group_versions()
                .into_iter()
                .filter(|(group, _)| !group.is_empty())
                .map(|(group, version)| {
                    let gv =
                        json!({ "groupVersion": format!("{group}/{version}"), "version": version });
                    json!({ "name": group, "versions": [gv.clone()], "preferredVersion": gv })
                })
                .collect();
            json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
        }
        Route::GroupVersion { group, version } => resource_list(group, version),
        Route::Resource(_) => Value::Null,
    }
}

/// `APIResourceList` of one group version, with the `status` subresources.
fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for kind in KINDS
        .iter()
        .filter(|k| k.group == group && k.version == version)
    {
        resources.push(json!({
            "name": kind.plural,
            "singularName": kind.kind.to_lowercase(),
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        }));
        if kind.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", kind.plural),
                "singularName": "",
                "namespaced": kind.namespaced,
                "kind": kind.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    })
}
