//! Command lines flaredns refuses: the exit status and what the message says,
//! checked through the real binary.

use crate::support;

use support::flaredns;

/// Runs `flaredns config` with the required flags plus `flags`, expects exit
/// status 2 with nothing on stdout, and returns stderr.
fn refused(flags: &[&str]) -> String {
    refused_with(flags, &[])
}

fn refused_with(flags: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["config", "--source=ingress", "--provider=cloudflare"];
    args.extend_from_slice(flags);
    let output = flaredns(&args, env);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed a configuration");
    stderr
}

#[test]
fn an_unknown_flag_names_the_flag_probably_meant() {
    for (given, meant) in [
        ("--domain-filters=example.com", "--domain-filter"),
        ("--txt-owner=x", "--txt-owner-id"),
        ("--cloudflare-proxy", "--cloudflare-proxied"),
        ("--exclude-domain=a.com", "--exclude-domains"),
    ] {
        let stderr = refused(&[given]);
        let name = given.split('=').next().unwrap_or(given);
        assert!(
            stderr.starts_with(&format!("error: unexpected argument '{name}' found")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("tip: a similar argument exists: '{meant}'")),
            "{stderr}"
        );
    }
}

#[test]
fn flags_of_other_externaldns_providers_are_unknown() {
    let stderr = refused(&["--aws-zone-type=public"]);
    assert!(stderr.starts_with("error: unexpected argument '--aws-zone-type' found"));
}

#[test]
fn only_the_cloudflare_provider_is_supported() {
    for provider in ["aws", "google", "azure", "webhook", "Cloudflare"] {
        let output = flaredns(
            &[
                "config",
                "--source=ingress",
                &format!("--provider={provider}"),
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{provider}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{provider}' for '--provider <PROVIDER>': \
                 flaredns supports --provider=cloudflare only"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn unsupported_sources_are_named_with_the_supported_ones() {
    for source in [
        "gateway-httproute",
        "istio-gateway",
        "node",
        "pod",
        "traefik-proxy",
    ] {
        let stderr = refused(&[&format!("--source={source}")]);
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{source}' for '--source <SOURCE>': flaredns does not \
                 support the ExternalDNS source \"{source}\"; supported sources: ingress, service, crd"
            )),
            "{stderr}"
        );
    }
    let stderr = refused(&["--source=ingress,service"]);
    assert!(stderr.contains("give --source once per source"), "{stderr}");
    let stderr = refused(&["--source=ingres"]);
    assert!(
        stderr.contains("\"ingres\" is not a source; supported sources: ingress, service, crd"),
        "{stderr}"
    );
}

