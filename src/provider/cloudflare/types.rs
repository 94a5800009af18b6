//! Cloudflare API JSON (being written).
