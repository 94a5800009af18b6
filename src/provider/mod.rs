//! DNS providers: where planned changes are applied.

pub mod cloudflare;
pub mod inmemory;
