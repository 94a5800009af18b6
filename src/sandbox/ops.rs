//! The write operations on one zone: create, overwrite (PUT), patch, delete and
//! the atomic batch. Each returns the records as the API answers them, or the
//! first error with the zone unchanged.

use super::error::FailedCall;
use super::rules::{self, RecordFields};
use super::stamp::{self, Clock};
use super::wire::{BatchInput, BatchOutput, RecordEdit, RecordInput, RecordObject};
use super::zone::ZoneState;

/// Creates a record (`POST /dns_records`).
pub fn create<Id>(
    zone: &mut ZoneState,
    clock: &Clock,
    request: RecordInput<Id>,
) -> Result<RecordObject, FailedCall> {
    let fields = rules::normalize(&zone.name, zone.plan, request.into())?;
    rules::check_conflicts(zone, &fields, None)?;
    let now = clock.stamp();
    let record = rules::to_record(fields, stamp::new_id(), now.clone(), now, None);
    zone.insert(record.clone());
    Ok(record)
}

/// Overwrites a record (`PUT`): every field left out goes back to its default.
pub fn overwrite<Id>(
    zone: &mut ZoneState,
    clock: &Clock,
    id: &str,
    request: RecordInput<Id>,
) -> Result<RecordObject, FailedCall> {
    if zone.get(id).is_none() {
        return Err(FailedCall::record_not_found());
    }
    replace(zone, clock, id, request.into())
}

/// Updates the fields a patch sends (`PATCH`).
pub fn patch<Id>(
    zone: &mut ZoneState,
    clock: &Clock,
    id: &str,
    patch: RecordEdit<Id>,
) -> Result<RecordObject, FailedCall> {
    let existing = zone.get(id).ok_or_else(FailedCall::record_not_found)?;
    // Stored records always have a known type; a record that somehow does not is
    // treated as absent rather than guessed at.
    let fields = RecordFields::of(existing).ok_or_else(FailedCall::record_not_found)?;
    replace(zone, clock, id, fields.patched(patch))
}

/// Replaces the stored record `id` (which exists) by checked fields, keeping its
/// creation time.
fn replace(
    zone: &mut ZoneState,
    clock: &Clock,
    id: &str,
    fields: RecordFields,
) -> Result<RecordObject, FailedCall> {
    let fields = rules::normalize(&zone.name, zone.plan, fields)?;
    rules::check_conflicts(zone, &fields, Some(id))?;
    let previous = zone.get(id).ok_or_else(FailedCall::record_not_found)?;
    let record = rules::to_record(
        fields,
        id.to_string(),
        previous.created_on.clone(),
        clock.stamp(),
        Some(previous),
    );
    zone.insert(record.clone());
    Ok(record)
}

/// Deletes a record, returning it as it was.
pub fn delete(zone: &mut ZoneState, id: &str) -> Result<RecordObject, FailedCall> {
    zone.remove(id).ok_or_else(FailedCall::record_not_found)
}

/// Runs a batch in one transaction: deletes, then patches, then puts, then posts,
/// each list in request order. The operations run on a copy of the zone, which
/// replaces the zone only when every operation succeeded; otherwise the first
/// error is returned and nothing is applied.
pub fn batch(
    zone: &mut ZoneState,
    clock: &Clock,
    batch: BatchInput,
) -> Result<BatchOutput, FailedCall> {
    if batch.len() > zone.plan.batch_limit() {
        return Err(FailedCall::batch_too_large(batch.len(), zone.plan));
    }
    let mut work = zone.clone();
    let mut response = BatchOutput::default();
    for item in batch.deletes {
        response.deletes.push(delete(&mut work, &item.id)?);
    }
    for item in batch.patches {
        let id = item.id.clone();
        response.patches.push(patch(&mut work, clock, &id, item)?);
    }
    for item in batch.puts {
        let id = item.id.clone();
        response.puts.push(overwrite(&mut work, clock, &id, item)?);
    }
    for item in batch.posts {
        response.posts.push(create(&mut work, clock, item)?);
    }
    *zone = work;
    Ok(response)
}

