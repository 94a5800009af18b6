//! The shared vocabulary: what a DNS name should point at ([`Endpoint`]) and what a
//! DNS provider holds ([`ZoneRecord`]).
//!
//! Sources turn Kubernetes objects into endpoints, the TXT registry attaches
//! ownership to zone records, and the planner compares the two. Every type here is
//! plain data with ExternalDNS's normalisation built in, so that two values that
//! mean the same record compare equal.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::record::RecordData;

/// A DNS record type, as Cloudflare and ExternalDNS spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RecordType {
    A,
    Aaaa,
    Caa,
    Cert,
    Cname,
    Dname,
    Dnskey,
    Ds,
    Https,
    Loc,
    Mx,
    Naptr,
    Ns,
    Openpgpkey,
    Ptr,
    Smimea,
    Spf,
    Srv,
    Sshfp,
    Svcb,
    Tlsa,
    Txt,
    Uri,
}

impl RecordType {
    /// Every type, in the order ExternalDNS's TXT name parser tries them.
    pub const ALL: [RecordType; 23] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Ns,
        RecordType::Mx,
        RecordType::Srv,
        RecordType::Ptr,
        RecordType::Naptr,
        RecordType::Txt,
        RecordType::Dname,
        RecordType::Caa,
        RecordType::Cert,
        RecordType::Dnskey,
        RecordType::Ds,
        RecordType::Https,
        RecordType::Loc,
        RecordType::Openpgpkey,
        RecordType::Smimea,
        RecordType::Spf,
        RecordType::Sshfp,
        RecordType::Svcb,
        RecordType::Tlsa,
        RecordType::Uri,
    ];

    /// The upper-case name used by Cloudflare and in `DNSEndpoint` objects.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Caa => "CAA",
            RecordType::Cert => "CERT",
            RecordType::Cname => "CNAME",
            RecordType::Dname => "DNAME",
            RecordType::Dnskey => "DNSKEY",
            RecordType::Ds => "DS",
            RecordType::Https => "HTTPS",
            RecordType::Loc => "LOC",
            RecordType::Mx => "MX",
            RecordType::Naptr => "NAPTR",
            RecordType::Ns => "NS",
            RecordType::Openpgpkey => "OPENPGPKEY",
            RecordType::Ptr => "PTR",
            RecordType::Smimea => "SMIMEA",
            RecordType::Spf => "SPF",
            RecordType::Srv => "SRV",
            RecordType::Sshfp => "SSHFP",
            RecordType::Svcb => "SVCB",
            RecordType::Tlsa => "TLSA",
            RecordType::Txt => "TXT",
            RecordType::Uri => "URI",
        }
    }

    /// Whether Cloudflare can proxy records of this type ("orange cloud").
    pub fn is_proxiable(self) -> bool {
        matches!(self, RecordType::A | RecordType::Aaaa | RecordType::Cname)
    }

    /// Whether Cloudflare describes records of this type with a structured
    /// `data` object (its `content` is then derived from it).
    pub fn uses_structured_data(self) -> bool {
        matches!(
            self,
            RecordType::Caa
                | RecordType::Cert
                | RecordType::Dnskey
                | RecordType::Ds
                | RecordType::Https
                | RecordType::Loc
                | RecordType::Naptr
                | RecordType::Smimea
                | RecordType::Srv
                | RecordType::Sshfp
                | RecordType::Svcb
                | RecordType::Tlsa
                | RecordType::Uri
        )
    }

    /// Whether the record's content is a bare host name (compared without case and
    /// without a trailing dot). MX and SRV targets carry numbers too and are opaque.
    pub fn content_is_hostname(self) -> bool {
        matches!(
            self,
            RecordType::Cname | RecordType::Dname | RecordType::Ns | RecordType::Ptr
        )
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record type name that flaredns does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type {0:?}")]
pub struct UnknownRecordType(pub String);

impl FromStr for RecordType {
    type Err = UnknownRecordType;

    /// Parses a type name without regard to case (`a`, `Cname`, `AAAA`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownRecordType(s.to_string()))
    }
}

