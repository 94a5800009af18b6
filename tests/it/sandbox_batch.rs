//! The batch endpoint over HTTP: execution order, all-or-nothing, partial
//! patches and overwriting puts, and the per-plan size limits.

use crate::sandbox_support;

use flaredns::endpoint::RecordType;
use flaredns::sandbox::RecordInput;
use flaredns::sandbox::{CallKind, PlanTier};
use serde_json::{Value, json};

use sandbox_support::{check_batch_request, record, start};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

fn posts(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| record(&format!("h{i:04}"), "A", "192.0.2.1"))
        .collect()
}

#[tokio::test]
async fn one_batch_switches_a_name_from_cname_to_a() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    let cname = api
        .create(&zone, &record("app", "CNAME", "lb.example.net"))
        .await;
    let cname = cname.ok().clone();
    // Posts come first in the JSON; deletes still run first.
    let body = json!({
        "posts": [record("app", "A", "192.0.2.10")],
        "deletes": [{"id": id(&cname)}],
    });
    check_batch_request(&body);
    let reply = api.batch(&zone, &body).await;
    let result = reply.ok();
    assert_eq!(
        result["deletes"],
        json!([cname]),
        "deletes answer the full record"
    );
    assert_eq!(result["posts"][0]["type"], "A");
    assert_ne!(result["posts"][0]["id"], cname["id"]);
    assert_eq!(result["patches"], json!([]));
    assert_eq!(result["puts"], json!([]));
    let records = sandbox.records(&zone).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].record_type, "A");
}

#[tokio::test]
async fn patches_are_partial_puts_overwrite_and_posts_get_new_ids() {
    let (sandbox, api, zone) = start(PlanTier::Pro).await;
    let mut seeded = sandbox
        .put_records(
            &zone,
            vec![
                RecordInput {
                    ttl: 300,
                    comment: Some("keep me".into()),
                    tags: vec!["team:web".into()],
                    ..RecordInput::new("web", RecordType::A, "192.0.2.1")
                },
                RecordInput {
                    ttl: 300,
                    comment: Some("gone after put".into()),
                    ..RecordInput::new("api", RecordType::A, "192.0.2.2")
                },
                RecordInput::new("old", RecordType::Txt, "\"owner\""),
            ],
        )
        .unwrap();
    seeded.sort_by(|a, b| a.name.cmp(&b.name));
    let (api_rec, old, web) = (&seeded[0], &seeded[1], &seeded[2]);

    let body = json!({
        "posts": [record("old", "TXT", "\"owner\""), record("new", "TXT", "\"fresh\"")],
        "puts": [{"id": api_rec.id, "name": "api", "type": "A", "content": "192.0.2.20"}],
        "patches": [{"id": web.id, "ttl": 600}],
        "deletes": [{"id": old.id}],
    });
    let reply = api.batch(&zone, &body).await;
    let result = reply.ok();

    let patched = &result["patches"][0];
    assert_eq!(patched["ttl"], 600);
    assert_eq!(patched["content"], "192.0.2.1");
    assert_eq!(patched["comment"], "keep me");
    assert_eq!(patched["tags"], json!(["team:web"]));
    assert_ne!(patched["modified_on"], json!(web.modified_on));

    let put = &result["puts"][0];
    assert_eq!(put["content"], "192.0.2.20");
    assert_eq!(put["ttl"], 1);
    assert_eq!(put.get("comment"), None);
    assert_eq!(put["id"], json!(api_rec.id));

    // The deleted TXT is re-created in the same batch: deletes run before posts.
    let new_ids: Vec<String> = result["posts"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(new_ids.len(), 2);
    assert!(new_ids.iter().all(|i| i.len() == 32 && *i != old.id));
    assert_ne!(new_ids[0], new_ids[1]);
    assert_eq!(sandbox.records(&zone).unwrap().len(), 4);
}

#[tokio::test]
async fn one_invalid_item_applies_nothing() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    let seeded = sandbox
        .put_records(
            &zone,
            vec![
                RecordInput::new("a", RecordType::A, "192.0.2.1"),
                RecordInput::new("b", RecordType::A, "192.0.2.2"),
            ],
        )
        .unwrap();
    let before = sandbox.records(&zone).unwrap();
    let body = json!({
        "deletes": [{"id": seeded[0].id}],
        "patches": [{"id": seeded[1].id, "ttl": 120}],
        "posts": [record("c", "A", "192.0.2.3"), record("d", "A", "not-an-address"), record("e", "A", "192.0.2.5")],
    });
    let reply = api.batch(&zone, &body).await;
    reply.fails(400, 1004);
    assert_eq!(reply.chain(), vec![9005]);
    assert_eq!(sandbox.records(&zone).unwrap(), before);
    assert!(
        sandbox.history().is_empty(),
        "a failed batch leaves no state behind"
    );
}

#[tokio::test]
async fn the_first_error_in_execution_order_is_returned() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    api.create(&zone, &record("www", "A", "192.0.2.1"))
        .await
        .ok();
    let missing = "0123456789abcdef0123456789abcdef";
    // Listed first, the bad post runs after the bad patch.
    let body = json!({
        "posts": [record("www", "A", "192.0.2.1")],
        "patches": [{"id": missing, "ttl": 300}],
    });
    api.batch(&zone, &body).await.fails(404, 81044);
    let body = json!({"posts": [record("www", "A", "192.0.2.1")]});
    api.batch(&zone, &body).await.fails(400, 81058);
    let body = json!({"deletes": [{"id": missing}]});
    api.batch(&zone, &body).await.fails(404, 81044);
    assert_eq!(sandbox.records(&zone).unwrap().len(), 1);
}

#[tokio::test]
async fn free_zones_take_200_operations_per_batch() {
    let (sandbox, api, zone) = start(PlanTier::Free).await;
    let full = json!({ "posts": posts(200) });
    assert_eq!(
        api.batch(&zone, &full).await.ok()["posts"]
            .as_array()
            .map(Vec::len),
        Some(200)
    );

    let ids: Vec<Value> = sandbox
        .records(&zone)
        .unwrap()
        .iter()
        .take(100)
        .map(|r| json!({"id": r.id}))
        .collect();
    let more: Vec<Value> = (0..101)
        .map(|i| record(&format!("x{i}"), "A", "192.0.2.1"))
        .collect();
    let over = json!({"deletes": ids, "posts": more});
    let reply = api.batch(&zone, &over).await;
    reply.fails(400, 1004);
    assert_eq!(
        sandbox.records(&zone).unwrap().len(),
        200,
        "nothing applied"
    );
    let batches: Vec<Option<usize>> = sandbox
        .call_log()
        .iter()
        .filter(|c| c.kind == CallKind::Batch)
        .map(|c| c.operations)
        .collect();
    assert_eq!(batches, vec![Some(200), Some(201)]);
}

#[tokio::test]
async fn paid_zones_take_3500_operations_per_batch() {
    let (sandbox, api, zone) = start(PlanTier::Business).await;
    let full = json!({ "posts": posts(3500) });
    assert_eq!(
        api.batch(&zone, &full).await.ok()["posts"]
            .as_array()
            .map(Vec::len),
        Some(3500)
    );
    let over = json!({ "posts": (0..3501).map(|i| record(&format!("y{i}"), "A", "192.0.2.1")).collect::<Vec<_>>() });
    api.batch(&zone, &over).await.fails(400, 1004);
    assert_eq!(sandbox.records(&zone).unwrap().len(), 3500);
}
