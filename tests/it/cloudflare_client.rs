//! The real Cloudflare client over HTTP against the sandbox: call counts, batch
//! sizes, faults, and the schema of everything that crossed the wire.
//!
//! Every test ends by checking the whole call log against the OpenAPI subset
//! (request bodies in write mode, answers in read mode) and the sandbox's
//! history: no A record ever existed without its ownership TXT record.

use crate::sandbox_support;

use std::time::Duration;

use flaredns::endpoint::{Endpoint, RecordType};
use flaredns::filter::DomainFilter;
use flaredns::provider::cloudflare::StartupError;
use flaredns::provider::cloudflare::client::{
    Client, ClientConfig, ClientConfigError, RetryPolicy,
};
use flaredns::provider::cloudflare::credentials::{CloudflareCredentials, TokenSource};
use flaredns::provider::cloudflare::error::{CredentialOrigin, explain_startup};
use flaredns::provider::cloudflare::ratelimit::RateLimitConfig;
use flaredns::reconcile::converge;
use flaredns::sandbox::RecordInput;
use flaredns::sandbox::{
    CallEntry, FailWrite, PlanTier, Sandbox, SandboxConfig, SandboxHandle, Throttle, TokenConfig,
};
use flaredns::secret::Secret;
use serde_json::Value;

use sandbox_support::{SPEC, check_batch_request, check_record_request};

use sandbox_support::client_setup::*;

/// The OpenAPI template of a logged path.
fn template(path: &str) -> String {
    let rest = path.strip_prefix("/client/v4").unwrap_or(path);
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["user", "tokens", "verify"] => "/user/tokens/verify".into(),
        ["zones"] => "/zones".into(),
        ["zones", _] => "/zones/{zone_id}".into(),
        ["zones", _, "dns_records"] => "/zones/{zone_id}/dns_records".into(),
        ["zones", _, "dns_records", "batch"] => "/zones/{zone_id}/dns_records/batch".into(),
        ["zones", _, "dns_records", _] => "/zones/{zone_id}/dns_records/{dns_record_id}".into(),
        _ => panic!("a call outside the API: {path}"),
    }
}

/// Checks every request body and every answer in the log against the schema.
fn check_wire(log: &[CallEntry]) {
    for entry in log {
        let template = template(&entry.path);
        if let Some(body) = &entry.body {
            if template.ends_with("/batch") {
                check_batch_request(body);
                for post in body["posts"].as_array().into_iter().flatten() {
                    check_record_request(post);
                }
            } else {
                check_record_request(body);
            }
        }
        if let (Some(status), Some(answer)) = (entry.status, &entry.response) {
            let schema =
                SPEC.response_schema(&template, &entry.method.to_ascii_lowercase(), status);
            let errors = SPEC.answer_errors(&schema, status, answer);
            assert!(
                errors.is_empty(),
                "{} {}: {errors:?}",
                entry.method,
                entry.path
            );
        }
    }
}

/// No A record, at any point of the sandbox's history, lacked its `a-` TXT
/// ownership record.
fn never_without_owner(handle: &SandboxHandle) {
    let history = handle.history();
    assert!(!history.is_empty());
    for state in history {
        for a in state.records.iter().filter(|r| r.record_type == "A") {
            let owner = format!("a-{}", a.name);
            assert!(
                state
                    .records
                    .iter()
                    .any(|t| t.record_type == "TXT" && t.name == owner),
                "after call {} {} existed without {owner}",
                state.seq,
                a.name
            );
        }
    }
}

fn no_duplicates(handle: &SandboxHandle) {
    let mut seen: Vec<(String, String, String)> = handle
        .records(ZONE)
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.record_type, r.content))
        .collect();
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "duplicate records in the zone");
}

#[tokio::test]
async fn a_large_zone_is_read_in_exactly_three_pages() {
    let (handle, token) = sandbox(PlanTier::Enterprise).await;
    let records: Vec<RecordInput> = (0..12_345)
        .map(|i| RecordInput::new(&format!("r{i}.{ZONE}"), RecordType::A, "192.0.2.1"))
        .collect();
    handle.put_records(ZONE, records).unwrap();
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    let zones = cf.connect(&filter()).await.unwrap();
    let before = cf.client().counts();
    let read = cf.read(&zones).await.unwrap();
    assert_eq!(read.len(), 12_345);
    assert_eq!(cf.client().counts().since(&before).list, 3);
    check_wire(&handle.call_log());
}

