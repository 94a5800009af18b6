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

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use ipnet::IpNet;
use serde::Serialize;
use zeroize::Zeroize;

pub use crate::controller::kube_client::KubeClientConfig;
pub use crate::controller::{LeaderElectionConfig, SyncConfig};
use crate::endpoint::{RecordType, normalize_name};
use crate::go_syntax::{self, serialize_duration};
use crate::provider::cloudflare::credentials::{CloudflareCredentials, TokenSource};
use crate::secret::Secret;

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

// ---------------------------------------------------------------------------
// Flag values
// ---------------------------------------------------------------------------

/// A kind of Kubernetes object flaredns reads DNS names from (`--source`).
pub use crate::source::SourceKind;

/// Every `--source` value ExternalDNS v0.14 to v0.22 accepts, so that an
/// unsupported one is reported as such rather than as a typo.
const EXTERNALDNS_SOURCES: [&str; 26] = [
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

fn supported_sources() -> String {
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

/// Which changes flaredns may make (`--policy`).
pub use crate::plan::Policy;

/// Every `--policy` value with its help, in the order `--help` lists them.
const POLICIES: [(Policy, &str); 3] = [
    (Policy::Sync, "Create, update and delete"),
    (Policy::UpsertOnly, "Create and update; never delete"),
    (Policy::CreateOnly, "Create only"),
];

/// Parses `--policy` here rather than in the planner, so that the planner
/// does not depend on the command line.
fn policy_parser() -> impl clap::builder::TypedValueParser<Value = Policy> {
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

pub use crate::controller::EventKind;
pub use crate::telemetry::log::{LogFormat, LogLevel};

/// Parses a `--target-net-filter` / `--exclude-target-net` network, trimmed as
/// ExternalDNS trims it.
fn parse_cidr(text: &str) -> Result<IpNet, String> {
    IpNet::from_str(text.trim())
        .map_err(|_| format!("{text:?} is not a network such as 10.0.0.0/8 or 2001:db8::/32"))
}

/// Checks a `--regex-domain-*` value compiles; the value itself is kept as text.
fn parse_regex(text: &str) -> Result<String, regex::Error> {
    regex::Regex::new(text).map(|_| text.to_string())
}

/// Wraps `--txt-encrypt-aes-key` at once, so that not even the parsed flags show it.
fn parse_secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

// ---------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------
//
// Boolean flags are plain `bool` fields here; `cli::argv::go_style_bools` makes
// each accept `--flag`, `--no-flag` and `--flag=<true|false|1|0|t|f…>`.

/// Every flag of the controller, with ExternalDNS's names and defaults.
///
/// Each value may also come from `EXTERNAL_DNS_<FLAG>` (see `cli::argv`).
#[derive(Args, Clone, Debug)]
pub struct ControllerArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub provider: ProviderArgs,
    #[command(flatten)]
    pub cloudflare: CloudflareArgs,
    #[command(flatten)]
    pub sync: SyncArgs,
    #[command(flatten)]
    pub kubernetes: KubernetesArgs,
    #[command(flatten)]
    pub leader_election: LeaderElectionArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Which Kubernetes objects are read, and how names and targets come out of them.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Sources")]
pub struct SourceArgs {
    /// Object kind to read DNS names from: ingress, service or crd; repeat for several (required, except by plan, which reads all).
    #[arg(long, value_name = "SOURCE", value_parser = parse_source)]
    pub source: Vec<SourceKind>,
    /// Read objects in this namespace only [default: all namespaces].
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Read only objects whose annotations match this label selector.
    #[arg(long, value_name = "SELECTOR")]
    pub annotation_filter: Option<String>,
    /// Read only objects whose labels match this label selector.
    #[arg(long, value_name = "SELECTOR")]
    pub label_filter: Option<String>,
    /// Annotation prefix, ending in '/' [default: both external-dns.alpha.kubernetes.io/ and external-dns.kubernetes.io/].
    #[arg(long, value_name = "PREFIX")]
    pub annotation_prefix: Option<String>,
    /// Go template producing host names for objects that name none; repeat for several.
    #[arg(long, value_name = "TEMPLATE")]
    pub fqdn_template: Vec<String>,
    /// Add the --fqdn-template names to the annotated ones instead of using them only as a fallback.
    #[arg(long)]
    pub combine_fqdn_annotation: bool,
    /// Ignore the hostname annotation (needs --fqdn-template).
    #[arg(long)]
    pub ignore_hostname_annotation: bool,
    /// Ignore spec.tls of Ingress objects.
    #[arg(long)]
    pub ignore_ingress_tls_spec: bool,
    /// Ignore spec.rules of Ingress objects.
    #[arg(long)]
    pub ignore_ingress_rules_spec: bool,
    /// Read only Ingress objects of this class; repeat for several [default: any class].
    #[arg(long, value_name = "CLASS")]
    pub ingress_class: Vec<String>,
    /// Publish ClusterIP Services too.
    #[arg(long)]
    pub publish_internal_services: bool,
    /// Publish the host IP of headless Services' pods instead of the pod IP.
    #[arg(long)]
    pub publish_host_ip: bool,
    /// Publish not-ready addresses of headless Services too.
    #[arg(long)]
    pub always_publish_not_ready_addresses: bool,
    /// Read only Services of this type; repeat for several [default: all types].
    #[arg(long, value_name = "TYPE")]
    pub service_type_filter: Vec<String>,
    /// Resolve LoadBalancer host names to A/AAAA records instead of publishing CNAMEs.
    #[arg(long)]
    pub resolve_service_load_balancer_hostname: bool,
    /// Target for DNSEndpoint records that name none; repeat for several.
    #[arg(long, value_name = "TARGET")]
    pub default_targets: Vec<String>,
    /// Use --default-targets for every record, replacing the targets the source gives.
    #[arg(long)]
    pub force_default_targets: bool,
    /// API version of the DNSEndpoint CRD.
    #[arg(
        long,
        value_name = "GROUP/VERSION",
        default_value = "externaldns.k8s.io/v1alpha1"
    )]
    pub crd_source_apiversion: String,
    /// Kind of the DNSEndpoint CRD.
    #[arg(long, value_name = "KIND", default_value = "DNSEndpoint")]
    pub crd_source_kind: String,
    /// Publish only targets inside this network; repeat for several.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub target_net_filter: Vec<IpNet>,
    /// Never publish targets inside this network; repeat for several.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub exclude_target_net: Vec<IpNet>,
    /// TTL for records that configure none; 0s leaves them automatic.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = go_syntax::parse_duration)]
    pub min_ttl: Duration,
}

/// Which names, zones and record types flaredns may touch, and how.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Domains, records and policy")]
pub struct ScopeArgs {
    /// Manage names in this domain only; repeat for several [default: all zones].
    #[arg(long, value_name = "DOMAIN")]
    pub domain_filter: Vec<String>,
    /// Never manage names in this domain; repeat for several.
    #[arg(long, value_name = "DOMAIN")]
    pub exclude_domains: Vec<String>,
    /// Manage only names matching this regular expression (replaces --domain-filter).
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub regex_domain_filter: Option<String>,
    /// Never manage names matching this regular expression.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub regex_domain_exclusion: Option<String>,
    /// Manage only the Cloudflare zone with this id; repeat for several.
    #[arg(long, value_name = "ZONE_ID")]
    pub zone_id_filter: Vec<String>,
    /// Record type to manage; repeat for several.
    #[arg(long, value_name = "TYPE", default_values = ["A", "AAAA", "CNAME"])]
    pub managed_record_types: Vec<RecordType>,
    /// Record type never to manage, even if listed in --managed-record-types; repeat for several.
    #[arg(long, value_name = "TYPE")]
    pub exclude_record_types: Vec<RecordType>,
    /// Which changes to make: sync (create, update, delete), upsert-only (no deletes) or create-only.
    #[arg(long, value_name = "POLICY", default_value = "sync", value_parser = policy_parser())]
    pub policy: Policy,
}

/// Where and how ownership of records is recorded.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Ownership registry")]
pub struct RegistryArgs {
    /// How ownership is recorded: txt (TXT records, as ExternalDNS) or noop (none: all records are managed).
    #[arg(long, value_enum, default_value_t = RegistryKind::Txt)]
    pub registry: RegistryKind,
    /// Name of this instance in ownership records; must not be empty.
    #[arg(long, value_name = "ID", default_value = "default")]
    pub txt_owner_id: String,
    /// Prefix of ownership record names (may contain %{record_type}); not with --txt-suffix.
    #[arg(long, value_name = "PREFIX")]
    pub txt_prefix: Option<String>,
    /// Suffix of the first label of ownership record names; not with --txt-prefix.
    #[arg(long, value_name = "SUFFIX")]
    pub txt_suffix: Option<String>,
    /// Label that stands for '*' in the names of wildcard records' ownership records.
    #[arg(long, value_name = "LABEL")]
    pub txt_wildcard_replacement: Option<String>,
    /// Encrypt ownership records with --txt-encrypt-aes-key.
    #[arg(long)]
    pub txt_encrypt_enabled: bool,
    /// AES-256 key for ownership records: 32 bytes, or their standard base64.
    #[arg(long, value_name = "KEY", value_parser = parse_secret)]
    pub txt_encrypt_aes_key: Option<Secret>,
    /// Accepted for ExternalDNS compatibility: flaredns reads each zone once per pass
    /// and keeps a view of it between passes, so it needs no cache (a value is noted at start-up).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = go_syntax::parse_duration)]
    pub txt_cache_interval: Duration,
    /// Treat records owned by this former owner id as ours and take them over.
    #[arg(long, value_name = "ID")]
    pub migrate_from_txt_owner: Option<String>,
}

/// Which DNS provider, and how changes are sent to it.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Provider")]
pub struct ProviderArgs {
    /// DNS provider: cloudflare (required, except by plan).
    #[arg(long, value_name = "PROVIDER", value_parser = parse_provider)]
    pub provider: Option<ProviderKind>,
    /// Accepted for ExternalDNS compatibility: flaredns reads each zone once per pass
    /// and keeps a view of it between passes, so it needs no cache (a value is noted at start-up).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = go_syntax::parse_duration)]
    pub provider_cache_time: Duration,
    /// Most record changes sent in one batch [default: the zone plan's limit,
    /// 200 on Free and 3,500 on paid plans].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_change_size: Option<u32>,
    /// Pause between two batches.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = go_syntax::parse_duration)]
    pub batch_change_interval: Duration,
}

/// Cloudflare settings. The credentials come from the environment
/// (`CF_API_TOKEN`, or `CF_API_KEY` with `CF_API_EMAIL`), never from a flag.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Cloudflare")]
pub struct CloudflareArgs {
    /// Base URL of the Cloudflare API (http:// only for loopback addresses).
    #[arg(long, value_name = "URL", default_value = DEFAULT_CLOUDFLARE_API_URL)]
    pub cloudflare_api_url: String,
    /// Proxy records through Cloudflare unless an annotation says otherwise.
    #[arg(long)]
    pub cloudflare_proxied: bool,
    /// Records per page when listing a zone (at most 5000).
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub cloudflare_dns_records_per_page: u32,
    /// Comment for records that carry no comment annotation.
    #[arg(long, value_name = "TEXT")]
    pub cloudflare_record_comment: Option<String>,
    /// Cloudflare API requests flaredns may send per 5 minutes (Cloudflare allows
    /// 1,200 per user; the rest is left to other users of the same token).
    #[arg(long, value_name = "N", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub cloudflare_rate_limit: u32,
    /// Cloudflare API requests flaredns may send in any one second.
    #[arg(long, value_name = "N", default_value = "10", value_parser = clap::value_parser!(u32).range(1..=200))]
    pub cloudflare_rate_limit_per_second: u32,
    /// Regional Services region key (not supported yet; only the default, empty, is accepted).
    #[arg(long, value_name = "KEY")]
    pub cloudflare_region_key: Option<String>,
    /// Regional Services (not supported yet; only the default, false, is accepted).
    #[arg(long)]
    pub cloudflare_regional_services: bool,
    /// Custom Hostnames (not supported yet; only the default, false, is accepted).
    #[arg(long)]
    pub cloudflare_custom_hostnames: bool,
    /// Custom Hostnames minimum TLS version (not supported yet; only the default is accepted).
    #[arg(long, value_name = "VERSION", default_value = "1.0", value_parser = ["1.0", "1.1", "1.2", "1.3"])]
    pub cloudflare_custom_hostnames_min_tls_version: String,
    /// Custom Hostnames certificate authority (not supported yet; only the default is accepted).
    #[arg(long, value_name = "CA", default_value = "none", value_parser = ["google", "ssl_com", "lets_encrypt", "none"])]
    pub cloudflare_custom_hostnames_certificate_authority: String,
}

/// When the controller synchronises.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Synchronisation")]
pub struct SyncArgs {
    /// Time between two full synchronisations.
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = go_syntax::parse_duration)]
    pub interval: Duration,
    /// Synchronise once, then exit.
    #[arg(long)]
    pub once: bool,
    /// Compute and log changes without making them.
    #[arg(long)]
    pub dry_run: bool,
    /// Also synchronise when a watched object changes.
    #[arg(long)]
    pub events: bool,
    /// Shortest time between two reconciles [default: none; flaredns
    /// reconciles 200 ms after a change].
    #[arg(long, value_name = "DURATION", value_parser = go_syntax::parse_duration)]
    pub min_event_sync_interval: Option<Duration>,
    /// Kubernetes Event to emit about records; repeat for several [default: none].
    #[arg(long, value_name = "EVENT", value_enum)]
    pub events_emit: Vec<EventKind>,
    /// Names a pass resolves and plans at a time: bounds the memory a pass
    /// needs in a large zone; reads and batches are the same at any size.
    #[arg(long, value_name = "N", default_value_t = crate::plan::slices::DEFAULT_SLICE_NAMES as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub plan_slice_size: u32,
}

