//! Cloudflare's rules for one record: how a request is normalised (full lower-case
//! name, canonical addresses, TTL 1 when proxied) and what is refused, with the
//! live API's error codes.
//!
//! Pure functions of the request, the zone's name and plan, and the zone's other
//! records; the write operations in `ops` call them.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::endpoint::{RecordType, normalize_name, validate_name};

use super::config::PlanTier;
use super::error::{FailedCall, cause};
use super::wire::{
    AUTO_TTL, RecordDataFields, RecordEdit, RecordInput, RecordMeta, RecordObject, ResponseMessage,
    SettingsObject,
};
use super::zone::ZoneState;

/// The longest TTL Cloudflare accepts.
const MAX_TTL: u32 = 86_400;

/// The writable fields of a record, after a request or a patch is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordFields {
    pub name: String,
    pub record_type: RecordType,
    pub content: String,
    pub ttl: u32,
    pub proxied: bool,
    pub comment: Option<String>,
    pub tags: Vec<String>,
    pub priority: Option<u16>,
    pub data: Option<RecordDataFields>,
    pub settings: SettingsObject,
    pub private_routing: Option<bool>,
}

impl<Id> From<RecordInput<Id>> for RecordFields {
    fn from(r: RecordInput<Id>) -> Self {
        RecordFields {
            name: r.name,
            record_type: r.record_type,
            content: r.content,
            ttl: r.ttl,
            proxied: r.proxied,
            comment: r.comment,
            tags: r.tags,
            priority: r.priority,
            data: r.data,
            settings: r.settings.unwrap_or_default(),
            private_routing: r.private_routing,
        }
    }
}

impl RecordFields {
    /// The fields of a stored record; `None` for a type flaredns does not know
    /// (which the sandbox never stores).
    pub fn of(record: &RecordObject) -> Option<Self> {
        Some(RecordFields {
            name: record.name.clone(),
            record_type: record.record_type.parse().ok()?,
            content: record.content.clone(),
            ttl: record.ttl,
            proxied: record.proxied,
            comment: record.comment.clone(),
            tags: record.tags.clone(),
            priority: record.priority,
            data: record.data.clone(),
            settings: record.settings,
            private_routing: record.private_routing,
        })
    }

    /// These fields with a patch applied: only the fields the patch sends change
    /// (`settings` and `data` as whole objects).
    pub fn patched<Id>(mut self, patch: RecordEdit<Id>) -> Self {
        if let Some(name) = patch.name {
            self.name = name;
        }
        if let Some(record_type) = patch.record_type {
            self.record_type = record_type;
        }
        if let Some(content) = patch.content {
            self.content = content;
        }
        if let Some(ttl) = patch.ttl {
            self.ttl = ttl;
        }
        if let Some(proxied) = patch.proxied {
            self.proxied = proxied;
        }
        if let Some(comment) = patch.comment {
            self.comment = Some(comment);
        }
        if let Some(tags) = patch.tags {
            self.tags = tags;
        }
        if let Some(priority) = patch.priority {
            self.priority = Some(priority);
        }
        if let Some(data) = patch.data {
            self.data = Some(data);
        }
        if let Some(settings) = patch.settings {
            self.settings = settings;
        }
        if let Some(private_routing) = patch.private_routing {
            self.private_routing = Some(private_routing);
        }
        self
    }
}

/// The full record name for a requested name: `@` is the apex, a name outside the
/// zone is relative to it, and the result is lower-case Punycode.
pub fn full_name(zone_name: &str, name: &str) -> String {
    let name = normalize_name(name);
    if name == "@" {
        return zone_name.to_string();
    }
    if name.is_empty() || name == zone_name || name.ends_with(&format!(".{zone_name}")) {
        return name;
    }
    format!("{name}.{zone_name}")
}