#[tokio::test]
async fn a_thousand_hostnames_take_ten_batches_and_a_second_pass_writes_nothing() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    let desired = hostnames(1_000);
    let first = sync(&cf, &desired).await;
    assert!(first.converged());
    assert_eq!(first.calls.batch, 10);
    assert_eq!(first.calls.list, 1);
    let sizes: Vec<usize> = handle
        .call_log()
        .iter()
        .filter_map(|e| e.operations)
        .collect();
    assert_eq!(sizes, vec![200; 10]);
    // Token verify, zones, one listing, ten batches.
    assert_eq!(cf.client().counts().total(), 13);

    let second = sync(&cf, &desired).await;
    assert_eq!(second.calls.writes(), 0);
    assert!(!second.plan.has_changes());
    assert_eq!(handle.records(ZONE).unwrap().len(), 2_000);
    check_wire(&handle.call_log());
    never_without_owner(&handle);
}

#[tokio::test]
async fn a_paid_zone_takes_a_thousand_hostnames_in_one_batch() {
    let (handle, token) = sandbox(PlanTier::Pro).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    let report = sync(&cf, &hostnames(1_000)).await;
    assert_eq!(report.calls.batch, 1);
    check_wire(&handle.call_log());
}

#[tokio::test]
async fn a_429_is_obeyed_and_the_sync_converges() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    let zones = cf.connect(&filter()).await.unwrap();
    let retry_after = Duration::from_secs(1);
    handle.throttle(Throttle {
        calls: 1,
        retry_after,
    });
    let report = converge(&cf, &registry(), &plan_config(zones), &hostnames(20), false)
        .await
        .unwrap();
    assert!(report.converged());
    assert_eq!(cf.client().counts().rate_limited, 1);
    let log = handle.call_log();
    let refused = log.iter().position(|e| e.status == Some(429)).unwrap();
    let next = &log[refused + 1];
    let waited = next.at.duration_since(log[refused].at).unwrap();
    assert!(
        waited >= retry_after,
        "a request went out {waited:?} after a 429 asking for {retry_after:?}"
    );
    assert_eq!(handle.records(ZONE).unwrap().len(), 40);
    check_wire(&log);
    never_without_owner(&handle);
}

#[tokio::test]
async fn a_5xx_on_a_batch_is_retried_after_reading_the_zone_again() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    handle
        .fail_write(FailWrite {
            nth: 1,
            status: 502,
        })
        .unwrap();
    let report = sync(&cf, &hostnames(20)).await;
    assert!(report.converged(), "{:?}", report.applied);
    // The failed batch, a re-read, the batch again.
    assert_eq!(report.calls.batch, 2);
    assert_eq!(report.calls.list, 2);
    no_duplicates(&handle);
    assert_eq!(handle.records(ZONE).unwrap().len(), 40);
    check_wire(&handle.call_log());
    never_without_owner(&handle);
}

#[tokio::test]
async fn a_reset_after_the_batch_was_applied_leaves_no_duplicate() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    handle.reset_after_write(1).unwrap();
    let report = sync(&cf, &hostnames(20)).await;
    assert!(report.converged(), "{:?}", report.applied);
    // Applied once; the lost answer leads to a re-read, not a second batch.
    assert_eq!(report.calls.batch, 1);
    no_duplicates(&handle);
    assert_eq!(handle.records(ZONE).unwrap().len(), 40);
    never_without_owner(&handle);
}

#[tokio::test]
async fn a_timeout_after_the_batch_was_applied_leaves_no_duplicate() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let retry = RetryPolicy {
        timeout: Duration::from_millis(500),
        ..fast_retry()
    };
    let cf = provider(client(&handle, &token, retry), 5_000);
    let zones = cf.connect(&filter()).await.unwrap();
    handle.set_answer_delay(Duration::from_secs(2));
    let desired = hostnames(20);
    let config = plan_config(zones);
    // The first batch is applied; its answer comes too late.
    let first = cf
        .apply(
            &flaredns::plan::compute(
                desired.clone(),
                &registry().resolve(&[]),
                &registry(),
                &config,
            )
            .units,
            &config.zones,
        )
        .await;
    assert!(first.needs_reread);
    handle.clear_faults();
    let report = converge(&cf, &registry(), &config, &desired, false)
        .await
        .unwrap();
    assert_eq!(
        report.calls.batch, 0,
        "nothing left to write after re-reading"
    );
    no_duplicates(&handle);
    assert_eq!(handle.records(ZONE).unwrap().len(), 40);
    never_without_owner(&handle);
}