/// How to reach the Kubernetes API server.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Kubernetes API")]
pub struct KubernetesArgs {
    /// Kubernetes API server URL [default: from the kubeconfig or the in-cluster environment].
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Kubeconfig file [default: $KUBECONFIG, ~/.kube/config or the in-cluster service account].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Deprecated name of --kube-api-request-timeout.
    #[arg(long, value_name = "DURATION", value_parser = go_syntax::parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Timeout of one Kubernetes API request; 0s means none [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = go_syntax::parse_duration)]
    pub kube_api_request_timeout: Option<Duration>,
    /// Requests per second to the Kubernetes API server, on average (a client-side limit).
    #[arg(long, value_name = "N", default_value = "5", value_parser = clap::value_parser!(u32).range(1..))]
    pub kube_api_qps: u32,
    /// Requests to the Kubernetes API server that may start at once before --kube-api-qps applies.
    #[arg(long, value_name = "N", default_value = "10", value_parser = clap::value_parser!(u32).range(1..))]
    pub kube_api_burst: u32,
}

/// Running several replicas: only the holder of a Lease writes.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Leader election")]
pub struct LeaderElectionArgs {
    /// Elect a leader through a Lease [default: true inside a cluster, false outside].
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = go_syntax::parse_bool
    )]
    pub leader_election: Option<bool>,
    /// Namespace of the Lease [default: the namespace flaredns runs in].
    #[arg(long, value_name = "NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(long, value_name = "NAME", default_value = "flaredns")]
    pub leader_election_lease_name: String,
}

