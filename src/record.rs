//! What one DNS record holds besides its identity: [`RecordData`], shared by the
//! records a zone holds ([`crate::endpoint::ZoneRecord`]) and the records the
//! planner writes ([`crate::plan::RecordSpec`]).
//!
//! [`RecordData::differences`] is the one place that compares two records field
//! by field. The planner's in-sync verdict, the PATCH body the Cloudflare client
//! sends and the difference shown to people all come from its
//! [`Differences`], and it destructures both records without `..`, so a field
//! added to [`RecordData`] does not compile until it is compared.
//!
//! The layout is compact on purpose: a large zone holds tens of thousands of
//! records, and comments, tags, per-record settings and structured contents are
//! rare, so they live in one box that most records never allocate.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The TTL Cloudflare uses for "automatic".
pub const AUTO_TTL: u32 = 1;

/// A record's content: text for the types flaredns writes, or Cloudflare's
/// structured `data` for the types that use it (SRV, CAA, LOC, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordContent {
    /// The content exactly as written or returned; TXT content includes the
    /// surrounding double quotes that ExternalDNS writes.
    Text(Box<str>),
    /// Structured content, with the text Cloudflare derives from it.
    Structured(Box<StructuredContent>),
}

/// Cloudflare's `data` object and the `content` text it derives from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructuredContent {
    pub text: Box<str>,
    pub data: Value,
}

impl RecordContent {
    /// The content as text (for structured content, Cloudflare's rendering).
    pub fn text(&self) -> &str {
        match self {
            RecordContent::Text(text) => text,
            RecordContent::Structured(structured) => &structured.text,
        }
    }

    /// The structured `data`, for the types that use it.
    pub fn structured_data(&self) -> Option<&Value> {
        match self {
            RecordContent::Text(_) => None,
            RecordContent::Structured(structured) => Some(&structured.data),
        }
    }

    /// Whether two contents say the same: structured contents by their data,
    /// text by its characters.
    fn same_as(&self, other: &RecordContent) -> bool {
        match (self, other) {
            (RecordContent::Text(a), RecordContent::Text(b)) => a == b,
            (RecordContent::Structured(a), RecordContent::Structured(b)) => a.data == b.data,
            _ => false,
        }
    }
}

impl From<&str> for RecordContent {
    fn from(text: &str) -> Self {
        RecordContent::Text(text.into())
    }
}

impl From<String> for RecordContent {
    fn from(text: String) -> Self {
        RecordContent::Text(text.into_boxed_str())
    }
}

impl fmt::Display for RecordContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for RecordContent {
    /// The text: programs reading a plan see the content Cloudflare shows.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text())
    }
}

/// Cloudflare's per-record `settings`. Each is off unless set, and off and
/// absent mean the same, so a record without settings and one with every
/// setting off compare equal and a second pass writes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PerRecordSettings {
    /// A proxied record answers with IPv4 addresses only.
    #[serde(skip_serializing_if = "is_false")]
    pub ipv4_only: bool,
    /// A proxied record answers with IPv6 addresses only.
    #[serde(skip_serializing_if = "is_false")]
    pub ipv6_only: bool,
    /// A CNAME is flattened (answered with the target's addresses).
    #[serde(skip_serializing_if = "is_false")]
    pub flatten_cname: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl PerRecordSettings {
    /// Whether every setting is off.
    pub fn is_default(&self) -> bool {
        *self == PerRecordSettings::default()
    }
}

/// The fields most records leave empty, kept in one box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RareFields {
    /// Never empty: an empty comment is no comment.
    comment: Option<String>,
    tags: Vec<String>,
    settings: PerRecordSettings,
}

/// What a record without the box holds.
static NO_RARE_FIELDS: RareFields = RareFields {
    comment: None,
    tags: Vec::new(),
    settings: PerRecordSettings {
        ipv4_only: false,
        ipv6_only: false,
        flatten_cname: false,
    },
};

impl RareFields {
    fn is_empty(&self) -> bool {
        let RareFields {
            comment,
            tags,
            settings,
        } = self;
        comment.is_none() && tags.is_empty() && settings.is_default()
    }
}

