//! TXT record names: where the ownership record of a DNS record lives, and which
//! record a TXT name speaks for.
//!
//! The rules are ExternalDNS's (its "affix name mapper"), so that the TXT records
//! an existing ExternalDNS installation wrote are found under the same names:
//!
//! * new format: `prefix + <type>-head + suffix + "." + rest`, where `head` is the
//!   first label of the record name and `rest` the others; with `%{record_type}`
//!   in the prefix or suffix the type goes there instead of before `head`;
//! * legacy format (ExternalDNS up to v0.17): `prefix + head + suffix + "." + rest`,
//!   without any type.

use crate::endpoint::RecordType;
use std::borrow::Cow;

/// The placeholder `--txt-prefix` and `--txt-suffix` may contain; it stands for
/// the lower-case record type.
pub const RECORD_TYPE_TEMPLATE: &str = "%{record_type}";

/// DNS allows at most 63 bytes per label; ExternalDNS writes no TXT record whose
/// name would have a longer one.
const MAX_LABEL_LEN: usize = 63;

/// Maps record names to TXT names and back, for one `--txt-prefix`,
/// `--txt-suffix` and `--txt-wildcard-replacement` (all lower-cased, as
/// ExternalDNS does).
///
/// Names given to it are expected to be normalised (see
/// [`crate::endpoint::normalize_name`]); TXT names are read without regard to case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameMapper {
    prefix: String,
    suffix: String,
    wildcard_replacement: String,
}

impl NameMapper {
    /// A mapper for the given affixes. Setting both a prefix and a suffix is a
    /// configuration error that [`super::TxtRegistry::new`] reports; a mapper
    /// built with both reads no TXT name at all, as in ExternalDNS.
    pub fn new(prefix: &str, suffix: &str, wildcard_replacement: &str) -> Self {
        NameMapper {
            prefix: prefix.to_lowercase(),
            suffix: suffix.to_lowercase(),
            wildcard_replacement: wildcard_replacement.to_lowercase(),
        }
    }

    /// Whether the prefix or the suffix carries `%{record_type}`: then the type
    /// goes into the affix and ExternalDNS v0.14 wrote no legacy TXT record.
    pub fn has_type_template(&self) -> bool {
        self.prefix.contains(RECORD_TYPE_TEMPLATE) || self.suffix.contains(RECORD_TYPE_TEMPLATE)
    }

    /// The new-format TXT name for a record (the only format flaredns writes), or
    /// `None` when one of its labels would be longer than 63 characters: such a
    /// record gets no ownership record, as in ExternalDNS.
    pub fn new_format_name(&self, name: &str, record_type: RecordType) -> Option<String> {
        let type_name = record_type.as_str().to_ascii_lowercase();
        let (head, rest) = self.split_head(name);
        let (prefix, suffix, head) = if self.has_type_template() {
            (
                self.prefix.replace(RECORD_TYPE_TEMPLATE, &type_name),
                self.suffix.replace(RECORD_TYPE_TEMPLATE, &type_name),
                head.to_string(),
            )
        } else {
            (
                self.prefix.clone(),
                self.suffix.clone(),
                format!("{type_name}-{head}"),
            )
        };
        checked_txt_name(assemble(&prefix, &head, &suffix, rest))
    }

    /// The legacy TXT name ExternalDNS up to v0.17 also wrote (for types other
    /// than AAAA, without encryption and without a type template): the affixes
    /// without `%{record_type}` around the record's own first label. flaredns
    /// reads and deletes such records but never writes them. `None` when a label
    /// would be longer than 63 characters.
    pub fn legacy_name(&self, name: &str) -> Option<String> {
        let prefix = self.prefix.replace(RECORD_TYPE_TEMPLATE, "");
        let suffix = self.suffix.replace(RECORD_TYPE_TEMPLATE, "");
        let (head, rest) = self.split_head(name);
        checked_txt_name(assemble(&prefix, head, &suffix, rest))
    }

