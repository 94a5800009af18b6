//! `labelSelector` and `fieldSelector` query parameters: parsed once per
//! request, then matched against stored objects.
//!
//! Hand-written because no maintained crate parses the Kubernetes selector
//! grammar (kube-core only builds selectors); the grammar is small.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::error::ApiError;

/// `key in (a, b)` / `key notin (a, b)`.
static SET_BASED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9./_-]+)\s+(in|notin)\s*\(([^()]*)\)$").expect("static regex")
});

/// One label requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    NotExists(String),
    GreaterThan(String, i64),
    LessThan(String, i64),
}

impl LabelRequirement {
    fn matches(&self, labels: Option<&serde_json::Map<String, Value>>) -> bool {
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        match self {
            LabelRequirement::Equals(k, v) => get(k) == Some(v.as_str()),
            LabelRequirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            LabelRequirement::In(k, set) => get(k).is_some_and(|v| set.contains(v)),
            LabelRequirement::NotIn(k, set) => !get(k).is_some_and(|v| set.contains(v)),
            LabelRequirement::Exists(k) => get(k).is_some(),
            LabelRequirement::NotExists(k) => get(k).is_none(),
            LabelRequirement::GreaterThan(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            LabelRequirement::LessThan(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        }
    }
}

/// A parsed `labelSelector`: every requirement must hold (an empty selector
/// matches everything).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<LabelRequirement>);

impl LabelSelector {
    /// Parses equality-based (`a=b`, `a==b`, `a!=b`), set-based (`a in (x,y)`,
    /// `a notin (x)`, `a`, `!a`) and numeric (`a>1`, `a<2`) requirements.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let bad = |part: &str| {
            ApiError::BadRequest(format!(
                "unable to parse requirement: found '{part}', expected a label selector"
            ))
        };
        let mut out = Vec::new();
        for part in split_outside_parens(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(caps) = SET_BASED.captures(part) {
                let values: BTreeSet<String> = caps[3]
                    .split(',')
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect();
                let key = caps[1].to_owned();
                if &caps[2] == "in" {
                    LabelRequirement::In(key, values)
                } else {
                    LabelRequirement::NotIn(key, values)
                }
            } else if let Some(key) = part.strip_prefix('!') {
                LabelRequirement::NotExists(valid_key(key.trim()).ok_or_else(|| bad(part))?)
            } else if let Some((k, v)) = part.split_once("!=") {
                LabelRequirement::NotEquals(valid_key(k).ok_or_else(|| bad(part))?, v.trim().into())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                LabelRequirement::Equals(valid_key(k).ok_or_else(|| bad(part))?, v.trim().into())
            } else if let Some((k, v)) = part.split_once('>') {
                let n = v.trim().parse().map_err(|_| bad(part))?;
                LabelRequirement::GreaterThan(valid_key(k).ok_or_else(|| bad(part))?, n)
            } else if let Some((k, v)) = part.split_once('<') {
                let n = v.trim().parse().map_err(|_| bad(part))?;
                LabelRequirement::LessThan(valid_key(k).ok_or_else(|| bad(part))?, n)
            } else {
                LabelRequirement::Exists(valid_key(part).ok_or_else(|| bad(part))?)
            };
            out.push(requirement);
        }
        Ok(LabelSelector(out))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object["metadata"]["labels"].as_object();
        self.0.iter().all(|r| r.matches(labels))
    }
}

/// A label key without whitespace or operator characters.
fn valid_key(key: &str) -> Option<String> {
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-'));
    ok.then(|| key.to_owned())
}

/// Splits on commas that are not inside `( … )`.
fn split_outside_parens(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// One field requirement: a dotted path compared to a value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldRequirement {
    path: Vec<String>,
    value: String,
    equal: bool,
}

/// A parsed `fieldSelector` (`metadata.name=x`, `spec.nodeName!=y`, …).
///
/// Unlike a real API server, which accepts only a few fields per kind, any
/// dotted path is accepted; a missing field reads as the empty string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<FieldRequirement>);

impl FieldSelector {
    /// Parses `path=value`, `path==value` and `path!=value`, comma-separated.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, value, equal) = if let Some((p, v)) = part.split_once("!=") {
                (p, v, false)
            } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (p, v, true)
            } else {
                return Err(ApiError::BadRequest(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                )));
            };
            out.push(FieldRequirement {
                path: path.trim().split('.').map(str::to_owned).collect(),
                value: value.trim().to_owned(),
                equal,
            });
        }
        Ok(FieldSelector(out))
    }

    /// Whether every requirement holds for the object.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|r| {
            let found = r
                .path
                .iter()
                .try_fold(object, |v, key| v.get(key))
                .map(scalar_text)
                .unwrap_or_default();
            (found == r.value) == r.equal
        })
    }
}

/// A JSON scalar as the text a field selector compares against.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Both selectors of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selectors {
    /// From `labelSelector`.
    pub labels: LabelSelector,
    /// From `fieldSelector`.
    pub fields: FieldSelector,
}

impl Selectors {
    /// Parses the two query parameters (absent means "everything").
    pub fn parse(labels: Option<&str>, fields: Option<&str>) -> Result<Self, ApiError> {
        Ok(Selectors {
            labels: labels
                .map(LabelSelector::parse)
                .transpose()?
                .unwrap_or_default(),
            fields: fields
                .map(FieldSelector::parse)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Whether the object passes both.
    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }
}
