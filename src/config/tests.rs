//! Tests of flag parsing and resolution.

use super::args::*;
use super::credentials::*;
use super::notes::*;
use super::parse::*;
use super::resolve::*;
use super::*;
use crate::provider::cloudflare::credentials::TokenSource;

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

    let resolved = resolve(&["--request-timeout=10s", "--kube-api-request-timeout=20s"]).unwrap();
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
    let Some(CloudflareCredentials::ApiToken { token, source }) = read_credentials(&env).unwrap()
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
    let Some(CloudflareCredentials::ApiToken { token, source }) = read_credentials(&env).unwrap()
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
    let Some(CloudflareCredentials::ApiKey { key, email }) = read_credentials(&env).unwrap() else {
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
    let notes = config(&["--txt-cache-interval=5m", "--provider-cache-time=30s"]).startup_notes();
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
