//! The errors the fake API server answers with, each rendered as the `Status`
//! object a real API server sends, so that kube's client turns them into
//! `kube::Error::Api` with the same `code` and `reason` as in a cluster.

use serde_json::{Value, json};

use super::kinds::Kind;

/// A failed API request. `Display` is the `message` of the `Status` object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 404: the object (or the path) does not exist.
    #[error("{resource} \"{name}\" not found")]
    NotFound {
        /// `plural.group`, as the API server names the resource.
        resource: String,
        /// The object's name (empty for an unknown path).
        name: String,
    },
    /// 404 for a path that names no served resource.
    #[error("the server could not find the requested resource")]
    UnknownPath,
    /// 409 `AlreadyExists`: a create named an object that exists.
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists {
        /// `plural.group`.
        resource: String,
        /// The object's name.
        name: String,
    },
    /// 409 `Conflict`: a `resourceVersion` or `uid` precondition failed.
    #[error(
        "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict {
        /// `plural.group`.
        resource: String,
        /// The object's name.
        name: String,
    },
    /// 410 `Expired`: a watch or continue token refers to a version older
    /// than the kept history.
    #[error("{0}")]
    Expired(String),
    /// 422 `Invalid`: the object or patch cannot be accepted.
    #[error("{0}")]
    Invalid(String),
    /// 400 `BadRequest`: the request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 405 `MethodNotAllowed`: the path does not take this method.
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    /// 415 `UnsupportedMediaType`: an unknown patch content type.
    #[error("the body of the request was in an unknown format - accepted media types include: {0}")]
    UnsupportedMediaType(String),
    /// 500 `InternalError`: injected by a test.
    #[error("Internal error occurred: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 404 for a kind's object.
    pub fn not_found(kind: &Kind, name: &str) -> Self {
        ApiError::NotFound {
            resource: kind.resource_name(),
            name: name.to_owned(),
        }
    }

    /// A 409 `Conflict` for a kind's object.
    pub fn conflict(kind: &Kind, name: &str) -> Self {
        ApiError::Conflict {
            resource: kind.resource_name(),
            name: name.to_owned(),
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::UnknownPath => 404,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => 409,
            ApiError::Expired(_) => 410,
            ApiError::Invalid(_) => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::MethodNotAllowed => 405,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Internal(_) => 500,
        }
    }

    /// The `reason` field: the machine-readable cause clients switch on.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::UnknownPath => "NotFound",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Expired(_) => "Expired",
            ApiError::Invalid(_) => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Internal(_) => "InternalError",
        }
    }

    /// The `Status` object (`v1`), as the API server writes it.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            ApiError::NotFound { resource, name }
            | ApiError::AlreadyExists { resource, name }
            | ApiError::Conflict { resource, name } => {
                let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
                Some(json!({ "name": name, "group": group, "kind": plural }))
            }
            _ => None,
        };
        if let Some(details) = details {
            status["details"] = details;
        }
        status
    }
}
