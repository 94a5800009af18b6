//! `flaredns config`: what every flag, variable and credential resolves to,
//! checked through the real binary.

use crate::support;

use std::process::Output;

use serde_json::{Value, json};

use support::flaredns;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `flaredns config` and returns the printed configuration.
fn config_with(flags: &[&str], env: &[(&str, &str)]) -> (Value, String) {
    let mut args = vec!["config"];
    args.extend_from_slice(flags);
    let output = flaredns(&args, env);
    assert_eq!(
        output.status.code(),
        Some(0),
        "flaredns {args:?} failed: {}",
        stderr(&output)
    );
    let config = serde_json::from_str(&stdout(&output)).expect("config prints JSON");
    (config, stderr(&output))
}

fn config(flags: &[&str]) -> Value {
    let (config, warnings) = config_with(flags, &[]);
    assert_eq!(warnings, "");
    config
}

#[test]
fn every_flag_has_externaldns_default() {
    let config = config(&["--source=ingress", "--provider=cloudflare"]);
    let expected = json!({
        "sources": {
            "kinds": ["ingress"],
            "namespace": null,
            "annotation_filter": null,
            "label_filter": null,
            "annotation_prefixes": [
                "external-dns.kubernetes.io/",
                "external-dns.alpha.kubernetes.io/"
            ],
            "fqdn_templates": [],
            "combine_fqdn_annotation": false,
            "ignore_hostname_annotation": false,
            "ignore_ingress_tls_spec": false,
            "ignore_ingress_rules_spec": false,
            "ingress_classes": [],
            "publish_internal_services": false,
            "publish_host_ip": false,
            "always_publish_not_ready_addresses": false,
            "service_types": [],
            "resolve_service_load_balancer_hostname": false,
            "default_targets": [],
            "force_default_targets": false,
            "crd_api_version": "externaldns.k8s.io/v1alpha1",
            "crd_kind": "DNSEndpoint",
            "target_nets": [],
            "exclude_target_nets": [],
            "min_ttl": "0s"
        },
        "scope": {
            "policy": "sync",
            "domain_filters": [],
            "exclude_domains": [],
            "regex_domain_filter": null,
            "regex_domain_exclusion": null,
            "zone_id_filters": [],
            "managed_record_types": ["A", "AAAA", "CNAME"],
            "exclude_record_types": []
        },
        "registry": {
            "kind": "txt",
            "owner_id": "default",
            "prefix": "",
            "suffix": "",
            "wildcard_replacement": "",
            "encryption_enabled": false,
            "aes_key": null,
            "cache_interval": "0s",
            "migrate_from_owner": null
        },
        "provider": {
            "kind": "cloudflare",
            "cache_time": "0s",
            "batch_change_size": null,
            "batch_change_interval": "1s",
            "cloudflare": {
                "api_url": "https://api.cloudflare.com/client/v4",
                "proxied": false,
                "dns_records_per_page": 100,
                "record_comment": null,
                "rate_limit": 1000,
                "rate_limit_per_second": 10,
                "credentials": null
            }
        },
        "sync": {
            "interval": "1m0s",
            "once": false,
            "dry_run": false,
            "events": false,
            "min_event_sync_interval": null,
            "events_emit": [],
            "plan_slice_size": 1000
        },
        "kubernetes": {
            "server": null,
            "kubeconfig": null,
            "request_timeout": "30s",
            "qps": 5,
            "burst": 10
        },
        "leader_election": {
            "enabled": false,
            "namespace": null,
            "lease_name": "flaredns"
        },
        "telemetry": {
            "log_level": "info",
            "log_format": "text",
            "metrics_address": ":7979"
        }
    });
    assert_eq!(config, expected);
}