/// Logs and the metrics endpoint.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Logging and metrics")]
pub struct TelemetryArgs {
    /// Least severe log level shown.
    #[arg(long, value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Address serving /metrics and /healthz.
    #[arg(long, value_name = "HOST:PORT", default_value = ":7979")]
    pub metrics_address: String,
}

/// The Cloudflare API flaredns talks to unless told otherwise.
pub const DEFAULT_CLOUDFLARE_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// Used when neither `--kube-api-request-timeout` nor `--request-timeout` is given.
const DEFAULT_KUBE_API_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Resolved configuration
// ---------------------------------------------------------------------------

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

/// A configuration and what the user should hear about it.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The configuration to run with.
    pub config: Config,
    /// To print before running.
    pub warnings: Vec<ConfigWarning>,
}

/// Something valid but worth a word on start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigWarning {
    /// `--request-timeout` was given; ExternalDNS v0.22 deprecated it.
    DeprecatedRequestTimeout,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::DeprecatedRequestTimeout => f.write_str(
                "--request-timeout is deprecated; use --kube-api-request-timeout \
                 (which wins when both are given)",
            ),
        }
    }
}

/// Something flaredns says once at start-up about how it treats a flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartupNote {
    /// An ExternalDNS cache flag was set: flaredns has nothing to cache.
    NoCacheNeeded { flag: &'static str, value: Duration },
}

impl fmt::Display for StartupNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartupNote::NoCacheNeeded { flag, value } => write!(
                f,
                "{flag}={} has no effect: flaredns reads each zone once per pass and \
                 keeps a view of it between passes, so it needs no cache",
                go_syntax::format_duration(*value)
            ),
        }
    }
}

impl Config {
    /// What the controller logs at start-up about the flags it accepts for
    /// ExternalDNS compatibility but has no use for.
    pub fn startup_notes(&self) -> Vec<StartupNote> {
        [
            ("--txt-cache-interval", self.registry.cache_interval),
            ("--provider-cache-time", self.provider.cache_time),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_zero())
        .map(|(flag, value)| StartupNote::NoCacheNeeded { flag, value })
        .collect()
    }
}

/// A configuration that cannot run. Each message names the flag or variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the following required flags were not given: {}", .0.join(", "))]
    MissingFlags(Vec<&'static str>),
    #[error(
        "--txt-prefix and --txt-suffix are mutually exclusive; give only one (got {prefix:?} and {suffix:?})"
    )]
    PrefixAndSuffix { prefix: String, suffix: String },
    #[error("--txt-owner-id must not be empty with --registry=txt")]
    EmptyOwnerId,
    #[error("--txt-encrypt-enabled needs --txt-encrypt-aes-key")]
    MissingAesKey,
    #[error("--annotation-prefix {0:?} must be non-empty and end with '/'")]
    AnnotationPrefix(String),
    #[error("--ignore-hostname-annotation needs --fqdn-template, or no host name is left")]
    IgnoreHostnameWithoutTemplate,
    #[error(
        "--ingress-class cannot be combined with an --annotation-filter on kubernetes.io/ingress.class"
    )]
    IngressClassWithAnnotationFilter,
    #[error(
        "flaredns does not support the Cloudflare {feature} feature yet: {flag}={value} \
         (only the default, {default}, is accepted)"
    )]
    UnsupportedCloudflareFeature {
        feature: &'static str,
        flag: &'static str,
        value: String,
        default: &'static str,
    },
    #[error("--cloudflare-api-url {url:?}: {reason}")]
    ApiUrl { url: String, reason: String },
    #[error("--metrics-address {0:?} is not HOST:PORT (for example :7979 or 0.0.0.0:7979)")]
    MetricsAddress(String),
    #[error("{flag} {value:?} is not a valid Kubernetes {what}: {reason}")]
    KubernetesName {
        flag: &'static str,
        value: String,
        what: &'static str,
        reason: &'static str,
    },
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

/// Cloudflare credentials in the environment that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    #[error("cannot read the Cloudflare API token from {} (CF_API_TOKEN=file:…): {source}", path.display())]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Cloudflare API token file {} is empty (CF_API_TOKEN=file:…)", path.display())]
    EmptyTokenFile { path: PathBuf },
    #[error(
        "CF_API_KEY is set but CF_API_EMAIL is not; the global API key needs both (or use CF_API_TOKEN)"
    )]
    MissingEmail,
    #[error(
        "CF_API_EMAIL is set but CF_API_KEY is not; the global API key needs both (or use CF_API_TOKEN)"
    )]
    MissingKey,
}

