//! The flags: ExternalDNS's names, defaults and help, as clap `Args` groups
//! (one per concern) flattened into [`ControllerArgs`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

use super::parse::{parse_cidr, parse_regex, parse_secret, policy_parser};
use super::*;
use crate::endpoint::RecordType;
use crate::go_syntax;
use crate::secret::Secret;

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
    /// DNS provider: cloudflare, or inmemory (zones of --domain-filter held in memory, changes logged, no credentials) (required, except by plan).
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
    /// Accepted for ExternalDNS compatibility: flaredns always synchronises (debounced) when a watched object changes, with or without it.
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
pub(super) const DEFAULT_KUBE_API_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
