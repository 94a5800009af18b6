//! The integration tests, in one binary: `tests/support` and
//! `tests/sandbox_support` are compiled once for all of them, and each file
//! below is one module (`cargo test --test it MODULE::` runs one of them).
//! The one exception is `tests/cloudflare_secrets.rs`, which captures trace
//! logs and so needs a process of its own.

#[path = "../sandbox_support/mod.rs"]
mod sandbox_support;
#[path = "../support/mod.rs"]
mod support;

mod bad_input;
mod cli_config;
mod cli_errors;
mod cloudflare_client;
mod controller;
mod crd;
mod fault_matrix;
mod fuzz_properties;
mod kube_api_fake;
mod kube_request_limit;
mod metrics_exposition;
mod plan_command;
mod plan_live;
mod plan_properties;
mod plan_scenarios;
mod readme_flags;
mod readme_metrics;
mod sandbox_api;
mod sandbox_batch;
mod sandbox_command;
mod sandbox_faults;
mod sandbox_state;
mod scale;
mod secret_paths;
mod soak_smoke;
mod source_crd;
mod source_kinds;
mod source_manifest;
mod source_proptest;
mod vectors_chart;
mod vectors_sources;
mod vectors_txt;