impl Config {
    /// Validates the flags together and resolves them into a configuration,
    /// reading `CF_API_TOKEN` / `CF_API_KEY` / `CF_API_EMAIL` (for
    /// `--provider=cloudflare`) and `KUBERNETES_SERVICE_HOST` through `env`.
    pub fn resolve(args: &ControllerArgs, env: Env<'_>) -> Result<Resolved, ConfigError> {
        let mut missing = Vec::new();
        if args.sources.source.is_empty() {
            missing.push("--source");
        }
        if args.provider.provider.is_none() {
            missing.push("--provider");
        }
        let provider = match args.provider.provider {
            Some(provider) if missing.is_empty() => provider,
            _ => return Err(ConfigError::MissingFlags(missing)),
        };

        let mut warnings = Vec::new();
        let config = Config {
            sources: resolve_sources(&args.sources)?,
            scope: resolve_scope(&args.scope),
            registry: resolve_registry(&args.registry)?,
            provider: resolve_provider(provider, &args.provider, &args.cloudflare, env)?,
            sync: resolve_sync(&args.sync),
            kubernetes: resolve_kubernetes(&args.kubernetes, &mut warnings),
            leader_election: resolve_leader_election(&args.leader_election, env)?,
            telemetry: resolve_telemetry(&args.telemetry)?,
        };
        Ok(Resolved { config, warnings })
    }
}

/// An empty string given to an optional flag means "not given", as in ExternalDNS.
fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

/// Drops repeated values, keeping the first of each.
fn dedup<T: PartialEq + Clone>(values: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    for value in values {
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    out
}

fn resolve_sources(args: &SourceArgs) -> Result<SourceConfig, ConfigError> {
    let annotation_prefixes = match &args.annotation_prefix {
        // Both, the newer first: where they disagree, the newer wins.
        None => crate::source::annotations::default_prefixes(),
        Some(prefix) if !prefix.is_empty() && prefix.ends_with('/') => vec![prefix.clone()],
        Some(prefix) => return Err(ConfigError::AnnotationPrefix(prefix.clone())),
    };
    let fqdn_templates: Vec<String> = args
        .fqdn_template
        .iter()
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .collect();
    if args.ignore_hostname_annotation && fqdn_templates.is_empty() {
        return Err(ConfigError::IgnoreHostnameWithoutTemplate);
    }
    let kinds = dedup(&args.source);
    let annotation_filter = non_empty(&args.annotation_filter);
    if kinds.contains(&SourceKind::Ingress)
        && !args.ingress_class.is_empty()
        && annotation_filter
            .as_deref()
            .is_some_and(|f| f.contains("kubernetes.io/ingress.class"))
    {
        return Err(ConfigError::IngressClassWithAnnotationFilter);
    }
    Ok(SourceConfig {
        kinds,
        namespace: non_empty(&args.namespace),
        annotation_filter,
        label_filter: non_empty(&args.label_filter),
        annotation_prefixes,
        fqdn_templates,
        combine_fqdn_annotation: args.combine_fqdn_annotation,
        ignore_hostname_annotation: args.ignore_hostname_annotation,
        ignore_ingress_tls_spec: args.ignore_ingress_tls_spec,
        ignore_ingress_rules_spec: args.ignore_ingress_rules_spec,
        ingress_classes: args.ingress_class.clone(),
        publish_internal_services: args.publish_internal_services,
        publish_host_ip: args.publish_host_ip,
        always_publish_not_ready_addresses: args.always_publish_not_ready_addresses,
        service_types: args.service_type_filter.clone(),
        resolve_service_load_balancer_hostname: args.resolve_service_load_balancer_hostname,
        default_targets: args.default_targets.clone(),
        force_default_targets: args.force_default_targets,
        crd_api_version: args.crd_source_apiversion.clone(),
        crd_kind: args.crd_source_kind.clone(),
        target_nets: args.target_net_filter.clone(),
        exclude_target_nets: args.exclude_target_net.clone(),
        min_ttl: args.min_ttl,
    })
}

/// Normalises domain filter entries as ExternalDNS does; see [`ScopeConfig::domain_filters`].
pub fn normalize_domain_filters(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| normalize_name(v))
        .filter(|v| !v.is_empty())
        .collect()
}

fn resolve_scope(args: &ScopeArgs) -> ScopeConfig {
    ScopeConfig {
        policy: args.policy,
        domain_filters: normalize_domain_filters(&args.domain_filter),
        exclude_domains: normalize_domain_filters(&args.exclude_domains),
        regex_domain_filter: non_empty(&args.regex_domain_filter),
        regex_domain_exclusion: non_empty(&args.regex_domain_exclusion),
        zone_id_filters: args
            .zone_id_filter
            .iter()
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .collect(),
        managed_record_types: dedup(&args.managed_record_types),
        exclude_record_types: dedup(&args.exclude_record_types),
    }
}

fn resolve_registry(args: &RegistryArgs) -> Result<RegistryConfig, ConfigError> {
    let prefix = args.txt_prefix.clone().unwrap_or_default();
    let suffix = args.txt_suffix.clone().unwrap_or_default();
    if !prefix.is_empty() && !suffix.is_empty() {
        return Err(ConfigError::PrefixAndSuffix { prefix, suffix });
    }
    let owner_id = match args.registry {
        RegistryKind::Txt if args.txt_owner_id.is_empty() => {
            return Err(ConfigError::EmptyOwnerId);
        }
        RegistryKind::Txt => args.txt_owner_id.clone(),
        RegistryKind::Noop => String::new(),
    };
    let aes_key = args.txt_encrypt_aes_key.clone().filter(|k| !k.is_empty());
    if args.txt_encrypt_enabled && aes_key.is_none() {
        return Err(ConfigError::MissingAesKey);
    }
    Ok(RegistryConfig {
        kind: args.registry,
        owner_id,
        prefix,
        suffix,
        wildcard_replacement: args.txt_wildcard_replacement.clone().unwrap_or_default(),
        encryption_enabled: args.txt_encrypt_enabled,
        aes_key,
        cache_interval: args.txt_cache_interval,
        migrate_from_owner: non_empty(&args.migrate_from_txt_owner),
    })
}

fn resolve_provider(
    kind: ProviderKind,
    args: &ProviderArgs,
    cloudflare: &CloudflareArgs,
    env: Env<'_>,
) -> Result<ProviderConfig, ConfigError> {
    check_cloudflare_features(cloudflare)?;
    let credentials = match kind {
        ProviderKind::Cloudflare => read_credentials(env)?,
        ProviderKind::Inmemory => None,
    };
    Ok(ProviderConfig {
        kind,
        cache_time: args.provider_cache_time,
        batch_change_size: args.batch_change_size,
        batch_change_interval: args.batch_change_interval,
        cloudflare: CloudflareConfig {
            api_url: check_api_url(&cloudflare.cloudflare_api_url)?,
            proxied: cloudflare.cloudflare_proxied,
            dns_records_per_page: cloudflare.cloudflare_dns_records_per_page,
            record_comment: non_empty(&cloudflare.cloudflare_record_comment),
            rate_limit: cloudflare.cloudflare_rate_limit,
            rate_limit_per_second: cloudflare.cloudflare_rate_limit_per_second,
            credentials,
        },
    })
}