impl TryFrom<String> for RecordType {
    type Error = UnknownRecordType;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RecordType> for String {
    fn from(t: RecordType) -> String {
        t.as_str().to_string()
    }
}

/// Normalises a DNS name as ExternalDNS compares names: surrounding whitespace and
/// one trailing dot dropped, lower-cased, internationalised names in Punycode (the
/// form Cloudflare returns).
pub fn normalize_name(name: &str) -> String {
    let trimmed = name.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if trimmed.is_ascii() {
        return trimmed.to_ascii_lowercase();
    }
    match idna::domain_to_ascii(trimmed) {
        Ok(ascii) => ascii,
        // Not a valid IDN: keep it lower-cased so that validation reports it.
        Err(_) => trimmed.to_lowercase(),
    }
}

/// Whether [`normalize_name`] would return `name` unchanged.
fn is_normal_name(name: &str) -> bool {
    name.is_ascii()
        && !name.ends_with('.')
        && name.trim() == name
        && !name.bytes().any(|b| b.is_ascii_uppercase())
}

/// [`normalize_name`] for a name the caller owns: a name already in normal form
/// (the usual case for names Cloudflare lists) is kept, not copied.
pub fn normalize_owned_name(name: String) -> String {
    if is_normal_name(&name) {
        name
    } else {
        normalize_name(&name)
    }
}

/// [`normalize_name`], borrowing a name already in normal form.
pub fn normalized_name(name: &str) -> std::borrow::Cow<'_, str> {
    if is_normal_name(name) {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(normalize_name(name))
    }
}

/// Why a DNS name cannot be published.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("the name is empty")]
    Empty,
    #[error("the name is {0} characters long; DNS allows at most 253")]
    TooLong(usize),
    #[error("the label {0:?} is longer than 63 characters")]
    LabelTooLong(String),
    #[error("the name has an empty label")]
    EmptyLabel,
    #[error("the name contains {0:?}, which is not allowed in a DNS name")]
    BadCharacter(char),
    #[error("a wildcard '*' must be the whole left-most label")]
    MisplacedWildcard,
}

/// Checks that a normalised name can be a Cloudflare record name.
///
/// Letters, digits, `-` and `_` are allowed in labels (underscores are common in
/// service names such as `_acme-challenge`); `*` only as the whole first label.
pub fn validate_name(name: &str) -> Result<(), InvalidName> {
    if name.is_empty() {
        return Err(InvalidName::Empty);
    }
    if name.len() > 253 {
        return Err(InvalidName::TooLong(name.len()));
    }
    for (i, label) in name.split('.').enumerate() {
        if label.is_empty() {
            return Err(InvalidName::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(InvalidName::LabelTooLong(label.to_string()));
        }
        if label == "*" {
            if i != 0 {
                return Err(InvalidName::MisplacedWildcard);
            }
            continue;
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(if c == '*' {
                InvalidName::MisplacedWildcard
            } else {
                InvalidName::BadCharacter(c)
            });
        }
    }
    Ok(())
}

/// Why a target cannot be published under a record type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTarget {
    #[error("the target is empty")]
    Empty,
    #[error("{0:?} is not an IPv4 address, as an A record needs")]
    NotIpv4(String),
    #[error("{0:?} is not an IPv6 address, as an AAAA record needs")]
    NotIpv6(String),
    #[error("{target:?} is not a host name, as a {record_type} record needs: {reason}")]
    NotHostname {
        target: String,
        record_type: RecordType,
        reason: InvalidName,
    },
}

/// Normalises one target for a record type so that equal contents compare equal:
/// IP addresses in canonical form, host names lower-cased without a trailing dot,
/// everything else (TXT text, MX or SRV data) as given.
pub fn normalize_target(record_type: RecordType, target: &str) -> Result<String, InvalidTarget> {
    match record_type {
        RecordType::A => {
            let t = target.trim();
            if t.is_empty() {
                return Err(InvalidTarget::Empty);
            }
            Ipv4Addr::from_str(t)
                .map(|ip| ip.to_string())
                .map_err(|_| InvalidTarget::NotIpv4(target.to_string()))
        }
        RecordType::Aaaa => {
            let t = target.trim();
            if t.is_empty() {
                return Err(InvalidTarget::Empty);
            }
            Ipv6Addr::from_str(t)
                .map(|ip| ip.to_string())
                .map_err(|_| InvalidTarget::NotIpv6(target.to_string()))
        }
        t if t.content_is_hostname() => {
            let name = normalize_name(target);
            validate_name(&name).map_err(|reason| InvalidTarget::NotHostname {
                target: target.to_string(),
                record_type: t,
                reason,
            })?;
            Ok(name)
        }
        _ => {
            if target.is_empty() {
                return Err(InvalidTarget::Empty);
            }
            Ok(target.to_string())
        }
    }
}

