//! Reading the `external-dns.*` annotations of one object.
//!
//! Both prefixes are read by default: `external-dns.kubernetes.io/` (the default of
//! ExternalDNS v0.22) and `external-dns.alpha.kubernetes.io/` (every earlier
//! release), so that objects written for either keep working. When both carry a
//! key with different values the newer prefix wins and a [`Problem`] names both
//! keys. With `--annotation-prefix` only that prefix is read.
//!
//! Every value is parsed as ExternalDNS parses it; a value that does not parse is
//! reported as a [`Problem`] naming the object and the exact annotation key.

use std::collections::BTreeMap;

use crate::endpoint::{CloudflareProps, ProviderSpecific};
use crate::problem::{Consequence, ObjectRef, Problem};

use crate::go_syntax;

/// The annotation prefix of ExternalDNS v0.22 and later; wins over the alpha prefix.
pub const PREFIX: &str = "external-dns.kubernetes.io/";
/// The annotation prefix of ExternalDNS up to v0.21.
pub const ALPHA_PREFIX: &str = "external-dns.alpha.kubernetes.io/";

/// The value of the `controller` annotation that keeps an object in scope.
pub const CONTROLLER_VALUE: &str = "dns-controller";

/// Annotation key suffixes (what follows the prefix).
pub mod key {
    /// Comma-separated host names to publish.
    pub const HOSTNAME: &str = "hostname";
    /// Service host names that point at the ClusterIP.
    pub const INTERNAL_HOSTNAME: &str = "internal-hostname";
    /// Comma-separated targets overriding the object's own.
    pub const TARGET: &str = "target";
    /// Record TTL (Go duration or seconds).
    pub const TTL: &str = "ttl";
    /// Objects whose controller is not `dns-controller` are skipped.
    pub const CONTROLLER: &str = "controller";
    /// Ingress: `defined-hosts-only` or `annotation-only`.
    pub const INGRESS_HOSTNAME_SOURCE: &str = "ingress-hostname-source";
    /// NodePort service: `public` or `private` node addresses.
    pub const ACCESS: &str = "access";
    /// Headless service: `NodeExternalIP` or `HostIP`.
    pub const ENDPOINTS_TYPE: &str = "endpoints-type";
    /// `true` adds the provider-specific property `alias=true`.
    pub const ALIAS: &str = "alias";
    /// ExternalDNS's set identifier (weighted/geo routing at other providers).
    pub const SET_IDENTIFIER: &str = "set-identifier";
    /// Whether Cloudflare proxies the record.
    pub const CLOUDFLARE_PROXIED: &str = "cloudflare-proxied";
    /// Cloudflare record comment.
    pub const CLOUDFLARE_RECORD_COMMENT: &str = "cloudflare-record-comment";
    /// Cloudflare record tags.
    pub const CLOUDFLARE_TAGS: &str = "cloudflare-tags";
    /// Cloudflare for SaaS custom hostname (not offered by flaredns).
    pub const CLOUDFLARE_CUSTOM_HOSTNAME: &str = "cloudflare-custom-hostname";
    /// Cloudflare regional hostname key (not offered by flaredns).
    pub const CLOUDFLARE_REGION_KEY: &str = "cloudflare-region-key";

    /// Every key above (for tests and fuzzing that try them all).
    pub const ALL: [&str; 15] = [
        HOSTNAME,
        INTERNAL_HOSTNAME,
        TARGET,
        TTL,
        CONTROLLER,
        INGRESS_HOSTNAME_SOURCE,
        ACCESS,
        ENDPOINTS_TYPE,
        ALIAS,
        SET_IDENTIFIER,
        CLOUDFLARE_PROXIED,
        CLOUDFLARE_RECORD_COMMENT,
        CLOUDFLARE_TAGS,
        CLOUDFLARE_CUSTOM_HOSTNAME,
        CLOUDFLARE_REGION_KEY,
    ];
}

