//! The fake Kubernetes API server (`tests/support/kube_api`) driven by the real
//! kube client, watcher, reflector, event recorder and lease manager: the
//! protocol details the controller's integration tests rely on.

use crate::support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flaredns::crd::{Condition, DNSEndpoint, DNSEndpointSpec, DNSEndpointStatus, EndpointSpec};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, ObjectReference, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{
    Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams, Preconditions,
    WatchEvent, WatchParams,
};
use kube::runtime::events::{Event as EventSpec, EventType, Recorder, Reporter};
use kube::runtime::{reflector, watcher};
use kube_lease_manager::LeaseManagerBuilder;
use serde_json::json;

use support::kube_api::{KubeApi, KubeApiConfig, Verb};

/// Bounds every wait on the server or the client; a test that hits it fails.
const WAIT: Duration = Duration::from_secs(20);

const NS: &str = "default";

async fn start() -> KubeApi {
    KubeApi::start().await.expect("the fake API server starts")
}

fn service(name: &str, labels: &[(&str, &str)]) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(NS.to_owned()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn dns_endpoint(name: &str, host: &str) -> DNSEndpoint {
    let mut object = DNSEndpoint::new(
        name,
        DNSEndpointSpec {
            endpoints: vec![EndpointSpec {
                dns_name: host.to_owned(),
                targets: vec!["192.0.2.1".to_owned()],
                record_type: "A".to_owned(),
                ..Default::default()
            }],
        },
    );
    object.metadata.namespace = Some(NS.to_owned());
    object
}

fn ready_status(generation: i64, message: &str) -> DNSEndpointStatus {
    DNSEndpointStatus {
        observed_generation: generation,
        conditions: vec![Condition {
            type_: "Ready".to_owned(),
            status: "True".to_owned(),
            reason: "Published".to_owned(),
            message: message.to_owned(),
            ..Default::default()
        }],
    }
}

/// The `kube::Error::Api` code and reason of a failed call.
fn api_error<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> (u16, String) {
    match result {
        Err(kube::Error::Api(status)) => (status.code, status.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Runs `check` until it returns true, bounded by [`WAIT`].
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let polled = tokio::time::timeout(WAIT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(polled.is_ok(), "timed out waiting until {what}");
}

async fn wait_for_watches(api: &KubeApi, count: usize) {
    let waited = tokio::time::timeout(WAIT, api.wait_for_open_watches(count)).await;
    assert!(waited.is_ok(), "timed out waiting for {count} open watches");
}

#[tokio::test]
async fn lists_of_1200_objects_come_in_three_pages_of_500_from_one_snapshot() {
    let api = start().await;
    for i in 0..1200 {
        api.create(&service(&format!("svc-{i:04}"), &[]))
            .expect("create");
    }
    let services: Api<Service> = Api::namespaced(api.client(), NS);

    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = services.list(&params).await.expect("list page");
        if pages == 0 {
            // Writes between pages must not show in later pages.
            api.create(&service("svc-zzzz", &[]))
                .expect("create during paging");
            api.delete(&service("svc-1199", &[]))
                .expect("delete during paging");
        }
        pages += 1;
        names.extend(page.items.iter().filter_map(|s| s.metadata.name.clone()));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 1200);
    assert_eq!(names.first().map(String::as_str), Some("svc-0000"));
    assert_eq!(names.last().map(String::as_str), Some("svc-1199"));

    let lists: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is(Verb::List, "services"))
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists.iter().all(|r| r.param("limit") == Some("500")));
    assert_eq!(
        lists
            .iter()
            .filter(|r| r.param("continue").is_some())
            .count(),
        2
    );

    // A fresh list sees the writes made while paging.
    let all = services.list(&ListParams::default()).await.expect("list");
    assert_eq!(all.items.len(), 1200);
    assert!(
        all.items
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some("svc-zzzz"))
    );
    assert!(
        !all.items
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some("svc-1199"))
    );
}

#[tokio::test]
async fn watcher_pages_its_initial_list_at_500() {
    let api = start().await;
    for i in 0..1200 {
        api.create(&service(&format!("svc-{i:04}"), &[]))
            .expect("create");
    }
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    let mut stream = watcher(services, watcher::Config::default()).boxed();
    let mut applied = 0;
    loop {
        match tokio::time::timeout(WAIT, stream.try_next()).await {
            Ok(Ok(Some(watcher::Event::InitApply(_)))) => applied += 1,
            Ok(Ok(Some(watcher::Event::InitDone))) => break,
            Ok(Ok(Some(_))) => {}
            other => panic!("unexpected watcher outcome: {other:?}"),
        }
    }
    assert_eq!(applied, 1200);
    let lists: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is(Verb::List, "services"))
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists.iter().all(|r| r.param("limit") == Some("500")));
}

