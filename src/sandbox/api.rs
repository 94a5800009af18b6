//! What each endpoint does, once the caller is known: zone and record lookups with
//! the live API's id checks and scopes, and the writes of `ops`. No HTTP here; the
//! server turns an [`Outcome`] into a response.

use serde::Serialize;
use serde_json::Value;

use super::auth::Principal;
use super::body::{self, BodyReading};
use super::error::{FailedCall, code};
use super::ops;
use super::query::{self, Query, RECORD_PAGES, ZONE_PAGES};
use super::route::Route;
use super::stamp::{self, Clock};
use super::store::Store;
use super::wire::{
    BatchInput, RecordEdit, RecordInput, RecordRef, ResponseEnvelope, ResponseMessage, TokenObject,
};
use super::zone::ZoneState;

/// The result of one call.
#[derive(Debug)]
pub struct Outcome {
    /// The success envelope, or the error.
    pub result: Result<Value, FailedCall>,
    /// For batches whose body parsed: the number of operations.
    pub operations: Option<usize>,
    /// The zone a successful write changed.
    pub changed_zone: Option<String>,
}

impl Outcome {
    fn read(result: Result<Value, FailedCall>) -> Self {
        Outcome {
            result,
            operations: None,
            changed_zone: None,
        }
    }

    fn write(result: Result<Value, FailedCall>, zone: &str) -> Self {
        let changed_zone = result.is_ok().then(|| zone.to_string());
        Outcome {
            result,
            operations: None,
            changed_zone,
        }
    }
}

/// One call's inputs.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub route: &'a Route,
    /// The path below `/client/v4`, for error messages.
    pub path: &'a str,
    pub query: &'a Query,
    pub body: &'a [u8],
    /// How the body is read: strictly, a field the API does not define is refused.
    pub reading: BodyReading,
}

/// Answers an authenticated call.
pub fn answer(store: &mut Store, clock: &Clock, principal: &Principal, call: Call<'_>) -> Outcome {
    match call.route {
        Route::Verify => Outcome::read(verify(principal)),
        Route::ListZones => Outcome::read(list_zones(store, principal, call.query)),
        Route::Unrouted => Outcome::read(Err(FailedCall::no_route())),
        Route::GetZone { zone } => Outcome::read(
            visible_zone(store, principal, zone, call.path)
                .and_then(|z| envelope(ResponseEnvelope::ok(z.to_api()))),
        ),
        Route::ListRecords { zone } => Outcome::read(
            visible_zone(store, principal, zone, call.path)
                .and_then(|z| list_records(z, call.query)),
        ),
        Route::GetRecord { zone, record } => Outcome::read(
            visible_zone(store, principal, zone, call.path).and_then(|z| {
                check_record_id(record, call.path)?;
                let found = z.get(record).ok_or_else(FailedCall::record_not_found)?;
                envelope(ResponseEnvelope::ok(found))
            }),
        ),
        Route::CreateRecord { zone } => {
            let result = writable_zone(store, principal, zone, call.path).and_then(|z| {
                let request: RecordInput = body::read(call.body, call.reading)?;
                envelope(ResponseEnvelope::ok(ops::create(z, clock, request)?))
            });
            Outcome::write(result, zone)
        }
        Route::PutRecord { zone, record } => {
            let result = writable_zone(store, principal, zone, call.path).and_then(|z| {
                check_record_id(record, call.path)?;
                let request: RecordInput = body::read(call.body, call.reading)?;
                envelope(ResponseEnvelope::ok(ops::overwrite(
                    z, clock, record, request,
                )?))
            });
            Outcome::write(result, zone)
        }
        Route::PatchRecord { zone, record } => {
            let result = writable_zone(store, principal, zone, call.path).and_then(|z| {
                check_record_id(record, call.path)?;
                let patch: RecordEdit = body::read(call.body, call.reading)?;
                envelope(ResponseEnvelope::ok(ops::patch(z, clock, record, patch)?))
            });
            Outcome::write(result, zone)
        }
        Route::DeleteRecord { zone, record } => {
            let result = writable_zone(store, principal, zone, call.path).and_then(|z| {
                check_record_id(record, call.path)?;
                let deleted = ops::delete(z, record)?;
                envelope(ResponseEnvelope::ok(RecordRef { id: deleted.id }))
            });
            Outcome::write(result, zone)
        }
        Route::Batch { zone } => {
            let mut operations = None;
            let result = writable_zone(store, principal, zone, call.path).and_then(|z| {
                let batch: BatchInput = body::read(call.body, call.reading)?;
                operations = Some(batch.len());
                envelope(ResponseEnvelope::ok(ops::batch(z, clock, batch)?))
            });
            Outcome {
                operations,
                ..Outcome::write(result, zone)
            }
        }
    }
}