    /// The name under which TXT records of a record are looked up: the record
    /// name with a leading `*` label replaced by the wildcard replacement (when
    /// one is set), lower-cased.
    /// Borrowed when that is the name itself (lower case, no leading `*`):
    /// the registry and a sliced pass ask it for every name of the zone.
    pub fn lookup_name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        if Self::is_own_lookup_name(name) {
            return Cow::Borrowed(name);
        }
        let (head, rest) = self.split_head(name);
        let joined = match rest {
            Some(rest) => format!("{head}.{rest}"),
            None => head.to_string(),
        };
        Cow::Owned(joined.to_lowercase())
    }

    /// Whether a name is its own lookup name whatever the mapper (ASCII, lower
    /// case, no leading `*`): the desired state can then key it without one.
    pub fn is_own_lookup_name(name: &str) -> bool {
        !name.starts_with('*')
            && !name
                .bytes()
                .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    }

    /// The lookup names (see [`Self::lookup_name`]) of every record name that
    /// [`Self::new_format_name`] could have turned into `txt_name`, compared
    /// without regard to case. Usually one; more when an affix with
    /// `%{record_type}` and no separator reads two ways (`aaaafoo` is made for
    /// AAAA `foo` and for A `aaafoo`). A pass in slices offers a leftover
    /// ownership record to the slices of all of them. Record names are valid
    /// DNS names: no empty label, no trailing dot.
    pub fn lookup_names_made_into(&self, txt_name: &str) -> Vec<String> {
        let txt_name = txt_name.to_lowercase();
        let mut found: Vec<String> = Vec::new();
        let mut add = |name: String| {
            if !found.contains(&name) {
                found.push(name);
            }
        };
        for record_type in RecordType::ALL {
            let type_name = record_type.as_str().to_ascii_lowercase();
            let (before, after) = if self.has_type_template() {
                (
                    self.prefix.replace(RECORD_TYPE_TEMPLATE, &type_name),
                    self.suffix.replace(RECORD_TYPE_TEMPLATE, &type_name),
                )
            } else {
                (format!("{}{type_name}-", self.prefix), self.suffix.clone())
            };
            // A suffix ending in a dot loses it after a one-label name.
            let restored = after.ends_with('.').then(|| format!("{txt_name}."));
            for whole in std::iter::once(&txt_name).chain(&restored) {
                let Some(rest) = whole.strip_prefix(before.as_str()) else {
                    continue;
                };
                // `rest` is the head, the suffix, then "." and the other labels
                // (or nothing). The head has no dot unless the wildcard
                // replacement has one, so every place the suffix fits is tried.
                for at in (0..=rest.len()).filter(|&at| rest.is_char_boundary(at)) {
                    let (head, tail) = rest.split_at(at);
                    let Some(tail) = tail.strip_prefix(after.as_str()) else {
                        continue;
                    };
                    if tail.is_empty() {
                        add(head.to_string());
                    } else if let Some(others) = tail.strip_prefix('.') {
                        add(format!("{head}.{others}"));
                    }
                }
            }
        }
        found
    }

    /// Reads a TXT name back into the name of the record it speaks for and that
    /// record's type (`None` for a legacy, type-less name). An empty name means
    /// the TXT name does not carry this mapper's affix and speaks for nothing.
    ///
    /// Every type flaredns knows is recognised (in [`RecordType::ALL`] order), so
    /// names written by any ExternalDNS version read back. Like ExternalDNS, a
    /// legacy name whose first label starts with a type and a dash (a host called
    /// `ns-1`) reads as a new-format name.
    pub fn parse_txt_name(&self, txt_name: &str) -> (String, Option<RecordType>) {
        let name = txt_name.to_lowercase();
        let parsed = if self.suffix.is_empty() {
            self.drop_affix(&name)
        } else if self.prefix.is_empty() {
            self.parse_suffixed(&name)
        } else {
            None
        };
        match parsed {
            Some((name, record_type)) if !name.is_empty() => (name, record_type),
            _ => (String::new(), None),
        }
    }

    /// Suffix mode: the suffix sits after the first label and may itself contain
    /// dots, so the first `1 + dots(suffix)` labels are read together.
    fn parse_suffixed(&self, name: &str) -> Option<(String, Option<RecordType>)> {
        let dots = self.suffix.matches('.').count();
        let labels: Vec<&str> = name.splitn(dots + 2, '.').collect();
        let with_suffix = labels.get(..=dots)?.join(".");
        let (head, record_type) = self.drop_affix(&with_suffix)?;
        if head.is_empty() {
            return None;
        }
        Some(match labels.get(dots + 1) {
            Some(rest) => (format!("{head}.{rest}"), record_type),
            None => (head, record_type),
        })
    }

    /// Strips this mapper's affix (prefix or suffix) and finds the record type:
    /// first a templated affix expanded for each type, then the affix without its
    /// template and a `<type>-` at the start, then no type at all (legacy).
    fn drop_affix(&self, name: &str) -> Option<(String, Option<RecordType>)> {
        let prefix_mode = self.suffix.is_empty();
        if self.has_type_template() {
            for record_type in RecordType::ALL {
                let type_name = record_type.as_str().to_ascii_lowercase();
                let stripped = if prefix_mode {
                    name.strip_prefix(&self.prefix.replace(RECORD_TYPE_TEMPLATE, &type_name))
                } else {
                    name.strip_suffix(&self.suffix.replace(RECORD_TYPE_TEMPLATE, &type_name))
                };
                if let Some(stripped) = stripped {
                    return Some((stripped.to_string(), Some(record_type)));
                }
            }
        }
        let stripped = if prefix_mode {
            name.strip_prefix(&self.prefix.replace(RECORD_TYPE_TEMPLATE, ""))
        } else {
            name.strip_suffix(&self.suffix.replace(RECORD_TYPE_TEMPLATE, ""))
        }?;
        Some(split_type_prefix(stripped))
    }

    /// The first label (wildcard replaced) and the rest of a name.
    fn split_head<'a>(&'a self, name: &'a str) -> (&'a str, Option<&'a str>) {
        let (head, rest) = match name.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (name, None),
        };
        if head == "*" && !self.wildcard_replacement.is_empty() {
            (&self.wildcard_replacement, rest)
        } else {
            (head, rest)
        }
    }
}

