//! PATCH bodies: the four content types kube's `Patch` enum sends, applied to
//! a stored object to give the object to write.

use serde_json::Value;

use super::error::ApiError;

/// The patch types, told apart by `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`: applied as a merge patch,
    /// which is what it amounts to for the fields of the served kinds that
    /// flaredns writes (no list merge keys are honoured).
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply): the applied
    /// configuration is merged into the object. Field ownership is not
    /// tracked, so apply never conflicts and never removes fields a manager
    /// stopped applying.
    Apply,
}

const ACCEPTED: &str = "application/json-patch+json, application/merge-patch+json, \
                        application/strategic-merge-patch+json, application/apply-patch+yaml";

impl PatchType {
    /// The patch type of a `Content-Type` header (parameters ignored).
    pub fn from_content_type(content_type: &str) -> Result<Self, ApiError> {
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        match mime {
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" => Ok(PatchType::Apply),
            _ => Err(ApiError::UnsupportedMediaType(ACCEPTED.to_owned())),
        }
    }
}

/// Applies a patch body to `current` and returns the patched object.
pub fn apply(patch_type: PatchType, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    let mut doc = current.clone();
    match patch_type {
        PatchType::Json => {
            let patch: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::BadRequest(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut doc, &patch).map_err(|e| ApiError::Invalid(e.to_string()))?;
        }
        PatchType::Merge => json_patch::merge(&mut doc, &decode_json(body)?),
        PatchType::Strategic => {
            let mut patch = decode_json(body)?;
            strip_directives(&mut patch);
            json_patch::merge(&mut doc, &patch);
        }
        PatchType::Apply => {
            // YAML is a superset of JSON, so one parser reads both bodies kube sends.
            let config: Value = serde_norway::from_slice(body)
                .map_err(|e| ApiError::BadRequest(format!("invalid apply configuration: {e}")))?;
            if !config.is_object() {
                return Err(ApiError::BadRequest(
                    "apply configuration must be an object".to_owned(),
                ));
            }
            json_patch::merge(&mut doc, &config);
        }
    }
    if !doc.is_object() {
        return Err(ApiError::Invalid(
            "the patched object is not an object".to_owned(),
        ));
    }
    Ok(doc)
}

/// A JSON body, or 400.
fn decode_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
}

/// Drops strategic-merge directives (`$patch`, `$retainKeys`,
/// `$setElementOrder/…`, …), which a merge patch would otherwise store as
/// fields.
fn strip_directives(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with('$'));
            map.values_mut().for_each(strip_directives);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_directives),
        _ => {}
    }
}
