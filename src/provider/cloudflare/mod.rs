//! Cloudflare: the API client, its rate limiter and batching.

pub mod batch;
pub mod ratelimit;
pub mod types;
