//! The call log: every request the sandbox answered, counts by kind, and the
//! history of zone states after each successful write, so that tests can count
//! API calls and check invariants over every intermediate state.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use super::wire::RecordObject;

/// What a call was, by endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    /// `GET /user/tokens/verify`
    Verify,
    /// `GET /zones` and `GET /zones/{id}`
    Zones,
    /// `GET /zones/{id}/dns_records`
    List,
    /// `GET /zones/{id}/dns_records/{id}`
    Get,
    /// `POST /zones/{id}/dns_records`
    Create,
    /// `PUT /zones/{id}/dns_records/{id}`
    Update,
    /// `PATCH /zones/{id}/dns_records/{id}`
    Patch,
    /// `DELETE /zones/{id}/dns_records/{id}`
    Delete,
    /// `POST /zones/{id}/dns_records/batch`
    Batch,
    /// Anything else (answered with 7000).
    Other,
}

impl CallKind {
    /// Whether calls of this kind change records.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            CallKind::Create
                | CallKind::Update
                | CallKind::Patch
                | CallKind::Delete
                | CallKind::Batch
        )
    }
}

/// One request and how it was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    pub method: String,
    /// The full path, `/client/v4/…`.
    pub path: String,
    /// The raw query string, empty when there is none.
    pub query: String,
    pub kind: CallKind,
    /// The zone id in the path, when there is one.
    pub zone_id: Option<String>,
    /// The HTTP status answered; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// For batches: the number of operations in the request body.
    pub operations: Option<usize>,
    /// The request's JSON body, kept (with the history) so that tests can check
    /// what a client sent against the API schema.
    pub body: Option<serde_json::Value>,
    /// The answer's JSON body, kept on the same terms as `body`.
    pub response: Option<serde_json::Value>,
    pub at: SystemTime,
}

impl CallEntry {
    /// Whether the call succeeded (2xx).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Number of calls by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub by_kind: BTreeMap<CallKind, u64>,
}

impl CallCounts {
    /// Calls of one kind.
    pub fn get(&self, kind: CallKind) -> u64 {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }

    /// Every call.
    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }

    /// Calls that change records (whatever their outcome).
    pub fn writes(&self) -> u64 {
        self.by_kind
            .iter()
            .filter(|(k, _)| k.is_write())
            .map(|(_, n)| n)
            .sum()
    }
}

/// A zone's records right after a successful write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The `seq` of the call that wrote.
    pub seq: u64,
    pub zone_id: String,
    pub kind: CallKind,
    /// Every record of the zone, sorted by type, name and content.
    pub records: Vec<RecordObject>,
}

/// The log itself.
#[derive(Clone, Debug)]
pub struct CallLog {
    entries: Vec<CallEntry>,
    history: Vec<HistoryEntry>,
    counts: CallCounts,
    /// The `seq` of the next call; numbering continues across a clear, so that a
    /// history entry never names the wrong call.
    next_seq: u64,
}

impl Default for CallLog {
    fn default() -> Self {
        CallLog {
            entries: Vec::new(),
            history: Vec::new(),
            counts: CallCounts::default(),
            next_seq: 1,
        }
    }
}

impl CallLog {
    /// Appends a call, giving it the next `seq`.
    pub fn push(&mut self, mut entry: CallEntry) -> u64 {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        *self.counts.by_kind.entry(entry.kind).or_default() += 1;
        self.entries.push(entry);
        self.next_seq - 1
    }

    /// Records a zone's state after a write.
    pub fn push_history(&mut self, entry: HistoryEntry) {
        self.history.push(entry);
    }

    pub fn entries(&self) -> &[CallEntry] {
        &self.entries
    }

    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    pub fn counts(&self) -> &CallCounts {
        &self.counts
    }

    /// Forgets every call and every state.
    pub fn clear(&mut self) {
        *self = CallLog {
            next_seq: self.next_seq,
            ..CallLog::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: CallKind, status: Option<u16>) -> CallEntry {
        CallEntry {
            seq: 0,
            method: "GET".into(),
            path: "/client/v4/zones".into(),
            query: String::new(),
            kind,
            zone_id: None,
            status,
            operations: None,
            body: None,
            response: None,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn calls_are_numbered_and_counted() {
        let mut log = CallLog::default();
        assert_eq!(log.push(entry(CallKind::Zones, Some(200))), 1);
        assert_eq!(log.push(entry(CallKind::Batch, None)), 2);
        assert_eq!(log.push(entry(CallKind::Create, Some(400))), 3);
        assert_eq!(log.counts().get(CallKind::Batch), 1);
        assert_eq!(log.counts().get(CallKind::List), 0);
        assert_eq!(log.counts().total(), 3);
        assert_eq!(log.counts().writes(), 2);
        assert!(log.entries()[0].succeeded());
        assert!(!log.entries()[1].succeeded());
        log.clear();
        assert_eq!(log.counts().total(), 0);
        assert_eq!(log.push(entry(CallKind::List, Some(200))), 4);
    }
}