/// Rejects every Cloudflare feature flag set away from its default: flaredns
/// does not implement those features yet, and silently ignoring one would
/// leave the user's zone different from what they asked for.
fn check_cloudflare_features(args: &CloudflareArgs) -> Result<(), ConfigError> {
    let unsupported = |feature, flag, value: &str, default| {
        Err(ConfigError::UnsupportedCloudflareFeature {
            feature,
            flag,
            value: value.to_string(),
            default,
        })
    };
    const CUSTOM_HOSTNAMES: &str = "Custom Hostnames";
    const REGIONAL_SERVICES: &str = "Regional Services";
    if args.cloudflare_custom_hostnames {
        return unsupported(
            CUSTOM_HOSTNAMES,
            "--cloudflare-custom-hostnames",
            "true",
            "false",
        );
    }
    if args.cloudflare_custom_hostnames_min_tls_version != "1.0" {
        return unsupported(
            CUSTOM_HOSTNAMES,
            "--cloudflare-custom-hostnames-min-tls-version",
            &args.cloudflare_custom_hostnames_min_tls_version,
            "1.0",
        );
    }
    if args.cloudflare_custom_hostnames_certificate_authority != "none" {
        return unsupported(
            CUSTOM_HOSTNAMES,
            "--cloudflare-custom-hostnames-certificate-authority",
            &args.cloudflare_custom_hostnames_certificate_authority,
            "none",
        );
    }
    if args.cloudflare_regional_services {
        return unsupported(
            REGIONAL_SERVICES,
            "--cloudflare-regional-services",
            "true",
            "false",
        );
    }
    if let Some(key) = non_empty(&args.cloudflare_region_key) {
        return unsupported(REGIONAL_SERVICES, "--cloudflare-region-key", &key, "empty");
    }
    Ok(())
}