#[test]
fn cloudflare_features_not_offered_yet_are_refused() {
    for (given, message) in [
        (
            "--cloudflare-custom-hostnames",
            "flaredns does not support the Cloudflare Custom Hostnames feature yet: \
             --cloudflare-custom-hostnames=true (only the default, false, is accepted)",
        ),
        (
            "--cloudflare-custom-hostnames-min-tls-version=1.3",
            "flaredns does not support the Cloudflare Custom Hostnames feature yet: \
             --cloudflare-custom-hostnames-min-tls-version=1.3 (only the default, 1.0, is accepted)",
        ),
        (
            "--cloudflare-custom-hostnames-certificate-authority=lets_encrypt",
            "flaredns does not support the Cloudflare Custom Hostnames feature yet: \
             --cloudflare-custom-hostnames-certificate-authority=lets_encrypt \
             (only the default, none, is accepted)",
        ),
        (
            "--cloudflare-region-key=us",
            "flaredns does not support the Cloudflare Regional Services feature yet: \
             --cloudflare-region-key=us (only the default, empty, is accepted)",
        ),
        (
            "--cloudflare-regional-services=true",
            "flaredns does not support the Cloudflare Regional Services feature yet: \
             --cloudflare-regional-services=true (only the default, false, is accepted)",
        ),
    ] {
        assert_eq!(refused(&[given]), format!("error: {message}\n"), "{given}");
    }
    // Their defaults, given explicitly, are accepted.
    let output = flaredns(
        &[
            "config",
            "--source=ingress",
            "--provider=cloudflare",
            "--no-cloudflare-custom-hostnames",
            "--cloudflare-custom-hostnames-min-tls-version=1.0",
            "--cloudflare-custom-hostnames-certificate-authority=none",
            "--cloudflare-region-key=",
            "--cloudflare-regional-services=false",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn bad_values_name_the_flag() {
    for (given, expected) in [
        (
            "--interval=5x",
            "error: invalid value '5x' for '--interval <DURATION>': \"5x\" has the unit \"x\"",
        ),
        (
            "--min-ttl=60",
            "error: invalid value '60' for '--min-ttl <DURATION>': \"60\" has a number without a unit",
        ),
        (
            "--once=yes",
            "error: invalid value 'yes' for '--once[=<BOOL>]': \"yes\" is not a boolean",
        ),
        (
            "--policy=upsert",
            "error: invalid value 'upsert' for '--policy <POLICY>'",
        ),
        (
            "--cloudflare-dns-records-per-page=10000",
            "error: invalid value '10000' for '--cloudflare-dns-records-per-page <N>'",
        ),
    ] {
        let stderr = refused(&[given]);
        assert!(stderr.starts_with(expected), "{given}: {stderr}");
    }
}

#[test]
fn a_bad_variable_is_named() {
    let stderr = refused_with(&[], &[("EXTERNAL_DNS_INTERVAL", "often")]);
    assert!(stderr.starts_with("error: invalid value 'often' for '--interval <DURATION>'"));
    assert!(
        stderr.contains("tip: values were also read from EXTERNAL_DNS_INTERVAL"),
        "{stderr}"
    );
}

#[test]
fn kingpin_boolean_form_with_a_space_is_refused() {
    let stderr = refused(&["--dry-run", "true"]);
    assert!(
        stderr.starts_with("error: unexpected argument 'true' found\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tip: a boolean flag takes its value after '=', as in --once=true"),
        "{stderr}"
    );
}

#[test]
fn inconsistent_flags_are_refused() {
    for (given, message) in [
        (
            &["--txt-prefix=pre-", "--txt-suffix=-suf"][..],
            "error: --txt-prefix and --txt-suffix are mutually exclusive; \
             give only one (got \"pre-\" and \"-suf\")\n",
        ),
        (
            &["--txt-owner-id="][..],
            "error: --txt-owner-id must not be empty with --registry=txt\n",
        ),
        (
            &["--txt-encrypt-enabled"][..],
            "error: --txt-encrypt-enabled needs --txt-encrypt-aes-key\n",
        ),
        (
            &["--annotation-prefix=example.com"][..],
            "error: --annotation-prefix \"example.com\" must be non-empty and end with '/'\n",
        ),
        (
            &["--cloudflare-api-url=http://api.example.com/client/v4"][..],
            "error: --cloudflare-api-url \"http://api.example.com/client/v4\": plain http:// \
             is accepted only for loopback addresses (localhost, 127.0.0.1, ::1)\n",
        ),
    ] {
        assert_eq!(refused(given), message, "{given:?}");
    }
}

#[test]
fn source_and_provider_are_required() {
    let output = flaredns(&["config"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: the following required flags were not given: --source, --provider\n"
    );
}

#[test]
fn unusable_credentials_are_refused() {
    let stderr = refused_with(&[], &[("CF_API_KEY", "key-SECRET-456")]);
    assert!(stderr.starts_with("error: CF_API_KEY is set but CF_API_EMAIL is not"));
    assert!(!stderr.contains("SECRET"));
    let stderr = refused_with(&[], &[("CF_API_TOKEN", "file:/nonexistent/cf-token")]);
    assert!(
        stderr
            .starts_with("error: cannot read the Cloudflare API token from /nonexistent/cf-token"),
        "{stderr}"
    );
}

#[test]
fn flags_before_a_command_are_refused() {
    let output = flaredns(&["--dry-run", "config"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tip: give the flags after the command: flaredns config [FLAGS]"),
        "{stderr}"
    );
}

#[test]
fn plan_needs_manifests() {
    let output = flaredns(&["plan"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--manifests <DIR>"), "{stderr}");
}

#[test]
fn the_controller_without_credentials_says_what_to_set() {
    let output = flaredns(&["--source=ingress", "--provider=cloudflare"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Cloudflare credentials: set CF_API_TOKEN"),
        "{stderr}"
    );
    // Bad flags are still reported first, as usage errors.
    let output = flaredns(&["--source=node", "--provider=cloudflare"], &[]);
    assert_eq!(output.status.code(), Some(2));
}
