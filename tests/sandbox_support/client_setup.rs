//! A flaredns Cloudflare client and provider pointed at a sandbox, with the
//! settings the client tests share.

use std::time::Duration;

use flaredns::endpoint::{Endpoint, RecordType, Zone};
use flaredns::filter::DomainFilter;
use flaredns::plan::{Desired, PlanConfig};
use flaredns::provider::cloudflare::client::{Client, ClientConfig, RetryPolicy};
use flaredns::provider::cloudflare::credentials::{CloudflareCredentials, TokenSource};
use flaredns::provider::cloudflare::ratelimit::RateLimitConfig;
use flaredns::provider::cloudflare::{Cloudflare, CloudflareSettings};
use flaredns::reconcile::{ReconcileReport, converge};
use flaredns::registry::txt::{TxtRegistry, TxtRegistryConfig};
use flaredns::sandbox::{PlanTier, Sandbox, SandboxConfig, SandboxHandle};
use flaredns::secret::Secret;

pub const ZONE: &str = "example.com";

pub fn registry() -> TxtRegistry {
    TxtRegistry::new(TxtRegistryConfig {
        owner_id: "cluster-1".to_string(),
        ..TxtRegistryConfig::default()
    })
    .unwrap()
}

pub fn client(handle: &SandboxHandle, token: &str, retry: RetryPolicy) -> Client {
    Client::new(ClientConfig {
        api_url: handle.url(),
        credentials: CloudflareCredentials::ApiToken {
            token: Secret::new(token),
            source: TokenSource::Environment,
        },
        rate_limit: RateLimitConfig {
            requests: 1000,
            window: Duration::from_secs(300),
            per_second: 200,
        },
        retry,
    })
    .unwrap()
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
    }
}

pub fn provider(client: Client, per_page: u32) -> Cloudflare {
    Cloudflare::new(
        client,
        CloudflareSettings {
            records_per_page: per_page,
            batch_size: None,
            batch_interval: Duration::ZERO,
            zone_id_filter: Vec::new(),
        },
    )
}

pub fn filter() -> DomainFilter {
    DomainFilter::new(&[ZONE.to_string()], &[])
}

/// A sandbox reading request bodies strictly, with one zone on `plan`; returns
/// it and its token.
pub async fn sandbox(plan: PlanTier) -> (SandboxHandle, String) {
    let handle = Sandbox::start(SandboxConfig {
        strict_requests: true,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    handle.add_zone(ZONE, plan).unwrap();
    let token = handle.token().unwrap().to_string();
    (handle, token)
}

pub fn hostnames(n: usize) -> Desired {
    (0..n)
        .map(|i| {
            Endpoint::new(
                &format!("host{i}.{ZONE}"),
                RecordType::A,
                [format!("10.0.{}.{}", i / 250, i % 250 + 1)],
            )
            .unwrap()
            .with_label("resource", &format!("ingress/default/app{i}"))
        })
        .collect::<Vec<_>>()
        .into()
}

pub fn plan_config(zones: Vec<Zone>) -> PlanConfig {
    PlanConfig {
        zones,
        domain_filter: filter(),
        ..PlanConfig::default()
    }
}

pub async fn sync(provider: &Cloudflare, desired: &Desired) -> ReconcileReport {
    let zones = provider.connect(&filter()).await.unwrap();
    converge(provider, &registry(), &plan_config(zones), desired, false)
        .await
        .unwrap()
}
