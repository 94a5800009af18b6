//! The `DNSEndpoint` custom resource (`externaldns.k8s.io/v1alpha1`), with the
//! same schema as ExternalDNS's so that existing objects keep working.
//!
//! Deserialisation is lenient, as the Go types are: every field is optional and
//! `null` reads as empty. A `DNSEndpoint` with a missing `targets` therefore
//! parses, and the source reports it as a problem instead of failing the object.
//! Status carries `observedGeneration` (as ExternalDNS writes it) plus standard
//! `conditions`, where flaredns says what it did with the object.
//!
//! `DNSEndpoint::crd()` carries the `api-approved.kubernetes.io` annotation the
//! ExternalDNS CRD has; note that kube's derive also puts it on objects made with
//! `DNSEndpoint::new`. [`definition`] is the CRD as flaredns installs it: the
//! derived one, shaped to match ExternalDNS's (see there); `flaredns crd` prints
//! it and `crds/dnsendpoint.yaml` holds a copy.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use kube::core::CustomResourceExt;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// What was asked for: the DNS records, one record set per entry of `endpoints`.
/// A missing or `null` spec reads as empty.
// The empty reading is done by the hand-written `Deserialize` below.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[kube(
    group = "externaldns.k8s.io",
    version = "v1alpha1",
    kind = "DNSEndpoint",
    plural = "dnsendpoints",
    namespaced,
    status = "DNSEndpointStatus",
    derive = "Default",
    derive = "PartialEq",
    doc = "DNSEndpoint asks for DNS records: each entry of spec.endpoints is one record set.",
    annotation(
        "api-approved.kubernetes.io",
        "https://github.com/kubernetes-sigs/external-dns/pull/2007"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct DNSEndpointSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointSpec>,
}

impl<'de> Deserialize<'de> for DNSEndpointSpec {
    /// Reads the spec through an `Option`: serde hands a missing field to
    /// `deserialize_option` as "none", so an object without `spec` (which the
    /// schema allows) parses with no endpoints instead of failing.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default, deserialize_with = "null_as_default")]
            endpoints: Vec<EndpointSpec>,
        }
        Ok(Option::<Fields>::deserialize(deserializer)?
            .map(|f| DNSEndpointSpec {
                endpoints: f.endpoints,
            })
            .unwrap_or_default())
    }
}

/// One endpoint of a `DNSEndpoint` (ExternalDNS's `endpoint.Endpoint` JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSpec {
    /// The host name.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub dns_name: String,
    /// The targets (addresses, host names or record data).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub targets: Vec<String>,
    /// `A`, `AAAA`, `CNAME`, `TXT`, `MX`, `SRV`, …
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub record_type: String,
    /// ExternalDNS's set identifier.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub set_identifier: String,
    /// TTL in seconds; 0 means not configured.
    #[serde(
        rename = "recordTTL",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub record_ttl: i64,
    /// Labels for the TXT ownership record.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Provider properties; Cloudflare's are named by their full annotation key,
    /// e.g. `external-dns.alpha.kubernetes.io/cloudflare-proxied`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub provider_specific: Vec<ProviderSpecificProperty>,
}

/// One `providerSpecific` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderSpecificProperty {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub value: String,
}

/// `status` of a `DNSEndpoint`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DNSEndpointStatus {
    /// The generation last seen, as ExternalDNS records it.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_zero"
    )]
    pub observed_generation: i64,
    /// What flaredns did with the object (standard `metav1.Condition`s).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<Condition>,
}

/// A standard Kubernetes condition (`metav1.Condition`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The condition type, e.g. `Ready`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// A CamelCase reason, for machines.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reason: String,
    /// Details, for people.
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    /// When `status` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "date_time_schema")]
    pub last_transition_time: Option<Time>,
    /// The generation the condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Reads `null` as the default value, as Go's JSON decoding does.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn date_time_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "format": "date-time",
        "nullable": true
    })
}

/// The `DNSEndpointList` kind ExternalDNS's CRD names and kube's derive leaves out.
const LIST_KIND: &str = "DNSEndpointList";

/// Why the CRD could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// The definition did not serialise to YAML.
    #[error("cannot write the DNSEndpoint CRD as YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
}

/// The `DNSEndpoint` CustomResourceDefinition as flaredns installs it: schema for
/// schema ExternalDNS's (the same names including `listKind`, namespaced, status
/// subresource, the `api-approved.kubernetes.io` annotation, `spec` optional,
/// `apiVersion`/`kind`/`metadata` declared), plus the optional
/// `status.conditions` where flaredns reports what it did.
///
/// kube's derive gets the rest right; this only reshapes what it does
/// differently, so the two CRDs can replace each other on a live cluster.
pub fn definition() -> CustomResourceDefinition {
    let mut crd = DNSEndpoint::crd();
    crd.spec.names.list_kind = Some(LIST_KIND.to_string());
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            reshape_root(schema);
        }
    }
    crd
}