#[tokio::test]
async fn watcher_streams_the_initial_list_then_changes() {
    let api = start().await;
    api.create(&dns_endpoint("a", "a.example.com"))
        .expect("create a");
    api.create(&dns_endpoint("b", "b.example.com"))
        .expect("create b");
    let endpoints: Api<DNSEndpoint> = Api::namespaced(api.client(), NS);
    let mut stream = watcher(endpoints, watcher::Config::default()).boxed();

    let mut next = async || {
        tokio::time::timeout(WAIT, stream.try_next())
            .await
            .expect("a watcher event in time")
            .expect("no watcher error")
            .expect("the stream goes on")
    };
    assert!(matches!(next().await, watcher::Event::Init));
    let mut initial = Vec::new();
    loop {
        match next().await {
            watcher::Event::InitApply(o) => initial.push(o.metadata.name.unwrap_or_default()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial, ["a", "b"]);

    let watch_ready = async {
        wait_for_watches(&api, 1).await;
        api.create(&dns_endpoint("c", "c.example.com"))
            .expect("create c");
        let mut changed = dns_endpoint("a", "changed.example.com");
        changed.metadata.namespace = Some(NS.to_owned());
        api.replace(&changed).expect("replace a");
        api.delete(&dns_endpoint("b", "")).expect("delete b");
    };
    let ((), first) = tokio::join!(watch_ready, next());
    let watcher::Event::Apply(created) = first else {
        panic!("expected an apply, got {first:?}");
    };
    assert_eq!(created.metadata.name.as_deref(), Some("c"));
    let watcher::Event::Apply(modified) = next().await else {
        panic!("expected an apply");
    };
    assert_eq!(modified.spec.endpoints[0].dns_name, "changed.example.com");
    assert_eq!(modified.metadata.generation, Some(2));
    let watcher::Event::Delete(deleted) = next().await else {
        panic!("expected a delete");
    };
    assert_eq!(deleted.metadata.name.as_deref(), Some("b"));
    assert_eq!(api.count(Verb::Watch, "dnsendpoints"), 1);
    assert_eq!(api.count(Verb::List, "dnsendpoints"), 1);
}

#[tokio::test]
async fn raw_watch_sends_added_modified_deleted_and_bookmarks() {
    let api = start().await;
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    let start_rv = api.resource_version().to_string();
    let mut events = services
        .watch(&WatchParams::default(), &start_rv)
        .await
        .expect("watch")
        .boxed();
    wait_for_watches(&api, 1).await;

    api.create(&service("web", &[("app", "web")]))
        .expect("create");
    api.replace(&service("web", &[("app", "web"), ("tier", "front")]))
        .expect("replace");
    api.delete(&service("web", &[])).expect("delete");
    api.send_bookmarks();

    let mut seen = Vec::new();
    while seen.len() < 4 {
        let event = tokio::time::timeout(WAIT, events.try_next())
            .await
            .expect("an event in time")
            .expect("no error")
            .expect("the stream goes on");
        seen.push(match event {
            WatchEvent::Added(s) => format!("ADDED {}", s.metadata.name.unwrap_or_default()),
            WatchEvent::Modified(s) => {
                format!("MODIFIED {}", s.metadata.labels.unwrap_or_default().len())
            }
            WatchEvent::Deleted(s) => format!("DELETED {}", s.metadata.name.unwrap_or_default()),
            WatchEvent::Bookmark(b) => format!("BOOKMARK {}", b.metadata.resource_version),
            WatchEvent::Error(e) => format!("ERROR {}", e.code),
        });
    }
    let latest = api.resource_version();
    assert_eq!(
        seen,
        [
            "ADDED web".to_owned(),
            "MODIFIED 2".to_owned(),
            "DELETED web".to_owned(),
            format!("BOOKMARK {latest}"),
        ]
    );
}

#[tokio::test]
async fn periodic_bookmarks_and_streaming_lists() {
    let api = KubeApi::start_with(KubeApiConfig {
        bookmark_interval: Some(Duration::from_millis(50)),
        ..KubeApiConfig::default()
    })
    .await
    .expect("start");
    api.create(&service("one", &[])).expect("create");
    api.create(&service("two", &[])).expect("create");
    let services: Api<Service> = Api::namespaced(api.client(), NS);

    // A streaming list: ADDED for each object, then the bookmark that ends
    // the initial events.
    let params = WatchParams::default().initial_events();
    let mut events = services.watch(&params, "0").await.expect("watch").boxed();
    let mut added = 0;
    let end = loop {
        match tokio::time::timeout(WAIT, events.try_next()).await {
            Ok(Ok(Some(WatchEvent::Added(_)))) => added += 1,
            Ok(Ok(Some(WatchEvent::Bookmark(b)))) => break b,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(added, 2);
    assert_eq!(
        end.metadata
            .annotations
            .get("k8s.io/initial-events-end")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        end.metadata.resource_version,
        api.resource_version().to_string()
    );

    // Then bookmarks keep coming on their own.
    let next = tokio::time::timeout(WAIT, events.try_next()).await;
    assert!(matches!(next, Ok(Ok(Some(WatchEvent::Bookmark(_))))));

    // kube's watcher in streaming-list mode gets its initial state the same way.
    let config = watcher::Config::default().streaming_lists();
    let mut stream = watcher(services, config).boxed();
    let mut initial = 0;
    loop {
        match tokio::time::timeout(WAIT, stream.try_next()).await {
            Ok(Ok(Some(watcher::Event::InitApply(_)))) => initial += 1,
            Ok(Ok(Some(watcher::Event::InitDone))) => break,
            Ok(Ok(Some(watcher::Event::Init))) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial, 2);
    assert_eq!(api.count(Verb::List, "services"), 0);
}

/// Drives a reflector over DNSEndpoints in the background, recording how
/// often the watcher re-listed and which errors it saw.
struct Reflected {
    reader: reflector::Store<DNSEndpoint>,
    inits: Arc<Mutex<usize>>,
    errors: Arc<Mutex<Vec<u16>>>,
    deletes: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reflected {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reflect(api: &KubeApi) -> Reflected {
    let (reader, writer) = reflector::store();
    let endpoints: Api<DNSEndpoint> = Api::namespaced(api.client(), NS);
    let inits = Arc::new(Mutex::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let deletes = Arc::new(Mutex::new(0));
    let (i, e, d) = (inits.clone(), errors.clone(), deletes.clone());
    let stream = reflector(writer, watcher(endpoints, watcher::Config::default()));
    let task = tokio::spawn(async move {
        let mut stream = stream.boxed();
        while let Some(item) = stream.next().await {
            match item {
                Ok(watcher::Event::Init) => *i.lock().expect("lock") += 1,
                Ok(watcher::Event::Delete(_)) => *d.lock().expect("lock") += 1,
                Ok(_) => {}
                Err(watcher::Error::WatchError(status)) => {
                    e.lock().expect("lock").push(status.code)
                }
                Err(_) => e.lock().expect("lock").push(0),
            }
        }
    });
    Reflected {
        reader,
        inits,
        errors,
        deletes,
        task,
    }
}

#[tokio::test]
async fn expired_history_makes_the_watcher_relist_without_the_deleted_object() {
    let api = start().await;
    for name in ["a", "b", "c"] {
        api.create(&dns_endpoint(name, &format!("{name}.example.com")))
            .expect("create");
    }
    let reflected = reflect(&api);
    tokio::time::timeout(WAIT, reflected.reader.wait_until_ready())
        .await
        .expect("ready in time")
        .expect("reflector ready");
    wait_for_watches(&api, 1).await;
    assert_eq!(reflected.reader.state().len(), 3);

    // The watch's position is now older than the history: the delete below
    // reaches it as a 410, never as a DELETED event.
    api.expire_history();
    api.delete_named::<DNSEndpoint>(Some(NS), "b")
        .expect("delete b");

    eventually("the watcher re-listed", || {
        *reflected.inits.lock().expect("lock") == 2
    })
    .await;
    eventually("the re-list landed", || reflected.reader.state().len() == 2).await;
    let mut names: Vec<String> = reflected
        .reader
        .state()
        .iter()
        .filter_map(|o| o.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(*reflected.errors.lock().expect("lock"), [410]);
    assert_eq!(*reflected.deletes.lock().expect("lock"), 0);
    assert_eq!(api.count(Verb::List, "dnsendpoints"), 2);
}

#[tokio::test]
async fn cut_watches_resume_or_relist_depending_on_the_history() {
    let api = start().await;
    api.create(&dns_endpoint("a", "a.example.com"))
        .expect("create");
    let reflected = reflect(&api);
    tokio::time::timeout(WAIT, reflected.reader.wait_until_ready())
        .await
        .expect("ready in time")
        .expect("reflector ready");
    wait_for_watches(&api, 1).await;

    // With the history intact, a cut watch resumes where it was: no re-list.
    api.cut_watches();
    eventually("the watch was resumed", || {
        api.count(Verb::Watch, "dnsendpoints") == 2
    })
    .await;
    wait_for_watches(&api, 1).await;
    api.create(&dns_endpoint("b", "b.example.com"))
        .expect("create b");
    eventually("b arrived", || reflected.reader.state().len() == 2).await;
    assert_eq!(api.count(Verb::List, "dnsendpoints"), 1);

    // With the history expired, the resumed watch gets 410 and re-lists.
    api.expire_history();
    api.cut_watches();
    eventually("the watcher re-listed", || {
        api.count(Verb::List, "dnsendpoints") == 2
    })
    .await;
    eventually("the watcher saw 410", || {
        reflected.errors.lock().expect("lock").as_slice() == [410]
    })
    .await;
    assert_eq!(*reflected.inits.lock().expect("lock"), 2);
    let resumed = api
        .requests()
        .into_iter()
        .filter(|r| r.is(Verb::Watch, "dnsendpoints"))
        .count();
    assert!(resumed >= 3, "watches: {resumed}");
}

#[tokio::test]
async fn status_writes_change_only_status_and_keep_the_generation() {
    let api = start().await;
    let endpoints: Api<DNSEndpoint> = Api::namespaced(api.client(), NS);
    let mut object = dns_endpoint("web", "web.example.com");
    object.status = Some(ready_status(9, "ignored on create"));
    let created = endpoints
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    assert_eq!(created.metadata.generation, Some(1));
    assert_eq!(
        created.status, None,
        "create drops status for a status subresource"
    );

    // PUT /status with a changed spec: only the status lands.
    let mut put = created.clone();
    put.spec.endpoints[0].dns_name = "other.example.com".to_owned();
    put.status = Some(ready_status(1, "published"));
    let after_put = endpoints
        .replace_status("web", &PostParams::default(), &put)
        .await
        .expect("replace status");
    assert_eq!(after_put.spec.endpoints[0].dns_name, "web.example.com");
    assert_eq!(after_put.status, Some(ready_status(1, "published")));
    assert_eq!(after_put.metadata.generation, Some(1));
    assert_ne!(
        after_put.metadata.resource_version,
        created.metadata.resource_version
    );

    // PUT /status with the old resourceVersion conflicts.
    let stale = endpoints
        .replace_status("web", &PostParams::default(), &put)
        .await;
    assert_eq!(api_error(stale), (409, "Conflict".to_owned()));

    // PATCH /status (merge) changes status only.
    let patch = json!({ "spec": { "endpoints": [] }, "status": { "observedGeneration": 1, "conditions": [] } });
    let after_patch = endpoints
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch status");
    assert_eq!(after_patch.spec.endpoints.len(), 1);
    assert_eq!(
        after_patch.status.as_ref().map(|s| s.observed_generation),
        Some(1)
    );
    assert_eq!(
        after_patch.status.as_ref().map(|s| s.conditions.len()),
        Some(0)
    );
    assert_eq!(after_patch.metadata.generation, Some(1));

    // Server-side apply of status, as a status writer would do it.
    let apply = json!({
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "status": { "observedGeneration": 1, "conditions": [{ "type": "Ready", "status": "False", "reason": "Refused", "message": "m" }] },
    });
    let applied = endpoints
        .patch_status(
            "web",
            &PatchParams::apply("flaredns").force(),
            &Patch::Apply(&apply),
        )
        .await
        .expect("apply status");
    assert_eq!(
        applied
            .status
            .as_ref()
            .map(|s| s.conditions[0].reason.as_str()),
        Some("Refused")
    );
    assert_eq!(applied.metadata.generation, Some(1));

    // A main-resource write keeps the stored status and bumps the generation.
    let mut main = applied.clone();
    main.spec.endpoints[0].dns_name = "new.example.com".to_owned();
    main.status = None;
    let replaced = endpoints
        .replace("web", &PostParams::default(), &main)
        .await
        .expect("replace");
    assert_eq!(replaced.metadata.generation, Some(2));
    assert_eq!(replaced.status, applied.status);

    // The same status written again changes nothing: no new version.
    let rv = api.resource_version();
    endpoints
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(&json!({ "status": { "observedGeneration": 1 } })),
        )
        .await
        .expect("no-op patch");
    assert_eq!(api.resource_version(), rv);

    let stored: DNSEndpoint = api.get(Some(NS), "web").expect("stored");
    assert_eq!(stored.status, applied.status);
    assert_eq!(stored.metadata.generation, Some(2));
}

#[tokio::test]
async fn recorder_creates_events_and_patches_series() {
    let api = start().await;
    let created = api
        .create(&dns_endpoint("web", "web.example.com"))
        .expect("create");
    let recorder = Recorder::new(
        api.client(),
        Reporter {
            controller: "flaredns".to_owned(),
            instance: Some("flaredns-0".to_owned()),
        },
    );
    let reference = ObjectReference {
        api_version: Some("externaldns.k8s.io/v1alpha1".to_owned()),
        kind: Some("DNSEndpoint".to_owned()),
        name: Some("web".to_owned()),
        namespace: Some(NS.to_owned()),
        uid: created["metadata"]["uid"].as_str().map(str::to_owned),
        ..Default::default()
    };
    let event = EventSpec {
        type_: EventType::Warning,
        reason: "InvalidTarget".to_owned(),
        note: Some("192.0.2.300 is not an IPv4 address".to_owned()),
        action: "Publish".to_owned(),
        secondary: None,
    };
    recorder.publish(&event, &reference).await.expect("publish");
    recorder
        .publish(&event, &reference)
        .await
        .expect("publish again");

    let events = api.events().expect("events");
    assert_eq!(events.len(), 1);
    let stored = &events[0];
    assert_eq!(stored.reason.as_deref(), Some("InvalidTarget"));
    assert_eq!(stored.type_.as_deref(), Some("Warning"));
    assert_eq!(
        stored.regarding.as_ref().and_then(|r| r.name.as_deref()),
        Some("web")
    );
    assert_eq!(stored.series.as_ref().map(|s| s.count), Some(2));
    assert_eq!(api.count(Verb::Create, "events"), 1);
    assert_eq!(api.count(Verb::Patch, "events"), 1);

    // And through the API as a list.
    let listed: Api<k8s_openapi::api::events::v1::Event> = Api::all(api.client());
    assert_eq!(
        listed
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn leases_conflict_like_a_real_server() {
    let api = start().await;
    let leases: Api<Lease> = Api::namespaced(api.client(), NS);
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some("flaredns".to_owned()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("a".to_owned()),
            lease_duration_seconds: Some(15),
            ..Default::default()
        }),
    };
    let created = leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("create");
    assert_eq!(
        created.metadata.resource_version.as_deref(),
        Some(api.resource_version().to_string().as_str())
    );
    assert_eq!(
        api_error(leases.create(&PostParams::default(), &lease).await),
        (409, "AlreadyExists".to_owned())
    );

    // Two writers from the same version: the second loses.
    let mut first = created.clone();
    first.spec.get_or_insert_default().holder_identity = Some("b".to_owned());
    leases
        .replace("flaredns", &PostParams::default(), &first)
        .await
        .expect("first replace");
    let mut second = created.clone();
    second.spec.get_or_insert_default().holder_identity = Some("c".to_owned());
    assert_eq!(
        api_error(
            leases
                .replace("flaredns", &PostParams::default(), &second)
                .await
        ),
        (409, "Conflict".to_owned())
    );
    // A merge patch carrying a stale version conflicts too.
    let stale = json!({ "metadata": { "resourceVersion": created.metadata.resource_version }, "spec": { "holderIdentity": "c" } });
    assert_eq!(
        api_error(
            leases
                .patch("flaredns", &PatchParams::default(), &Patch::Merge(&stale))
                .await
        ),
        (409, "Conflict".to_owned())
    );
    assert_eq!(
        api.lease(NS, "flaredns")
            .expect("lease")
            .spec
            .and_then(|s| s.holder_identity)
            .as_deref(),
        Some("b")
    );

    // A JSON patch with a failing test operation is refused with 422.
    let test_c = json!([{ "op": "test", "path": "/spec/holderIdentity", "value": "c" }]);
    let test_c: json_patch::Patch = serde_json::from_value(test_c).expect("patch");
    assert_eq!(
        api_error(
            leases
                .patch(
                    "flaredns",
                    &PatchParams::default(),
                    &Patch::<()>::Json(test_c)
                )
                .await
        )
        .0,
        422
    );
    let delete = leases.delete("flaredns", &DeleteParams::default()).await;
    assert!(delete.is_ok());
    assert_eq!(
        api_error(leases.get("flaredns").await),
        (404, "NotFound".to_owned())
    );
}

#[tokio::test]
async fn lease_manager_acquires_and_releases_against_the_server() {
    let api = start().await;
    let first = LeaseManagerBuilder::new(api.client(), "flaredns-leader")
        .with_namespace(NS)
        .with_identity("replica-a")
        .with_duration(30)
        .with_grace(5)
        .build()
        .await
        .expect("first manager");
    let acquired = tokio::time::timeout(WAIT, first.changed())
        .await
        .expect("in time");
    assert!(acquired.expect("changed"));
    let lease = api.lease(NS, "flaredns-leader").expect("lease");
    let spec = lease.spec.expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-a"));
    assert_eq!(spec.lease_duration_seconds, Some(30));
    assert_eq!(spec.lease_transitions, Some(1));
    assert!(spec.renew_time.is_some());

    first.release().await.expect("release");
    let spec = api
        .lease(NS, "flaredns-leader")
        .expect("lease")
        .spec
        .expect("spec");
    assert_eq!(spec.holder_identity, None);
    assert_eq!(spec.renew_time, None);

    let second = LeaseManagerBuilder::new(api.client(), "flaredns-leader")
        .with_namespace(NS)
        .with_identity("replica-b")
        .build()
        .await
        .expect("second manager");
    let acquired = tokio::time::timeout(WAIT, second.changed())
        .await
        .expect("in time");
    assert!(acquired.expect("changed"));
    let spec = api
        .lease(NS, "flaredns-leader")
        .expect("lease")
        .spec
        .expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-b"));
    assert_eq!(spec.lease_transitions, Some(2));

    // The managers used server-side apply and strategic merge patches.
    let patches: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.is(Verb::Patch, "leases"))
        .collect();
    assert!(patches.iter().all(|r| r.status == 200));
    assert!(
        patches
            .iter()
            .all(|r| r.param("fieldManager").is_some_and(|m| !m.is_empty()))
    );
    let types = |mime: &str| {
        patches
            .iter()
            .filter(|r| r.content_type.as_deref() == Some(mime))
            .count()
    };
    // Each acquisition: one apply, then a strategic patch of the transitions.
    assert_eq!(types("application/apply-patch+yaml"), 2);
    assert!(types("application/strategic-merge-patch+json") >= 3);
    assert_eq!(api.count(Verb::Create, "leases"), 1);
}

#[tokio::test]
async fn label_and_field_selectors_filter_lists_and_watches() {
    let api = start().await;
    api.create(&service("web", &[("app", "web"), ("tier", "front")]))
        .expect("create");
    api.create(&service("api", &[("app", "api"), ("tier", "back")]))
        .expect("create");
    api.create(&service("db", &[("app", "db")]))
        .expect("create");
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    let names = async |labels: &str, fields: &str| {
        let mut params = ListParams::default();
        if !labels.is_empty() {
            params = params.labels(labels);
        }
        if !fields.is_empty() {
            params = params.fields(fields);
        }
        let list = services.list(&params).await.expect("list");
        list.items
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("app=web", "").await, ["web"]);
    assert_eq!(names("app==api", "").await, ["api"]);
    assert_eq!(names("app!=web", "").await, ["api", "db"]);
    assert_eq!(names("app in (web, db)", "").await, ["db", "web"]);
    assert_eq!(names("app notin (web),tier", "").await, ["api"]);
    assert_eq!(names("!tier", "").await, ["db"]);
    assert_eq!(names("tier", "").await, ["api", "web"]);
    assert_eq!(names("", "metadata.name=db").await, ["db"]);
    assert_eq!(names("tier", "metadata.name!=web").await, ["api"]);
    assert_eq!(
        api_error(
            services
                .list(&ListParams::default().labels("app in (web"))
                .await
        )
        .0,
        400
    );

    // A watch with a selector sees objects enter and leave it.
    let rv = api.resource_version().to_string();
    let mut events = services
        .watch(&WatchParams::default().labels("tier=front"), &rv)
        .await
        .expect("watch")
        .boxed();
    wait_for_watches(&api, 1).await;
    api.replace(&service("web", &[("app", "web")]))
        .expect("leaves");
    api.replace(&service("db", &[("app", "db"), ("tier", "front")]))
        .expect("enters");
    api.replace(&service("api", &[("app", "api"), ("tier", "middle")]))
        .expect("unseen");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(WAIT, events.try_next()).await {
            Ok(Ok(Some(WatchEvent::Added(s)))) => {
                seen.push(format!("ADDED {}", s.metadata.name.unwrap_or_default()))
            }
            Ok(Ok(Some(WatchEvent::Deleted(s)))) => {
                seen.push(format!("DELETED {}", s.metadata.name.unwrap_or_default()))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["DELETED web", "ADDED db"]);
}

#[tokio::test]
async fn injected_failures_reach_the_client_and_are_logged() {
    let api = start().await;
    api.create(&service("web", &[])).expect("create");
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    let ingresses: Api<Ingress> = Api::namespaced(api.client(), NS);

    api.fail_next(1);
    assert_eq!(
        api_error(services.get("web").await),
        (500, "InternalError".to_owned())
    );
    assert!(services.get("web").await.is_ok());

    api.fail_next_for(2, "ingresses");
    assert!(
        services.get("web").await.is_ok(),
        "other resources are not affected"
    );
    assert_eq!(
        api_error(ingresses.list(&ListParams::default()).await).0,
        500
    );
    assert_eq!(
        api_error(ingresses.list(&ListParams::default()).await).0,
        500
    );
    assert_eq!(api.pending_failures(), 0);
    assert!(ingresses.list(&ListParams::default()).await.is_ok());

    let failed: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.status == 500)
        .collect();
    assert_eq!(failed.len(), 3);
    assert_eq!(api.count(Verb::List, "ingresses"), 3);
    assert_eq!(api.writes(), 0, "no object was written through the API");

    // Latency slows answers but changes nothing else.
    api.set_latency(Duration::from_millis(20));
    assert!(services.get("web").await.is_ok());
    api.set_latency(Duration::ZERO);
}

#[tokio::test]
async fn patches_apply_and_create_like_a_real_server() {
    let api = start().await;
    let client = api.client();
    let services: Api<Service> = Api::namespaced(client.clone(), NS);

    // Server-side apply creates a missing object, then merges into it.
    let config = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": "web", "labels": { "app": "web" } },
        "spec": { "type": "ClusterIP", "ports": [{ "port": 80 }] },
    });
    let params = PatchParams::apply("flaredns-test");
    let created = services
        .patch("web", &params, &Patch::Apply(&config))
        .await
        .expect("apply");
    assert_eq!(created.metadata.generation, Some(1));
    let config = json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "web", "annotations": { "a": "b" } } });
    let applied = services
        .patch("web", &params, &Patch::Apply(&config))
        .await
        .expect("apply");
    assert_eq!(
        applied
            .metadata
            .labels
            .unwrap_or_default()
            .get("app")
            .map(String::as_str),
        Some("web")
    );
    assert_eq!(
        applied
            .metadata
            .annotations
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("b")
    );
    assert_eq!(
        applied.metadata.generation,
        Some(1),
        "metadata changes keep the generation"
    );

    // Strategic merge: `$` directives are not stored, null removes.
    let strategic = json!({ "metadata": { "labels": { "app": null, "$patch": "merge" } } });
    let patched = services
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Strategic(&strategic),
        )
        .await
        .expect("strategic");
    assert_eq!(patched.metadata.labels.unwrap_or_default(), BTreeMap::new());

    // JSON patch changes the spec and bumps the generation.
    let ops: json_patch::Patch = serde_json::from_value(
        json!([{ "op": "replace", "path": "/spec/type", "value": "NodePort" }]),
    )
    .expect("ops");
    let patched = services
        .patch("web", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .expect("json patch");
    assert_eq!(
        patched.spec.and_then(|s| s.type_).as_deref(),
        Some("NodePort")
    );
    assert_eq!(patched.metadata.generation, Some(2));

    // Patching a missing object (other than by apply) is a 404.
    let missing = services
        .patch("nope", &PatchParams::default(), &Patch::Merge(&json!({})))
        .await;
    assert_eq!(api_error(missing), (404, "NotFound".to_owned()));

    // Discovery answers what kube asks.
    let version = client.apiserver_version().await.expect("version");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );
    let discovery = kube::Discovery::new(client)
        .filter(&["externaldns.k8s.io", "coordination.k8s.io"])
        .run()
        .await
        .expect("discovery");
    assert!(discovery.has_group("externaldns.k8s.io"));
    assert!(discovery.has_group("coordination.k8s.io"));
}

#[tokio::test]
async fn errors_come_back_as_status_objects() {
    let api = start().await;
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    api.create(&service("web", &[])).expect("create");

    let invalid = services
        .create(&PostParams::default(), &service("Not_A_Name", &[]))
        .await;
    assert_eq!(api_error(invalid), (422, "Invalid".to_owned()));
    let renamed = services
        .replace("web", &PostParams::default(), &service("other", &[]))
        .await;
    assert_eq!(api_error(renamed), (400, "BadRequest".to_owned()));
    let stale_delete = DeleteParams {
        preconditions: Some(Preconditions {
            resource_version: Some("1".to_owned()),
            uid: None,
        }),
        ..DeleteParams::default()
    };
    assert_eq!(
        api_error(services.delete("web", &stale_delete).await),
        (409, "Conflict".to_owned())
    );
    let missing = services.get("nope").await;
    assert_eq!(api_error(missing), (404, "NotFound".to_owned()));

    // A path the server does not serve: a 404 Status, as from a cluster
    // without that API.
    let raw = reqwest::get(format!("{}/apis/example.com/v1/widgets", api.url()))
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 404);
    let body: serde_json::Value = raw.json().await.expect("json");
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "NotFound");
    assert_eq!(body["code"], 404);

    // generateName picks a fresh name.
    let mut unnamed = service("", &[]);
    unnamed.metadata.name = None;
    unnamed.metadata.generate_name = Some("gen-".to_owned());
    let created = services
        .create(&PostParams::default(), &unnamed)
        .await
        .expect("create with generateName");
    let name = created.metadata.name.unwrap_or_default();
    assert!(name.starts_with("gen-") && name.len() > 4, "{name}");
}

