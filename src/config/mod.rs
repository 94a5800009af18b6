//! The configuration: ExternalDNS's flags, and what they resolve to.
//!
//! [`ControllerArgs`] holds every flag with ExternalDNS's name, default and
//! meaning, so that a user can swap the ExternalDNS image for flaredns and keep
//! the chart's argument list. It is a clap `Args` struct made of one group per
//! concern, flattened into every command that runs the controller's logic
//! (`flaredns`, `flaredns config`, `flaredns plan`). Kingpin's forms that clap
//! cannot express alone (`--no-<flag>`, `--flag=true`, the `EXTERNAL_DNS_*`
//! variables) are handled by `cli::argv` before clap parses.
//!
//! [`Config::resolve`] validates the flags together (rules one flag cannot check
//! alone, such as `--txt-prefix` with `--txt-suffix`), normalises them as
//! ExternalDNS does, and reads the Cloudflare credentials from the environment.
//! The resulting [`Config`] is typed, serialisable (`flaredns config` prints it)
//! and never shows a secret.
//!
//! One file per concern: `args` holds the clap groups, `parse` the value
//! parsers, `resolve` the validation, `credentials` the reading of the
//! Cloudflare credentials, and `notes` what is said at start-up. Where a
//! module owns a setting (the controller's loop, the Kubernetes client, the
//! log format, the credentials) the flags resolve into that module's type.

mod args;
mod credentials;
mod notes;
mod parse;
mod resolve;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::time::Duration;

use ipnet::IpNet;
use serde::Serialize;

pub use self::args::*;
pub use self::credentials::{CredentialsError, read_credentials};
pub use self::notes::StartupNote;
pub use self::parse::{
    ProviderKind, RegistryKind, UnsupportedProvider, UnsupportedSource, parse_provider,
    parse_source,
};
pub use self::resolve::{ConfigError, ConfigWarning, Resolved, normalize_domain_filters};
pub use crate::controller::EventKind;
pub use crate::controller::kube_client::KubeClientConfig;
pub use crate::controller::{LeaderElectionConfig, SyncConfig};
use crate::endpoint::RecordType;
use crate::go_syntax::serialize_duration;
pub use crate::plan::Policy;
pub use crate::provider::cloudflare::credentials::CloudflareCredentials;
use crate::secret::Secret;
pub use crate::source::SourceKind;
pub use crate::telemetry::log::{LogFormat, LogLevel};

/// Reads one environment variable: `std::env::var_os` in the binary, a map in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// An environment holding exactly `vars`, for tests.
#[cfg(test)]
pub(crate) fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: std::collections::HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

/// The validated configuration the controller and `flaredns plan` run with.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    /// What the sources read (the "Sources" flags).
    pub sources: SourceConfig,
    /// What may be changed, and how (domain filters, record types, policy).
    pub scope: ScopeConfig,
    /// Ownership records.
    pub registry: RegistryConfig,
    /// The DNS provider, with the Cloudflare settings and credentials.
    pub provider: ProviderConfig,
    /// When the controller synchronises.
    pub sync: SyncConfig,
    /// The Kubernetes API client.
    pub kubernetes: KubeClientConfig,
    /// Leader election among replicas.
    pub leader_election: LeaderElectionConfig,
    /// Logs and metrics.
    pub telemetry: TelemetryConfig,
}

/// What the sources read and how they turn objects into endpoints.
#[derive(Clone, Debug, Serialize)]
pub struct SourceConfig {
    /// `--source`, without duplicates, in the order given.
    pub kinds: Vec<SourceKind>,
    /// `--namespace`; `None` reads all namespaces.
    pub namespace: Option<String>,
    /// `--annotation-filter` (label selector syntax, on annotations).
    pub annotation_filter: Option<String>,
    /// `--label-filter`.
    pub label_filter: Option<String>,
    /// The annotation prefixes to read.
    pub annotation_prefixes: Vec<String>,
    /// `--fqdn-template`.
    pub fqdn_templates: Vec<String>,
    /// `--combine-fqdn-annotation`: templates add names rather than fill in.
    pub combine_fqdn_annotation: bool,
    /// `--ignore-hostname-annotation`.
    pub ignore_hostname_annotation: bool,
    /// `--ignore-ingress-tls-spec`.
    pub ignore_ingress_tls_spec: bool,
    /// `--ignore-ingress-rules-spec`.
    pub ignore_ingress_rules_spec: bool,
    /// `--ingress-class`; empty accepts any class.
    pub ingress_classes: Vec<String>,
    /// `--publish-internal-services`.
    pub publish_internal_services: bool,
    /// `--publish-host-ip`.
    pub publish_host_ip: bool,
    /// `--always-publish-not-ready-addresses`.
    pub always_publish_not_ready_addresses: bool,
    /// `--service-type-filter`; empty accepts every type.
    pub service_types: Vec<String>,
    /// `--resolve-service-load-balancer-hostname`.
    pub resolve_service_load_balancer_hostname: bool,
    /// `--default-targets`.
    pub default_targets: Vec<String>,
    /// `--force-default-targets`.
    pub force_default_targets: bool,
    /// `--crd-source-apiversion`.
    pub crd_api_version: String,
    /// `--crd-source-kind`.
    pub crd_kind: String,
    /// `--target-net-filter`; empty accepts every target.
    pub target_nets: Vec<IpNet>,
    /// `--exclude-target-net`.
    pub exclude_target_nets: Vec<IpNet>,
    /// `--min-ttl`; zero leaves unset TTLs automatic.
    #[serde(serialize_with = "serialize_duration")]
    pub min_ttl: Duration,
}