#[tokio::test]
async fn a_refused_record_is_reported_and_every_other_unit_applied() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 5_000);
    let zones = cf.connect(&filter()).await.unwrap();
    // An AAAA record flaredns does not manage (--exclude-record-types=AAAA)
    // holds web.example.com; Cloudflare refuses a CNAME beside it (81053).
    handle
        .put_records(
            ZONE,
            vec![RecordInput::new(
                &format!("web.{ZONE}"),
                RecordType::Aaaa,
                "2001:db8::1",
            )],
        )
        .unwrap();
    let mut desired = hostnames(15);
    desired.endpoints.push(
        Endpoint::new(
            &format!("web.{ZONE}"),
            RecordType::Cname,
            ["lb.example.net"],
        )
        .unwrap()
        .with_label("resource", "ingress/default/web"),
    );
    let mut config = plan_config(zones);
    config.managed_types = vec![RecordType::A, RecordType::Cname];
    let report = converge(&cf, &registry(), &config, &desired, false)
        .await
        .unwrap();
    let applied = &report.applied[0];
    assert_eq!(applied.refused.len(), 1, "{applied:?}");
    assert_eq!(applied.refused[0].name, format!("web.{ZONE}"));
    assert!(
        applied.refused[0].error.contains("81053"),
        "{}",
        applied.refused[0].error
    );
    assert_eq!(applied.applied, 15);
    // Found by halving: a few calls, not one per record.
    assert!(
        report.calls.batch <= 1 + 2 * 4,
        "{} batch calls",
        report.calls.batch
    );
    assert_eq!(handle.records(ZONE).unwrap().len(), 31);
    // The refusal is counted, and every request by operation and status.
    let mut registry = prometheus_client::registry::Registry::default();
    cf.client().metrics().register(&mut registry);
    let text = flaredns::telemetry::metrics::encode(&registry);
    assert!(
        text.contains("flaredns_cloudflare_refused_changes_total 1"),
        "{text}"
    );
    assert!(
        text.contains(r#"flaredns_cloudflare_requests_total{operation="batch",status="400"}"#),
        "{text}"
    );
    check_wire(&handle.call_log());
    never_without_owner(&handle);
}

#[tokio::test]
async fn start_up_errors_say_what_to_fix() {
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 100);
    handle.revoke_token(&token);
    let Err(StartupError::Api(error)) = cf.connect(&filter()).await else {
        panic!("a revoked token must fail the start-up checks");
    };
    assert!(explain_startup(&error, &CredentialOrigin::default()).contains("revoked"));
    handle.restore_token(&token);
    let Err(StartupError::NoZone(no_zone)) = cf
        .connect(&DomainFilter::new(&["example.org".to_string()], &[]))
        .await
    else {
        panic!("no zone matches example.org");
    };
    assert!(
        no_zone.to_string().contains("it sees: example.com"),
        "{no_zone}"
    );
}

#[tokio::test]
async fn a_token_scoped_to_another_zone_finds_no_zone() {
    let other = TokenConfig::random().for_zones(&["example.org"]);
    let value = other.value.clone();
    let handle = Sandbox::start(SandboxConfig {
        tokens: vec![other],
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    handle.add_zone(ZONE, PlanTier::Free).unwrap();
    let cf = provider(client(&handle, &value, fast_retry()), 100);
    assert!(matches!(
        cf.connect(&filter()).await,
        Err(StartupError::NoZone(_))
    ));
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let err = Client::new(ClientConfig {
        api_url: "http://192.0.2.10/client/v4".to_string(),
        credentials: CloudflareCredentials::ApiToken {
            token: Secret::new("tok-NEVER-SHOWN-0000000000000000000000000"),
            source: TokenSource::Environment,
        },
        rate_limit: RateLimitConfig::default(),
        retry: RetryPolicy::default(),
    })
    .unwrap_err();
    assert!(matches!(err, ClientConfigError::PlainHttp(_)));
    assert!(!err.to_string().contains("NEVER-SHOWN"));
}

#[tokio::test]
async fn responses_of_every_kind_match_the_schema() {
    // Zones, listings, token verify and batches, including a refusal.
    let (handle, token) = sandbox(PlanTier::Free).await;
    let cf = provider(client(&handle, &token, fast_retry()), 2);
    sync(&cf, &hostnames(3)).await;
    let log = handle.call_log();
    let kinds: std::collections::BTreeSet<String> = log.iter().map(|e| template(&e.path)).collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    assert!(log.iter().all(|e| e.response.is_some()));
    check_wire(&log);
    let bodies: Vec<&Value> = log.iter().filter_map(|e| e.body.as_ref()).collect();
    assert!(!bodies.is_empty());
}
