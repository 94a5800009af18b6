//! A Cloudflare-compatible API server for the demo, the tests, the benchmarks and
//! users' own CI: point a Cloudflare client at [`SandboxHandle::url`] instead of
//! `https://api.cloudflare.com/client/v4`.
//!
//! It speaks the v4 API's DNS subset with the live API's paths, envelope, HTTP
//! statuses, error codes and messages, pagination, batch semantics and rate
//! limit, and is checked against Cloudflare's published OpenAPI schema:
//!
//! - `GET /user/tokens/verify`
//! - `GET /zones` (filters `name` with `op:value` operators, `status`; paging 20
//!   by default, 5 to 50) and `GET /zones/{id}`
//! - `GET /zones/{id}/dns_records` (filters `name`, `content` with `.exact`,
//!   `.contains`, `.startswith`, `.endswith`, `type`, `proxied`, `match`; `order`,
//!   `direction`; paging 100 by default, 1 to 5,000,000)
//! - `POST /zones/{id}/dns_records`, `GET`/`PUT`/`PATCH`/`DELETE
//!   /zones/{id}/dns_records/{id}`
//! - `POST /zones/{id}/dns_records/batch`: all or nothing, deletes → patches →
//!   puts → posts, at most 200 operations on Free zones and 3,500 on paid ones.
//!
//! Records follow the live rules: names completed and lower-cased, CNAME
//! exclusivity (81053/81054), identical records (81058), A/AAAA content (9005),
//! TTL 1 or 60–86,400 (30 on Enterprise; 9021), proxying only for A, AAAA and
//! CNAME with TTL 1 stored (9041), comments up to 100 characters on Free and 500
//! on paid plans (9313), tags on paid plans only (9300), all inside a 1004
//! error. Authentication takes API tokens and global keys (6003 with
//! 6111/6102/6103, 9109, 9103, 10000 for a token without the zone or without DNS
//! Write). Every answer carries the `Ratelimit` headers; past the budget every
//! call gets 429 (971) with `Retry-After` until the lock-out ends.
//!
//! For tests it injects faults (latency, 429s, a 5xx on the k-th write, a write
//! applied whose connection is then dropped, a revoked token), logs every call
//! with counts by kind, and keeps the zone's records after every successful
//! write, so that invariants can be checked over every intermediate state.
//!
//! Its request and response types (`wire`) are its own, written from
//! Cloudflare's documentation and not shared with flaredns's client, so that the
//! two are independent checks of each other. With
//! [`SandboxConfig::strict_requests`] a request body holding a field Cloudflare
//! does not define, at any depth, is refused with 9207 (the tests run so);
//! by default such a field is ignored, as the live API ignores it.
//!
//! What it leaves out:
//! - record types are those flaredns knows; `data` (structured SRV, CAA, LOC …
//!   content) is stored and answered as sent, neither checked nor derived:
//!   `content` is stored as sent; `settings` and `private_routing` are kept
//!   on every type, unchecked;
//! - CNAME content is not checked for being a proxiable target; NS records are
//!   not kept apart from other types;
//! - the per-zone record quota, the 8,192-character limit per name and type, and
//!   tag name/value format rules;
//! - `comment`, `tag` and `search` list filters, shadowing metadata; the legacy
//!   `zone_id`/`zone_name` record fields are not sent;
//! - zone management (zones are added through the handle), accounts, token
//!   expiry and IP allow-lists, the per-IP limit of 200 requests per second;
//! - the rate limit is one budget for the whole sandbox, whoever calls.
//!
//! Where no live sample shows Cloudflare's code (a batch over the plan limit, an
//! injected server error, a comment with a line break, an MX record without a
//! priority), `error` says which code the sandbox answers instead.

mod api;
mod auth;
mod body;
mod calls;
mod config;
mod conn;
mod error;
mod faults;
mod handle;
mod ops;
mod query;
mod ratelimit;
mod route;
mod rules;
mod server;
mod stamp;
mod state_file;
mod store;
mod wire;
mod zone;

pub use calls::{CallCounts, CallEntry, CallKind, HistoryEntry};
pub use config::{
    ApiKeyConfig, FailWrite, FaultConfig, PlanTier, RateLimitConfig, SandboxConfig,
    SandboxConfigError, Throttle, TokenConfig, UnknownPlan, ZoneAccess,
};
pub use error::{FailedCall, code};
pub use handle::{Sandbox, SandboxError, SandboxHandle};
pub use route::BASE_PATH;
pub use state_file::{StateFile, StateFileError, ZoneFile};
pub use store::ZoneError;
pub use wire::{
    AccountObject, NoId, OwnerObject, PlanObject, RecordDataFields, RecordInput, RecordMeta,
    RecordObject, ResponseMessage, SettingsObject, ZoneMeta, ZoneObject,
};
