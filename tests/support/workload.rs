//! What a fault run publishes: Kubernetes objects described as plain data (so
//! that a run can compute the records they should become), the moves from one
//! set of objects to another, and the foreign records seeded into the zone
//! before the controller starts. Shared by the fault matrix and the soak run.

use std::collections::{BTreeMap, BTreeSet};

use flaredns::endpoint::RecordType;
use flaredns::sandbox::{RecordInput, RecordObject};
use flaredns::sandbox::{SandboxError, SandboxHandle};
use serde_json::{Value, json};

use super::invariants::{RecordKey, ownership_value};
use super::kube_api::{HandleError, KubeApi};
use super::world::{ZONE, dns_endpoint, ingress, load_balancer};

/// A name another owner's record and TXT hold.
pub const OTHER_OWNERS_NAME: &str = "other.example.com";

/// A name an unowned record (no TXT at all) holds.
pub const UNOWNED_NAME: &str = "manual.example.com";

/// The kinds of object a workload uses, one per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Ingress,
    Service,
    DnsEndpoint,
}

/// One object: its kind and name, the host names it publishes and the address
/// they point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSpec {
    pub kind: Kind,
    pub name: String,
    pub hosts: Vec<String>,
    pub ip: String,
}

impl ObjectSpec {
    /// An object of `kind` named `name` publishing `hosts` at `ip`.
    pub fn new(kind: Kind, name: &str, hosts: &[String], ip: &str) -> Self {
        ObjectSpec {
            kind,
            name: name.to_string(),
            hosts: hosts.to_vec(),
            ip: ip.to_string(),
        }
    }

    /// The object as the Kubernetes API serves it.
    pub fn manifest(&self) -> Value {
        let hosts = self.hosts.join(",");
        match self.kind {
            Kind::Ingress => ingress(&self.name, &hosts, &self.ip, json!({})),
            Kind::Service => load_balancer(&self.name, &hosts, &self.ip),
            Kind::DnsEndpoint => {
                let records: Vec<(&str, &str)> = self
                    .hosts
                    .iter()
                    .map(|h| (h.as_str(), self.ip.as_str()))
                    .collect();
                dns_endpoint(&self.name, &records)
            }
        }
    }

    /// The A records the object asks for.
    pub fn records(&self) -> impl Iterator<Item = RecordKey> + '_ {
        self.hosts
            .iter()
            .map(|h| (h.clone(), "A".to_string(), self.ip.clone()))
    }
}

/// A set of objects, keyed by kind and name.
pub type Objects = BTreeMap<(Kind, String), ObjectSpec>;

/// Collects objects into a set.
pub fn objects(specs: impl IntoIterator<Item = ObjectSpec>) -> Objects {
    specs
        .into_iter()
        .map(|s| ((s.kind, s.name.clone()), s))
        .collect()
}

/// The records flaredns should own for `objects`: every record asked for, but
/// none on a name a foreign record holds (flaredns must leave those alone).
pub fn desired(objects: &Objects) -> BTreeSet<RecordKey> {
    objects
        .values()
        .flat_map(ObjectSpec::records)
        .filter(|(name, _, _)| name != OTHER_OWNERS_NAME && name != UNOWNED_NAME)
        .collect()
}

/// One step from one set of objects towards another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    Create(ObjectSpec),
    Replace(ObjectSpec),
    Delete(ObjectSpec),
}

/// The steps that turn `from` into `to`: creations, replacements, deletions,
/// in key order.
pub fn moves(from: &Objects, to: &Objects) -> Vec<Move> {
    let mut steps = Vec::new();
    for (key, spec) in to {
        match from.get(key) {
            None => steps.push(Move::Create(spec.clone())),
            Some(old) if old != spec => steps.push(Move::Replace(spec.clone())),
            Some(_) => {}
        }
    }
    for (key, spec) in from {
        if !to.contains_key(key) {
            steps.push(Move::Delete(spec.clone()));
        }
    }
    steps
}

/// Makes one step in the Kubernetes API.
pub fn apply_move(kube: &KubeApi, step: &Move) -> Result<(), HandleError> {
    match step {
        Move::Create(spec) => kube.create(&spec.manifest()).map(drop),
        Move::Replace(spec) => kube.replace(&spec.manifest()).map(drop),
        Move::Delete(spec) => kube.delete(&spec.manifest()).map(drop),
    }
}

/// Seeds the records flaredns does not own: another owner's A record with its
/// TXT, and an unowned A record. Returns them as stored, ids and
/// `modified_on` included, for [`super::invariants::Expected::foreign`].
pub fn seed_foreign(cloudflare: &SandboxHandle) -> Result<Vec<RecordObject>, SandboxError> {
    let other_txt = format!("a-{OTHER_OWNERS_NAME}");
    cloudflare.put_records(
        ZONE,
        vec![
            RecordInput::new(OTHER_OWNERS_NAME, RecordType::A, "192.0.2.50"),
            RecordInput::new(
                &other_txt,
                RecordType::Txt,
                &ownership_value("other-cluster", "ingress/default/other"),
            ),
            RecordInput::new(UNOWNED_NAME, RecordType::A, "192.0.2.51"),
        ],
    )
}

/// `count` host names `<stem>0.example.com`, `<stem>1.example.com`, …
pub fn hosts(stem: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{stem}{i}.{ZONE}")).collect()
}

/// The faults the fault matrix and the soak run inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A run of 429 answers with `Retry-After`.
    RateLimitStorm,
    /// A 500 answer to a batch, nothing applied.
    ServerError,
    /// A batch applied, its connection then reset: the answer is lost.
    LostAnswerReset,
    /// A batch applied, its answer later than the client's time-out.
    LostAnswerTimeout,
    /// A replica killed with SIGKILL, then started again (the matrix kills it
    /// in the middle of the initial sync that carries the workload).
    Sigkill,
    /// The watch streams cut, and 410 Gone when they resume.
    WatchCut,
    /// The Kubernetes API answering 500 for a while.
    KubeApiErrors,
    /// The token revoked (403, 9109), then restored.
    TokenRevoked,
    /// The leader killed while it writes, a standby running.
    LeaderKilled,
}

impl Fault {
    pub const ALL: [Fault; 9] = [
        Fault::RateLimitStorm,
        Fault::ServerError,
        Fault::LostAnswerReset,
        Fault::LostAnswerTimeout,
        Fault::Sigkill,
        Fault::WatchCut,
        Fault::KubeApiErrors,
        Fault::TokenRevoked,
        Fault::LeaderKilled,
    ];

    /// A short name, for summaries.
    pub fn name(self) -> &'static str {
        match self {
            Fault::RateLimitStorm => "rate_limit_storm",
            Fault::ServerError => "server_error",
            Fault::LostAnswerReset => "lost_answer_reset",
            Fault::LostAnswerTimeout => "lost_answer_timeout",
            Fault::Sigkill => "sigkill_restart",
            Fault::WatchCut => "watch_cut_410",
            Fault::KubeApiErrors => "kube_api_errors",
            Fault::TokenRevoked => "token_revoked",
            Fault::LeaderKilled => "leader_killed",
        }
    }
}