/// Creates many records at once, all or none (for seeding a zone); the error
/// names the position of the first record refused.
pub fn create_all(
    zone: &mut ZoneState,
    clock: &Clock,
    requests: Vec<RecordInput>,
) -> Result<Vec<RecordObject>, (usize, FailedCall)> {
    let mut work = zone.clone();
    let mut created = Vec::with_capacity(requests.len());
    for (i, request) in requests.into_iter().enumerate() {
        created.push(create(&mut work, clock, request).map_err(|e| (i, e))?);
    }
    *zone = work;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use crate::sandbox::config::PlanTier;
    use crate::sandbox::error::code;
    use crate::sandbox::wire::{NoId, RecordRef};

    fn zone(plan: PlanTier) -> ZoneState {
        ZoneState::new(stamp::new_id(), "example.com".into(), plan, "t".into())
    }

    #[test]
    fn writes_keep_created_on_and_move_modified_on() {
        let clock = Clock::default();
        let mut z = zone(PlanTier::Free);
        let created = create(
            &mut z,
            &clock,
            RecordInput::new("www", RecordType::A, "192.0.2.1"),
        )
        .unwrap();
        assert_eq!(created.name, "www.example.com");
        let patched = patch(
            &mut z,
            &clock,
            &created.id,
            RecordEdit::<NoId> {
                comment: Some("web".into()),
                ..RecordEdit::default()
            },
        )
        .unwrap();
        assert_eq!(patched.created_on, created.created_on);
        assert!(patched.modified_on > created.modified_on);
        assert_eq!(patched.content, "192.0.2.1");
        let put = overwrite(
            &mut z,
            &clock,
            &created.id,
            RecordInput::new("www", RecordType::A, "192.0.2.9"),
        )
        .unwrap();
        assert_eq!(put.comment, None, "a PUT resets what it leaves out");
        assert!(put.modified_on > patched.modified_on);
        assert_eq!(delete(&mut z, &created.id).unwrap().content, "192.0.2.9");
        assert!(
            delete(&mut z, &created.id)
                .unwrap_err()
                .has_code(code::RECORD_NOT_FOUND)
        );
    }

    #[test]
    fn batches_delete_before_they_post() {
        let clock = Clock::default();
        let mut z = zone(PlanTier::Free);
        let cname = create(
            &mut z,
            &clock,
            RecordInput::new("app", RecordType::Cname, "lb.example.net"),
        )
        .unwrap();
        let response = batch(
            &mut z,
            &clock,
            BatchInput {
                deletes: vec![RecordRef {
                    id: cname.id.clone(),
                }],
                posts: vec![RecordInput::new("app", RecordType::A, "192.0.2.1")],
                ..BatchInput::default()
            },
        )
        .unwrap();
        assert_eq!(response.deletes[0].id, cname.id);
        assert_eq!(response.posts[0].record_type, "A");
        assert_eq!(z.records().count(), 1);
    }

    #[test]
    fn a_failing_batch_changes_nothing() {
        let clock = Clock::default();
        let mut z = zone(PlanTier::Free);
        let a = create(
            &mut z,
            &clock,
            RecordInput::new("a", RecordType::A, "192.0.2.1"),
        )
        .unwrap();
        let err = batch(
            &mut z,
            &clock,
            BatchInput {
                deletes: vec![RecordRef { id: a.id.clone() }],
                patches: vec![RecordEdit {
                    id: stamp::new_id(),
                    ..RecordEdit::default()
                }],
                posts: vec![RecordInput::new("b", RecordType::A, "not-an-ip")],
                ..BatchInput::default()
            },
        )
        .unwrap_err();
        assert!(
            err.has_code(code::RECORD_NOT_FOUND),
            "the first error wins: {err:?}"
        );
        assert_eq!(z.get(&a.id), Some(&a));
        assert_eq!(z.records().count(), 1);
    }

    #[test]
    fn batches_beyond_the_plan_limit_are_refused() {
        let clock = Clock::default();
        let posts: Vec<RecordInput> = (0..201)
            .map(|i| RecordInput::new(&format!("h{i}"), RecordType::A, "192.0.2.1"))
            .collect();
        let mut free = zone(PlanTier::Free);
        let err = batch(
            &mut free,
            &clock,
            BatchInput {
                posts: posts.clone(),
                ..BatchInput::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(free.records().count(), 0);
        let mut pro = zone(PlanTier::Pro);
        assert_eq!(
            batch(
                &mut pro,
                &clock,
                BatchInput {
                    posts,
                    ..BatchInput::default()
                }
            )
            .unwrap()
            .posts
            .len(),
            201
        );
    }

    #[test]
    fn seeding_is_all_or_nothing_and_names_the_position() {
        let clock = Clock::default();
        let mut z = zone(PlanTier::Free);
        let requests = vec![
            RecordInput::new("a", RecordType::A, "192.0.2.1"),
            RecordInput::new("a", RecordType::A, "192.0.2.1"),
        ];
        let (at, err) = create_all(&mut z, &clock, requests).unwrap_err();
        assert_eq!(at, 1);
        assert!(err.has_code(code::IDENTICAL_RECORD));
        assert_eq!(z.records().count(), 0);
    }
}