/// Everything a record holds besides its id, zone, name and type.
///
/// The comment, tags and settings are read and set through methods: they share
/// one box, allocated only when one of them is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordData {
    pub content: RecordContent,
    /// TTL in seconds, [`AUTO_TTL`] meaning "automatic".
    pub ttl: u32,
    pub proxied: bool,
    /// MX, SRV and URI priority.
    pub priority: Option<u16>,
    rare: Option<Box<RareFields>>,
}

impl RecordData {
    /// A record with Cloudflare's defaults for the rest: automatic TTL, not
    /// proxied, no comment, tags, priority or settings.
    pub fn new(content: impl Into<RecordContent>) -> Self {
        RecordData {
            content: content.into(),
            ttl: AUTO_TTL,
            proxied: false,
            priority: None,
            rare: None,
        }
    }

    /// The comment; never empty.
    pub fn comment(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.comment.as_deref())
    }

    /// The tags (`name:value`), in the order they were given.
    pub fn tags(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.tags)
    }

    /// The per-record settings.
    pub fn settings(&self) -> PerRecordSettings {
        self.rare.as_ref().map(|r| r.settings).unwrap_or_default()
    }

    /// Sets the comment; an empty comment is no comment.
    pub fn set_comment(&mut self, comment: Option<String>) {
        let comment = comment.filter(|c| !c.is_empty());
        self.update_rare(|rare| rare.comment = comment);
    }

    /// Sets the tags.
    pub fn set_tags(&mut self, tags: Vec<String>) {
        self.update_rare(|rare| rare.tags = tags);
    }

    /// Sets the per-record settings.
    pub fn set_settings(&mut self, settings: PerRecordSettings) {
        self.update_rare(|rare| rare.settings = settings);
    }

    /// With a TTL ([`AUTO_TTL`] for automatic).
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// Proxied or not.
    pub fn with_proxied(mut self, proxied: bool) -> Self {
        self.proxied = proxied;
        self
    }

    /// With a priority (MX, SRV, URI).
    pub fn with_priority(mut self, priority: Option<u16>) -> Self {
        self.priority = priority;
        self
    }

    /// [`Self::set_comment`], by value.
    pub fn with_comment(mut self, comment: Option<String>) -> Self {
        self.set_comment(comment);
        self
    }

    /// [`Self::set_tags`], by value.
    pub fn with_tags(mut self, tags: Vec<String>) -> Self {
        self.set_tags(tags);
        self
    }

    /// [`Self::set_settings`], by value.
    pub fn with_settings(mut self, settings: PerRecordSettings) -> Self {
        self.set_settings(settings);
        self
    }

    /// Changes the rare fields, keeping the box only while one of them is set.
    fn update_rare(&mut self, change: impl FnOnce(&mut RareFields)) {
        let mut rare = self.rare.take().unwrap_or_default();
        change(&mut rare);
        self.rare = (!rare.is_empty()).then_some(rare);
    }

    /// What `wanted` changes in this record. Tags compare as sets, an empty
    /// comment is no comment, and a priority `wanted` leaves unset is no change
    /// (Cloudflare cannot remove one).
    pub fn differences<'a>(&'a self, wanted: &'a RecordData) -> Differences<'a> {
        // No `..`: a new field must be compared here before anything compiles.
        let RecordData {
            content,
            ttl,
            proxied,
            priority,
            rare: _,
        } = self;
        let RecordData {
            content: wanted_content,
            ttl: wanted_ttl,
            proxied: wanted_proxied,
            priority: wanted_priority,
            rare: _,
        } = wanted;
        let RareFields {
            comment,
            tags,
            settings,
        } = self.rare.as_deref().unwrap_or(&NO_RARE_FIELDS);
        let RareFields {
            comment: wanted_comment,
            tags: wanted_tags,
            settings: wanted_settings,
        } = wanted.rare.as_deref().unwrap_or(&NO_RARE_FIELDS);
        Differences {
            content: (!content.same_as(wanted_content))
                .then(|| FieldChange::new(content, wanted_content)),
            ttl: FieldChange::of(*ttl, *wanted_ttl),
            proxied: FieldChange::of(*proxied, *wanted_proxied),
            comment: FieldChange::of(comment.as_deref(), wanted_comment.as_deref()),
            tags: (!same_tags(tags, wanted_tags))
                .then(|| FieldChange::new(tags.as_slice(), wanted_tags.as_slice())),
            priority: wanted_priority.and_then(|wanted| {
                (*priority != Some(wanted)).then_some(FieldChange::new(*priority, Some(wanted)))
            }),
            settings: FieldChange::of(*settings, *wanted_settings),
        }
    }
}