#[test]
fn every_flag_reaches_the_configuration() {
    let config = config(&[
        "--source=service",
        "--source",
        "crd",
        "--namespace=apps",
        "--annotation-filter=team=dns",
        "--label-filter=app in (web)",
        "--annotation-prefix=dns.example.com/",
        "--fqdn-template={{.Name}}.example.com",
        "--combine-fqdn-annotation",
        "--ignore-hostname-annotation",
        "--ignore-ingress-tls-spec",
        "--ignore-ingress-rules-spec",
        "--ingress-class=nginx",
        "--publish-internal-services",
        "--publish-host-ip",
        "--always-publish-not-ready-addresses",
        "--service-type-filter=LoadBalancer",
        "--resolve-service-load-balancer-hostname",
        "--default-targets=lb.example.com",
        "--force-default-targets",
        "--crd-source-apiversion=example.com/v1",
        "--crd-source-kind=Record",
        "--target-net-filter=10.0.0.0/8",
        "--exclude-target-net=10.1.0.0/16",
        "--min-ttl=1m30s",
        "--domain-filter=Example.com.",
        "--exclude-domains=internal.example.com",
        "--regex-domain-filter=^.*\\.example\\.com$",
        "--regex-domain-exclusion=^test\\.",
        "--zone-id-filter=023e105f4ecef8ad9ca31a8372d0c353",
        "--managed-record-types=A",
        "--managed-record-types=txt",
        "--exclude-record-types=AAAA",
        "--policy=create-only",
        "--registry=txt",
        "--txt-owner-id=cluster-1",
        "--txt-prefix=%{record_type}-",
        "--txt-wildcard-replacement=wild",
        "--txt-cache-interval=5m",
        "--migrate-from-txt-owner=old",
        "--provider=inmemory",
        "--provider-cache-time=30s",
        "--batch-change-size=500",
        "--cloudflare-rate-limit=600",
        "--cloudflare-rate-limit-per-second=5",
        "--batch-change-interval=500ms",
        "--cloudflare-api-url=http://127.0.0.1:8787/client/v4/",
        "--cloudflare-proxied",
        "--cloudflare-dns-records-per-page=5000",
        "--cloudflare-record-comment=managed by flaredns",
        "--interval=2m",
        "--once",
        "--dry-run",
        "--events",
        "--min-event-sync-interval=10s",
        "--events-emit=RecordReady",
        "--events-emit=RecordError",
        "--plan-slice-size=500",
        "--server=https://10.0.0.1:6443",
        "--kubeconfig=/etc/kube/config",
        "--kube-api-request-timeout=45s",
        "--kube-api-qps=20",
        "--kube-api-burst=40",
        "--leader-election",
        "--leader-election-namespace=dns",
        "--leader-election-lease-name=flaredns-prod",
        "--log-level=debug",
        "--log-format=json",
        "--metrics-address=0.0.0.0:9090",
    ]);
    let expected = json!({
        "sources": {
            "kinds": ["service", "crd"],
            "namespace": "apps",
            "annotation_filter": "team=dns",
            "label_filter": "app in (web)",
            "annotation_prefixes": ["dns.example.com/"],
            "fqdn_templates": ["{{.Name}}.example.com"],
            "combine_fqdn_annotation": true,
            "ignore_hostname_annotation": true,
            "ignore_ingress_tls_spec": true,
            "ignore_ingress_rules_spec": true,
            "ingress_classes": ["nginx"],
            "publish_internal_services": true,
            "publish_host_ip": true,
            "always_publish_not_ready_addresses": true,
            "service_types": ["LoadBalancer"],
            "resolve_service_load_balancer_hostname": true,
            "default_targets": ["lb.example.com"],
            "force_default_targets": true,
            "crd_api_version": "example.com/v1",
            "crd_kind": "Record",
            "target_nets": ["10.0.0.0/8"],
            "exclude_target_nets": ["10.1.0.0/16"],
            "min_ttl": "1m30s"
        },
        "scope": {
            "policy": "create-only",
            "domain_filters": ["example.com"],
            "exclude_domains": ["internal.example.com"],
            "regex_domain_filter": "^.*\\.example\\.com$",
            "regex_domain_exclusion": "^test\\.",
            "zone_id_filters": ["023e105f4ecef8ad9ca31a8372d0c353"],
            "managed_record_types": ["A", "TXT"],
            "exclude_record_types": ["AAAA"]
        },
        "registry": {
            "kind": "txt",
            "owner_id": "cluster-1",
            "prefix": "%{record_type}-",
            "suffix": "",
            "wildcard_replacement": "wild",
            "encryption_enabled": false,
            "aes_key": null,
            "cache_interval": "5m0s",
            "migrate_from_owner": "old"
        },
        "provider": {
            "kind": "inmemory",
            "cache_time": "30s",
            "batch_change_size": 500,
            "batch_change_interval": "500ms",
            "cloudflare": {
                "api_url": "http://127.0.0.1:8787/client/v4",
                "proxied": true,
                "dns_records_per_page": 5000,
                "record_comment": "managed by flaredns",
                "rate_limit": 600,
                "rate_limit_per_second": 5,
                "credentials": null
            }
        },
        "sync": {
            "interval": "2m0s",
            "once": true,
            "dry_run": true,
            "events": true,
            "min_event_sync_interval": "10s",
            "events_emit": ["RecordReady", "RecordError"],
            "plan_slice_size": 500
        },
        "kubernetes": {
            "server": "https://10.0.0.1:6443",
            "kubeconfig": "/etc/kube/config",
            "request_timeout": "45s",
            "qps": 20,
            "burst": 40
        },
        "leader_election": {
            "enabled": true,
            "namespace": "dns",
            "lease_name": "flaredns-prod"
        },
        "telemetry": {
            "log_level": "debug",
            "log_format": "json",
            "metrics_address": "0.0.0.0:9090"
        }
    });
    assert_eq!(config, expected);
}

