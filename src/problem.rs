//! Per-object problems: data, not process exits.
//!
//! A bad annotation or field on one object must never stop flaredns or delete a
//! record. Sources report what they could not use as [`Problem`]s; the planner
//! reports names it will not touch the same way. Callers log them, show them in
//! `flaredns plan`, and (in the controller) turn them into Kubernetes Events and
//! metrics.

use std::fmt;

use serde::Serialize;

/// The Kubernetes object a problem belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    /// `Ingress`, `Service` or `DNSEndpoint`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        ObjectRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The reference of an object from its kind and metadata (a missing name or
    /// namespace reads as empty).
    pub fn from_meta(
        kind: &str,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ) -> Self {
        ObjectRef::new(
            kind,
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        )
    }

    /// The `resource` label ExternalDNS writes for this object: `ingress/<ns>/<name>`,
    /// `service/<ns>/<name>` or `crd/<ns>/<name>`.
    pub fn resource_label(&self) -> String {
        let kind = match self.kind.as_str() {
            "DNSEndpoint" => "crd".to_string(),
            other => other.to_ascii_lowercase(),
        };
        format!("{kind}/{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// What became of the value a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Consequence {
    /// An optional value was ignored as ExternalDNS ignores it (for example a TTL
    /// of "abc": the TTL is not configured); the endpoint is still published.
    Ignored,
    /// The endpoint (a hostname, a target) was skipped; whatever it published
    /// before stays as it is.
    Skipped,
}

/// One thing flaredns could not use, naming the object and the field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Problem {
    pub object: ObjectRef,
    /// The field or annotation key, e.g. `metadata.annotations["external-dns.alpha.kubernetes.io/ttl"]`
    /// or `spec.endpoints[0].targets[1]`.
    pub field: String,
    /// The offending value, shortened for display.
    pub value: String,
    pub consequence: Consequence,
    /// What is wrong, in words a user can act on.
    pub message: String,
    /// A short, fixed label for metrics (`invalid-ttl`, `invalid-hostname`, …).
    pub reason: &'static str,
}

/// Longest value quoted back in a problem (a 10 kB annotation is not echoed whole).
const MAX_VALUE_CHARS: usize = 120;

impl Problem {
    pub fn new(
        object: &ObjectRef,
        field: impl Into<String>,
        value: &str,
        consequence: Consequence,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            object: object.clone(),
            field: field.into(),
            value: shorten(value),
            consequence,
            message: message.into(),
            reason,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.consequence {
            Consequence::Ignored => "ignored",
            Consequence::Skipped => "skipped",
        };
        write!(
            f,
            "{}: {} = {:?} {what}: {}",
            self.object, self.field, self.value, self.message
        )
    }
}

/// Shortens a value for display, on a character boundary.
pub fn shorten(value: &str) -> String {
    if value.chars().count() <= MAX_VALUE_CHARS {
        return value.to_string();
    }
    let mut short: String = value.chars().take(MAX_VALUE_CHARS).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_labels_follow_externaldns() {
        assert_eq!(
            ObjectRef::new("Ingress", "default", "nginx").resource_label(),
            "ingress/default/nginx"
        );
        assert_eq!(
            ObjectRef::new("DNSEndpoint", "default", "static-entry").resource_label(),
            "crd/default/static-entry"
        );
    }

    #[test]
    fn long_values_are_shortened_on_char_boundaries() {
        let value = "é".repeat(500);
        let short = shorten(&value);
        assert_eq!(short.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(short.ends_with('…'));
    }
}
