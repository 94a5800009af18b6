//! The zone view: the zone as of the last read plus flaredns's own writes
//! since, so that a pass after a change needs no listing.
//!
//! It is the largest thing the controller keeps (two records per name), so it
//! is held in chunks as they were read (a page) or written (one apply's
//! records). A single vector would be copied whole each time it grew, and for
//! a moment the copy and the original would both be resident: twice the view,
//! on every page of a listing and every batch of an initial sync.

use std::collections::BTreeSet;

use crate::endpoint::ZoneRecord;

/// Records in chunks; their order means nothing (the registry sorts what it
/// needs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneView {
    chunks: Vec<Vec<ZoneRecord>>,
}

impl ZoneView {
    /// A view of records read or written in chunks.
    pub fn from_chunks(chunks: Vec<Vec<ZoneRecord>>) -> Self {
        let mut view = ZoneView::default();
        for chunk in chunks {
            view.push_chunk(chunk);
        }
        view
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(Vec::is_empty)
    }

    /// Every record.
    pub fn iter(&self) -> impl Iterator<Item = &ZoneRecord> {
        self.chunks.iter().flatten()
    }

    fn push_chunk(&mut self, mut chunk: Vec<ZoneRecord>) {
        if chunk.is_empty() {
            return;
        }
        // A chunk left mostly empty is worth a copy of what is left.
        if chunk.len() < chunk.capacity() / 2 {
            chunk.shrink_to_fit();
        }
        self.chunks.push(chunk);
    }

    /// Takes a pass's writes: records deleted (by id) go, a written record
    /// replaces the record with its id (an update) or joins the view (a
    /// create). Nothing is copied: records move, in O((view + written) log
    /// written).
    pub fn update(&mut self, deleted: &[String], mut written: Vec<Vec<ZoneRecord>>) {
        if !deleted.is_empty() {
            let deleted: BTreeSet<&str> = deleted.iter().map(String::as_str).collect();
            for chunk in &mut self.chunks {
                chunk.retain(|r| !deleted.contains(&*r.id));
            }
            self.chunks.retain(|c| !c.is_empty());
        }
        if !self.is_empty() {
            // Written records by id, as (chunk, index), so that an update can
            // be swapped into its place.
            let mut by_id: Vec<(usize, usize)> = written
                .iter()
                .enumerate()
                .flat_map(|(c, chunk)| (0..chunk.len()).map(move |i| (c, i)))
                .collect();
            by_id.sort_unstable_by(|a, b| written[a.0][a.1].id.cmp(&written[b.0][b.1].id));
            let mut placed: Vec<Vec<bool>> = written.iter().map(|c| vec![false; c.len()]).collect();
            for existing in self.chunks.iter_mut().flatten() {
                let found = by_id.binary_search_by(|&(c, i)| written[c][i].id.cmp(&existing.id));
                if let Ok(k) = found {
                    let (c, i) = by_id[k];
                    if !placed[c][i] {
                        std::mem::swap(existing, &mut written[c][i]);
                        placed[c][i] = true;
                    }
                }
            }
            for (chunk, placed) in written.iter_mut().zip(&placed) {
                let mut flags = placed.iter();
                chunk.retain(|_| !flags.next().copied().unwrap_or(false));
            }
        }
        for chunk in written {
            self.push_chunk(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use proptest::prelude::*;

    fn record(id: &str, content: &str) -> ZoneRecord {
        ZoneRecord::new(id, "z", format!("{id}.example.com"), RecordType::A, content)
    }

    fn sorted(view: &ZoneView) -> Vec<(String, String)> {
        let mut records: Vec<_> = view
            .iter()
            .map(|r| (r.id.to_string(), r.content().to_string()))
            .collect();
        records.sort();
        records
    }

    #[test]
    fn writes_replace_add_and_delete_records() {
        let mut view = ZoneView::from_chunks(vec![
            vec![record("a", "192.0.2.1"), record("b", "192.0.2.2")],
            vec![record("c", "192.0.2.3")],
        ]);
        view.update(
            &["b".to_string()],
            vec![
                vec![record("a", "192.0.2.9")],
                vec![record("d", "192.0.2.4")],
            ],
        );
        assert_eq!(
            sorted(&view),
            [("a", "192.0.2.9"), ("c", "192.0.2.3"), ("d", "192.0.2.4")]
                .map(|(i, c)| (i.to_string(), c.to_string()))
        );
        assert_eq!(view.len(), 3);
    }

    #[test]
    fn an_empty_view_takes_the_written_chunks_as_they_are() {
        let mut view = ZoneView::default();
        let chunk = vec![record("a", "192.0.2.1"), record("b", "192.0.2.2")];
        view.update(&[], vec![chunk.clone(), Vec::new()]);
        assert_eq!(view.chunks, vec![chunk]);
    }

    proptest! {
        /// The view after an update is the old view less the deleted ids,
        /// with each written record in place of the one with its id.
        #[test]
        fn an_update_is_a_merge_by_id(
            existing in proptest::collection::btree_map(0u8..40, 0u8..4, 0..30),
            chunk_size in 1usize..8,
            deleted in proptest::collection::btree_set(0u8..40, 0..10),
            written in proptest::collection::btree_map(0u8..40, 4u8..8, 0..30),
        ) {
            let to_record = |(id, n): (&u8, &u8)| record(&format!("r{id}"), &format!("192.0.2.{n}"));
            let old: Vec<ZoneRecord> = existing.iter().map(to_record).collect();
            let new: Vec<ZoneRecord> = written.iter().map(to_record).collect();
            let mut view = ZoneView::from_chunks(old.chunks(chunk_size).map(<[_]>::to_vec).collect());
            let deleted_ids: Vec<String> = deleted.iter().map(|id| format!("r{id}")).collect();
            view.update(&deleted_ids, new.chunks(chunk_size).map(<[_]>::to_vec).collect());

            let mut expected: std::collections::BTreeMap<u8, u8> = existing
                .into_iter()
                .filter(|(id, _)| !deleted.contains(id))
                .collect();
            expected.extend(written);
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(id, n)| (format!("r{id}"), format!("192.0.2.{n}")))
                .collect();
            let mut expected = expected;
            expected.sort();
            prop_assert_eq!(sorted(&view), expected);
        }
    }
}