/// Both annotation prefixes, newer first.
pub const PREFIXES: [&str; 2] = [PREFIX, ALPHA_PREFIX];

/// The provider-specific property name ExternalDNS uses for `alias`.
pub const ALIAS_PROPERTY: &str = "alias";

/// The default prefixes, in precedence order.
pub fn default_prefixes() -> Vec<String> {
    PREFIXES.iter().map(|p| p.to_string()).collect()
}

/// How a problem names an annotation: `metadata.annotations["<key>"]`.
pub fn annotation_field(key: &str) -> String {
    format!("metadata.annotations[{key:?}]")
}

/// One external-dns setting found on an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The full key as written (`external-dns.alpha.kubernetes.io/ttl`).
    pub key: String,
    pub value: String,
    /// Where the setting is, for problems (see [`annotation_field`]).
    pub field: String,
}

/// The external-dns settings of one object, resolved across prefixes: at most one
/// [`Setting`] per key suffix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    by_suffix: BTreeMap<String, Setting>,
}

impl Settings {
    /// Resolves an object's annotations. `prefixes` are in precedence order.
    pub fn from_annotations(
        object: &ObjectRef,
        annotations: Option<&BTreeMap<String, String>>,
        prefixes: &[String],
        problems: &mut Vec<Problem>,
    ) -> Settings {
        let entries = annotations
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str(), annotation_field(k)));
        Settings::from_entries(object, entries, prefixes, problems).0
    }

    /// Resolves `(key, value, field)` entries. Returns the settings and the entries
    /// under none of the prefixes (`DNSEndpoint` keeps those as provider-specific).
    pub fn from_entries<'a>(
        object: &ObjectRef,
        entries: impl IntoIterator<Item = (&'a str, &'a str, String)>,
        prefixes: &[String],
        problems: &mut Vec<Problem>,
    ) -> (Settings, Vec<Setting>) {
        // Rank each entry by the precedence of its prefix, then settle each suffix
        // on its best-ranked entry.
        let mut ranked: Vec<(usize, String, Setting)> = Vec::new();
        let mut others = Vec::new();
        for (key, value, field) in entries {
            let setting = Setting {
                key: key.to_string(),
                value: value.to_string(),
                field,
            };
            match prefixes
                .iter()
                .enumerate()
                .find_map(|(rank, p)| key.strip_prefix(p.as_str()).map(|s| (rank, s)))
            {
                Some((rank, suffix)) => ranked.push((rank, suffix.to_string(), setting)),
                None => others.push(setting),
            }
        }
        ranked.sort_by_key(|(rank, _, _)| *rank);
        let mut by_suffix: BTreeMap<String, Setting> = BTreeMap::new();
        for (_, suffix, setting) in ranked {
            match by_suffix.get(&suffix) {
                None => {
                    by_suffix.insert(suffix, setting);
                }
                Some(winner) if winner.value != setting.value => {
                    problems.push(Problem::new(
                        object,
                        setting.field.clone(),
                        &setting.value,
                        Consequence::Ignored,
                        "conflicting-annotation-prefixes",
                        format!(
                            "both {} = {:?} and {} = {:?} are set; {} is used",
                            winner.key, winner.value, setting.key, setting.value, winner.key
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        (Settings { by_suffix }, others)
    }

    /// The setting for a key suffix (see [`key`]).
    pub fn get(&self, suffix: &str) -> Option<&Setting> {
        self.by_suffix.get(suffix)
    }
}

/// Which host names of an Ingress are published (`ingress-hostname-source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostnameSource {
    /// Rules, TLS hosts and the `hostname` annotation (no annotation).
    #[default]
    All,
    /// `defined-hosts-only`: rules and TLS hosts.
    DefinedHostsOnly,
    /// `annotation-only`: the `hostname` annotation.
    AnnotationOnly,
    /// Any other value: ExternalDNS publishes nothing.
    Nothing,
}

/// Which node addresses a NodePort service publishes (`access`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Private,
}

/// Which addresses a headless service publishes (`endpoints-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointsType {
    NodeExternalIp,
    HostIp,
}

/// A comma list read from one annotation, with the setting it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSetting {
    pub items: Vec<String>,
    pub setting: Setting,
}

/// Every external-dns annotation of one object, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectAnnotations {
    /// `hostname`, split (empty items kept, as ExternalDNS keeps them).
    pub hostnames: Option<ListSetting>,
    /// `internal-hostname`, split.
    pub internal_hostnames: Option<ListSetting>,
    /// `target`, split with one trailing dot per item dropped; `None` when absent
    /// or empty.
    pub targets: Option<ListSetting>,
    /// `ttl` in seconds; `None` when absent or invalid.
    pub ttl: Option<u32>,
    pub cloudflare: CloudflareProps,
    /// `alias: "true"`.
    pub alias: bool,
    pub set_identifier: String,
    pub hostname_source: HostnameSource,
    pub access: Option<Access>,
    pub endpoints_type: Option<EndpointsType>,
    /// The `controller` value, if any.
    pub controller: Option<String>,
}