fn envelope<T: Serialize>(envelope: ResponseEnvelope<T>) -> Result<Value, FailedCall> {
    serde_json::to_value(envelope).map_err(|e| {
        tracing::error!(error = %e, "cannot encode a sandbox answer");
        FailedCall::server_error(500)
    })
}

fn verify(principal: &Principal) -> Result<Value, FailedCall> {
    let Principal::Token { id, .. } = principal else {
        return Err(FailedCall::authorization_format());
    };
    let mut answer = ResponseEnvelope::ok(TokenObject {
        id: id.clone(),
        status: "active",
    });
    answer.messages.push(ResponseMessage::new(
        code::AUTHENTICATION,
        "This API Token is valid and active",
    ));
    envelope(answer)
}

fn list_zones(store: &Store, principal: &Principal, q: &Query) -> Result<Value, FailedCall> {
    let zones = store
        .zones()
        .filter(|z| principal.may_see(&z.name))
        .map(ZoneState::to_api)
        .collect();
    let zones = query::zones(zones, q);
    let (page, info) = query::page(&zones, q, ZONE_PAGES);
    envelope(ResponseEnvelope::page(page, info))
}

fn list_records(zone: &ZoneState, q: &Query) -> Result<Value, FailedCall> {
    let records = query::records(zone.records().cloned().collect(), q);
    let (page, info) = query::page(&records, q, RECORD_PAGES);
    envelope(ResponseEnvelope::page(page, info))
}

/// The zone named in the path, if the id is well formed, known and in the
/// caller's scope.
fn visible_zone<'s>(
    store: &'s Store,
    principal: &Principal,
    id: &str,
    path: &str,
) -> Result<&'s ZoneState, FailedCall> {
    if !stamp::is_id(id) {
        return Err(FailedCall::bad_object_id(path));
    }
    let zone = store
        .zone(id)
        .ok_or_else(|| FailedCall::bad_object_id(path))?;
    if !principal.may_see(&zone.name) {
        return Err(FailedCall::authentication());
    }
    Ok(zone)
}

/// As [`visible_zone`], for a caller that must also hold DNS Write.
fn writable_zone<'s>(
    store: &'s mut Store,
    principal: &Principal,
    id: &str,
    path: &str,
) -> Result<&'s mut ZoneState, FailedCall> {
    visible_zone(store, principal, id, path)?;
    if !principal.may_write() {
        return Err(FailedCall::authentication());
    }
    store
        .zone_mut(id)
        .ok_or_else(|| FailedCall::bad_object_id(path))
}