/// The argument list the ExternalDNS chart renders for the guide's HelmRelease
/// (chart args in chart order, then `extraArgs`).
#[test]
fn the_guide_chart_arguments_resolve() {
    let config = config(&[
        "--log-level=info",
        "--log-format=text",
        "--interval=1m",
        "--source=service",
        "--source=ingress",
        "--policy=sync",
        "--registry=txt",
        "--txt-owner-id=production-cluster-01",
        "--domain-filter=example.com",
        "--provider=cloudflare",
        "--cloudflare-proxied=true",
        "--cloudflare-dns-records-per-page=5000",
    ]);
    assert_eq!(config["telemetry"]["log_level"], "info");
    assert_eq!(config["telemetry"]["log_format"], "text");
    assert_eq!(config["sync"]["interval"], "1m0s");
    assert_eq!(config["sources"]["kinds"], json!(["service", "ingress"]));
    assert_eq!(config["scope"]["policy"], "sync");
    assert_eq!(config["scope"]["domain_filters"], json!(["example.com"]));
    assert_eq!(config["registry"]["kind"], "txt");
    assert_eq!(config["registry"]["owner_id"], "production-cluster-01");
    assert_eq!(config["provider"]["kind"], "cloudflare");
    assert_eq!(config["provider"]["cloudflare"]["proxied"], true);
    assert_eq!(
        config["provider"]["cloudflare"]["dns_records_per_page"],
        5000
    );
}

/// Flags, variables, and the value `--cloudflare-proxied` should end up with.
type BoolCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], bool);

