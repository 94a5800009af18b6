//! The rate limit and the injected faults over HTTP. Assertions are on counts,
//! statuses, headers and state, never on how long anything took.

use crate::sandbox_support;

use std::time::Duration;

use flaredns::sandbox::{
    CallKind, FailWrite, FaultConfig, PlanTier, RateLimitConfig, SandboxConfig, Throttle,
};
use reqwest::Method;
use serde_json::json;

use sandbox_support::{Api, Auth, BATCH, record, start, start_with};

fn limited(requests: u32, lockout: Duration) -> SandboxConfig {
    SandboxConfig {
        rate_limit: Some(RateLimitConfig {
            requests,
            window: Duration::from_secs(300),
            lockout,
        }),
        ..SandboxConfig::default()
    }
}

/// The `r` (remaining) and `t` (seconds to reset) of a `Ratelimit` header.
fn remaining_and_reset(header: &str) -> (u64, u64) {
    let field = |name: &str| {
        header
            .split(';')
            .find_map(|p| p.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {header:?}"))
    };
    (field("r="), field("t="))
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let (_sandbox, api, zone) =
        start_with(limited(5, Duration::from_secs(300)), PlanTier::Free).await;
    let replies = vec![
        api.verify().await,
        api.zones(&[]).await,
        api.list(&zone, &[]).await,
        api.get(&zone, "0123456789abcdef0123456789abcdef").await,
    ];
    let mut remaining = Vec::new();
    for reply in &replies {
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("\"default\";q=5;w=300")
        );
        let (r, t) = remaining_and_reset(reply.header("ratelimit").expect("a Ratelimit header"));
        assert!((1..=300).contains(&t), "t={t}");
        remaining.push(r);
        assert_eq!(reply.header("retry-after"), None);
    }
    assert_eq!(remaining, vec![4, 3, 2, 1]);
}

#[tokio::test]
async fn past_the_budget_every_call_is_refused_for_the_lockout() {
    let (sandbox, api, zone) =
        start_with(limited(3, Duration::from_secs(300)), PlanTier::Free).await;
    for _ in 0..3 {
        api.list(&zone, &[]).await.ok();
    }
    let refused = api.list(&zone, &[]).await;
    refused.fails(429, 971);
    assert_eq!(
        refused.body["errors"][0]["message"],
        "Please wait and consider throttling your request speed"
    );
    assert_eq!(refused.header("retry-after"), Some("300"));
    assert_eq!(
        remaining_and_reset(refused.header("ratelimit").unwrap()).0,
        0
    );

    // Writes, reads and token checks are all refused, and nothing is applied.
    let write = api.create(&zone, &record("a", "A", "192.0.2.1")).await;
    write.fails(429, 971);
    let secs: u64 = write.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&secs));
    api.verify().await.fails(429, 971);
    assert!(sandbox.records(&zone).unwrap().is_empty());
    let statuses: Vec<Option<u16>> = sandbox.call_log().iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        vec![
            Some(200),
            Some(200),
            Some(200),
            Some(429),
            Some(429),
            Some(429)
        ]
    );

    sandbox.reset_rate_limit();
    api.create(&zone, &record("a", "A", "192.0.2.1")).await.ok();
}

#[tokio::test]
async fn the_lockout_ends() {
    let (_sandbox, api, zone) =
        start_with(limited(2, Duration::from_millis(300)), PlanTier::Free).await;
    api.list(&zone, &[]).await.ok();
    api.list(&zone, &[]).await.ok();
    let refused = api.list(&zone, &[]).await;
    refused.fails(429, 971);
    assert_eq!(refused.header("retry-after"), Some("1"), "rounded up");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = api.list(&zone, &[]).await;
    after.ok();
    assert_eq!(remaining_and_reset(after.header("ratelimit").unwrap()).0, 1);
}

