//! From flags to a [`Config`]: the rules one flag cannot check alone,
//! ExternalDNS's normalisations, and the checks of names, URLs and addresses.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use super::*;
use crate::endpoint::normalize_name;

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
pub(super) fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

/// Drops repeated values, keeping the first of each.
pub(super) fn dedup<T: PartialEq + Clone>(values: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    for value in values {
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    out
}

pub(super) fn resolve_sources(args: &SourceArgs) -> Result<SourceConfig, ConfigError> {
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

pub(super) fn resolve_scope(args: &ScopeArgs) -> ScopeConfig {
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

pub(super) fn resolve_registry(args: &RegistryArgs) -> Result<RegistryConfig, ConfigError> {
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

pub(super) fn resolve_provider(
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
pub(super) fn check_cloudflare_features(args: &CloudflareArgs) -> Result<(), ConfigError> {
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
pub(super) fn check_api_url(text: &str) -> Result<String, ConfigError> {
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

pub(super) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(super) fn resolve_sync(args: &SyncArgs) -> SyncConfig {
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

pub(super) fn resolve_kubernetes(
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

pub(super) fn resolve_leader_election(
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
pub(super) fn check_dns_label(value: &str) -> Result<(), &'static str> {
    if value.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    check_dns_chars(value, false)
}

/// Checks an RFC 1123 subdomain, the form of most object names (a Lease's).
pub(super) fn check_dns_subdomain(value: &str) -> Result<(), &'static str> {
    if value.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    check_dns_chars(value, true)
}

pub(super) fn check_dns_chars(value: &str, dots: bool) -> Result<(), &'static str> {
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

pub(super) fn resolve_telemetry(args: &TelemetryArgs) -> Result<TelemetryConfig, ConfigError> {
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
pub(super) fn is_listen_address(text: &str) -> bool {
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
