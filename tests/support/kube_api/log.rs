//! The request log: one record per request, so that tests can count what a
//! client did ("three list pages of 500", "no write at all").

/// What a request did, as Kubernetes audit logs name verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// GET of one object (or its status).
    Get,
    /// GET of a collection.
    List,
    /// GET of a collection with `watch=true`.
    Watch,
    /// POST.
    Create,
    /// PUT.
    Update,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// `/api`, `/apis`, `/version` and group-version discovery.
    Discovery,
    /// A path or method the fake does not serve.
    Unknown,
}

impl Verb {
    /// Whether the verb writes.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Verb::Create | Verb::Update | Verb::Patch | Verb::Delete
        )
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// HTTP status of the answer (200 for a watch that started, whatever it
    /// streamed afterwards).
    pub status: u16,
    /// What the request did.
    pub verb: Verb,
    /// The resource's plural (`ingresses`), when the path names one.
    pub resource: Option<String>,
    /// The subresource (`status`), when the path names one.
    pub subresource: Option<String>,
    /// The `Content-Type` of a request with a body (it tells patch types
    /// apart).
    pub content_type: Option<String>,
}

impl RequestRecord {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request was `verb` on `resource` (a plural).
    pub fn is(&self, verb: Verb, resource: &str) -> bool {
        self.verb == verb && self.resource.as_deref() == Some(resource)
    }
}