impl ObjectAnnotations {
    /// Reads and parses the external-dns annotations of one object.
    pub fn read(
        object: &ObjectRef,
        annotations: Option<&BTreeMap<String, String>>,
        prefixes: &[String],
    ) -> (ObjectAnnotations, Vec<Problem>) {
        let mut problems = Vec::new();
        let settings = Settings::from_annotations(object, annotations, prefixes, &mut problems);
        let parsed = ObjectAnnotations::from_settings(object, &settings, &mut problems);
        (parsed, problems)
    }

    /// Parses resolved settings.
    pub fn from_settings(
        object: &ObjectRef,
        settings: &Settings,
        problems: &mut Vec<Problem>,
    ) -> ObjectAnnotations {
        let list = |suffix: &str, split: fn(&str) -> Vec<String>| {
            settings.get(suffix).map(|s| ListSetting {
                items: split(&s.value),
                setting: s.clone(),
            })
        };
        let alias = settings.get(key::ALIAS).is_some_and(|s| {
            if s.value != "true" && s.value != "false" {
                problems.push(Problem::new(
                    object,
                    s.field.clone(),
                    &s.value,
                    Consequence::Ignored,
                    "invalid-alias",
                    "alias is only set by the exact value \"true\"",
                ));
            }
            s.value == "true"
        });
        ObjectAnnotations {
            hostnames: list(key::HOSTNAME, split_hostnames),
            internal_hostnames: list(key::INTERNAL_HOSTNAME, split_hostnames),
            targets: list(key::TARGET, split_targets).filter(|l| !l.items.is_empty()),
            ttl: settings
                .get(key::TTL)
                .and_then(|s| ttl_setting(object, s, problems)),
            cloudflare: cloudflare_props(object, settings, problems),
            alias,
            set_identifier: settings
                .get(key::SET_IDENTIFIER)
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            hostname_source: hostname_source(object, settings, problems),
            access: access(object, settings, problems),
            endpoints_type: endpoints_type(object, settings, problems),
            controller: settings.get(key::CONTROLLER).map(|s| s.value.clone()),
        }
    }

    /// The provider-specific properties the annotations ask for (`alias`).
    pub fn provider_specific(&self) -> Vec<ProviderSpecific> {
        if self.alias {
            vec![ProviderSpecific {
                name: ALIAS_PROPERTY.to_string(),
                value: "true".to_string(),
            }]
        } else {
            Vec::new()
        }
    }
}

/// Splits a `hostname` annotation as ExternalDNS v0.22 does: every ASCII space
/// removed, surrounding whitespace trimmed, split on commas (empty items kept).
pub fn split_hostnames(value: &str) -> Vec<String> {
    value
        .replace(' ', "")
        .trim()
        .split(',')
        .map(str::to_string)
        .collect()
}