/// Normalises and checks a record for a zone. Every problem with the record
/// itself is reported, as causes of one 1004 error.
pub fn normalize(
    zone_name: &str,
    plan: PlanTier,
    fields: RecordFields,
) -> Result<RecordFields, FailedCall> {
    let mut causes = Vec::new();

    let name = full_name(zone_name, &fields.name);
    if validate_name(&name).is_err() {
        causes.push(cause::name_invalid());
    }

    let content = match normalize_content(fields.record_type, &fields.content) {
        Ok(content) => content,
        Err(cause) => {
            causes.push(cause);
            fields.content.clone()
        }
    };

    if fields.ttl != AUTO_TTL && !(plan.min_ttl()..=MAX_TTL).contains(&fields.ttl) {
        causes.push(cause::ttl_invalid());
    }
    if fields.record_type == RecordType::Mx && fields.priority.is_none() {
        causes.push(cause::priority_missing(fields.record_type));
    }
    if fields.proxied && !fields.record_type.is_proxiable() {
        causes.push(cause::not_proxiable());
    }

    let comment = fields.comment.filter(|c| !c.is_empty());
    if let Some(comment) = &comment {
        if comment.contains(['\n', '\r']) {
            causes.push(cause::comment_line_break());
        }
        if comment.chars().count() > plan.comment_limit() {
            causes.push(cause::comment_too_long(plan.comment_limit()));
        }
    }

    // Duplicate tags are dropped silently, as the live API does.
    let mut tags: Vec<String> = Vec::with_capacity(fields.tags.len());
    for tag in fields.tags {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > plan.tag_quota() {
        causes.push(cause::tag_quota(tags.len(), plan.tag_quota()));
    }

    if !causes.is_empty() {
        return Err(FailedCall::validation(causes));
    }
    Ok(RecordFields {
        name,
        record_type: fields.record_type,
        content,
        // A proxied record is served with an automatic TTL whatever was asked.
        ttl: if fields.proxied { AUTO_TTL } else { fields.ttl },
        proxied: fields.proxied,
        comment,
        tags,
        priority: fields
            .priority
            .filter(|_| uses_priority(fields.record_type)),
        data: fields.data,
        settings: fields.settings,
        private_routing: fields.private_routing,
    })
}

/// The content as Cloudflare stores it: canonical addresses, host names without
/// the trailing dot, anything else as sent.
fn normalize_content(record_type: RecordType, content: &str) -> Result<String, ResponseMessage> {
    match record_type {
        RecordType::A => Ipv4Addr::from_str(content)
            .map(|ip| ip.to_string())
            .map_err(|_| cause::content_invalid(record_type)),
        RecordType::Aaaa => Ipv6Addr::from_str(content)
            .map(|ip| ip.to_string())
            .map_err(|_| cause::content_invalid(record_type)),
        _ if content.trim().is_empty() => Err(cause::content_missing(record_type)),
        t if t.content_is_hostname() => Ok(normalize_name(content)),
        RecordType::Mx => Ok(content.strip_suffix('.').unwrap_or(content).to_string()),
        _ => Ok(content.to_string()),
    }
}

/// Whether `priority` means something for the type.
fn uses_priority(record_type: RecordType) -> bool {
    matches!(
        record_type,
        RecordType::Mx | RecordType::Srv | RecordType::Uri
    )
}

/// Refuses a record that cannot sit next to the zone's other records: a CNAME
/// must stand alone among A, AAAA and CNAME records, and no two records may have
/// the same name, type and content. `except` is the record being replaced.
pub fn check_conflicts(
    zone: &ZoneState,
    fields: &RecordFields,
    except: Option<&str>,
) -> Result<(), FailedCall> {
    let others = || {
        zone.named(&fields.name)
            .filter(move |r| Some(r.id.as_str()) != except)
    };
    let is_address_or_cname = |t: &str| matches!(t, "A" | "AAAA" | "CNAME");
    match fields.record_type {
        RecordType::Cname if others().any(|r| is_address_or_cname(&r.record_type)) => {
            return Err(FailedCall::cname_conflict());
        }
        RecordType::A | RecordType::Aaaa if others().any(|r| r.record_type == "CNAME") => {
            return Err(FailedCall::cname_exists());
        }
        _ => {}
    }
    let identical = others()
        .any(|r| r.record_type == fields.record_type.as_str() && r.content == fields.content);
    if identical {
        return Err(FailedCall::identical_record());
    }
    Ok(())
}

/// The stored record for checked fields. `previous` is the record they replace,
/// whose comment and tag stamps are kept while the comment and tags stay the same.
pub fn to_record(
    fields: RecordFields,
    id: String,
    created_on: String,
    modified_on: String,
    previous: Option<&RecordObject>,
) -> RecordObject {
    let comment_modified_on = fields.comment.as_ref().map(|comment| {
        previous
            .filter(|p| p.comment.as_ref() == Some(comment))
            .and_then(|p| p.comment_modified_on.clone())
            .unwrap_or_else(|| modified_on.clone())
    });
    let tags_modified_on = (!fields.tags.is_empty()).then(|| {
        previous
            .filter(|p| p.tags == fields.tags)
            .and_then(|p| p.tags_modified_on.clone())
            .unwrap_or_else(|| modified_on.clone())
    });
    RecordObject {
        id,
        name: fields.name,
        record_type: fields.record_type.as_str().to_string(),
        content: fields.content,
        proxiable: fields.record_type.is_proxiable(),
        proxied: fields.proxied,
        ttl: fields.ttl,
        priority: fields.priority,
        comment: fields.comment,
        tags: fields.tags,
        data: fields.data,
        settings: fields.settings,
        private_routing: fields.private_routing,
        meta: RecordMeta::default(),
        created_on,
        modified_on,
        comment_modified_on,
        tags_modified_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::error::code;
    use crate::sandbox::wire::NoId;

    fn fields(name: &str, record_type: RecordType, content: &str) -> RecordFields {
        RecordFields::from(RecordInput::new(name, record_type, content))
    }

    #[test]
    fn names_are_completed_and_lower_cased() {
        assert_eq!(full_name("example.com", "@"), "example.com");
        assert_eq!(full_name("example.com", "WWW"), "www.example.com");
        assert_eq!(
            full_name("example.com", "www.example.com."),
            "www.example.com"
        );
        assert_eq!(
            full_name("example.com", "www.other.org"),
            "www.other.org.example.com"
        );
        assert_eq!(full_name("example.com", "Example.COM"), "example.com");
    }

    #[test]
    fn contents_are_normalised_per_type() {
        let f = normalize(
            "example.com",
            PlanTier::Free,
            fields("a", RecordType::Aaaa, "2001:DB8:0::1"),
        )
        .unwrap();
        assert_eq!(f.content, "2001:db8::1");
        let f = normalize(
            "example.com",
            PlanTier::Free,
            fields("a", RecordType::Cname, "LB.Example.net."),
        )
        .unwrap();
        assert_eq!(f.content, "lb.example.net");
        let f = normalize(
            "example.com",
            PlanTier::Free,
            fields("a", RecordType::Txt, "\"Keep Case\""),
        )
        .unwrap();
        assert_eq!(f.content, "\"Keep Case\"");
    }

    #[test]
    fn bad_content_ttl_and_proxying_are_1004_with_causes() {
        let err = normalize(
            "example.com",
            PlanTier::Free,
            fields("a", RecordType::A, "2001:db8::1"),
        )
        .unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.errors[0].code, code::DNS_VALIDATION);
        assert!(err.has_code(code::CONTENT_INVALID));

        let mut f = fields("a", RecordType::Txt, "x");
        f.ttl = 30;
        f.proxied = true;
        let err = normalize("example.com", PlanTier::Pro, f.clone()).unwrap_err();
        assert!(err.has_code(code::TTL_INVALID));
        assert!(err.has_code(code::NOT_PROXIABLE));
        f.proxied = false;
        assert!(normalize("example.com", PlanTier::Enterprise, f).is_ok());
    }

    #[test]
    fn mx_records_need_a_priority_and_others_drop_it() {
        let mx = fields("@", RecordType::Mx, "mail.example.com.");
        let err = normalize("example.com", PlanTier::Free, mx.clone()).unwrap_err();
        assert_eq!(
            err.errors[0].error_chain[0].message,
            "Priority is required for MX records."
        );
        let mx = RecordFields {
            priority: Some(10),
            ..mx
        };
        let f = normalize("example.com", PlanTier::Free, mx).unwrap();
        assert_eq!(
            (f.content.as_str(), f.priority),
            ("mail.example.com", Some(10))
        );
        let a = RecordFields {
            priority: Some(10),
            ..fields("a", RecordType::A, "192.0.2.1")
        };
        assert_eq!(
            normalize("example.com", PlanTier::Free, a)
                .unwrap()
                .priority,
            None
        );
    }

    #[test]
    fn proxied_records_store_an_automatic_ttl() {
        let mut f = fields("a", RecordType::A, "192.0.2.1");
        f.ttl = 3600;
        f.proxied = true;
        let f = normalize("example.com", PlanTier::Free, f).unwrap();
        assert_eq!(f.ttl, 1);
    }

    #[test]
    fn comments_and_tags_follow_the_plan() {
        let mut f = fields("a", RecordType::A, "192.0.2.1");
        f.comment = Some("x".repeat(101));
        let err = normalize("example.com", PlanTier::Free, f.clone()).unwrap_err();
        assert!(err.has_code(code::COMMENT_TOO_LONG));
        assert!(normalize("example.com", PlanTier::Pro, f.clone()).is_ok());
        f.comment = None;
        f.tags = vec!["team:dns".into(), "team:dns".into()];
        let err = normalize("example.com", PlanTier::Free, f.clone()).unwrap_err();
        assert!(err.has_code(code::TAG_QUOTA));
        assert_eq!(
            err.errors[0].error_chain[0].message,
            "DNS record has 1 tags, exceeding the quota of 0."
        );
        assert_eq!(
            normalize("example.com", PlanTier::Pro, f).unwrap().tags,
            vec!["team:dns"]
        );
    }

    #[test]
    fn patches_change_only_what_they_send() {
        let base = fields("a.example.com", RecordType::A, "192.0.2.1");
        let patched = base.clone().patched(RecordEdit::<NoId> {
            ttl: Some(300),
            ..RecordEdit::default()
        });
        assert_eq!(patched, RecordFields { ttl: 300, ..base });
    }

    #[test]
    fn cnames_stand_alone_and_duplicates_are_refused() {
        let mut zone = ZoneState::new("z".into(), "example.com".into(), PlanTier::Free, "t".into());
        let a = normalize(
            "example.com",
            PlanTier::Free,
            fields("www", RecordType::A, "192.0.2.1"),
        )
        .unwrap();
        zone.insert(to_record(
            a.clone(),
            "1".into(),
            "t".into(),
            "t".into(),
            None,
        ));
        let cname = normalize(
            "example.com",
            PlanTier::Free,
            fields("www", RecordType::Cname, "lb.example.net"),
        )
        .unwrap();
        assert!(
            check_conflicts(&zone, &cname, None)
                .unwrap_err()
                .has_code(code::CNAME_CONFLICT)
        );
        // Replacing the A record itself by a CNAME is allowed.
        assert!(check_conflicts(&zone, &cname, Some("1")).is_ok());
        assert!(
            check_conflicts(&zone, &a, None)
                .unwrap_err()
                .has_code(code::IDENTICAL_RECORD)
        );
        let other = normalize(
            "example.com",
            PlanTier::Free,
            fields("www", RecordType::A, "192.0.2.2"),
        )
        .unwrap();
        assert!(check_conflicts(&zone, &other, None).is_ok());

        let mut zone = ZoneState::new("z".into(), "example.com".into(), PlanTier::Free, "t".into());
        zone.insert(to_record(cname, "2".into(), "t".into(), "t".into(), None));
        assert!(
            check_conflicts(&zone, &other, None)
                .unwrap_err()
                .has_code(code::CNAME_EXISTS)
        );
        let txt = normalize(
            "example.com",
            PlanTier::Free,
            fields("www", RecordType::Txt, "\"v\""),
        )
        .unwrap();
        assert!(check_conflicts(&zone, &txt, None).is_ok());
    }
}