/// What flaredns may change: names, zones, record types, and the policy.
#[derive(Clone, Debug, Serialize)]
pub struct ScopeConfig {
    /// `--policy`.
    pub policy: Policy,
    /// `--domain-filter`, normalised as ExternalDNS does (trimmed, lower-cased,
    /// one trailing dot dropped, empty entries dropped); empty means every domain.
    pub domain_filters: Vec<String>,
    /// `--exclude-domains`, normalised the same way.
    pub exclude_domains: Vec<String>,
    /// `--regex-domain-filter`; when either regex is set the lists above are ignored.
    pub regex_domain_filter: Option<String>,
    /// `--regex-domain-exclusion`.
    pub regex_domain_exclusion: Option<String>,
    /// `--zone-id-filter`, trimmed, empty entries dropped.
    pub zone_id_filters: Vec<String>,
    /// `--managed-record-types`, without duplicates.
    pub managed_record_types: Vec<RecordType>,
    /// `--exclude-record-types`; wins over the managed types.
    pub exclude_record_types: Vec<RecordType>,
}

impl ScopeConfig {
    /// Whether records of this type are planned at all.
    pub fn manages(&self, record_type: RecordType) -> bool {
        self.managed_record_types.contains(&record_type)
            && !self.exclude_record_types.contains(&record_type)
    }
}

/// Ownership records.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryConfig {
    /// `--registry`.
    pub kind: RegistryKind,
    /// `--txt-owner-id`; empty with `--registry=noop`, where every record of a
    /// managed type counts as owned.
    pub owner_id: String,
    /// `--txt-prefix` as given (the registry lower-cases it).
    pub prefix: String,
    /// `--txt-suffix` as given.
    pub suffix: String,
    /// `--txt-wildcard-replacement`.
    pub wildcard_replacement: String,
    /// `--txt-encrypt-enabled`.
    pub encryption_enabled: bool,
    /// `--txt-encrypt-aes-key`, not yet decoded (the registry checks its form).
    pub aes_key: Option<Secret>,
    /// `--txt-cache-interval`.
    #[serde(serialize_with = "serialize_duration")]
    pub cache_interval: Duration,
    /// `--migrate-from-txt-owner`.
    pub migrate_from_owner: Option<String>,
}

/// The DNS provider.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderConfig {
    /// `--provider`.
    pub kind: ProviderKind,
    /// `--provider-cache-time`.
    #[serde(serialize_with = "serialize_duration")]
    pub cache_time: Duration,
    /// `--batch-change-size`; `None` uses each zone plan's limit.
    pub batch_change_size: Option<u32>,
    /// `--batch-change-interval`.
    #[serde(serialize_with = "serialize_duration")]
    pub batch_change_interval: Duration,
    /// The Cloudflare settings (read whichever the provider, so that
    /// `flaredns config` shows them).
    pub cloudflare: CloudflareConfig,
}

/// Cloudflare settings and credentials.
#[derive(Clone, Debug, Serialize)]
pub struct CloudflareConfig {
    /// `--cloudflare-api-url`, without a trailing slash.
    pub api_url: String,
    /// `--cloudflare-proxied`: the default for records without an annotation.
    pub proxied: bool,
    /// `--cloudflare-dns-records-per-page`.
    pub dns_records_per_page: u32,
    /// `--cloudflare-record-comment`.
    pub record_comment: Option<String>,
    /// `--cloudflare-rate-limit`: requests per 5 minutes.
    pub rate_limit: u32,
    /// `--cloudflare-rate-limit-per-second`.
    pub rate_limit_per_second: u32,
    /// Read from the environment with `--provider=cloudflare`; `None` when no
    /// credential variable is set (the client reports that when it starts).
    pub credentials: Option<CloudflareCredentials>,
}

/// Logs and metrics.
#[derive(Clone, Debug, Serialize)]
pub struct TelemetryConfig {
    /// `--log-level`.
    pub log_level: LogLevel,
    /// `--log-format`.
    pub log_format: LogFormat,
    /// `--metrics-address`, as Go's `net.Listen` takes it (`:7979`).
    pub metrics_address: String,
}
