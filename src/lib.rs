//! flaredns keeps Cloudflare DNS in step with Kubernetes: a drop-in replacement
//! for ExternalDNS.
//!
//! The pure middle (sources, TXT registry, planner) knows nothing of HTTP or of
//! the Kubernetes API server; the edges (Cloudflare client, controller) do the I/O.

pub mod cli;
pub mod config;
pub mod controller;
pub mod crd;
pub mod endpoint;
pub mod filter;
pub mod go_syntax;
pub mod plan;
pub mod problem;
pub mod provider;
pub mod reconcile;
pub mod record;
pub mod registry;
pub mod sandbox;
pub mod secret;
pub mod setup;
pub mod source;
pub mod sync;
pub mod telemetry;