/// The top of the object's schema, as ExternalDNS declares it.
fn reshape_root(schema: &mut JSONSchemaProps) {
    // ExternalDNS accepts a DNSEndpoint without `spec`; so must we.
    schema.required = None;
    schema.title = None;
    let properties = schema.properties.get_or_insert_with(BTreeMap::new);
    if let Some(status) = properties.get_mut("status") {
        // `Option<Status>` makes it nullable; ExternalDNS's is not, and a null
        // status is dropped by the API server anyway.
        status.nullable = None;
    }
    let string = |description: &str| JSONSchemaProps {
        description: Some(description.to_string()),
        type_: Some("string".to_string()),
        ..JSONSchemaProps::default()
    };
    properties.insert(
        "apiVersion".to_string(),
        string("The versioned schema of this object: externaldns.k8s.io/v1alpha1."),
    );
    properties.insert(
        "kind".to_string(),
        string("The kind of this object: DNSEndpoint."),
    );
    properties.insert(
        "metadata".to_string(),
        JSONSchemaProps {
            type_: Some("object".to_string()),
            ..JSONSchemaProps::default()
        },
    );
}

/// [`definition`] as YAML, exactly as `flaredns crd` prints it and
/// `crds/dnsendpoint.yaml` holds it.
pub fn definition_yaml() -> Result<String, CrdError> {
    let body = serde_norway::to_string(&definition())?;
    Ok(format!(
        "# The DNSEndpoint CustomResourceDefinition, as printed by `flaredns crd`.\n\
         # Same schema as ExternalDNS's, plus status.conditions.\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use kube::core::{CustomResourceExt, Resource};

    use super::*;

    #[test]
    fn identity_matches_externaldns() {
        assert_eq!(DNSEndpoint::group(&()), "externaldns.k8s.io");
        assert_eq!(DNSEndpoint::version(&()), "v1alpha1");
        assert_eq!(DNSEndpoint::kind(&()), "DNSEndpoint");
        assert_eq!(DNSEndpoint::plural(&()), "dnsendpoints");
        let crd = DNSEndpoint::crd();
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.kind, "DNSEndpoint");
        assert!(
            crd.spec.versions[0]
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some()
        );
        assert_eq!(
            crd.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("api-approved.kubernetes.io"))
                .map(String::as_str),
            Some("https://github.com/kubernetes-sigs/external-dns/pull/2007")
        );
    }

    #[test]
    fn definition_reshapes_the_derived_crd_only_where_externaldns_differs() {
        let crd = definition();
        assert_eq!(crd.spec.names.list_kind.as_deref(), Some("DNSEndpointList"));
        assert_eq!(crd.spec.names.singular.as_deref(), Some("dnsendpoint"));
        let schema = crd.spec.versions[0]
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("a schema");
        assert_eq!(schema.required, None);
        assert_eq!(schema.title, None);
        let properties = schema.properties.as_ref().expect("properties");
        let names: Vec<&str> = properties.keys().map(String::as_str).collect();
        assert_eq!(names, ["apiVersion", "kind", "metadata", "spec", "status"]);
        assert_eq!(properties["status"].nullable, None);
        let yaml = definition_yaml().expect("YAML");
        assert!(yaml.starts_with("# The DNSEndpoint CustomResourceDefinition"));
        assert!(yaml.contains("\n  name: dnsendpoints.externaldns.k8s.io\n"));
    }

    #[test]
    fn missing_and_null_fields_read_as_empty() {
        let object: DNSEndpoint = serde_json::from_value(serde_json::json!({
            "apiVersion": "externaldns.k8s.io/v1alpha1",
            "kind": "DNSEndpoint",
            "metadata": {"name": "x", "namespace": "default"},
            "spec": {"endpoints": [
                {"dnsName": "a.example.com", "recordType": "A"},
                {"dnsName": "b.example.com", "targets": null, "labels": null, "recordTTL": null, "extra": 1}
            ]},
            "status": {"observedGeneration": 3, "conditions": [{"type": "Ready"}]}
        }))
        .unwrap();
        assert_eq!(object.spec.endpoints.len(), 2);
        assert!(object.spec.endpoints[0].targets.is_empty());
        assert_eq!(object.spec.endpoints[1].record_ttl, 0);
        let status = object.status.unwrap();
        assert_eq!(status.observed_generation, 3);
        assert_eq!(status.conditions[0].type_, "Ready");
        assert_eq!(status.conditions[0].last_transition_time, None);

        let bare: DNSEndpoint = serde_json::from_value(serde_json::json!({
            "apiVersion": "externaldns.k8s.io/v1alpha1",
            "kind": "DNSEndpoint",
            "metadata": {"name": "y"}
        }))
        .unwrap();
        assert!(bare.spec.endpoints.is_empty());
        assert_eq!(bare.status, None);
    }

    #[test]
    fn serialises_like_externaldns() {
        let object = DNSEndpoint {
            metadata: ObjectMeta {
                name: Some("static".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: DNSEndpointSpec {
                endpoints: vec![EndpointSpec {
                    dns_name: "a.example.com".into(),
                    targets: vec!["192.0.2.1".into()],
                    record_type: "A".into(),
                    record_ttl: 300,
                    provider_specific: vec![ProviderSpecificProperty {
                        name: "external-dns.alpha.kubernetes.io/cloudflare-proxied".into(),
                        value: "true".into(),
                    }],
                    ..Default::default()
                }],
            },
            status: None,
        };
        let json = serde_json::to_value(&object).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": "externaldns.k8s.io/v1alpha1",
                "kind": "DNSEndpoint",
                "metadata": {"name": "static", "namespace": "default"},
                "spec": {"endpoints": [{
                    "dnsName": "a.example.com",
                    "targets": ["192.0.2.1"],
                    "recordType": "A",
                    "recordTTL": 300,
                    "providerSpecific": [{
                        "name": "external-dns.alpha.kubernetes.io/cloudflare-proxied",
                        "value": "true"
                    }]
                }]}
            })
        );
    }
}
