//! DNS providers.
pub mod cloudflare;