/// The record type a target implies, as ExternalDNS derives it: IPv4 → A,
/// IPv6 → AAAA, anything else → CNAME (an IPv4-mapped IPv6 address is AAAA, as
/// in ExternalDNS v0.22).
pub fn record_type_for_target(target: &str) -> RecordType {
    match IpAddr::from_str(target.trim()) {
        Ok(IpAddr::V4(_)) => RecordType::A,
        Ok(IpAddr::V6(_)) => RecordType::Aaaa,
        Err(_) => RecordType::Cname,
    }
}

/// Cloudflare properties of an endpoint, from annotations, `providerSpecific`
/// entries or the provider's flags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudflareProps {
    /// Whether the record is proxied; `None` leaves it to `--cloudflare-proxied`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    /// The record comment; `None` leaves it to `--cloudflare-record-comment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Tags (`name:value`), sorted, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// One `providerSpecific` entry that is not a Cloudflare property flaredns
/// understands (kept so that `plan` can show it, and ignored when planning).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProviderSpecific {
    pub name: String,
    pub value: String,
}

/// An endpoint's labels, sorted by key. A sorted vector rather than a
/// `BTreeMap`: endpoints carry one or two labels, and a B-tree node costs 544
/// bytes for them, in every copy of every endpoint.
pub type Labels = litemap::LiteMap<String, String>;

/// Label keys ExternalDNS writes into TXT ownership records.
pub mod label {
    /// The owner id (`--txt-owner-id`) of the controller that manages the record.
    pub const OWNER: &str = "owner";
    /// The object that asked for the record: `ingress/<ns>/<name>`, `service/…`, `crd/…`.
    pub const RESOURCE: &str = "resource";
    /// The AES-GCM nonce of an encrypted TXT value; kept in memory, never serialised.
    pub const ENCRYPTION_NONCE: &str = "txt-encryption-nonce";
}

/// What one DNS name should point at: the unit sources produce and the planner
/// compares. The key is (`dns_name`, `record_type`, `set_identifier`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Normalised name (see [`normalize_name`]).
    pub dns_name: String,
    pub record_type: RecordType,
    /// ExternalDNS's set identifier (weighted or geo routing); empty for Cloudflare.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_identifier: String,
    /// Normalised targets, sorted, without duplicates.
    pub targets: Vec<String>,
    /// TTL in seconds; `None` means "not configured" (ExternalDNS's 0), which
    /// Cloudflare stores as 1, "automatic".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Labels such as `resource`, written into the TXT ownership record.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "is_default")]
    pub cloudflare: CloudflareProps,
    /// Provider-specific entries for other providers (for example `alias`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_specific: Vec<ProviderSpecific>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl Endpoint {
    /// Builds an endpoint, normalising the name and the targets. Targets that are
    /// invalid for the type are an error naming the first bad one.
    pub fn new(
        dns_name: &str,
        record_type: RecordType,
        targets: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, InvalidTarget> {
        let mut normalized = Vec::new();
        for target in targets {
            normalized.push(normalize_target(record_type, target.as_ref())?);
        }
        Ok(Endpoint {
            dns_name: normalize_name(dns_name),
            record_type,
            set_identifier: String::new(),
            targets: sort_targets(normalized),
            ttl: None,
            labels: Labels::new(),
            cloudflare: CloudflareProps::default(),
            provider_specific: Vec::new(),
        })
    }

    /// The `resource` label: the object that asked for this endpoint.
    pub fn resource(&self) -> Option<&str> {
        self.labels.get(label::RESOURCE).map(String::as_str)
    }

    /// Sets a TTL; a zero TTL means "not configured", as in ExternalDNS.
    pub fn with_ttl(mut self, ttl: Option<u32>) -> Self {
        self.ttl = ttl.filter(|t| *t > 0);
        self
    }

    /// Sets a label.
    pub fn with_label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    /// The key that identifies the endpoint: name, type and set identifier.
    pub fn key(&self) -> EndpointKey {
        EndpointKey {
            dns_name: self.dns_name.clone(),
            record_type: self.record_type,
            set_identifier: self.set_identifier.clone(),
        }
    }
}

