//! Test-only fakes of the services flaredns talks to.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub mod invariants;
pub mod kube_api;
pub mod scale;
pub mod soak;
pub mod workload;
pub mod world;