#[tokio::test]
async fn continue_tokens_and_watches_from_before_the_history_get_410() {
    let api = KubeApi::start_with(KubeApiConfig {
        history_capacity: 2,
        ..KubeApiConfig::default()
    })
    .await
    .expect("start");
    let services: Api<Service> = Api::namespaced(api.client(), NS);
    let before = api.resource_version();
    for name in ["a", "b", "c", "d"] {
        api.create(&service(name, &[])).expect("create");
    }

    // The history keeps two changes: a watch from before them gets one ERROR
    // event with 410 Expired, then the stream ends.
    let mut old = services
        .watch(&WatchParams::default(), &before.to_string())
        .await
        .expect("watch starts")
        .boxed();
    match tokio::time::timeout(WAIT, old.try_next()).await {
        Ok(Ok(Some(WatchEvent::Error(status)))) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected a 410 event, got {other:?}"),
    }
    let end = tokio::time::timeout(WAIT, old.try_next()).await;
    assert!(matches!(end, Ok(Ok(None))), "{end:?}");

    // A watch from within the history replays what followed.
    let within = (api.resource_version() - 1).to_string();
    let mut recent = services
        .watch(&WatchParams::default(), &within)
        .await
        .expect("watch")
        .boxed();
    match tokio::time::timeout(WAIT, recent.try_next()).await {
        Ok(Ok(Some(WatchEvent::Added(s)))) => assert_eq!(s.metadata.name.as_deref(), Some("d")),
        other => panic!("expected ADDED d, got {other:?}"),
    }

    // A continue token from before the history expired is refused.
    let first = services
        .list(&ListParams::default().limit(3))
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let token = first.metadata.continue_.unwrap_or_default();
    api.expire_history();
    let next = services
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await;
    assert_eq!(api_error(next), (410, "Expired".to_owned()));
}