/// Sorts targets and drops duplicates (Cloudflare cannot hold two identical records).
pub fn sort_targets(mut targets: Vec<String>) -> Vec<String> {
    targets.sort();
    targets.dedup();
    targets
}

/// The identity of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EndpointKey {
    pub dns_name: String,
    pub record_type: RecordType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub set_identifier: String,
}

impl fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.dns_name, self.record_type)?;
        if !self.set_identifier.is_empty() {
            write!(f, " (set {})", self.set_identifier)?;
        }
        Ok(())
    }
}

/// One record as the DNS provider holds it: one content per record, with the
/// provider's id, so that updates and deletes address exactly this record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZoneRecord {
    /// The provider's record id (32 hex characters at Cloudflare).
    pub id: Box<str>,
    /// The id of the zone holding the record, shared by the zone's records.
    pub zone_id: Arc<str>,
    /// Normalised name.
    pub name: String,
    pub record_type: RecordType,
    /// Content, TTL, proxied and the rest, as the provider returned them.
    #[serde(flatten)]
    pub data: RecordData,
}

impl ZoneRecord {
    /// A record with Cloudflare's defaults for the rest: automatic TTL (1), not
    /// proxied, no comment, tags, priority or settings.
    pub fn new(
        id: impl Into<String>,
        zone_id: impl Into<Arc<str>>,
        name: impl Into<String>,
        record_type: RecordType,
        content: impl Into<String>,
    ) -> Self {
        ZoneRecord {
            id: id.into().into_boxed_str(),
            zone_id: zone_id.into(),
            name: name.into(),
            record_type,
            data: RecordData::new(content.into()),
        }
    }

    /// The content as text (see [`crate::record::RecordContent::text`]).
    pub fn content(&self) -> &str {
        self.data.content.text()
    }

    /// The content normalised for comparison with an endpoint target; content that
    /// does not parse for its type is kept as it is (it is compared literally).
    ///
    /// MX content is written as ExternalDNS writes MX targets, `"<priority> <host>"`,
    /// because Cloudflare keeps the priority in a field of its own.
    pub fn normalized_content(&self) -> String {
        let content = self.content();
        if self.record_type == RecordType::Mx {
            let host = normalize_name(content);
            return match self.data.priority {
                Some(priority) => format!("{priority} {host}"),
                None => host,
            };
        }
        normalize_target(self.record_type, content).unwrap_or_else(|_| content.to_string())
    }
}

/// A DNS zone flaredns writes into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    /// The apex, normalised (`example.com`).
    pub name: String,
    /// Whether the zone is on a paid Cloudflare plan: longer comments, tags, and
    /// batches of 3,500 instead of 200.
    #[serde(default)]
    pub paid_plan: bool,
}

impl Zone {
    /// Whether `name` lies in this zone (the apex or below it).
    pub fn contains(&self, name: &str) -> bool {
        name == self.name
            || (name.len() > self.name.len()
                && name.ends_with(self.name.as_str())
                && name.as_bytes()[name.len() - self.name.len() - 1] == b'.')
    }
}

