//! Cloudflare.
pub mod types;