/// Splits a `target` annotation: as [`split_hostnames`], with one trailing dot
/// dropped per item; an empty annotation yields no targets.
pub fn split_targets(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    split_hostnames(value)
        .into_iter()
        .map(|t| t.strip_suffix('.').map(str::to_string).unwrap_or(t))
        .collect()
}

/// Why a `ttl` value is not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    #[error("{value:?} is neither a duration (10m, 1h30m) nor a whole number of seconds")]
    Unparsable { value: String },
    #[error("{seconds} seconds is outside the range 1 to 2147483647")]
    OutOfRange { seconds: i64 },
}

/// Parses a TTL as ExternalDNS does: a Go duration first (`10m`, `20.5s` → 20),
/// then a base-10 integer (`600`, `+60`, `01`); the result must be within
/// `[1, 2147483647]` seconds.
pub fn parse_ttl(value: &str) -> Result<u32, TtlError> {
    let seconds = match go_syntax::parse_duration(value) {
        Ok(duration) => i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        // A negative duration parses in Go, and is then out of range.
        Err(go_syntax::InvalidDuration::Negative(_)) => {
            let magnitude = go_syntax::parse_duration(value.trim_start_matches('-'))
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            -magnitude
        }
        Err(_) => value.parse::<i64>().map_err(|_| TtlError::Unparsable {
            value: value.to_string(),
        })?,
    };
    u32::try_from(seconds)
        .ok()
        .filter(|s| (1..=i32::MAX as u32).contains(s))
        .ok_or(TtlError::OutOfRange { seconds })
}

fn ttl_setting(object: &ObjectRef, setting: &Setting, problems: &mut Vec<Problem>) -> Option<u32> {
    parse_ttl(&setting.value)
        .map_err(|e| {
            problems.push(Problem::new(
                object,
                setting.field.clone(),
                &setting.value,
                Consequence::Ignored,
                "invalid-ttl",
                format!("{e}; the TTL is not configured"),
            ))
        })
        .ok()
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    go_syntax::parse_bool(value).ok()
}