/// `<type>-name` → (`name`, type); anything else is a legacy name without type.
///
/// ExternalDNS compares the text before the first `-` (the whole name when there
/// is none, so a bare `a` would read as type A with name `a`); here a type needs
/// its dash, which differs only for a name that is nothing but a type.
fn split_type_prefix(name: &str) -> (String, Option<RecordType>) {
    if let Some((type_name, rest)) = name.split_once('-')
        && let Ok(record_type) = type_name.parse::<RecordType>()
    {
        return (rest.to_string(), Some(record_type));
    }
    (name.to_string(), None)
}

fn assemble(prefix: &str, head: &str, suffix: &str, rest: Option<&str>) -> String {
    match rest {
        Some(rest) => format!("{prefix}{head}{suffix}.{rest}"),
        None => format!("{prefix}{head}{suffix}"),
    }
}

/// What ExternalDNS's endpoint constructor does to every generated TXT name: one
/// trailing dot dropped, and no record at all when a label exceeds 63 bytes.
fn checked_txt_name(name: String) -> Option<String> {
    let name = name.strip_suffix('.').map(str::to_string).unwrap_or(name);
    if name.split('.').any(|label| label.len() > MAX_LABEL_LEN) {
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mapper(prefix: &str, suffix: &str) -> NameMapper {
        NameMapper::new(prefix, suffix, "")
    }

    #[test]
    fn a_txt_name_without_separator_after_the_type_reads_two_ways() {
        let m = mapper("%{record_type}", "");
        let mut names = m.lookup_names_made_into("AAAAfoo.example.com");
        names.sort();
        assert_eq!(names, ["aaafoo.example.com", "foo.example.com"]);
        let plain = mapper("txt.", "");
        assert_eq!(
            plain.lookup_names_made_into("txt.cname-web.example.com"),
            ["web.example.com"]
        );
        assert!(plain.lookup_names_made_into("web.example.com").is_empty());
    }

    proptest! {
        /// Whatever the affixes, the name a new-format TXT name was made for is
        /// among the names it reads back to, as its lookup name.
        #[test]
        fn every_new_format_name_leads_back_to_its_record(
            head in prop_oneof![Just("*".to_string()), "[a-z0-9-]{1,8}", "[A-Z]{1,3}"],
            rest in proptest::option::of("[a-z0-9]{1,5}(\\.[a-z]{2,3})?"),
            affix in prop_oneof![Just(""), Just("txt."), Just("%{record_type}"), Just("%{record_type}-"), Just("-%{record_type}"), Just("x%{record_type}.y")],
            as_suffix in any::<bool>(),
            replacement in prop_oneof![Just(""), Just("wc"), Just("any.where")],
            record_type in proptest::sample::select(RecordType::ALL.to_vec()),
        ) {
            let m = if as_suffix {
                NameMapper::new("", affix, replacement)
            } else {
                NameMapper::new(affix, "", replacement)
            };
            let name = match &rest {
                Some(rest) => format!("{head}.{rest}"),
                None => head.clone(),
            };
            if let Some(txt_name) = m.new_format_name(&name, record_type) {
                let names = m.lookup_names_made_into(&txt_name);
                let lookup = m.lookup_name(&name).into_owned();
                prop_assert!(names.contains(&lookup), "{name} -> {txt_name} -> {names:?}");
            }
        }
    }

    #[test]
    fn new_format_puts_the_type_before_the_first_label() {
        let m = mapper("", "");
        assert_eq!(
            m.new_format_name("foo.example.com", RecordType::Cname),
            Some("cname-foo.example.com".to_string())
        );
        assert_eq!(
            m.new_format_name("example.com", RecordType::A),
            Some("a-example.com".to_string())
        );
        assert_eq!(
            m.new_format_name("example", RecordType::Txt),
            Some("txt-example".to_string())
        );
    }

    #[test]
    fn affixes_are_lower_cased_and_templates_expanded() {
        let m = mapper("ExtDNS-%{record_type}.", "");
        assert!(m.has_type_template());
        assert_eq!(
            m.new_format_name("example.com", RecordType::Aaaa),
            Some("extdns-aaaa.example.com".to_string())
        );
        assert_eq!(
            m.legacy_name("example.com"),
            Some("extdns-.example.com".to_string())
        );
        assert_eq!(
            m.parse_txt_name("EXTDNS-AAAA.Example.com"),
            ("example.com".to_string(), Some(RecordType::Aaaa))
        );
    }

    #[test]
    fn legacy_name_is_the_record_name_between_the_affixes() {
        assert_eq!(
            mapper("", "").legacy_name("foo.example.com"),
            Some("foo.example.com".to_string())
        );
        assert_eq!(
            mapper("txt.", "").legacy_name("foo.example.com"),
            Some("txt.foo.example.com".to_string())
        );
        assert_eq!(
            mapper("", "-own").legacy_name("foo.example.com"),
            Some("foo-own.example.com".to_string())
        );
    }

    #[test]
    fn wildcard_replacement_comes_before_the_type() {
        let m = NameMapper::new("txt-", "", "Wild");
        assert_eq!(
            m.new_format_name("*.example.com", RecordType::A),
            Some("txt-a-wild.example.com".to_string())
        );
        assert_eq!(
            m.legacy_name("*.example.com"),
            Some("txt-wild.example.com".to_string())
        );
        assert_eq!(m.lookup_name("*.example.com"), "wild.example.com");
        // Only a whole leading `*` label is replaced.
        assert_eq!(m.lookup_name("a.*.example.com"), "a.*.example.com");
        // Without a replacement the `*` stays in the middle of the TXT name.
        assert_eq!(
            mapper("", "").new_format_name("*.example.com", RecordType::A),
            Some("a-*.example.com".to_string())
        );
    }

    #[test]
    fn a_label_over_63_characters_yields_no_name() {
        let m = mapper("", "");
        let label = "x".repeat(58);
        assert_eq!(
            m.new_format_name(&format!("{label}.example.com"), RecordType::A),
            Some(format!("a-{label}.example.com"))
        );
        assert_eq!(
            m.new_format_name(&format!("{label}.example.com"), RecordType::Cname),
            None
        );
        assert_eq!(
            m.legacy_name(&format!("{}.example.com", "y".repeat(64))),
            None
        );
    }

    #[test]
    fn one_trailing_dot_is_dropped_from_generated_names() {
        let m = mapper("", "-%{record_type}.");
        assert_eq!(
            m.new_format_name("host", RecordType::A),
            Some("host-a".to_string())
        );
    }

    #[test]
    fn names_without_the_affix_speak_for_nothing() {
        assert_eq!(
            mapper("txt.", "").parse_txt_name("foobar.example.com"),
            (String::new(), None)
        );
        assert_eq!(
            mapper("", "-own").parse_txt_name("a-foo.example.com"),
            (String::new(), None)
        );
        assert_eq!(
            mapper("pre-", "-suf").parse_txt_name("pre-a-foo-suf.example.com"),
            (String::new(), None)
        );
        // The TXT name is the bare prefix: no record name is left.
        assert_eq!(
            mapper("txt.", "").parse_txt_name("txt."),
            (String::new(), None)
        );
    }

    #[test]
    fn suffix_parsing_needs_enough_labels() {
        let m = mapper("", ".foo.bar");
        assert_eq!(
            m.parse_txt_name("a-example.foo.bar.com"),
            ("example.com".to_string(), Some(RecordType::A))
        );
        assert_eq!(
            m.parse_txt_name("a-example.foo.bar"),
            ("example".to_string(), Some(RecordType::A))
        );
        assert_eq!(m.parse_txt_name("a-example.foo"), (String::new(), None));
        assert_eq!(m.parse_txt_name(""), (String::new(), None));
    }

    #[test]
    fn legacy_names_and_type_lookalikes() {
        let m = mapper("", "");
        assert_eq!(
            m.parse_txt_name("zone.example.com"),
            ("zone.example.com".to_string(), None)
        );
        // A host named like a type and a dash reads as a typed name, as in ExternalDNS.
        assert_eq!(
            m.parse_txt_name("ns-1.example.com"),
            ("1.example.com".to_string(), Some(RecordType::Ns))
        );
        // Without a dash there is no type.
        assert_eq!(m.parse_txt_name("a"), ("a".to_string(), None));
        // Types v0.14 did not know are read too.
        assert_eq!(
            m.parse_txt_name("mx-foo.example.com"),
            ("foo.example.com".to_string(), Some(RecordType::Mx))
        );
        assert_eq!(
            m.parse_txt_name("Cname-Foo.Example.com"),
            ("foo.example.com".to_string(), Some(RecordType::Cname))
        );
    }

    #[test]
    fn a_bare_template_prefers_the_first_type_in_order() {
        // The ExternalDNS quirk: `aaaafoo` starts with the expansion for A.
        let m = mapper("%{record_type}", "");
        assert_eq!(
            m.new_format_name("foo.example.com", RecordType::Aaaa),
            Some("aaaafoo.example.com".to_string())
        );
        assert_eq!(
            m.parse_txt_name("aaaafoo.example.com"),
            ("aaafoo.example.com".to_string(), Some(RecordType::A))
        );
    }

    /// Affixes whose round trip is unambiguous: every type template is followed or
    /// preceded by a separator.
    fn affixes() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            Just((String::new(), String::new())),
            Just(("txt.".to_string(), String::new())),
            Just(("foo-".to_string(), String::new())),
            Just(("a.b.".to_string(), String::new())),
            Just(("%{record_type}-".to_string(), String::new())),
            Just(("extdns-%{record_type}.".to_string(), String::new())),
            Just(("x.%{record_type}.y.".to_string(), String::new())),
            Just((String::new(), "-own".to_string())),
            Just((String::new(), ".own".to_string())),
            Just((String::new(), ".foo.bar".to_string())),
            Just((String::new(), "-%{record_type}".to_string())),
            Just((String::new(), ".x%{record_type}.y".to_string())),
        ]
    }

    fn record_types() -> impl Strategy<Value = RecordType> {
        proptest::sample::select(RecordType::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn record_name_to_txt_name_and_back(
            (prefix, suffix) in affixes(),
            name in "[a-z0-9_][a-z0-9_-]{0,20}(\\.[a-z0-9][a-z0-9-]{0,20}){0,4}",
            record_type in record_types(),
        ) {
            let m = mapper(&prefix, &suffix);
            let txt = m.new_format_name(&name, record_type).expect("labels are short");
            prop_assert_eq!(m.parse_txt_name(&txt), (name, Some(record_type)));
        }

        #[test]
        fn legacy_names_read_back_as_legacy(
            prefix in prop_oneof![Just(""), Just("txt."), Just("own-")],
            name in "[b-z][a-z0-9]{0,10}(\\.[a-z0-9]{1,10}){0,3}",
        ) {
            // Names whose first label has no dash cannot look typed.
            let m = mapper(prefix, "");
            let txt = m.legacy_name(&name).expect("labels are short");
            prop_assert_eq!(m.parse_txt_name(&txt), (name, None));
        }

        #[test]
        fn a_name_without_a_wildcard_is_looked_up_in_lower_case(
            name in "[a-zA-Z0-9_-]{0,10}(\\.[a-zA-Z0-9*-]{0,10}){0,3}",
            replacement in "[a-z]{0,4}",
        ) {
            let m = NameMapper::new("", "", &replacement);
            prop_assert_eq!(m.lookup_name(&name), name.to_lowercase());
        }

        #[test]
        fn arbitrary_names_and_affixes_never_panic(
            prefix in ".{0,12}",
            suffix in ".{0,12}",
            replacement in ".{0,6}",
            name in ".{0,80}",
            record_type in record_types(),
        ) {
            for m in [
                NameMapper::new(&prefix, "", &replacement),
                NameMapper::new("", &suffix, &replacement),
                NameMapper::new(&prefix, &suffix, &replacement),
            ] {
                let _ = m.parse_txt_name(&name);
                let _ = m.new_format_name(&name, record_type);
                let _ = m.legacy_name(&name);
                let _ = m.lookup_name(&name);
            }
        }
    }
}
