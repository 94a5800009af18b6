//! Validation against Cloudflare's published OpenAPI subset
//! (`tests/data/cloudflare-openapi-dns.json`), as the API reference (§0) says:
//! responses in "read" mode (read-only fields allowed and required where the
//! schema requires them), request bodies in "write" mode (read-only fields not
//! required), request records against the per-type schemas.
//!
//! OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few keywords. The one that
//! changes validation is `nullable`, which becomes a `"null"` member of `type`
//! (and of `enum`). Everything else (`readOnly`, `example`, `x-…`) is an
//! annotation the validator ignores.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

/// Read mode for responses, write mode for request bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Read,
    Write,
}

/// The OpenAPI document, converted for a JSON Schema validator, with compiled
/// validators cached by schema.
pub struct OpenApi {
    read: Value,
    write: Value,
    cache: Mutex<HashMap<(String, Mode), Arc<Validator>>>,
}

impl OpenApi {
    pub fn load() -> Self {
        let doc: Value = serde_json::from_str(include_str!("../data/cloudflare-openapi-dns.json"))
            .expect("the OpenAPI subset is valid JSON");
        let mut read = doc.clone();
        convert_nullable(&mut read);
        let mut write = read.clone();
        let read_only = read_only_properties(&write);
        strip_read_only_from_required(&mut write, &read_only);
        OpenApi {
            read,
            write,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn doc(&self, mode: Mode) -> &Value {
        match mode {
            Mode::Read => &self.read,
            Mode::Write => &self.write,
        }
    }

    /// The schema of a response: `200` for a 2xx status, `4XX` otherwise. Every
    /// 4XX schema of the record and token operations is `allOf` a success
    /// schema (`success: enum [true]`) and the failure schema (`success: enum
    /// [false]`), which no body can satisfy; those are checked against their
    /// failure member, the part that describes failures. A status the document
    /// does not list (5xx) is checked the same way.
    pub fn response_schema(&self, template: &str, method: &str, status: u16) -> Value {
        let op = &self.read["paths"][template][method.to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "the OpenAPI subset has no {method} {template}"
        );
        let key = if (200..300).contains(&status) {
            "200"
        } else {
            "4XX"
        };
        let schema = op["responses"][key]["content"]["application/json"]["schema"].clone();
        assert!(
            !schema.is_null(),
            "no {key} response for {method} {template}"
        );
        if key == "200" {
            return schema;
        }
        failure_member(&schema)
    }

    /// The complete 4XX schema, as published (used to pin the quirk above).
    pub fn raw_failure_schema(&self, template: &str, method: &str) -> Value {
        self.read["paths"][template][method.to_ascii_lowercase()]["responses"]["4XX"]["content"]
            ["application/json"]["schema"]
            .clone()
    }

    /// A named component, `{"$ref": "#/components/schemas/<name>"}`.
    pub fn component(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The errors of `instance` against `schema` (empty when valid).
    pub fn errors(&self, schema: &Value, mode: Mode, instance: &Value) -> Vec<String> {
        let validator = self.validator(schema, mode);
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// The errors of an answer with HTTP `status` against its schema. The live
    /// API's rate-limit code, 971, is below the schema's minimum error code of
    /// 1000; on a 429 that one error is expected and left out.
    pub fn answer_errors(&self, schema: &Value, status: u16, body: &Value) -> Vec<String> {
        let validator = self.validator(schema, Mode::Read);
        validator
            .iter_errors(body)
            .filter(|e| {
                let rate_limit_code = status == 429
                    && matches!(e.kind(), ValidationErrorKind::Minimum { .. })
                    && e.instance().as_ref() == &json!(971);
                !rate_limit_code
            })
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// Panics with every error when `instance` does not match.
    pub fn assert_valid(&self, schema: &Value, mode: Mode, instance: &Value, what: &str) {
        let errors = self.errors(schema, mode, instance);
        assert!(
            errors.is_empty(),
            "{what} does not match the OpenAPI schema:\n{}\n{}",
            errors.join("\n"),
            serde_json::to_string_pretty(instance).unwrap_or_default()
        );
    }

    fn validator(&self, schema: &Value, mode: Mode) -> Arc<Validator> {
        let key = (schema.to_string(), mode);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(&key) {
            return Arc::clone(v);
        }
        // The schema sits in a document that carries all components, so that its
        // `#/components/...` references resolve.
        let root = json!({
            "components": self.doc(mode)["components"].clone(),
            "allOf": [schema],
        });
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .expect("the OpenAPI schemas compile");
        let validator = Arc::new(validator);
        cache.insert(key, Arc::clone(&validator));
        validator
    }
}

fn failure_member(schema: &Value) -> Value {
    let is_failure = |s: &Value| {
        s["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with("api-response-common-failure"))
    };
    if is_failure(schema) {
        return schema.clone();
    }
    schema["allOf"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| is_failure(p)))
        .cloned()
        .unwrap_or_else(|| schema.clone())
}

/// Turns OpenAPI's `nullable: true` into JSON Schema's `"null"` type (and enum
/// member). Examples are data, not schemas, and are left alone.
fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(members)) = map.get_mut("enum")
                    && !members.contains(&Value::Null)
                {
                    members.push(Value::Null);
                }
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default") {
                    convert_nullable(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

/// The names of properties declared read-only anywhere (directly or through a
/// referenced component).
fn read_only_properties(doc: &Value) -> HashSet<String> {
    let schemas = &doc["components"]["schemas"];
    let resolve = |s: &Value| -> Value {
        match s["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => schemas[name].clone(),
            None => s.clone(),
        }
    };
    let mut names = HashSet::new();
    let mut stack = vec![doc.clone()];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        if resolve(prop)["readOnly"] == Value::Bool(true) {
                            names.insert(name.clone());
                        }
                    }
                }
                stack.extend(map.into_iter().map(|(_, child)| child));
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

/// Write mode: read-only properties are never required of a request.
fn strip_read_only_from_required(value: &mut Value, read_only: &HashSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(required)) = map.get_mut("required") {
                required.retain(|r| r.as_str().is_none_or(|name| !read_only.contains(name)));
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples" | "enum" | "default") {
                    strip_read_only_from_required(child, read_only);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| strip_read_only_from_required(v, read_only)),
        _ => {}
    }
}