/// Whether two tag lists hold the same tags, in any order.
fn same_tags(a: &[String], b: &[String]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut a: Vec<&String> = a.iter().collect();
    let mut b: Vec<&String> = b.iter().collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

impl Serialize for RecordData {
    /// The fields as Cloudflare names them; empty ones left out.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("RecordData", 8)?;
        s.serialize_field("content", &self.content)?;
        s.serialize_field("ttl", &self.ttl)?;
        s.serialize_field("proxied", &self.proxied)?;
        match self.comment() {
            Some(comment) => s.serialize_field("comment", comment)?,
            None => s.skip_field("comment")?,
        }
        if self.tags().is_empty() {
            s.skip_field("tags")?;
        } else {
            s.serialize_field("tags", self.tags())?;
        }
        match self.priority {
            Some(priority) => s.serialize_field("priority", &priority)?,
            None => s.skip_field("priority")?,
        }
        if self.settings().is_default() {
            s.skip_field("settings")?;
        } else {
            s.serialize_field("settings", &self.settings())?;
        }
        match self.content.structured_data() {
            Some(data) => s.serialize_field("data", data)?,
            None => s.skip_field("data")?,
        }
        s.end()
    }
}

/// One field's value before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldChange<T> {
    pub before: T,
    pub after: T,
}

impl<T: PartialEq> FieldChange<T> {
    fn new(before: T, after: T) -> Self {
        FieldChange { before, after }
    }

    /// A change when the values differ.
    fn of(before: T, after: T) -> Option<Self> {
        (before != after).then_some(FieldChange { before, after })
    }
}

/// What differs between two [`RecordData`]: one entry per field, `None` where
/// the field is the same. See [`RecordData::differences`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Differences<'a> {
    pub content: Option<FieldChange<&'a RecordContent>>,
    pub ttl: Option<FieldChange<u32>>,
    pub proxied: Option<FieldChange<bool>>,
    pub comment: Option<FieldChange<Option<&'a str>>>,
    pub tags: Option<FieldChange<&'a [String]>>,
    /// Only a priority to set: the wanted record has one.
    pub priority: Option<FieldChange<Option<u16>>>,
    pub settings: Option<FieldChange<PerRecordSettings>>,
}

impl Differences<'_> {
    /// Whether the two records are in sync.
    pub fn is_empty(&self) -> bool {
        let Differences {
            content,
            ttl,
            proxied,
            comment,
            tags,
            priority,
            settings,
        } = self;
        content.is_none()
            && ttl.is_none()
            && proxied.is_none()
            && comment.is_none()
            && tags.is_none()
            && priority.is_none()
            && settings.is_none()
    }

    /// The differences for people, one short phrase per field
    /// (`TTL 300 → 60`, `comment changed`).
    pub fn parts(&self) -> Vec<String> {
        let Differences {
            content,
            ttl,
            proxied,
            comment,
            tags,
            priority,
            settings,
        } = self;
        let mut parts = Vec::new();
        if let Some(c) = content {
            parts.push(format!("content {} → {}", c.before, c.after));
        }
        if let Some(c) = ttl {
            parts.push(format!("TTL {} → {}", c.before, c.after));
        }
        if let Some(c) = proxied {
            parts.push(format!("proxied {} → {}", c.before, c.after));
        }
        if comment.is_some() {
            parts.push("comment changed".to_string());
        }
        if tags.is_some() {
            parts.push("tags changed".to_string());
        }
        if let Some(c) = priority {
            let show = |p: Option<u16>| p.map(|p| p.to_string()).unwrap_or_default();
            parts.push(format!("priority {} → {}", show(c.before), show(c.after)));
        }
        if let Some(c) = settings {
            parts.extend(settings_parts(&c.before, &c.after));
        }
        parts
    }
}

