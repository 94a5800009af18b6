//! The sandbox's own JSON: the request bodies it reads and the answers it sends,
//! written from Cloudflare's API documentation and published OpenAPI schema (the
//! subset in `tests/data/cloudflare-openapi-dns.json`), not from flaredns's
//! client. A client mistake (a misnamed field, a wrong nesting) therefore meets
//! an independent reading instead of its own mirror image.
//!
//! Request bodies name every field the schema defines for them, at every depth
//! (`settings`, `data`), so that a strict reading (see `body`) can refuse
//! anything else. Answers carry the fields the live API sends for the records
//! and zones the sandbox holds.
//!
//! What it leaves out:
//! - `data` is read and echoed as sent; each of its keys is any JSON value, not
//!   checked against the record type, and `content` is not derived from it;
//! - `settings` keys and `private_routing` are accepted on every record type;
//! - the zone object carries fixed `meta`, owner and account values, and none of
//!   `vanity_name_servers`, `verification_key` or `cname_suffix`;
//! - the legacy record fields `zone_id`, `zone_name` and `locked` are not sent,
//!   and `meta` has only `auto_added` and `source` (no shadowing metadata);
//! - token answers have no `not_before` or `expires_on`, as sandbox tokens never
//!   expire.
//!
//! Its parts:
//! - `envelope`: the envelope, its messages, `result_info` and the token answer;
//! - `zone_object`: the zone;
//! - `record`: the record as answered and stored, with its parts;
//! - `request`: the bodies of record writes and batches.

mod envelope;
mod record;
mod request;
mod zone_object;

use serde::{Deserialize, Deserializer};

pub use envelope::{PageInfo, ResponseEnvelope, ResponseMessage, TokenObject};
pub use record::{
    BatchOutput, RecordDataFields, RecordMeta, RecordObject, RecordRef, SettingsObject,
};
pub use request::{BatchInput, NoId, RecordEdit, RecordInput};
pub use zone_object::{AccountObject, OwnerObject, PlanObject, ZoneMeta, ZoneObject};

/// The TTL Cloudflare reads as "automatic".
pub const AUTO_TTL: u32 = 1;

fn auto_ttl() -> u32 {
    AUTO_TTL
}

/// Reads `null` as the type's default (an empty list), as the live API does for
/// `tags` and the batch lists.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
