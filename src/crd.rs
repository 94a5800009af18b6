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
//! `DNSEndpoint::new`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// `spec` of a `DNSEndpoint`: the endpoints it asks for. A missing or `null`
/// `spec` reads as empty (see the `Deserialize` impl).
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
    /// Labels for the TTL ownership record.
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