fn check_record_id(id: &str, path: &str) -> Result<(), FailedCall> {
    if stamp::is_id(id) {
        Ok(())
    } else {
        Err(FailedCall::bad_object_id(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::config::{PlanTier, ZoneAccess};

    struct Fixture {
        store: Store,
        clock: Clock,
        zone: String,
    }

    fn fixture() -> Fixture {
        let clock = Clock::default();
        let mut store = Store::default();
        let zone = store
            .add_zone("example.com", PlanTier::Free, &clock)
            .unwrap();
        Fixture { store, clock, zone }
    }

    fn call(
        f: &mut Fixture,
        principal: &Principal,
        method: &str,
        path: &str,
        body: &str,
    ) -> Outcome {
        let route = Route::of(method, &format!("/client/v4{path}"));
        answer(
            &mut f.store,
            &f.clock,
            principal,
            Call {
                route: &route,
                path,
                query: &Query::default(),
                body: body.as_bytes(),
                reading: BodyReading::Strict,
            },
        )
    }

    fn token(zones: ZoneAccess, can_write: bool) -> Principal {
        Principal::Token {
            id: stamp::new_id(),
            zones,
            can_write,
        }
    }

    #[test]
    fn writes_report_the_changed_zone_and_reads_do_not() {
        let mut f = fixture();
        let p = Principal::ApiKey;
        let path = format!("/zones/{}/dns_records", f.zone);
        let created = call(
            &mut f,
            &p,
            "POST",
            &path,
            r#"{"name":"www","type":"A","content":"192.0.2.1"}"#,
        );
        assert_eq!(created.changed_zone.as_deref(), Some(f.zone.as_str()));
        let body = created.result.unwrap();
        assert_eq!(body["result"]["name"], "www.example.com");
        let listed = call(&mut f, &p, "GET", &path, "");
        assert_eq!(listed.changed_zone, None);
        assert_eq!(listed.result.unwrap()["result_info"]["total_count"], 1);
        let failed = call(
            &mut f,
            &p,
            "POST",
            &path,
            r#"{"name":"www","type":"A","content":"192.0.2.1"}"#,
        );
        assert_eq!(failed.changed_zone, None);
        assert!(failed.result.unwrap_err().has_code(code::IDENTICAL_RECORD));
    }

    #[test]
    fn ids_scopes_and_bodies_are_checked_in_order() {
        let mut f = fixture();
        let zone = f.zone.clone();
        let all = Principal::ApiKey;
        let err = call(&mut f, &all, "GET", "/zones/example.com", "")
            .result
            .unwrap_err();
        assert!(err.has_code(code::BAD_OBJECT_ID));
        assert!(err.errors[0].message.contains("/zones/example.com"));
        let unknown = format!("/zones/{}", stamp::new_id());
        assert!(
            call(&mut f, &all, "GET", &unknown, "")
                .result
                .unwrap_err()
                .has_code(code::BAD_OBJECT_ID)
        );
        let other = token(ZoneAccess::Only(vec!["example.org".into()]), true);
        let err = call(&mut f, &other, "GET", &format!("/zones/{zone}"), "")
            .result
            .unwrap_err();
        assert_eq!(
            (err.status, err.errors[0].code),
            (403, code::AUTHENTICATION)
        );
        let reader = token(ZoneAccess::All, false);
        let path = format!("/zones/{zone}/dns_records");
        assert!(call(&mut f, &reader, "GET", &path, "").result.is_ok());
        let err = call(&mut f, &reader, "POST", &path, "{}")
            .result
            .unwrap_err();
        assert_eq!(err.errors[0].code, code::AUTHENTICATION);
        let err = call(
            &mut f,
            &all,
            "POST",
            &path,
            r#"{"name":"www","type":"BOGUS","content":"x"}"#,
        )
        .result
        .unwrap_err();
        assert_eq!(err.errors[0].code, code::BODY_INVALID);
        let err = call(&mut f, &all, "GET", &format!("{path}/not-an-id"), "")
            .result
            .unwrap_err();
        assert!(err.has_code(code::BAD_OBJECT_ID));
        let err = call(
            &mut f,
            &all,
            "DELETE",
            &format!("{path}/{}", stamp::new_id()),
            "",
        )
        .result
        .unwrap_err();
        assert_eq!(
            (err.status, err.errors[0].code),
            (404, code::RECORD_NOT_FOUND)
        );
    }

    #[test]
    fn verify_answers_tokens_only() {
        let mut f = fixture();
        let t = token(ZoneAccess::All, true);
        let body = call(&mut f, &t, "GET", "/user/tokens/verify", "")
            .result
            .unwrap();
        assert_eq!(body["result"]["status"], "active");
        assert_eq!(body["messages"][0]["code"], 10000);
        assert!(
            call(&mut f, &Principal::ApiKey, "GET", "/user/tokens/verify", "")
                .result
                .is_err()
        );
    }

    #[test]
    fn batches_report_their_size_even_when_refused() {
        let mut f = fixture();
        let posts: Vec<Value> = (0..201)
            .map(|i| serde_json::json!({"name": format!("h{i}"), "type": "A", "content": "192.0.2.1"}))
            .collect();
        let body = serde_json::json!({ "posts": posts }).to_string();
        let path = format!("/zones/{}/dns_records/batch", f.zone);
        let outcome = call(&mut f, &Principal::ApiKey, "POST", &path, &body);
        assert_eq!(outcome.operations, Some(201));
        assert!(outcome.result.is_err());
        assert_eq!(outcome.changed_zone, None);
    }
}