#[test]
fn every_boolean_form_and_variable_sets_a_flag() {
    let base = ["--source=ingress", "--provider=cloudflare"];
    let cases: [BoolCase; 14] = [
        (&[], &[], false),
        (&["--cloudflare-proxied"], &[], true),
        (&["--cloudflare-proxied=true"], &[], true),
        (&["--cloudflare-proxied=True"], &[], true),
        (&["--cloudflare-proxied=TRUE"], &[], true),
        (&["--cloudflare-proxied=t"], &[], true),
        (&["--cloudflare-proxied=1"], &[], true),
        (&["--cloudflare-proxied=false"], &[], false),
        (&["--cloudflare-proxied=F"], &[], false),
        (&["--cloudflare-proxied=0"], &[], false),
        (&["--no-cloudflare-proxied"], &[], false),
        (&[], &[("EXTERNAL_DNS_CLOUDFLARE_PROXIED", "1")], true),
        (&[], &[("EXTERNAL_DNS_CLOUDFLARE_PROXIED", "True")], true),
        // The command line wins over the environment.
        (
            &["--no-cloudflare-proxied"],
            &[("EXTERNAL_DNS_CLOUDFLARE_PROXIED", "true")],
            false,
        ),
    ];
    for (flags, env, expected) in cases {
        let mut all = base.to_vec();
        all.extend_from_slice(flags);
        let (config, _) = config_with(&all, env);
        assert_eq!(
            config["provider"]["cloudflare"]["proxied"], expected,
            "{flags:?} {env:?}"
        );
    }
}

#[test]
fn variables_stand_in_for_every_kind_of_flag() {
    let env = [
        ("EXTERNAL_DNS_SOURCE", "service\ningress\n"),
        ("EXTERNAL_DNS_PROVIDER", "cloudflare"),
        (
            "EXTERNAL_DNS_DOMAIN_FILTER",
            "a.example.com\r\nb.example.com",
        ),
        ("EXTERNAL_DNS_INTERVAL", "10m"),
        ("EXTERNAL_DNS_TXT_OWNER_ID", "from-env"),
        ("EXTERNAL_DNS_POLICY", "upsert-only"),
        ("EXTERNAL_DNS_DRY_RUN", "t"),
        ("EXTERNAL_DNS_LEADER_ELECTION", "false"),
        ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
    ];
    let (config, warnings) =
        config_with(&["--interval=30s", "--domain-filter=c.example.com"], &env);
    assert_eq!(warnings, "");
    assert_eq!(config["sources"]["kinds"], json!(["service", "ingress"]));
    assert_eq!(config["provider"]["kind"], "cloudflare");
    // The command line wins, for repeatable flags as a whole.
    assert_eq!(config["scope"]["domain_filters"], json!(["c.example.com"]));
    assert_eq!(config["sync"]["interval"], "30s");
    assert_eq!(config["registry"]["owner_id"], "from-env");
    assert_eq!(config["scope"]["policy"], "upsert-only");
    assert_eq!(config["sync"]["dry_run"], true);
    assert_eq!(config["leader_election"]["enabled"], false);

    let (config, _) = config_with(&[], &env);
    assert_eq!(
        config["scope"]["domain_filters"],
        json!(["a.example.com", "b.example.com"])
    );
    assert_eq!(config["sync"]["interval"], "10m0s");
}

#[test]
fn leader_election_is_on_inside_a_cluster() {
    let flags = ["--source=ingress", "--provider=cloudflare"];
    let (config, _) = config_with(&flags, &[("KUBERNETES_SERVICE_HOST", "10.0.0.1")]);
    assert_eq!(config["leader_election"]["enabled"], true);
    let (config, _) = config_with(&flags, &[]);
    assert_eq!(config["leader_election"]["enabled"], false);
}

#[test]
fn a_repeated_flag_warns_and_the_last_value_wins() {
    let (config, warnings) = config_with(
        &[
            "--source=ingress",
            "--provider=cloudflare",
            "--interval=1m",
            "--interval",
            "2m",
            "--txt-owner-id=a",
            "--txt-owner-id=b",
            "--domain-filter=a.com",
            "--domain-filter=b.com",
        ],
        &[],
    );
    assert_eq!(config["sync"]["interval"], "2m0s");
    assert_eq!(config["registry"]["owner_id"], "b");
    assert_eq!(config["scope"]["domain_filters"], json!(["a.com", "b.com"]));
    assert_eq!(
        warnings,
        "warning: --interval was given 2 times; only the last value is used\n\
         warning: --txt-owner-id was given 2 times; only the last value is used\n"
    );
}