#[tokio::test]
async fn cluster_scoped_and_namespaced_paths() {
    let api = start().await;
    let client = api.client();
    let nodes: Api<Node> = Api::all(client.clone());
    let node = Node {
        metadata: ObjectMeta {
            name: Some("node-1".to_owned()),
            ..Default::default()
        },
        ..Default::default()
    };
    let created = nodes
        .create(&PostParams::default(), &node)
        .await
        .expect("create node");
    assert_eq!(created.metadata.namespace, None);
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
    let stored: Node = api.get(None, "node-1").expect("stored node");
    assert_eq!(stored.metadata.uid, created.metadata.uid);

    let mut other = service("web", &[]);
    other.metadata.namespace = Some("other".to_owned());
    api.create(&service("web", &[])).expect("create in default");
    api.create(&other).expect("create in other");
    let everywhere: Api<Service> = Api::all(client.clone());
    let in_other: Api<Service> = Api::namespaced(client, "other");
    assert_eq!(
        everywhere
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        2
    );
    let listed = in_other.list(&ListParams::default()).await.expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].metadata.namespace.as_deref(), Some("other"));
    assert_eq!(
        api.list::<Service>(Some("other"))
            .expect("handle list")
            .len(),
        1
    );
    assert_eq!(api.list::<Service>(None).expect("handle list").len(), 2);

    // The handle takes plain JSON too, for any served kind.
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": { "name": "web-abc", "namespace": "other", "labels": { "kubernetes.io/service-name": "web" } },
        "addressType": "IPv4",
        "endpoints": [{ "addresses": ["10.0.0.1"] }],
    });
    let stored = api.create(&slice).expect("create slice");
    assert_eq!(stored["metadata"]["generation"], 1);
    let read = api
        .get_value(
            "discovery.k8s.io/v1",
            "EndpointSlice",
            Some("other"),
            "web-abc",
        )
        .expect("read back");
    assert_eq!(read["endpoints"][0]["addresses"][0], "10.0.0.1");
    let unknown = api
        .create(&json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "x" } }));
    assert!(matches!(
        unknown,
        Err(support::kube_api::HandleError::UnknownKind(_))
    ));
}
