//! From the resolved configuration to the parts that do the work: the source
//! settings, the TXT registry and the planner settings. One place, so that the
//! controller, `flaredns plan` and the sandbox demo read flags the same way.

use crate::config::{Config, ProviderKind, RegistryKind};
use crate::controller::{ControllerSettings, Provider, WatchScope};
use crate::endpoint::{RecordType, Zone};
use crate::filter::{DomainFilter, InvalidRegexFilter, TargetNetFilter};
use crate::plan::PlanConfig;
use crate::problem::{Consequence, Problem};
use crate::provider::cloudflare::client::{Client, ClientConfig, ClientConfigError, RetryPolicy};
use crate::provider::cloudflare::credentials::CloudflareCredentials;
use crate::provider::cloudflare::ratelimit::{CLOUDFLARE_WINDOW, RateLimitConfig};
use crate::provider::cloudflare::{Cloudflare, CloudflareSettings};
use crate::registry::txt::{AesKey, RegistryConfigError, TxtRegistry, TxtRegistryConfig};
use crate::source::fqdn_template::{FqdnTemplate, TemplateError};
use crate::source::selector::{SelectorError, parse_selector};
use crate::source::{self, SourceConfig};

/// A flag value that parsed but cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("--{flag}={value:?}: {source}")]
    Selector {
        flag: &'static str,
        value: String,
        source: Box<SelectorError>,
    },
    #[error("--fqdn-template: {0}")]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Source(#[from] source::SourceConfigError),
    #[error(transparent)]
    Registry(#[from] RegistryConfigError),
    #[error(transparent)]
    Regex(#[from] InvalidRegexFilter),
    #[error(
        "no Cloudflare credentials: set CF_API_TOKEN (or CF_API_TOKEN=file:<path>), \
         or CF_API_KEY and CF_API_EMAIL"
    )]
    NoCredentials,
    #[error(transparent)]
    Client(#[from] ClientConfigError),
    #[error(
        "--provider=inmemory holds one zone per --domain-filter domain: give at least one \
         --domain-filter"
    )]
    InMemoryWithoutZones,
}

/// The source settings (`--namespace`, filters, annotation prefixes, …).
pub fn source_config(config: &Config) -> Result<SourceConfig, SetupError> {
    let s = &config.sources;
    let selector = |flag: &'static str, value: &Option<String>| match value {
        Some(v) => parse_selector(v).map_err(|source| SetupError::Selector {
            flag,
            value: v.clone(),
            source: Box::new(source),
        }),
        None => Ok(Default::default()),
    };
    let source_config = SourceConfig {
        annotation_prefixes: s.annotation_prefixes.clone(),
        namespace: s.namespace.clone().filter(|n| !n.is_empty()),
        annotation_filter: selector("annotation-filter", &s.annotation_filter)?,
        label_filter: selector("label-filter", &s.label_filter)?,
        ingress_classes: s.ingress_classes.clone(),
        service_types: s.service_types.clone(),
        fqdn_template: FqdnTemplate::parse(&s.fqdn_templates)?,
        combine_fqdn_annotation: s.combine_fqdn_annotation,
        ignore_hostname_annotation: s.ignore_hostname_annotation,
        ignore_ingress_tls_spec: s.ignore_ingress_tls_spec,
        ignore_ingress_rules_spec: s.ignore_ingress_rules_spec,
        publish_internal_services: s.publish_internal_services,
        publish_host_ip: s.publish_host_ip,
        always_publish_not_ready_addresses: s.always_publish_not_ready_addresses,
        resolve_service_load_balancer_hostname: s.resolve_service_load_balancer_hostname,
        default_targets: s.default_targets.clone(),
        force_default_targets: s.force_default_targets,
        // No flag sets these yet; ExternalDNS's defaults, spelled out so that
        // a new field is a compile error here rather than a silent default.
        expose_internal_ipv6: false,
        exclude_unschedulable: true,
    };
    source_config.validate()?;
    Ok(source_config)
}

/// The TXT ownership registry (`--txt-*`).
pub fn registry(config: &Config) -> Result<TxtRegistry, SetupError> {
    let r = &config.registry;
    let encryption_key = match (&r.aes_key, r.encryption_enabled) {
        (Some(key), true) => Some(AesKey::parse(key.expose())?),
        _ => None,
    };
    let owner_id = match r.kind {
        RegistryKind::Txt => r.owner_id.clone(),
        // With no ownership records there is no owner; the registry still needs
        // a name to decode TXT records with.
        RegistryKind::Noop => "noop".to_string(),
    };
    Ok(TxtRegistry::new(TxtRegistryConfig {
        owner_id,
        prefix: r.prefix.clone(),
        suffix: r.suffix.clone(),
        wildcard_replacement: r.wildcard_replacement.clone(),
        encryption_key,
        migrate_from_owner: r.migrate_from_owner.clone().filter(|o| !o.is_empty()),
    })?)
}