/// One phrase per setting that changes.
fn settings_parts(before: &PerRecordSettings, after: &PerRecordSettings) -> Vec<String> {
    let PerRecordSettings {
        ipv4_only,
        ipv6_only,
        flatten_cname,
    } = before;
    [
        ("ipv4_only", *ipv4_only, after.ipv4_only),
        ("ipv6_only", *ipv6_only, after.ipv6_only),
        ("flatten_cname", *flatten_cname, after.flatten_cname),
    ]
    .into_iter()
    .filter(|(_, before, after)| before != after)
    .map(|(name, before, after)| format!("setting {name} {before} → {after}"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(content: &str) -> RecordData {
        RecordData::new(content)
    }

    #[test]
    fn records_stay_compact() {
        // A zone view holds one per record: the rare fields share one box.
        assert_eq!(std::mem::size_of::<RecordContent>(), 16);
        assert!(std::mem::size_of::<RecordData>() <= 40);
        assert!(std::mem::size_of::<crate::endpoint::ZoneRecord>() <= 104);
    }

    #[test]
    fn the_box_is_allocated_only_for_rare_fields() {
        let mut d = data("192.0.2.1");
        d.set_comment(Some(String::new()));
        d.set_tags(Vec::new());
        d.set_settings(PerRecordSettings::default());
        assert!(d.rare.is_none());
        d.set_comment(Some("hello".into()));
        assert_eq!(d.comment(), Some("hello"));
        d.set_comment(None);
        assert!(d.rare.is_none());
    }

    #[test]
    fn equal_records_have_no_differences() {
        let a = data("192.0.2.1").with_tags(vec!["b:1".into(), "a:1".into()]);
        let b = data("192.0.2.1").with_tags(vec!["a:1".into(), "b:1".into()]);
        assert!(a.differences(&b).is_empty());
        assert!(a.differences(&a).parts().is_empty());
    }

    #[test]
    fn every_field_that_differs_is_named_once() {
        let before = RecordData {
            ttl: 300,
            priority: Some(10),
            ..data("192.0.2.1")
        }
        .with_comment(Some("old".into()));
        let after = RecordData {
            proxied: true,
            priority: Some(20),
            ..data("192.0.2.2")
        }
        .with_tags(vec!["team:a".into()])
        .with_settings(PerRecordSettings {
            ipv4_only: true,
            ..PerRecordSettings::default()
        });
        let d = before.differences(&after);
        assert_eq!(
            d.parts(),
            vec![
                "content 192.0.2.1 → 192.0.2.2",
                "TTL 300 → 1",
                "proxied false → true",
                "comment changed",
                "tags changed",
                "priority 10 → 20",
                "setting ipv4_only false → true",
            ]
        );
        assert_eq!(
            d.comment,
            Some(FieldChange {
                before: Some("old"),
                after: None
            })
        );
    }

    #[test]
    fn an_unset_wanted_priority_is_no_change() {
        let before = RecordData {
            priority: Some(10),
            ..data("mx.example.com")
        };
        assert!(before.differences(&data("mx.example.com")).is_empty());
    }

    #[test]
    fn settings_off_and_absent_are_the_same() {
        let off = data("192.0.2.1").with_settings(PerRecordSettings::default());
        assert!(off.differences(&data("192.0.2.1")).is_empty());
        let on = data("192.0.2.1").with_settings(PerRecordSettings {
            flatten_cname: true,
            ..PerRecordSettings::default()
        });
        assert_eq!(
            on.differences(&off).parts(),
            vec!["setting flatten_cname true → false"]
        );
    }

    #[test]
    fn structured_contents_compare_by_their_data() {
        let srv = |text: &str, port: u16| {
            RecordData::new(RecordContent::Structured(Box::new(StructuredContent {
                text: text.into(),
                data: serde_json::json!({"priority": 10, "weight": 5, "port": port}),
            })))
        };
        assert!(
            srv("5 80 a", 80)
                .differences(&srv("5 80 a.", 80))
                .is_empty()
        );
        assert!(
            srv("5 80 a", 80)
                .differences(&srv("5 80 a", 81))
                .content
                .is_some()
        );
        assert!(
            srv("5 80 a", 80)
                .differences(&data("5 80 a"))
                .content
                .is_some()
        );
    }

    #[test]
    fn records_serialise_with_cloudflare_names() {
        let d = RecordData {
            ttl: 300,
            ..data("192.0.2.1")
        }
        .with_comment(Some("c".into()));
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"content": "192.0.2.1", "ttl": 300, "proxied": false, "comment": "c"})
        );
    }
}