/// Accepts `https://` URLs, and `http://` only for loopback addresses (a local
/// sandbox), since the API token travels in a header.
fn check_api_url(text: &str) -> Result<String, ConfigError> {
    let error = |reason: String| ConfigError::ApiUrl {
        url: text.to_string(),
        reason,
    };
    let url = url::Url::parse(text).map_err(|e| error(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(error(
                "plain http:// is accepted only for loopback addresses (localhost, 127.0.0.1, ::1)"
                    .to_string(),
            ));
        }
        other => return Err(error(format!("the scheme must be https, not {other}"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(error(
            "the URL must not have a query or a fragment".to_string(),
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Reads one variable as text; unset and empty are the same, as in Go's `os.Getenv`.
fn env_text(env: Env<'_>, name: &'static str) -> Result<Option<String>, CredentialsError> {
    match env(name) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(|v| Some(v).filter(|v| !v.is_empty()))
            .map_err(|_| CredentialsError::NotUnicode(name)),
    }
}

/// Reads the Cloudflare credentials as ExternalDNS does: `CF_API_TOKEN` first
/// (`file:<path>` reads the token from a file, whitespace trimmed), else
/// `CF_API_KEY` with `CF_API_EMAIL`.
pub fn read_credentials(env: Env<'_>) -> Result<Option<CloudflareCredentials>, CredentialsError> {
    if let Some(token) = env_text(env, "CF_API_TOKEN")? {
        let Some(path) = token.strip_prefix("file:") else {
            return Ok(Some(CloudflareCredentials::ApiToken {
                token: Secret::new(token),
                source: TokenSource::Environment,
            }));
        };
        let path = PathBuf::from(path);
        let mut text =
            std::fs::read_to_string(&path).map_err(|source| CredentialsError::TokenFile {
                path: path.clone(),
                source,
            })?;
        let token = Secret::new(text.trim());
        text.zeroize();
        if token.is_empty() {
            return Err(CredentialsError::EmptyTokenFile { path });
        }
        return Ok(Some(CloudflareCredentials::ApiToken {
            token,
            source: TokenSource::File { path },
        }));
    }
    let key = env_text(env, "CF_API_KEY")?.map(Secret::new);
    let email = env_text(env, "CF_API_EMAIL")?;
    match (key, email) {
        (None, None) => Ok(None),
        (Some(key), Some(email)) => Ok(Some(CloudflareCredentials::ApiKey { key, email })),
        (Some(_), None) => Err(CredentialsError::MissingEmail),
        (None, Some(_)) => Err(CredentialsError::MissingKey),
    }
}

fn resolve_sync(args: &SyncArgs) -> SyncConfig {
    SyncConfig {
        interval: args.interval,
        once: args.once,
        dry_run: args.dry_run,
        events: args.events,
        min_event_sync_interval: args.min_event_sync_interval,
        events_emit: dedup(&args.events_emit),
        plan_slice_size: args.plan_slice_size as usize,
    }
}

fn resolve_kubernetes(
    args: &KubernetesArgs,
    warnings: &mut Vec<ConfigWarning>,
) -> KubeClientConfig {
    if args.request_timeout.is_some() {
        warnings.push(ConfigWarning::DeprecatedRequestTimeout);
    }
    KubeClientConfig {
        server: non_empty(&args.server),
        kubeconfig: args
            .kubeconfig
            .clone()
            .filter(|p| !p.as_os_str().is_empty()),
        request_timeout: args
            .kube_api_request_timeout
            .or(args.request_timeout)
            .unwrap_or(DEFAULT_KUBE_API_REQUEST_TIMEOUT),
        qps: args.kube_api_qps,
        burst: args.kube_api_burst,
    }
}

fn resolve_leader_election(
    args: &LeaderElectionArgs,
    env: Env<'_>,
) -> Result<LeaderElectionConfig, ConfigError> {
    let in_cluster = env("KUBERNETES_SERVICE_HOST").is_some_and(|host| !host.is_empty());
    let namespace = non_empty(&args.leader_election_namespace);
    if let Some(namespace) = &namespace {
        check_dns_label(namespace).map_err(|reason| ConfigError::KubernetesName {
            flag: "--leader-election-namespace",
            value: namespace.clone(),
            what: "namespace",
            reason,
        })?;
    }
    check_dns_subdomain(&args.leader_election_lease_name).map_err(|reason| {
        ConfigError::KubernetesName {
            flag: "--leader-election-lease-name",
            value: args.leader_election_lease_name.clone(),
            what: "object name",
            reason,
        }
    })?;
    Ok(LeaderElectionConfig {
        enabled: args.leader_election.unwrap_or(in_cluster),
        namespace,
        lease_name: args.leader_election_lease_name.clone(),
    })
}

/// Checks an RFC 1123 label, the form of a namespace name.
fn check_dns_label(value: &str) -> Result<(), &'static str> {
    if value.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    check_dns_chars(value, false)
}

/// Checks an RFC 1123 subdomain, the form of most object names (a Lease's).
fn check_dns_subdomain(value: &str) -> Result<(), &'static str> {
    if value.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    check_dns_chars(value, true)
}

fn check_dns_chars(value: &str, dots: bool) -> Result<(), &'static str> {
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.');
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if value.is_empty() {
        Err("it is empty")
    } else if !value.chars().all(allowed) {
        Err("only lower-case letters, digits, '-' and '.' are allowed")
    } else if !edge(value.chars().next()) || !edge(value.chars().last()) {
        Err("it must start and end with a letter or digit")
    } else {
        Ok(())
    }
}

fn resolve_telemetry(args: &TelemetryArgs) -> Result<TelemetryConfig, ConfigError> {
    if !is_listen_address(&args.metrics_address) {
        return Err(ConfigError::MetricsAddress(args.metrics_address.clone()));
    }
    Ok(TelemetryConfig {
        log_level: args.log_level,
        log_format: args.log_format,
        metrics_address: args.metrics_address.clone(),
    })
}

/// Whether `text` is a Go listen address with a numeric port: `:7979`,
/// `0.0.0.0:7979`, `localhost:7979`, `[::]:7979`.
fn is_listen_address(text: &str) -> bool {
    let Some((host, port)) = text.rsplit_once(':') else {
        return false;
    };
    if port.parse::<u16>().is_err() {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok());
    }
    host.is_empty()
        || host.parse::<IpAddr>().is_ok()
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {

    use super::*;

    /// Parses a command line (without the program name) into controller flags.
    fn args(flags: &[&str]) -> ControllerArgs {
        let argv = std::iter::once("flaredns").chain(flags.iter().copied());
        crate::cli::parse(argv, &|_| None)
            .expect("flags parse")
            .cli
            .controller
    }

    fn resolve(flags: &[&str]) -> Result<Resolved, ConfigError> {
        let mut all = vec!["--source=ingress", "--provider=cloudflare"];
        all.extend_from_slice(flags);
        Config::resolve(&args(&all), &|_| None)
    }

    fn config(flags: &[&str]) -> Config {
        resolve(flags).expect("configuration resolves").config
    }

    #[test]
    fn sources_and_provider_are_required() {
        let err = Config::resolve(&args(&[]), &|_| None).unwrap_err();
        assert!(matches!(&err, ConfigError::MissingFlags(f) if f == &["--source", "--provider"]));
        assert_eq!(
            err.to_string(),
            "the following required flags were not given: --source, --provider"
        );
        let err = Config::resolve(&args(&["--source=crd"]), &|_| None).unwrap_err();
        assert!(matches!(&err, ConfigError::MissingFlags(f) if f == &["--provider"]));
    }

    #[test]
    fn source_names_are_checked() {
        assert_eq!(parse_source("ingress"), Ok(SourceKind::Ingress));
        assert_eq!(parse_source("service"), Ok(SourceKind::Service));
        assert_eq!(parse_source("crd"), Ok(SourceKind::Crd));
        let err = parse_source("gateway-httproute").unwrap_err();
        assert_eq!(
            err.to_string(),
            "flaredns does not support the ExternalDNS source \"gateway-httproute\"; \
             supported sources: ingress, service, crd"
        );
        assert!(matches!(
            parse_source("ingress,service"),
            Err(UnsupportedSource::CommaList(_))
        ));
        assert!(matches!(
            parse_source("Ingress"),
            Err(UnsupportedSource::Unknown(_))
        ));
        assert!(matches!(
            parse_source("ingres"),
            Err(UnsupportedSource::Unknown(_))
        ));
    }

    #[test]
    fn provider_names_are_checked() {
        assert_eq!(parse_provider("cloudflare"), Ok(ProviderKind::Cloudflare));
        assert_eq!(parse_provider("inmemory"), Ok(ProviderKind::Inmemory));
        let err = parse_provider("aws").unwrap_err();
        assert_eq!(
            err.to_string(),
            "flaredns supports --provider=cloudflare only"
        );
    }

    #[test]
    fn sources_are_deduplicated_in_order() {
        let config = config(&["--source=service", "--source=ingress", "--source=service"]);
        assert_eq!(
            config.sources.kinds,
            vec![SourceKind::Ingress, SourceKind::Service]
        );
    }

    #[test]
    fn domain_filters_are_normalised_as_externaldns_does() {
        let config = config(&[
            "--domain-filter= Example.COM. ",
            "--domain-filter=",
            "--domain-filter=.Sub.example.org",
            "--domain-filter=a.com,b.com",
            "--exclude-domains=Internal.Example.com.",
            "--zone-id-filter= 023e105f4ecef8ad9ca31a8372d0c353 ",
            "--zone-id-filter=",
        ]);
        assert_eq!(
            config.scope.domain_filters,
            vec!["example.com", ".sub.example.org", "a.com,b.com"]
        );
        assert_eq!(config.scope.exclude_domains, vec!["internal.example.com"]);
        assert_eq!(
            config.scope.zone_id_filters,
            vec!["023e105f4ecef8ad9ca31a8372d0c353"]
        );
    }

    #[test]
    fn record_types_managed_are_the_included_minus_the_excluded() {
        let scope = config(&[]).scope;
        assert_eq!(
            scope.managed_record_types,
            vec![RecordType::A, RecordType::Aaaa, RecordType::Cname]
        );
        assert!(scope.manages(RecordType::Cname));
        assert!(!scope.manages(RecordType::Txt));

        let scope = config(&[
            "--managed-record-types=a",
            "--managed-record-types=TXT",
            "--managed-record-types=A",
            "--exclude-record-types=txt",
        ])
        .scope;
        assert_eq!(
            scope.managed_record_types,
            vec![RecordType::A, RecordType::Txt]
        );
        assert!(scope.manages(RecordType::A));
        assert!(!scope.manages(RecordType::Txt));
        assert!(!scope.manages(RecordType::Aaaa));
    }

    #[test]
    fn txt_prefix_and_suffix_are_mutually_exclusive() {
        let err = resolve(&["--txt-prefix=p-", "--txt-suffix=-s"]).unwrap_err();
        assert!(matches!(err, ConfigError::PrefixAndSuffix { .. }));
        assert!(err.to_string().contains("--txt-prefix and --txt-suffix"));
        // An empty one does not count, as in ExternalDNS.
        let registry = config(&["--txt-prefix=p-", "--txt-suffix="]).registry;
        assert_eq!(registry.prefix, "p-");
        assert_eq!(registry.suffix, "");
    }

    #[test]
    fn the_owner_id_is_required_for_txt_and_empty_for_noop() {
        let err = resolve(&["--txt-owner-id="]).unwrap_err();
        assert!(matches!(err, ConfigError::EmptyOwnerId));
        let registry = config(&["--registry=noop", "--txt-owner-id=ignored"]).registry;
        assert_eq!(registry.kind, RegistryKind::Noop);
        assert_eq!(registry.owner_id, "");
        let registry = config(&["--registry=noop", "--txt-owner-id="]).registry;
        assert_eq!(registry.owner_id, "");
    }

    #[test]
    fn encryption_needs_a_key() {
        assert!(matches!(
            resolve(&["--txt-encrypt-enabled"]),
            Err(ConfigError::MissingAesKey)
        ));
        assert!(matches!(
            resolve(&["--txt-encrypt-enabled", "--txt-encrypt-aes-key="]),
            Err(ConfigError::MissingAesKey)
        ));
        let key = "0123456789abcdef0123456789abcdef";
        let flag = format!("--txt-encrypt-aes-key={key}");
        let registry = config(&["--txt-encrypt-enabled", &flag]).registry;
        assert!(registry.encryption_enabled);
        assert_eq!(registry.aes_key.as_ref().map(Secret::expose), Some(key));
    }

    #[test]
    fn annotation_prefix_defaults_to_both_and_must_end_with_a_slash() {
        assert_eq!(
            config(&[]).sources.annotation_prefixes,
            vec![
                "external-dns.kubernetes.io/",
                "external-dns.alpha.kubernetes.io/"
            ]
        );
        assert_eq!(
            config(&["--annotation-prefix=custom.example.com/"])
                .sources
                .annotation_prefixes,
            vec!["custom.example.com/"]
        );
        for bad in [
            "--annotation-prefix=custom.example.com",
            "--annotation-prefix=",
        ] {
            assert!(matches!(
                resolve(&[bad]),
                Err(ConfigError::AnnotationPrefix(_))
            ));
        }
    }

    #[test]
    fn source_rules_from_externaldns_hold() {
        assert!(matches!(
            resolve(&["--ignore-hostname-annotation"]),
            Err(ConfigError::IgnoreHostnameWithoutTemplate)
        ));
        let sources = config(&[
            "--ignore-hostname-annotation",
            "--fqdn-template={{.Name}}.example.com",
        ])
        .sources;
        assert_eq!(sources.fqdn_templates, vec!["{{.Name}}.example.com"]);

        let clash = [
            "--ingress-class=nginx",
            "--annotation-filter=kubernetes.io/ingress.class in (nginx)",
        ];
        assert!(matches!(
            resolve(&clash),
            Err(ConfigError::IngressClassWithAnnotationFilter)
        ));
        // Without the ingress source the clash does not matter.
        let flags = [
            "--source=service",
            "--provider=cloudflare",
            clash[0],
            clash[1],
        ];
        assert!(Config::resolve(&args(&flags), &|_| None).is_ok());
    }

    #[test]
    fn unsupported_cloudflare_features_are_refused_away_from_their_defaults() {
        let refused = [
            (
                "--cloudflare-custom-hostnames",
                "--cloudflare-custom-hostnames=true",
            ),
            (
                "--cloudflare-custom-hostnames-min-tls-version",
                "--cloudflare-custom-hostnames-min-tls-version=1.2",
            ),
            (
                "--cloudflare-custom-hostnames-certificate-authority",
                "--cloudflare-custom-hostnames-certificate-authority=google",
            ),
            ("--cloudflare-region-key", "--cloudflare-region-key=eu"),
            (
                "--cloudflare-regional-services",
                "--cloudflare-regional-services",
            ),
        ];
        for (flag, given) in refused {
            let err = resolve(&[given]).unwrap_err();
            let message = err.to_string();
            assert!(
                message.starts_with("flaredns does not support the Cloudflare")
                    && message.contains("feature yet")
                    && message.contains(flag),
                "{message}"
            );
        }
        let accepted = [
            "--no-cloudflare-custom-hostnames",
            "--cloudflare-custom-hostnames-min-tls-version=1.0",
            "--cloudflare-custom-hostnames-certificate-authority=none",
            "--cloudflare-region-key=",
            "--cloudflare-regional-services=false",
        ];
        assert!(resolve(&accepted).is_ok());
    }

    #[test]
    fn the_api_url_must_be_https_or_loopback_http() {
        for (given, expected) in [
            (
                "https://api.cloudflare.com/client/v4/",
                "https://api.cloudflare.com/client/v4",
            ),
            (
                "http://127.0.0.1:8787/client/v4",
                "http://127.0.0.1:8787/client/v4",
            ),
            ("http://localhost:8787", "http://localhost:8787"),
            ("http://[::1]:8787/", "http://[::1]:8787"),
        ] {
            let flag = format!("--cloudflare-api-url={given}");
            assert_eq!(config(&[&flag]).provider.cloudflare.api_url, expected);
        }
        for bad in [
            "http://api.example.com/client/v4",
            "http://10.0.0.1/",
            "ftp://api.example.com/",
            "api.cloudflare.com/client/v4",
            "https://api.cloudflare.com/client/v4?x=1",
        ] {
            let flag = format!("--cloudflare-api-url={bad}");
            let err = resolve(&[&flag]).unwrap_err();
            assert!(matches!(err, ConfigError::ApiUrl { .. }), "{bad}");
            assert!(err.to_string().starts_with("--cloudflare-api-url"));
        }
    }

    #[test]
    fn metrics_addresses_are_host_and_port() {
        for good in [
            ":7979",
            "0.0.0.0:7979",
            "localhost:8080",
            "[::]:7979",
            "[::1]:1",
        ] {
            assert!(is_listen_address(good), "{good}");
        }
        for bad in [
            "7979",
            ":http",
            "host:",
            ":70000",
            "[::1:7979",
            "a b:1",
            "::1:7979x",
        ] {
            assert!(!is_listen_address(bad), "{bad}");
        }
        let err = resolve(&["--metrics-address=7979"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--metrics-address \"7979\" is not HOST:PORT (for example :7979 or 0.0.0.0:7979)"
        );
    }

    #[test]
    fn leader_election_follows_the_cluster_unless_told() {
        let flags = args(&["--source=ingress", "--provider=cloudflare"]);
        let outside = Config::resolve(&flags, &|_| None).unwrap().config;
        assert!(!outside.leader_election.enabled);
        let inside = Config::resolve(&flags, &env_of(&[("KUBERNETES_SERVICE_HOST", "10.0.0.1")]))
            .unwrap()
            .config;
        assert!(inside.leader_election.enabled);
        let empty = Config::resolve(&flags, &env_of(&[("KUBERNETES_SERVICE_HOST", "")]))
            .unwrap()
            .config;
        assert!(!empty.leader_election.enabled);

        let off = args(&[
            "--source=ingress",
            "--provider=cloudflare",
            "--no-leader-election",
        ]);
        let cluster = env_of(&[("KUBERNETES_SERVICE_HOST", "10.0.0.1")]);
        assert!(
            !Config::resolve(&off, &cluster)
                .unwrap()
                .config
                .leader_election
                .enabled
        );
        let on = args(&[
            "--source=ingress",
            "--provider=cloudflare",
            "--leader-election",
        ]);
        assert!(
            Config::resolve(&on, &|_| None)
                .unwrap()
                .config
                .leader_election
                .enabled
        );
    }

    #[test]
    fn lease_names_and_namespaces_are_checked() {
        let config = config(&[
            "--leader-election-namespace=dns",
            "--leader-election-lease-name=flaredns.example",
        ]);
        assert_eq!(config.leader_election.namespace.as_deref(), Some("dns"));
        assert_eq!(config.leader_election.lease_name, "flaredns.example");
        for bad in [
            "--leader-election-lease-name=Flaredns",
            "--leader-election-lease-name=",
            "--leader-election-lease-name=-x",
            "--leader-election-namespace=a.b",
        ] {
            assert!(
                matches!(resolve(&[bad]), Err(ConfigError::KubernetesName { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            check_dns_label(&"a".repeat(64)),
            Err("it is longer than 63 characters")
        );
        assert_eq!(
            check_dns_subdomain(&"a".repeat(254)),
            Err("it is longer than 253 characters")
        );
    }

    #[test]
    fn the_request_timeout_prefers_the_new_flag_and_warns_about_the_old() {
        let resolved = resolve(&[]).unwrap();
        assert_eq!(
            resolved.config.kubernetes.request_timeout,
            Duration::from_secs(30)
        );
        assert!(resolved.warnings.is_empty());

        let resolved = resolve(&["--request-timeout=10s"]).unwrap();
        assert_eq!(
            resolved.config.kubernetes.request_timeout,
            Duration::from_secs(10)
        );
        assert_eq!(
            resolved.warnings,
            vec![ConfigWarning::DeprecatedRequestTimeout]
        );

        let resolved =
            resolve(&["--request-timeout=10s", "--kube-api-request-timeout=20s"]).unwrap();
        assert_eq!(
            resolved.config.kubernetes.request_timeout,
            Duration::from_secs(20)
        );
        assert_eq!(resolved.warnings.len(), 1);
    }

    #[test]
    fn a_token_comes_from_the_environment() {
        let env = env_of(&[
            ("CF_API_TOKEN", "tok-SECRET-123"),
            ("CF_API_KEY", "ignored"),
        ]);
        let Some(CloudflareCredentials::ApiToken { token, source }) =
            read_credentials(&env).unwrap()
        else {
            panic!("expected a token");
        };
        assert_eq!(token.expose(), "tok-SECRET-123");
        assert_eq!(source, TokenSource::Environment);
    }

    #[test]
    fn a_token_comes_from_a_file_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  tok-SECRET-123\n").unwrap();
        let value = format!("file:{}", path.display());
        let env = env_of(&[("CF_API_TOKEN", &value)]);
        let Some(CloudflareCredentials::ApiToken { token, source }) =
            read_credentials(&env).unwrap()
        else {
            panic!("expected a token");
        };
        assert_eq!(token.expose(), "tok-SECRET-123");
        assert_eq!(source, TokenSource::File { path: path.clone() });

        std::fs::write(&path, " \n").unwrap();
        assert!(matches!(
            read_credentials(&env),
            Err(CredentialsError::EmptyTokenFile { .. })
        ));
        let missing = format!("file:{}", dir.path().join("absent").display());
        let err = read_credentials(&env_of(&[("CF_API_TOKEN", &missing)])).unwrap_err();
        assert!(matches!(err, CredentialsError::TokenFile { .. }));
        assert!(err.to_string().contains("absent"));
    }

    #[test]
    fn a_global_key_needs_its_email() {
        let env = env_of(&[
            ("CF_API_KEY", "key-SECRET-456"),
            ("CF_API_EMAIL", "ops@example.com"),
        ]);
        let Some(CloudflareCredentials::ApiKey { key, email }) = read_credentials(&env).unwrap()
        else {
            panic!("expected a global key");
        };
        assert_eq!(key.expose(), "key-SECRET-456");
        assert_eq!(email, "ops@example.com");
        assert!(matches!(
            read_credentials(&env_of(&[("CF_API_KEY", "k")])),
            Err(CredentialsError::MissingEmail)
        ));
        assert!(matches!(
            read_credentials(&env_of(&[("CF_API_EMAIL", "ops@example.com")])),
            Err(CredentialsError::MissingKey)
        ));
        assert!(
            read_credentials(&env_of(&[("CF_API_TOKEN", "")]))
                .unwrap()
                .is_none()
        );
        assert!(read_credentials(&|_| None).unwrap().is_none());
    }

    #[test]
    fn credentials_are_read_for_cloudflare_only() {
        let env = env_of(&[("CF_API_KEY", "k")]);
        let cloudflare = args(&["--source=ingress", "--provider=cloudflare"]);
        assert!(matches!(
            Config::resolve(&cloudflare, &env),
            Err(ConfigError::Credentials(CredentialsError::MissingEmail))
        ));
        let inmemory = args(&["--source=ingress", "--provider=inmemory"]);
        let config = Config::resolve(&inmemory, &env).unwrap().config;
        assert!(config.provider.cloudflare.credentials.is_none());
    }

    #[test]
    fn debug_and_json_never_show_secrets() {
        let env = env_of(&[("CF_API_TOKEN", "tok-SECRET-123")]);
        let flags = args(&[
            "--source=ingress",
            "--provider=cloudflare",
            "--txt-encrypt-enabled",
            "--txt-encrypt-aes-key=aes-SECRET-0123456789abcdef0123",
        ]);
        assert!(!format!("{flags:?}").contains("SECRET"));
        let config = Config::resolve(&flags, &env).unwrap().config;
        for shown in [
            format!("{config:?}"),
            format!("{config:#?}"),
            serde_json::to_string(&config).unwrap(),
        ] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert_eq!(shown.matches("<redacted>").count(), 2);
        }
    }
    #[test]
    fn cache_flags_are_noted_at_start_up_only_when_set() {
        assert!(config(&[]).startup_notes().is_empty());
        assert!(
            config(&["--txt-cache-interval=0s", "--provider-cache-time=0s"])
                .startup_notes()
                .is_empty()
        );
        let notes =
            config(&["--txt-cache-interval=5m", "--provider-cache-time=30s"]).startup_notes();
        assert_eq!(
            notes,
            [
                StartupNote::NoCacheNeeded {
                    flag: "--txt-cache-interval",
                    value: Duration::from_secs(300),
                },
                StartupNote::NoCacheNeeded {
                    flag: "--provider-cache-time",
                    value: Duration::from_secs(30),
                },
            ]
        );
        assert_eq!(
            notes[0].to_string(),
            "--txt-cache-interval=5m0s has no effect: flaredns reads each zone once per \
             pass and keeps a view of it between passes, so it needs no cache"
        );
    }
}