#[tokio::test]
async fn an_injected_429_run_refuses_that_many_calls() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    sandbox.throttle(Throttle {
        calls: 2,
        retry_after: Duration::from_secs(7),
    });
    for _ in 0..2 {
        let reply = api.list(&zone, &[]).await;
        reply.fails(429, 971);
        assert_eq!(reply.header("retry-after"), Some("7"));
    }
    api.list(&zone, &[]).await.ok();
}

#[tokio::test]
async fn a_failing_write_answers_5xx_and_applies_nothing() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    sandbox
        .fail_write(FailWrite {
            nth: 2,
            status: 503,
        })
        .unwrap();
    api.create(&zone, &record("a", "A", "192.0.2.1")).await.ok();
    // Reads do not count towards the position.
    api.list(&zone, &[]).await.ok();
    let failed = api.create(&zone, &record("b", "A", "192.0.2.2")).await;
    failed.fails(503, 10001);
    api.create(&zone, &record("c", "A", "192.0.2.3")).await.ok();
    let names: Vec<String> = sandbox
        .records(&zone)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["a.example.com", "c.example.com"]);
    assert!(
        sandbox
            .fail_write(FailWrite {
                nth: 1,
                status: 200
            })
            .is_err()
    );
}

#[tokio::test]
async fn faults_can_be_set_from_the_start() {
    let config = SandboxConfig {
        faults: FaultConfig {
            fail_write: Some(FailWrite {
                nth: 1,
                status: 500,
            }),
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    };
    let (sandbox, api, zone) = start_with(config, PlanTier::Free).await;
    api.create(&zone, &record("a", "A", "192.0.2.1"))
        .await
        .fails(500, 10001);
    api.create(&zone, &record("a", "A", "192.0.2.1")).await.ok();
    assert_eq!(sandbox.records(&zone).unwrap().len(), 1);
}

#[tokio::test]
async fn a_reset_write_is_applied_but_never_answered() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    sandbox.reset_after_write(1).unwrap();
    let body =
        json!({"posts": [record("www", "A", "192.0.2.1"), record("www", "TXT", "\"owner\"")]});
    let outcome = api
        .try_call(Method::POST, BATCH, &[&zone], &[], Some(&body))
        .await;
    let error = outcome.expect_err("the connection is dropped without an answer");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");

    assert_eq!(
        sandbox.records(&zone).unwrap().len(),
        2,
        "the batch was applied"
    );
    let last = sandbox.call_log().pop().unwrap();
    assert_eq!(
        (last.kind, last.status, last.operations),
        (CallKind::Batch, None, Some(2))
    );
    assert_eq!(sandbox.history().len(), 1);
    // The next call is answered as usual.
    let again = api.batch(&zone, &body).await;
    again.fails(400, 81058);
}

#[tokio::test]
async fn latency_is_added_before_every_answer() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    sandbox.set_latency(Duration::from_millis(500));
    let impatient = api.with_timeout(Duration::from_millis(50));
    let error = impatient
        .try_call(Method::GET, sandbox_support::RECORDS, &[&zone], &[], None)
        .await
        .expect_err("the answer comes after the client gave up");
    assert!(error.is_timeout(), "{error:?}");
    sandbox.clear_faults();
    impatient.list(&zone, &[]).await.ok();
}

#[tokio::test]
async fn a_revoked_token_is_refused_until_restored() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    let token = sandbox.token().unwrap().to_string();
    assert!(sandbox.revoke_token(&token));
    api.verify().await.fails(403, 9109);
    api.list(&zone, &[]).await.fails(403, 9109);
    assert!(sandbox.restore_token(&sandbox.tokens()[0].id));
    api.verify().await.ok();
    assert!(!sandbox.revoke_token("no-such-token"));
    // A client holding another token is unaffected by the revocation.
    let other = Api::new(&sandbox).with_auth(Auth::Token("B".repeat(40)));
    other.list(&zone, &[]).await.fails(403, 9109);
}
