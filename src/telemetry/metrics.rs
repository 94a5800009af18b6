//! Prometheus metrics, in one registry per process.
//!
//! Each component owns a small struct of its metrics and registers it; the
//! controller serves the registry on `/metrics`. Names follow ExternalDNS where
//! it has one, and flaredns's own carry the `flaredns_` prefix.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of a Cloudflare API request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `verify`, `zones`, `list`, `batch` or `single`.
    pub operation: String,
    /// The HTTP status, or `error` when no answer came.
    pub status: String,
}

/// The Cloudflare client's metrics.
#[derive(Clone, Debug, Default)]
pub struct CloudflareMetrics {
    /// `flaredns_cloudflare_requests_total{operation,status}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `flaredns_cloudflare_rate_limited_total`: 429 answers received.
    pub rate_limited: Counter,
    /// `flaredns_cloudflare_rate_limit_remaining`: requests left in the window.
    pub rate_limit_remaining: Gauge,
    /// `flaredns_cloudflare_refused_changes_total`: change units Cloudflare
    /// refused (the rest of their batch was applied).
    pub refused_changes: Counter,
}

impl CloudflareMetrics {
    /// Registers the metrics under `registry` (prefix `flaredns_cloudflare_`).
    pub fn register(&self, registry: &mut Registry) {
        let sub = registry.sub_registry_with_prefix("flaredns_cloudflare");
        sub.register(
            "requests",
            "Cloudflare API requests, by operation and HTTP status",
            self.requests.clone(),
        );
        sub.register(
            "rate_limited",
            "Answers of HTTP 429 (rate limited) received from Cloudflare",
            self.rate_limited.clone(),
        );
        sub.register(
            "rate_limit_remaining",
            "Cloudflare API requests left in the current rate-limit window",
            self.rate_limit_remaining.clone(),
        );
        sub.register(
            "refused_changes",
            "Change units Cloudflare refused; the rest of their batch was applied",
            self.refused_changes.clone(),
        );
    }
}

/// The registry as Prometheus text.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}
