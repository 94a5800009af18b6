//! Which names and targets flaredns may manage: `--domain-filter`,
//! `--exclude-domains`, `--regex-domain-filter`, `--regex-domain-exclusion`,
//! `--target-net-filter` and `--exclude-target-net`, with ExternalDNS's matching
//! rules (v0.22 semantics).

use std::net::IpAddr;

use ipnet::IpNet;
use regex::Regex;

use crate::endpoint::normalize_name;

/// Bounds every name the planner creates, updates or deletes (invariant 2).
#[derive(Clone, Debug, Default)]
pub struct DomainFilter {
    include: Vec<String>,
    exclude: Vec<String>,
    regex_include: Option<Regex>,
    regex_exclude: Option<Regex>,
}

/// A `--regex-domain-*` value that is not a valid regular expression.
#[derive(Debug, thiserror::Error)]
#[error("--{flag}={value:?} is not a valid regular expression: {source}")]
pub struct InvalidRegexFilter {
    flag: &'static str,
    value: String,
    source: regex::Error,
}

impl DomainFilter {
    /// Builds a list filter. Entries are trimmed, lower-cased, stripped of one
    /// trailing dot, and empty entries dropped, as ExternalDNS does.
    pub fn new(include: &[String], exclude: &[String]) -> Self {
        DomainFilter {
            include: clean_domains(include),
            exclude: clean_domains(exclude),
            regex_include: None,
            regex_exclude: None,
        }
    }

    /// Adds the regular-expression filters. When either is set, the list filters
    /// are not consulted (ExternalDNS's "regex mode").
    pub fn with_regex(
        mut self,
        include: Option<&str>,
        exclude: Option<&str>,
    ) -> Result<Self, InvalidRegexFilter> {
        let compile = |flag: &'static str, value: Option<&str>| {
            value
                .filter(|v| !v.is_empty())
                .map(|v| {
                    Regex::new(v).map_err(|source| InvalidRegexFilter {
                        flag,
                        value: v.to_string(),
                        source,
                    })
                })
                .transpose()
        };
        self.regex_include = compile("regex-domain-filter", include)?;
        self.regex_exclude = compile("regex-domain-exclusion", exclude)?;
        Ok(self)
    }

    /// Whether no filter is configured (every name matches).
    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
            && self.exclude.is_empty()
            && self.regex_include.is_none()
            && self.regex_exclude.is_none()
    }

    /// Whether `name` may be managed.
    pub fn matches(&self, name: &str) -> bool {
        let name = normalize_name(name);
        if self.regex_include.is_some() || self.regex_exclude.is_some() {
            if self
                .regex_exclude
                .as_ref()
                .is_some_and(|re| re.is_match(&name))
            {
                return false;
            }
            return self
                .regex_include
                .as_ref()
                .is_none_or(|re| re.is_match(&name));
        }
        let included =
            self.include.is_empty() || self.include.iter().any(|d| domain_matches(d, &name));
        included && !self.exclude.iter().any(|d| domain_matches(d, &name))
    }

    /// The include entries, for display.
    pub fn include(&self) -> &[String] {
        &self.include
    }
}

fn clean_domains(domains: &[String]) -> Vec<String> {
    domains
        .iter()
        .map(|d| normalize_name(d))
        .filter(|d| !d.is_empty())
        .collect()
}

/// ExternalDNS's rule: a filter starting with `.` matches names below it (not the
/// domain itself); otherwise the name equals the filter or ends with `.filter`.
fn domain_matches(filter: &str, name: &str) -> bool {
    if filter.starts_with('.') {
        return name.ends_with(filter);
    }
    name == filter
        || (name.len() > filter.len()
            && name.ends_with(filter)
            && name.as_bytes()[name.len() - filter.len() - 1] == b'.')
}

/// `--target-net-filter` / `--exclude-target-net`: which IP targets may be published.
/// Targets that are not IP addresses always pass.
#[derive(Clone, Debug, Default)]
pub struct TargetNetFilter {
    include: Vec<IpNet>,
    exclude: Vec<IpNet>,
}

impl TargetNetFilter {
    pub fn new(include: Vec<IpNet>, exclude: Vec<IpNet>) -> Self {
        TargetNetFilter { include, exclude }
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    pub fn matches(&self, target: &str) -> bool {
        let Ok(ip) = target.parse::<IpAddr>() else {
            return true;
        };
        let included = self.include.is_empty() || self.include.iter().any(|n| n.contains(&ip));
        included && !self.exclude.iter().any(|n| n.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> DomainFilter {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        DomainFilter::new(&s(include), &s(exclude))
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert!(filter(&[], &[]).matches("anything.example.org"));
    }

    #[test]
    fn plain_filter_matches_domain_and_subdomains_only() {
        let f = filter(&["Example.com."], &[]);
        assert!(f.matches("example.com"));
        assert!(f.matches("a.b.example.com"));
        assert!(f.matches("NGINX.Example.COM."));
        assert!(!f.matches("badexample.com"));
        assert!(!f.matches("example.org"));
    }

    #[test]
    fn leading_dot_filter_excludes_the_domain_itself() {
        let f = filter(&[".example.com"], &[]);
        assert!(f.matches("a.example.com"));
        assert!(!f.matches("example.com"));
    }

    #[test]
    fn exclusions_win() {
        let f = filter(&["example.com"], &["internal.example.com"]);
        assert!(f.matches("www.example.com"));
        assert!(!f.matches("internal.example.com"));
        assert!(!f.matches("db.internal.example.com"));
    }

    #[test]
    fn regex_mode_ignores_lists_and_checks_exclusion_first() {
        let f = filter(&["example.org"], &[])
            .with_regex(Some(r"\.example\.com$"), Some(r"^internal\."))
            .unwrap();
        assert!(f.matches("www.example.com"));
        assert!(!f.matches("internal.example.com"));
        assert!(!f.matches("www.example.org"));
        let only_exclude = filter(&[], &[]).with_regex(None, Some("^skip")).unwrap();
        assert!(only_exclude.matches("keep.example.com"));
        assert!(!only_exclude.matches("skip.example.com"));
    }

    #[test]
    fn bad_regex_names_the_flag() {
        let err = filter(&[], &[]).with_regex(Some("("), None).unwrap_err();
        assert!(err.to_string().contains("--regex-domain-filter"));
    }

    #[test]
    fn target_net_filter_applies_to_ips_only() {
        let f = TargetNetFilter::new(
            vec!["10.0.0.0/8".parse().unwrap()],
            vec!["10.1.0.0/16".parse().unwrap()],
        );
        assert!(f.matches("10.2.3.4"));
        assert!(!f.matches("10.1.3.4"));
        assert!(!f.matches("192.0.2.1"));
        assert!(f.matches("lb.example.com"));
    }
}