/// The zone that holds `name`: the longest apex that contains it.
pub fn zone_for<'a>(zones: &'a [Zone], name: &str) -> Option<&'a Zone> {
    zones
        .iter()
        .filter(|z| z.contains(name))
        .max_by_key(|z| z.name.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_types_parse_without_case_and_print_upper_case() {
        assert_eq!("cname".parse::<RecordType>().unwrap(), RecordType::Cname);
        assert_eq!("AAAA".parse::<RecordType>().unwrap(), RecordType::Aaaa);
        assert_eq!(RecordType::Aaaa.to_string(), "AAAA");
        assert!("BOGUS".parse::<RecordType>().is_err());
        for t in RecordType::ALL {
            assert_eq!(t.as_str().parse::<RecordType>().unwrap(), t);
        }
    }

    proptest::proptest! {
        /// Keeping an owned name must never change what normalising gives.
        #[test]
        fn owned_names_normalise_as_borrowed_ones(name in "[ a-zA-Z0-9._\\-\u{e0}-\u{ff}]{0,30}") {
            proptest::prop_assert_eq!(normalized_name(&name), normalize_name(&name));
            proptest::prop_assert_eq!(normalize_owned_name(name.clone()), normalize_name(&name));
        }
    }

    #[test]
    fn names_drop_one_trailing_dot_and_case() {
        assert_eq!(normalize_name("Nginx.Example.COM."), "nginx.example.com");
        assert_eq!(normalize_name(" a.b "), "a.b");
        assert_eq!(normalize_name("bücher.example"), "xn--bcher-kva.example");
    }

    #[test]
    fn name_validation_names_the_problem() {
        assert_eq!(validate_name("a.example.com"), Ok(()));
        assert_eq!(validate_name("*.example.com"), Ok(()));
        assert_eq!(validate_name("_acme-challenge.example.com"), Ok(()));
        assert_eq!(validate_name(""), Err(InvalidName::Empty));
        assert_eq!(
            validate_name("a.*.example.com"),
            Err(InvalidName::MisplacedWildcard)
        );
        assert_eq!(
            validate_name("has space.example.com"),
            Err(InvalidName::BadCharacter(' '))
        );
        assert_eq!(validate_name("a..b"), Err(InvalidName::EmptyLabel));
        let long = "x".repeat(64);
        assert!(matches!(
            validate_name(&format!("{long}.com")),
            Err(InvalidName::LabelTooLong(_))
        ));
        let name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        assert_eq!(validate_name(&name), Err(InvalidName::TooLong(255)));
    }

    #[test]
    fn targets_are_normalised_per_type() {
        assert_eq!(
            normalize_target(RecordType::A, "192.0.2.1").unwrap(),
            "192.0.2.1"
        );
        assert!(matches!(
            normalize_target(RecordType::A, "2001:db8::1"),
            Err(InvalidTarget::NotIpv4(_))
        ));
        assert_eq!(
            normalize_target(RecordType::Aaaa, "2001:DB8:0:0::1").unwrap(),
            "2001:db8::1"
        );
        assert_eq!(
            normalize_target(RecordType::Cname, "LB.Example.com.").unwrap(),
            "lb.example.com"
        );
        assert_eq!(
            normalize_target(RecordType::Txt, "\"Keep Case.\"").unwrap(),
            "\"Keep Case.\""
        );
    }

    #[test]
    fn target_type_follows_externaldns() {
        assert_eq!(record_type_for_target("8.8.8.8"), RecordType::A);
        assert_eq!(record_type_for_target("2001:db8::1"), RecordType::Aaaa);
        assert_eq!(record_type_for_target("::ffff:1.2.3.4"), RecordType::Aaaa);
        assert_eq!(record_type_for_target("lb.example.com"), RecordType::Cname);
    }

    #[test]
    fn names_find_their_longest_zone() {
        let zone = |id: &str, name: &str| Zone {
            id: id.into(),
            name: name.into(),
            paid_plan: false,
        };
        let zones = [zone("1", "example.com"), zone("2", "sub.example.com")];
        assert_eq!(zone_for(&zones, "a.sub.example.com").unwrap().id, "2");
        assert_eq!(zone_for(&zones, "example.com").unwrap().id, "1");
        assert!(zone_for(&zones, "badexample.com").is_none());
        assert!(zone_for(&zones, "a-example.com").is_none());
    }

    #[test]
    fn endpoints_sort_and_dedup_targets() {
        let ep = Endpoint::new(
            "Foo.Example.com.",
            RecordType::A,
            ["8.8.8.8", "1.1.1.1", "8.8.8.8"],
        )
        .unwrap();
        assert_eq!(ep.dns_name, "foo.example.com");
        assert_eq!(ep.targets, vec!["1.1.1.1", "8.8.8.8"]);
        assert_eq!(ep.clone().with_ttl(Some(0)).ttl, None);
    }
}