/// Parses `cloudflare-tags`: a comma list, trimmed, empty items dropped, sorted,
/// without duplicates.
pub fn parse_tags(value: &str) -> Vec<String> {
    let mut tags: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// The Cloudflare properties among resolved settings (annotations, or a
/// `DNSEndpoint`'s `providerSpecific` entries).
pub fn cloudflare_props(
    object: &ObjectRef,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> CloudflareProps {
    let mut props = CloudflareProps::default();
    if let Some(s) = settings.get(key::CLOUDFLARE_PROXIED) {
        props.proxied = parse_go_bool(&s.value);
        if props.proxied.is_none() {
            problems.push(Problem::new(
                object,
                s.field.clone(),
                &s.value,
                Consequence::Ignored,
                "invalid-proxied",
                "not a boolean (true, false, 1, 0, t, f); --cloudflare-proxied applies",
            ));
        }
    }
    if let Some(s) = settings.get(key::CLOUDFLARE_RECORD_COMMENT) {
        props.comment = Some(s.value.clone());
    }
    if let Some(s) = settings.get(key::CLOUDFLARE_TAGS) {
        props.tags = parse_tags(&s.value);
    }
    for (suffix, feature) in [
        (
            key::CLOUDFLARE_CUSTOM_HOSTNAME,
            "Cloudflare for SaaS custom hostnames",
        ),
        (key::CLOUDFLARE_REGION_KEY, "Cloudflare regional hostnames"),
    ] {
        if let Some(s) = settings.get(suffix) {
            problems.push(Problem::new(
                object,
                s.field.clone(),
                &s.value,
                Consequence::Ignored,
                "unsupported-annotation",
                format!("flaredns does not offer {feature}; the value is ignored"),
            ));
        }
    }
    props
}

fn hostname_source(
    object: &ObjectRef,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> HostnameSource {
    let Some(s) = settings.get(key::INGRESS_HOSTNAME_SOURCE) else {
        return HostnameSource::All;
    };
    match s.value.to_lowercase().as_str() {
        "defined-hosts-only" => HostnameSource::DefinedHostsOnly,
        "annotation-only" => HostnameSource::AnnotationOnly,
        _ => {
            problems.push(Problem::new(
                object,
                s.field.clone(),
                &s.value,
                Consequence::Skipped,
                "invalid-hostname-source",
                "must be defined-hosts-only or annotation-only; as in ExternalDNS the \
                 object's host names are not published",
            ));
            HostnameSource::Nothing
        }
    }
}

fn access(object: &ObjectRef, settings: &Settings, problems: &mut Vec<Problem>) -> Option<Access> {
    let s = settings.get(key::ACCESS)?;
    match s.value.as_str() {
        "public" => Some(Access::Public),
        "private" => Some(Access::Private),
        _ => {
            problems.push(Problem::new(
                object,
                s.field.clone(),
                &s.value,
                Consequence::Ignored,
                "invalid-access",
                "must be public or private; the default node addresses are used",
            ));
            None
        }
    }
}

fn endpoints_type(
    object: &ObjectRef,
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> Option<EndpointsType> {
    let s = settings.get(key::ENDPOINTS_TYPE)?;
    match s.value.as_str() {
        "NodeExternalIP" => Some(EndpointsType::NodeExternalIp),
        "HostIP" => Some(EndpointsType::HostIp),
        _ => {
            problems.push(Problem::new(
                object,
                s.field.clone(),
                &s.value,
                Consequence::Ignored,
                "invalid-endpoints-type",
                "must be NodeExternalIP or HostIP; pod addresses are used",
            ));
            None
        }
    }
}

/// The value of one external-dns annotation under the first prefix that has it
/// (no problems reported; for quick checks such as the `controller` filter).
pub fn lookup<'a>(
    annotations: Option<&'a BTreeMap<String, String>>,
    prefixes: &[String],
    suffix: &str,
) -> Option<&'a str> {
    let annotations = annotations?;
    prefixes
        .iter()
        .find_map(|p| annotations.get(&format!("{p}{suffix}")))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> ObjectRef {
        ObjectRef::new("Ingress", "default", "web")
    }

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn read(pairs: &[(&str, &str)]) -> (ObjectAnnotations, Vec<Problem>) {
        ObjectAnnotations::read(&object(), Some(&annotations(pairs)), &default_prefixes())
    }

    #[test]
    fn ttl_follows_externaldns() {
        let cases: [(&str, Option<u32>); 22] = [
            ("60", Some(60)),
            ("10m", Some(600)),
            ("1h1m1s", Some(3661)),
            ("20.5s", Some(20)),
            ("600", Some(600)),
            ("+60", Some(60)),
            ("01", Some(1)),
            ("1", Some(1)),
            ("999999", Some(999_999)),
            ("2147483647", Some(2_147_483_647)),
            ("2147483648", None),
            ("4294967296", None),
            ("0", None),
            ("0s", None),
            ("500ms", None),
            ("-1", None),
            ("1d", None),
            ("1.5", None),
            (" 60", None),
            ("", None),
            ("foo", None),
            ("-5m", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_ttl(value).ok(), expected, "{value:?}");
        }
        assert_eq!(parse_ttl("-1"), Err(TtlError::OutOfRange { seconds: -1 }));
        assert!(matches!(parse_ttl("abc"), Err(TtlError::Unparsable { .. })));
    }

    #[test]
    fn invalid_ttl_is_a_problem_naming_the_key() {
        let (parsed, problems) = read(&[("external-dns.alpha.kubernetes.io/ttl", "abc")]);
        assert_eq!(parsed.ttl, None);
        assert_eq!(problems.len(), 1);
        let p = &problems[0];
        assert_eq!(
            p.field,
            "metadata.annotations[\"external-dns.alpha.kubernetes.io/ttl\"]"
        );
        assert_eq!(p.value, "abc");
        assert_eq!(p.reason, "invalid-ttl");
        assert_eq!(p.consequence, Consequence::Ignored);
        assert_eq!(p.object, object());
    }

    #[test]
    fn both_prefixes_are_read_and_the_newer_wins() {
        let (parsed, problems) =
            read(&[("external-dns.alpha.kubernetes.io/hostname", "a.example.com")]);
        assert_eq!(parsed.hostnames.unwrap().items, vec!["a.example.com"]);
        assert!(problems.is_empty());

        let (parsed, problems) = read(&[("external-dns.kubernetes.io/hostname", "b.example.com")]);
        assert_eq!(parsed.hostnames.unwrap().items, vec!["b.example.com"]);
        assert!(problems.is_empty());

        let (parsed, problems) = read(&[
            ("external-dns.alpha.kubernetes.io/ttl", "60"),
            ("external-dns.kubernetes.io/ttl", "120"),
        ]);
        assert_eq!(parsed.ttl, Some(120));
        assert_eq!(problems.len(), 1);
        let p = &problems[0];
        assert_eq!(p.reason, "conflicting-annotation-prefixes");
        assert_eq!(p.consequence, Consequence::Ignored);
        assert_eq!(
            p.field,
            "metadata.annotations[\"external-dns.alpha.kubernetes.io/ttl\"]"
        );
        assert!(p.message.contains("external-dns.kubernetes.io/ttl"));
        assert!(p.message.contains("external-dns.alpha.kubernetes.io/ttl"));

        // The same value under both prefixes is no conflict.
        let (_, problems) = read(&[
            ("external-dns.alpha.kubernetes.io/ttl", "60"),
            ("external-dns.kubernetes.io/ttl", "60"),
        ]);
        assert!(problems.is_empty());
    }

    #[test]
    fn a_custom_prefix_reads_only_that_prefix() {
        let prefixes = vec!["dns.example.com/".to_string()];
        let map = annotations(&[
            ("external-dns.alpha.kubernetes.io/hostname", "a.example.com"),
            ("dns.example.com/hostname", "b.example.com"),
        ]);
        let (parsed, problems) = ObjectAnnotations::read(&object(), Some(&map), &prefixes);
        assert_eq!(parsed.hostnames.unwrap().items, vec!["b.example.com"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn hostnames_and_targets_split_like_externaldns() {
        assert_eq!(split_hostnames("example.com"), vec!["example.com"]);
        assert_eq!(
            split_hostnames(" example.com , example.org "),
            vec!["example.com", "example.org"]
        );
        assert_eq!(split_hostnames(""), vec![""]);
        assert_eq!(split_hostnames("a,,b"), vec!["a", "", "b"]);
        assert_eq!(
            split_targets("example.com.,example.org."),
            vec!["example.com", "example.org"]
        );
        assert_eq!(split_targets(""), Vec::<String>::new());
        let (parsed, _) = read(&[("external-dns.alpha.kubernetes.io/target", "")]);
        assert_eq!(parsed.targets, None);
    }

    #[test]
    fn cloudflare_annotations() {
        let (parsed, problems) = read(&[
            (
                "external-dns.alpha.kubernetes.io/cloudflare-proxied",
                "True",
            ),
            (
                "external-dns.alpha.kubernetes.io/cloudflare-record-comment",
                "managed",
            ),
            (
                "external-dns.alpha.kubernetes.io/cloudflare-tags",
                " b:2, a:1,,b:2 ",
            ),
        ]);
        assert!(problems.is_empty());
        assert_eq!(
            parsed.cloudflare,
            CloudflareProps {
                proxied: Some(true),
                comment: Some("managed".into()),
                tags: vec!["a:1".into(), "b:2".into()],
            }
        );
        for (value, expected) in [
            ("1", Some(true)),
            ("f", Some(false)),
            ("FALSE", Some(false)),
        ] {
            let (parsed, _) = read(&[("external-dns.kubernetes.io/cloudflare-proxied", value)]);
            assert_eq!(parsed.cloudflare.proxied, expected, "{value}");
        }
        let (parsed, problems) =
            read(&[("external-dns.kubernetes.io/cloudflare-proxied", "maybe")]);
        assert_eq!(parsed.cloudflare.proxied, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].reason, "invalid-proxied");
        assert_eq!(problems[0].consequence, Consequence::Ignored);

        let (parsed, problems) = read(&[
            (
                "external-dns.kubernetes.io/cloudflare-custom-hostname",
                "x.example.com",
            ),
            ("external-dns.kubernetes.io/cloudflare-region-key", "us"),
        ]);
        assert_eq!(parsed.cloudflare, CloudflareProps::default());
        assert_eq!(problems.len(), 2);
        assert!(problems.iter().all(|p| p.reason == "unsupported-annotation"
            && p.consequence == Consequence::Ignored
            && p.message.contains("does not offer")));
        assert!(problems[0].field.contains("cloudflare-custom-hostname"));
        assert!(problems[1].field.contains("cloudflare-region-key"));
    }

    #[test]
    fn other_annotations() {
        let (parsed, problems) = read(&[
            ("external-dns.alpha.kubernetes.io/alias", "true"),
            ("external-dns.alpha.kubernetes.io/set-identifier", "blue"),
            (
                "external-dns.alpha.kubernetes.io/ingress-hostname-source",
                "Annotation-Only",
            ),
            ("external-dns.alpha.kubernetes.io/access", "private"),
            ("external-dns.alpha.kubernetes.io/endpoints-type", "HostIP"),
            (
                "external-dns.alpha.kubernetes.io/controller",
                "dns-controller",
            ),
        ]);
        assert!(problems.is_empty());
        assert!(parsed.alias);
        assert_eq!(
            parsed.provider_specific(),
            vec![ProviderSpecific {
                name: "alias".into(),
                value: "true".into()
            }]
        );
        assert_eq!(parsed.set_identifier, "blue");
        assert_eq!(parsed.hostname_source, HostnameSource::AnnotationOnly);
        assert_eq!(parsed.access, Some(Access::Private));
        assert_eq!(parsed.endpoints_type, Some(EndpointsType::HostIp));
        assert_eq!(parsed.controller.as_deref(), Some("dns-controller"));

        let (parsed, problems) = read(&[
            ("external-dns.alpha.kubernetes.io/alias", "yes"),
            (
                "external-dns.alpha.kubernetes.io/ingress-hostname-source",
                "rules",
            ),
            ("external-dns.alpha.kubernetes.io/access", "Public"),
            ("external-dns.alpha.kubernetes.io/endpoints-type", "PodIP"),
        ]);
        assert!(!parsed.alias);
        assert!(parsed.provider_specific().is_empty());
        assert_eq!(parsed.hostname_source, HostnameSource::Nothing);
        assert_eq!(parsed.access, None);
        assert_eq!(parsed.endpoints_type, None);
        let reasons: Vec<_> = problems.iter().map(|p| p.reason).collect();
        assert_eq!(
            reasons,
            vec![
                "invalid-alias",
                "invalid-hostname-source",
                "invalid-access",
                "invalid-endpoints-type"
            ]
        );
        assert_eq!(problems[1].consequence, Consequence::Skipped);

        let (parsed, problems) = read(&[("external-dns.alpha.kubernetes.io/alias", "false")]);
        assert!(!parsed.alias);
        assert!(problems.is_empty());
    }

    #[test]
    fn lookup_uses_precedence() {
        let map = annotations(&[
            ("external-dns.alpha.kubernetes.io/controller", "a"),
            ("external-dns.kubernetes.io/controller", "b"),
        ]);
        assert_eq!(
            lookup(Some(&map), &default_prefixes(), "controller"),
            Some("b")
        );
        assert_eq!(lookup(None, &default_prefixes(), "controller"), None);
    }
}
