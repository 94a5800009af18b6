//! Test-only fakes of the services flaredns talks to.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub mod invariants;
pub mod kube_api;
pub mod scale;
pub mod soak;
pub mod workload;
pub mod world;

/// Runs the `flaredns` binary with only the given environment variables.
pub fn flaredns(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}
