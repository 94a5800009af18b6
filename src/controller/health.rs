//! `/healthz`, `/readyz` and `/metrics` on `--metrics-address` (`:7979`, as
//! ExternalDNS).
//!
//! `/metrics` speaks the classic Prometheus text format unless the scraper
//! prefers OpenMetrics (see `telemetry::exposition`).
//!
//! Liveness is cheap: the server answers while the process runs. Readiness turns
//! true once every watch has listed, Cloudflare's start-up checks passed and the
//! loop runs (a warm standby is ready too).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;

use crate::telemetry::exposition::{Format, to_classic};
use crate::telemetry::metrics::{CloudflareMetrics, ControllerMetrics, encode};

/// Shared health and metrics.
#[derive(Clone, Default)]
pub struct Health {
    ready: Arc<AtomicBool>,
    registry: Arc<Mutex<Registry>>,
}

impl Health {
    pub fn new() -> Self {
        Health::default()
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Serves the controller's metrics, and the Cloudflare client's when
    /// there is one.
    pub fn register_metrics(
        &self,
        cloudflare: Option<&CloudflareMetrics>,
        controller: &ControllerMetrics,
    ) {
        if let Ok(mut registry) = self.registry.lock() {
            if let Some(cloudflare) = cloudflare {
                cloudflare.register(&mut registry);
            }
            controller.register(&mut registry);
        }
    }
}

/// `:7979` means every address, as in Go.
fn bind_address(address: &str) -> String {
    if address.starts_with(':') {
        format!("0.0.0.0{address}")
    } else {
        address.to_string()
    }
}

/// Serves until the task is aborted.
pub async fn serve(address: String, health: Health) {
    let app = Router::new()
        .route("/healthz", get(|| async { "OK" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(health);
    let address = bind_address(&address);
    match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => {
            tracing::info!(%address, "serving /healthz, /readyz and /metrics");
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the health server stopped");
            }
        }
        Err(error) => tracing::error!(%address, %error, "cannot listen for /healthz and /metrics"),
    }
}

async fn readyz(State(health): State<Health>) -> impl IntoResponse {
    if health.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "OK")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

/// The registry in the format the scraper asks for (see [`Format::negotiate`]).
async fn metrics(State(health): State<Health>, headers: HeaderMap) -> impl IntoResponse {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Format::negotiate(accept);
    let openmetrics = match health.registry.lock() {
        Ok(registry) => encode(&registry),
        Err(_) => String::new(),
    };
    let text = match format {
        Format::OpenMetrics => openmetrics,
        Format::Classic => to_classic(&openmetrics),
    };
    ([(header::CONTENT_TYPE, format.content_type())], text)
}
