//! Sources (being written).
pub mod annotations;
pub mod dnsendpoint;
pub mod ingress;
pub mod manifest;
pub mod service;