/// The planner settings, for the zones flaredns may write into.
pub fn plan_config(config: &Config, zones: Vec<Zone>) -> Result<PlanConfig, SetupError> {
    let scope = &config.scope;
    let domain_filter = domain_filter(config)?;
    let managed_types: Vec<RecordType> = scope
        .managed_record_types
        .iter()
        .copied()
        .filter(|t| scope.manages(*t))
        .collect();
    let min_ttl = u32::try_from(config.sources.min_ttl.as_secs()).unwrap_or(u32::MAX);
    Ok(PlanConfig {
        policy: scope.policy,
        domain_filter,
        target_net_filter: TargetNetFilter::new(
            config.sources.target_nets.clone(),
            config.sources.exclude_target_nets.clone(),
        ),
        managed_types,
        zones,
        proxied_by_default: config.provider.cloudflare.proxied,
        default_comment: config.provider.cloudflare.record_comment.clone(),
        min_ttl: (min_ttl > 0).then_some(min_ttl),
        without_ownership: config.registry.kind == RegistryKind::Noop,
        list_in_sync: true,
    })
}

/// The objects whose published records must stay as they are because one of
/// their fields was skipped (invariant 6): their `resource` labels.
pub fn held_resources(
    problems: &[Problem],
) -> std::collections::BTreeMap<String, crate::plan::HoldReason> {
    problems
        .iter()
        .filter(|p| p.consequence == Consequence::Skipped)
        .map(|p| {
            (
                p.object.resource_label(),
                crate::plan::HoldReason::InvalidField,
            )
        })
        .collect()
}

/// The Cloudflare provider: the API client with the process's one rate limit,
/// and how zones are read and written.
pub fn cloudflare(config: &Config) -> Result<Cloudflare, SetupError> {
    let credentials = config
        .provider
        .cloudflare
        .credentials
        .clone()
        .ok_or(SetupError::NoCredentials)?;
    cloudflare_with(config, credentials)
}

/// The Cloudflare provider with the given credentials (the sandbox hands out its
/// own token).
pub fn cloudflare_with(
    config: &Config,
    credentials: CloudflareCredentials,
) -> Result<Cloudflare, SetupError> {
    let cf = &config.provider.cloudflare;
    let client = Client::new(ClientConfig {
        api_url: cf.api_url.clone(),
        credentials,
        rate_limit: RateLimitConfig {
            requests: cf.rate_limit,
            window: CLOUDFLARE_WINDOW,
            per_second: cf.rate_limit_per_second,
        },
        retry: RetryPolicy::default(),
    })?;
    Ok(Cloudflare::new(
        client,
        CloudflareSettings {
            records_per_page: cf.dns_records_per_page,
            batch_size: config.provider.batch_change_size.map(|n| n as usize),
            batch_interval: config.provider.batch_change_interval,
            zone_id_filter: config.scope.zone_id_filters.clone(),
        },
    ))
}

/// Everything the in-cluster controller runs with.
pub fn controller(config: &Config) -> Result<ControllerSettings, SetupError> {
    let s = &config.sources;
    Ok(ControllerSettings {
        kinds: s.kinds.clone(),
        watch_scope: WatchScope {
            namespace: s.namespace.clone().filter(|n| !n.is_empty()),
            label_selector: s.label_filter.clone(),
            crd_api_version: s.crd_api_version.clone(),
            crd_kind: s.crd_kind.clone(),
        },
        sources: source_config(config)?,
        registry: registry(config)?,
        provider: provider(config)?,
        domain_filter: domain_filter(config)?,
        // The zones are known once Cloudflare is reached.
        plan: plan_config(config, Vec::new())?,
        kubernetes: config.kubernetes.clone(),
        leader_election: config.leader_election.clone(),
        sync: config.sync.clone(),
        metrics_address: config.telemetry.metrics_address.clone(),
    })
}

/// The controller's zones: Cloudflare's, or in memory with `--provider=inmemory`.
pub fn provider(config: &Config) -> Result<Provider, SetupError> {
    match config.provider.kind {
        ProviderKind::Cloudflare => Ok(Provider::Cloudflare(cloudflare(config)?)),
        ProviderKind::Inmemory => {
            let zones: Vec<Zone> = config
                .scope
                .domain_filters
                .iter()
                .map(|name| Zone {
                    id: format!("inmemory-{name}"),
                    name: name.clone(),
                    paid_plan: false,
                })
                .collect();
            if zones.is_empty() {
                return Err(SetupError::InMemoryWithoutZones);
            }
            Ok(Provider::InMemory { zones })
        }
    }
}

/// The domain filter alone (for finding zones before the planner is set up).
pub fn domain_filter(config: &Config) -> Result<DomainFilter, SetupError> {
    let scope = &config.scope;
    Ok(
        DomainFilter::new(&scope.domain_filters, &scope.exclude_domains).with_regex(
            scope.regex_domain_filter.as_deref(),
            scope.regex_domain_exclusion.as_deref(),
        )?,
    )
}
