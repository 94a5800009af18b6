//! Flag values: the parsers clap calls for values that are more than a
//! string (`--source`, `--provider`, `--policy`, networks, regexes, the AES
//! key), and the small enums they produce.

use std::str::FromStr;

use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use ipnet::IpNet;
use serde::Serialize;

use super::*;
use crate::secret::Secret;

/// Every `--source` value ExternalDNS v0.14 to v0.22 accepts, so that an
/// unsupported one is reported as such rather than as a typo.
pub(super) const EXTERNALDNS_SOURCES: [&str; 26] = [
    "ambassador-host",
    "cloudfoundry",
    "connector",
    "contour-httpproxy",
    "crd",
    "empty",
    "f5-transportserver",
    "f5-virtualserver",
    "fake",
    "gateway-grpcroute",
    "gateway-httproute",
    "gateway-tcproute",
    "gateway-tlsroute",
    "gateway-udproute",
    "gloo-proxy",
    "ingress",
    "istio-gateway",
    "istio-virtualservice",
    "kong-tcpingress",
    "node",
    "openshift-route",
    "pod",
    "service",
    "skipper-routegroup",
    "traefik-proxy",
    "unstructured",
];

/// A `--source` value flaredns cannot serve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsupportedSource {
    #[error("flaredns does not support the ExternalDNS source {0:?}; supported sources: {list}", list = supported_sources())]
    ExternalDns(String),
    #[error("{0:?} names several sources; give --source once per source (supported sources: {list})", list = supported_sources())]
    CommaList(String),
    #[error("{0:?} is not a source; supported sources: {list}", list = supported_sources())]
    Unknown(String),
}

pub(super) fn supported_sources() -> String {
    SourceKind::ALL.map(SourceKind::as_str).join(", ")
}

/// Parses a `--source` value. Kingpin compares source names exactly, and so does this.
pub fn parse_source(text: &str) -> Result<SourceKind, UnsupportedSource> {
    if let Some(kind) = SourceKind::ALL.into_iter().find(|k| k.as_str() == text) {
        return Ok(kind);
    }
    if EXTERNALDNS_SOURCES.contains(&text) {
        Err(UnsupportedSource::ExternalDns(text.to_string()))
    } else if text.contains(',') {
        Err(UnsupportedSource::CommaList(text.to_string()))
    } else {
        Err(UnsupportedSource::Unknown(text.to_string()))
    }
}

/// Where DNS records are kept (`--provider`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// The Cloudflare API.
    Cloudflare,
    /// Records kept in memory, for tests and demonstrations.
    Inmemory,
}

/// A `--provider` value other than `cloudflare` (or `inmemory`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("flaredns supports --provider=cloudflare only")]
pub struct UnsupportedProvider(pub String);

/// Parses a `--provider` value.
pub fn parse_provider(text: &str) -> Result<ProviderKind, UnsupportedProvider> {
    match text {
        "cloudflare" => Ok(ProviderKind::Cloudflare),
        "inmemory" => Ok(ProviderKind::Inmemory),
        _ => Err(UnsupportedProvider(text.to_string())),
    }
}

/// Every `--policy` value with its help, in the order `--help` lists them.
pub(super) const POLICIES: [(Policy, &str); 3] = [
    (Policy::Sync, "Create, update and delete"),
    (Policy::UpsertOnly, "Create and update; never delete"),
    (Policy::CreateOnly, "Create only"),
];

/// Parses `--policy` here rather than in the planner, so that the planner
/// does not depend on the command line.
pub(super) fn policy_parser() -> impl clap::builder::TypedValueParser<Value = Policy> {
    let values = POLICIES.map(|(policy, help)| PossibleValue::new(policy.as_str()).help(help));
    PossibleValuesParser::new(values).try_map(|text: String| {
        POLICIES
            .iter()
            .map(|(policy, _)| *policy)
            .find(|policy| policy.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a policy"))
    })
}

/// Where ownership is recorded (`--registry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// ExternalDNS-compatible TXT records next to each managed record.
    Txt,
    /// No ownership records: every record of a managed type in the zones is
    /// treated as owned (the owner id is empty).
    Noop,
}

/// Parses a `--target-net-filter` / `--exclude-target-net` network, trimmed as
/// ExternalDNS trims it.
pub(super) fn parse_cidr(text: &str) -> Result<IpNet, String> {
    IpNet::from_str(text.trim())
        .map_err(|_| format!("{text:?} is not a network such as 10.0.0.0/8 or 2001:db8::/32"))
}

/// Checks a `--regex-domain-*` value compiles; the value itself is kept as text.
pub(super) fn parse_regex(text: &str) -> Result<String, regex::Error> {
    regex::Regex::new(text).map(|_| text.to_string())
}

/// Wraps `--txt-encrypt-aes-key` at once, so that not even the parsed flags show it.
pub(super) fn parse_secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}