#[test]
fn the_deprecated_request_timeout_warns() {
    let (config, warnings) = config_with(
        &[
            "--source=ingress",
            "--provider=cloudflare",
            "--request-timeout=10s",
        ],
        &[],
    );
    assert_eq!(config["kubernetes"]["request_timeout"], "10s");
    assert_eq!(
        warnings,
        "warning: --request-timeout is deprecated; use --kube-api-request-timeout \
         (which wins when both are given)\n"
    );
}

/// Runs `flaredns config` and checks that nothing printed holds a secret.
fn config_without_secrets(flags: &[&str], env: &[(&str, &str)]) -> Value {
    let mut args = vec!["config", "--source=ingress", "--provider=cloudflare"];
    args.extend_from_slice(flags);
    let output = flaredns(&args, env);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for printed in [stdout(&output), stderr(&output)] {
        assert!(!printed.contains("SECRET"), "{printed}");
    }
    serde_json::from_str(&stdout(&output)).expect("config prints JSON")
}

#[test]
fn an_api_token_is_never_printed() {
    let config = config_without_secrets(&[], &[("CF_API_TOKEN", "tok-SECRET-123")]);
    assert_eq!(
        config["provider"]["cloudflare"]["credentials"],
        json!({"kind": "api-token", "token": "<redacted>", "source": {"from": "environment"}})
    );
}

#[test]
fn a_token_file_is_read_and_never_printed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("cf-token");
    std::fs::write(&path, "tok-SECRET-123\n").expect("the token file is written");
    let value = format!("file:{}", path.display());
    let config = config_without_secrets(&[], &[("CF_API_TOKEN", &value)]);
    assert_eq!(
        config["provider"]["cloudflare"]["credentials"],
        json!({
            "kind": "api-token",
            "token": "<redacted>",
            "source": {"from": "file", "path": path.display().to_string()}
        })
    );
}

#[test]
fn a_global_api_key_is_never_printed() {
    let config = config_without_secrets(
        &[],
        &[
            ("CF_API_KEY", "key-SECRET-456"),
            ("CF_API_EMAIL", "ops@example.com"),
        ],
    );
    assert_eq!(
        config["provider"]["cloudflare"]["credentials"],
        json!({"kind": "api-key", "key": "<redacted>", "email": "ops@example.com"})
    );
}

#[test]
fn the_aes_key_is_never_printed() {
    let key = "aes-SECRET-0123456789abcdef012345";
    let flag = format!("--txt-encrypt-aes-key={key}");
    let config = config_without_secrets(&["--txt-encrypt-enabled", &flag, &flag], &[]);
    assert_eq!(config["registry"]["aes_key"], "<redacted>");
    assert_eq!(config["registry"]["encryption_enabled"], true);

    let config = config_without_secrets(
        &["--txt-encrypt-enabled"],
        &[("EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY", key)],
    );
    assert_eq!(config["registry"]["aes_key"], "<redacted>");
}

#[test]
fn version_prints_the_name_and_version() {
    let output = flaredns(&["--version"], &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        format!("flaredns {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_controller_notes_cache_flags_once_at_start_up() {
    // No credentials: the controller stops right after its start-up notes.
    let run = |flags: &[&str]| {
        let mut args = vec![
            "--source=ingress",
            "--provider=cloudflare",
            "--server=http://127.0.0.1:9",
        ];
        args.extend_from_slice(flags);
        stderr(&flaredns(&args, &[]))
    };
    let noted = run(&["--txt-cache-interval=5m", "--provider-cache-time=30s"]);
    assert_eq!(noted.matches("needs no cache").count(), 2, "{noted}");
    assert_eq!(noted.matches("--txt-cache-interval=5m0s").count(), 1);
    assert_eq!(noted.matches("--provider-cache-time=30s").count(), 1);
    let quiet = run(&[]);
    assert_eq!(quiet.matches("needs no cache").count(), 0, "{quiet}");
}
