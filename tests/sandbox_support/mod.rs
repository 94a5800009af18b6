//! Shared by the sandbox tests: a small HTTP client that checks every answer
//! against Cloudflare's published OpenAPI schema, and functions that start a
//! sandbox with one zone.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub mod client_setup;
pub mod openapi;

use std::sync::LazyLock;

use flaredns::endpoint::RecordType;
use flaredns::sandbox::{PlanTier, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use openapi::{Mode, OpenApi};

/// The OpenAPI document, loaded once per test binary.
pub static SPEC: LazyLock<OpenApi> = LazyLock::new(OpenApi::load);

/// A zone name used throughout the tests.
pub const ZONE: &str = "example.com";

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    Token(String),
    Key {
        email: String,
        key: String,
    },
    /// Raw headers, for malformed credentials.
    Headers(Vec<(String, String)>),
    None,
}

/// An answer: status, headers and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The first error's code.
    pub fn code(&self) -> u64 {
        self.body["errors"][0]["code"].as_u64().unwrap_or(0)
    }

    /// The codes in the first error's chain.
    pub fn chain(&self) -> Vec<u64> {
        self.body["errors"][0]["error_chain"]
            .as_array()
            .map(|c| c.iter().filter_map(|e| e["code"].as_u64()).collect())
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// Asserts success and returns the result.
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected success: {}", self.body);
        assert_eq!(self.body["success"], true);
        &self.body["result"]
    }

    /// Asserts a failure with this status and first error code.
    pub fn fails(&self, status: u16, code: u64) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {}",
            self.body
        );
        assert_eq!(self.body["success"], false);
        assert_eq!(self.body["result"], Value::Null);
    }
}

/// A client for one sandbox.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub auth: Auth,
    client: reqwest::Client,
}

impl Api {
    /// A client with the sandbox's first token.
    pub fn new(sandbox: &SandboxHandle) -> Self {
        Api {
            base: sandbox.url(),
            auth: Auth::Token(sandbox.token().expect("a token").to_string()),
            client: reqwest::Client::new(),
        }
    }

    /// The same client with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Self {
        Api {
            auth,
            ..self.clone()
        }
    }

    /// The same client with a request timeout.
    pub fn with_timeout(&self, timeout: std::time::Duration) -> Self {
        Api {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("a client"),
            ..self.clone()
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .query(query);
        match &self.auth {
            Auth::Token(token) => request = request.bearer_auth(token),
            Auth::Key { email, key } => {
                request = request
                    .header("X-Auth-Email", email)
                    .header("X-Auth-Key", key)
            }
            Auth::Headers(headers) => {
                for (name, value) in headers {
                    request = request.header(name, value);
                }
            }
            Auth::None => {}
        }
        request
    }

    /// Sends a request and returns the answer or the transport error.
    pub async fn try_call(
        &self,
        method: Method,
        template: &str,
        ids: &[&str],
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, reqwest::Error> {
        let mut path = template.to_string();
        for (placeholder, id) in ["{zone_id}", "{dns_record_id}"].iter().zip(ids) {
            path = path.replace(placeholder, id);
        }
        let mut request = self.request(method.clone(), &path, query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: the answer is not JSON ({e}): {text}"));
        let schema = SPEC.response_schema(template, method.as_str(), status);
        let errors = SPEC.answer_errors(&schema, status, &body);
        assert!(
            errors.is_empty(),
            "the {status} answer to {method} {path} does not match the OpenAPI schema:\n{}\n{body}",
            errors.join("\n")
        );
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Sends a request to an operation of the OpenAPI subset and checks the
    /// answer against its schema.
    pub async fn call(
        &self,
        method: Method,
        template: &str,
        ids: &[&str],
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        self.try_call(method.clone(), template, ids, query, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {template}: {e}"))
    }

    pub async fn verify(&self) -> Reply {
        self.call(Method::GET, "/user/tokens/verify", &[], &[], None)
            .await
    }

    pub async fn zones(&self, query: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, "/zones", &[], query, None).await
    }

    pub async fn zone(&self, zone: &str) -> Reply {
        self.call(Method::GET, "/zones/{zone_id}", &[zone], &[], None)
            .await
    }

    pub async fn list(&self, zone: &str, query: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, RECORDS, &[zone], query, None).await
    }

    /// Creates a record; a body with a known type is first checked against its
    /// per-type request schema.
    pub async fn create(&self, zone: &str, body: &Value) -> Reply {
        check_record_request(body);
        self.call(Method::POST, RECORDS, &[zone], &[], Some(body))
            .await
    }

    pub async fn get(&self, zone: &str, record: &str) -> Reply {
        self.call(Method::GET, RECORD, &[zone, record], &[], None)
            .await
    }

    pub async fn put(&self, zone: &str, record: &str, body: &Value) -> Reply {
        check_record_request(body);
        self.call(Method::PUT, RECORD, &[zone, record], &[], Some(body))
            .await
    }

    /// A partial update (not checked against the request schema, which wants a
    /// full record although the API takes partial patches).
    pub async fn patch(&self, zone: &str, record: &str, body: &Value) -> Reply {
        self.call(Method::PATCH, RECORD, &[zone, record], &[], Some(body))
            .await
    }

    pub async fn delete(&self, zone: &str, record: &str) -> Reply {
        self.call(Method::DELETE, RECORD, &[zone, record], &[], None)
            .await
    }

    pub async fn batch(&self, zone: &str, body: &Value) -> Reply {
        self.call(Method::POST, BATCH, &[zone], &[], Some(body))
            .await
    }
}

pub const RECORDS: &str = "/zones/{zone_id}/dns_records";
pub const RECORD: &str = "/zones/{zone_id}/dns_records/{dns_record_id}";
pub const BATCH: &str = "/zones/{zone_id}/dns_records/batch";

/// Checks a record request body against its type's schema (write mode), when
/// the type is one the schema describes.
pub fn check_record_request(body: &Value) {
    let Some(record_type) = body["type"].as_str() else {
        return;
    };
    if record_type.parse::<RecordType>().is_err() {
        return;
    }
    let name = format!("dns-records_{}Record", record_type.to_ascii_uppercase());
    let known = SPEC
        .errors(
            &OpenApi::component("dns-records_type"),
            Mode::Write,
            &json!(record_type),
        )
        .is_empty();
    if known {
        SPEC.assert_valid(
            &OpenApi::component(&name),
            Mode::Write,
            body,
            &format!("the {record_type} request body"),
        );
    }
}

/// Checks a batch request body against the batch request schema (write mode).
pub fn check_batch_request(body: &Value) {
    SPEC.assert_valid(
        &OpenApi::component("dns-records_dns-request-batch-object"),
        Mode::Write,
        body,
        "the batch request body",
    );
}

/// A record request body.
pub fn record(name: &str, record_type: &str, content: &str) -> Value {
    json!({"name": name, "type": record_type, "content": content, "ttl": 1, "proxied": false})
}

/// Starts a sandbox with default settings and one zone on `plan`; returns the
/// sandbox, a client and the zone id.
pub async fn start(plan: PlanTier) -> (SandboxHandle, Api, String) {
    start_with(SandboxConfig::default(), plan).await
}

/// As [`start`], with a configuration. Request bodies are always read strictly,
/// so that a field Cloudflare does not define fails the test.
pub async fn start_with(config: SandboxConfig, plan: PlanTier) -> (SandboxHandle, Api, String) {
    let config = SandboxConfig {
        strict_requests: true,
        ..config
    };
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let zone = sandbox.add_zone(ZONE, plan).expect("the zone is added");
    let api = Api::new(&sandbox);
    (sandbox, api, zone)
}
