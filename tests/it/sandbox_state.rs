//! The state file, the call log and the history of zone states.

use crate::sandbox_support;

use flaredns::sandbox::RecordObject;
use flaredns::sandbox::{
    CallKind, HistoryEntry, PlanTier, Sandbox, SandboxConfig, SandboxError, StateFile,
};
use serde_json::json;

use sandbox_support::{Api, ZONE, record, start, start_with};

/// Whether every A record in the state has a TXT record of the same name (the
/// shape of an ownership record; the registry's real naming is elsewhere).
fn every_a_has_its_txt(records: &[RecordObject]) -> bool {
    records.iter().filter(|r| r.record_type == "A").all(|a| {
        records
            .iter()
            .any(|t| t.record_type == "TXT" && t.name == a.name)
    })
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        state_file: Some(path.clone()),
        ..SandboxConfig::default()
    };
    let (sandbox, api, zone) = start_with(config.clone(), PlanTier::Pro).await;
    let mut body = record("www", "A", "192.0.2.1");
    body["comment"] = json!("web");
    body["tags"] = json!(["team:web"]);
    api.create(&zone, &body).await.ok();
    api.create(&zone, &record("www", "TXT", "\"owner\""))
        .await
        .ok();
    let before = sandbox.records(&zone).unwrap();
    sandbox.shutdown().await.unwrap();
    assert!(path.exists(), "shutdown saves the state file");

    let again = Sandbox::start(config).await.unwrap();
    assert_eq!(again.zone_id(ZONE).as_deref(), Some(zone.as_str()));
    assert_eq!(again.records(&zone).unwrap(), before);
    let api = Api::new(&again);
    let zone_answer = api.zone(&zone).await;
    assert_eq!(zone_answer.ok()["plan"]["legacy_id"], "pro");
    let listed = api.list(&zone, &[]).await;
    assert_eq!(listed.ok().clone(), serde_json::to_value(&before).unwrap());
    again.shutdown().await.unwrap();
}

#[tokio::test]
async fn saved_state_loads_into_a_new_sandbox() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    api.create(&zone, &record("a", "A", "192.0.2.1")).await.ok();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.json");
    sandbox.save_state(&path).unwrap();

    let file: StateFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file.zones.len(), 1);
    assert_eq!(file.zones[0].name, ZONE);
    assert_eq!(file.zones[0].plan, PlanTier::Free);
    assert_eq!(file.zones[0].records.len(), 1);

    let loaded = Sandbox::start(SandboxConfig {
        state_file: Some(path.clone()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(
        loaded.records(ZONE).unwrap(),
        sandbox.records(ZONE).unwrap()
    );

    std::fs::write(
        &path,
        "{\"zones\": [{\"id\": \"nope\", \"name\": \"example.com\"}]}",
    )
    .unwrap();
    let refused = Sandbox::start(SandboxConfig {
        state_file: Some(path),
        ..SandboxConfig::default()
    })
    .await;
    assert!(matches!(refused, Err(SandboxError::State(_))));
}

#[tokio::test]
async fn the_call_log_records_every_request() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    api.verify().await.ok();
    api.zones(&[("name", ZONE)]).await.ok();
    api.list(&zone, &[("per_page", "5000")]).await.ok();
    let created = api.create(&zone, &record("a", "A", "192.0.2.1")).await;
    let id = created.ok()["id"].as_str().unwrap().to_string();
    api.create(&zone, &record("a", "A", "192.0.2.1"))
        .await
        .fails(400, 81058);
    api.patch(&zone, &id, &json!({"ttl": 120})).await.ok();
    api.batch(&zone, &json!({"deletes": [{"id": id}]}))
        .await
        .ok();

    let log = sandbox.call_log();
    let summary: Vec<(u64, &str, CallKind, Option<u16>)> = log
        .iter()
        .map(|c| (c.seq, c.method.as_str(), c.kind, c.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "GET", CallKind::Verify, Some(200)),
            (2, "GET", CallKind::Zones, Some(200)),
            (3, "GET", CallKind::List, Some(200)),
            (4, "POST", CallKind::Create, Some(200)),
            (5, "POST", CallKind::Create, Some(400)),
            (6, "PATCH", CallKind::Patch, Some(200)),
            (7, "POST", CallKind::Batch, Some(200)),
        ]
    );
    assert_eq!(log[1].query, "name=example.com");
    assert_eq!(log[2].path, format!("/client/v4/zones/{zone}/dns_records"));
    assert_eq!(log[2].zone_id.as_deref(), Some(zone.as_str()));
    assert_eq!(log[6].operations, Some(1));

    let counts = sandbox.counts();
    assert_eq!(counts.get(CallKind::Create), 2);
    assert_eq!(counts.get(CallKind::Delete), 0);
    assert_eq!(counts.writes(), 4);
    assert_eq!(counts.total(), 7);

    sandbox.clear_log();
    assert_eq!(sandbox.counts().total(), 0);
    assert!(sandbox.history().is_empty());
    api.list(&zone, &[]).await.ok();
    assert_eq!(sandbox.call_log()[0].seq, 8, "numbering continues");
}

#[tokio::test]
async fn history_keeps_the_zone_after_each_successful_write() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    // A record and its TXT travel together, in and out.
    let pair =
        json!({"posts": [record("www", "A", "192.0.2.1"), record("www", "TXT", "\"owner\"")]});
    let created = api.batch(&zone, &pair).await;
    let ids: Vec<String> = created.ok()["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    api.patch(&zone, &ids[0], &json!({"content": "192.0.2.2"}))
        .await
        .ok();
    api.create(&zone, &record("www", "CNAME", "x.example.net"))
        .await
        .fails(400, 81053);
    api.list(&zone, &[]).await.ok();
    let remove = json!({"deletes": [{"id": ids[0]}, {"id": ids[1]}]});
    api.batch(&zone, &remove).await.ok();

    let history: Vec<HistoryEntry> = sandbox.history();
    let kinds: Vec<CallKind> = history.iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        vec![CallKind::Batch, CallKind::Patch, CallKind::Batch]
    );
    let sizes: Vec<usize> = history.iter().map(|h| h.records.len()).collect();
    assert_eq!(sizes, vec![2, 2, 0]);
    assert_eq!(history[1].records[0].content, "192.0.2.2");
    // Each entry names the call that wrote it.
    let log = sandbox.call_log();
    for entry in &history {
        let call = log.iter().find(|c| c.seq == entry.seq).unwrap();
        assert_eq!(call.kind, entry.kind);
        assert_eq!(call.zone_id.as_deref(), Some(entry.zone_id.as_str()));
    }
    assert!(history.iter().all(|h| every_a_has_its_txt(&h.records)));

    // A record written without its TXT shows up in the history.
    api.create(&zone, &record("lonely", "A", "192.0.2.9"))
        .await
        .ok();
    let last = sandbox.history().pop().unwrap();
    assert!(!every_a_has_its_txt(&last.records));
}

#[tokio::test]
async fn history_can_be_turned_off() {
    let config = SandboxConfig {
        keep_history: false,
        ..SandboxConfig::default()
    };
    let (sandbox, api, zone) = start_with(config, PlanTier::Free).await;
    api.create(&zone, &record("a", "A", "192.0.2.1")).await.ok();
    assert!(sandbox.history().is_empty());
    assert_eq!(sandbox.counts().writes(), 1);
}
