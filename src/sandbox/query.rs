//! List endpoints' query parameters: filters, ordering and paging, as the live API
//! reads them for `GET /zones` and `GET /zones/{id}/dns_records`.
//!
//! Out-of-range paging values are clamped into the documented bounds and values
//! that do not parse fall back to the defaults, so a list call never fails on its
//! query.

use std::cmp::Ordering;

use super::wire::{PageInfo, RecordObject, ZoneObject};
use crate::endpoint::normalize_name;

/// Paging bounds of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageBounds {
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

/// `GET /zones`: 20 by default, 5 to 50.
pub const ZONE_PAGES: PageBounds = PageBounds {
    default: 20,
    min: 5,
    max: 50,
};

/// `GET /dns_records`: 100 by default, 1 to 5,000,000.
pub const RECORD_PAGES: PageBounds = PageBounds {
    default: 100,
    min: 1,
    max: 5_000_000,
};

/// The decoded query string, in order, repeated keys kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.trim().parse().ok()
    }

    /// Whether `match=any` asks for any filter to match rather than all.
    fn match_any(&self) -> bool {
        self.get("match")
            .is_some_and(|m| m.eq_ignore_ascii_case("any"))
    }

    fn descending(&self) -> bool {
        self.get("direction")
            .is_some_and(|d| d.eq_ignore_ascii_case("desc"))
    }
}

/// Cuts one page out of `items` and describes it.
pub fn page<T: Clone>(items: &[T], query: &Query, bounds: PageBounds) -> (Vec<T>, PageInfo) {
    let page = query.number("page").unwrap_or(1).max(1);
    let per_page = query
        .number("per_page")
        .unwrap_or(bounds.default)
        .clamp(bounds.min, bounds.max);
    let total = items.len() as u64;
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    // Both bounds are at most `items.len()`, so they fit in usize.
    let slice = items
        .get(
            usize::try_from(start).unwrap_or(usize::MAX)
                ..usize::try_from(end).unwrap_or(usize::MAX),
        )
        .unwrap_or_default()
        .to_vec();
    let count = slice.len() as u64;
    (slice, PageInfo::new(page, per_page, count, total))
}

/// A string test, case-insensitive unless asked otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Test {
    Equal(String),
    NotEqual(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
}

impl Test {
    fn matches(&self, value: &str, case_sensitive: bool) -> bool {
        let fold = |s: &str| {
            if case_sensitive {
                s.to_string()
            } else {
                s.to_lowercase()
            }
        };
        let value = fold(value);
        match self {
            Test::Equal(v) => value == fold(v),
            Test::NotEqual(v) => value != fold(v),
            Test::StartsWith(v) => value.starts_with(&fold(v)),
            Test::EndsWith(v) => value.ends_with(&fold(v)),
            Test::Contains(v) => value.contains(&fold(v)),
        }
    }
}

/// Reads the zones `name` filter, `op:value` with `equal` by default. Returns the
/// test and whether it is case-sensitive.
fn zone_name_test(raw: &str) -> (Test, bool) {
    let Some((op, value)) = raw.split_once(':') else {
        return (Test::Equal(raw.to_string()), false);
    };
    let value = value.to_string();
    match op {
        "equal" => (Test::Equal(value), false),
        "not_equal" => (Test::NotEqual(value), false),
        "starts_with" => (Test::StartsWith(value), false),
        "ends_with" => (Test::EndsWith(value), false),
        "contains" => (Test::Contains(value), false),
        "starts_with_case_sensitive" => (Test::StartsWith(value), true),
        "ends_with_case_sensitive" => (Test::EndsWith(value), true),
        "contains_case_sensitive" => (Test::Contains(value), true),
        // Not an operator: the colon is part of the name.
        _ => (Test::Equal(raw.to_string()), false),
    }
}

/// Combines filter results with `match=all` (default) or `match=any`; no filter
/// matches everything.
fn combine(results: &[bool], any: bool) -> bool {
    if results.is_empty() {
        return true;
    }
    if any {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    }
}

/// Filters and orders zones: `name` (with operators), `status`, `match`, `order`
/// (`name`, `status`), `direction`.
pub fn zones(mut zones: Vec<ZoneObject>, query: &Query) -> Vec<ZoneObject> {
    let name = query.get("name").map(zone_name_test);
    let status = query.get("status");
    let any = query.match_any();
    zones.retain(|z| {
        let mut results = Vec::new();
        if let Some((test, case_sensitive)) = &name {
            results.push(test.matches(&z.name, *case_sensitive));
        }
        if let Some(status) = status {
            results.push(z.status == status);
        }
        combine(&results, any)
    });
    let by_status = query.get("order") == Some("status");
    zones.sort_by(|a, b| {
        let order = if by_status {
            a.status.cmp(&b.status).then_with(|| a.name.cmp(&b.name))
        } else {
            a.name.cmp(&b.name)
        };
        order.then_with(|| a.id.cmp(&b.id))
    });
    if query.descending() {
        zones.reverse();
    }
    zones
}

/// Filters and orders records: `name`, `content` (each also as `.exact`,
/// `.contains`, `.startswith`, `.endswith`), `type`, `proxied`, `match`, `order`
/// (`type`, `name`, `content`, `ttl`, `proxied`; `type` by default), `direction`.
/// Name and content tests ignore case.
pub fn records(mut records: Vec<RecordObject>, query: &Query) -> Vec<RecordObject> {
    let mut tests: Vec<(Field, Test)> = Vec::new();
    for (key, value) in &query.0 {
        let (field, op) = match key.split_once('.') {
            Some((field, op)) => (field, op),
            None => (key.as_str(), "exact"),
        };
        let field = match field {
            "name" => Field::Name,
            "content" => Field::Content,
            "type" if op == "exact" => Field::Type,
            "proxied" if op == "exact" => Field::Proxied,
            _ => continue,
        };
        let value = if field == Field::Name {
            normalize_name(value)
        } else {
            value.clone()
        };
        let test = match op {
            "exact" => Test::Equal(value),
            "contains" => Test::Contains(value),
            "startswith" => Test::StartsWith(value),
            "endswith" => Test::EndsWith(value),
            _ => continue,
        };
        tests.push((field, test));
    }
    let any = query.match_any();
    records.retain(|r| {
        let results: Vec<bool> = tests
            .iter()
            .map(|(field, test)| test.matches(&field.of(r), false))
            .collect();
        combine(&results, any)
    });
    let order = query.get("order").unwrap_or("type");
    records.sort_by(|a, b| record_order(order, a, b));
    if query.descending() {
        records.reverse();
    }
    records
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Content,
    Type,
    Proxied,
}

impl Field {
    fn of(self, r: &RecordObject) -> String {
        match self {
            Field::Name => r.name.clone(),
            Field::Content => r.content.clone(),
            Field::Type => r.record_type.clone(),
            Field::Proxied => r.proxied.to_string(),
        }
    }
}

/// Orders by the requested field, then by type, name and content, then id, so
/// that pages never overlap.
fn record_order(order: &str, a: &RecordObject, b: &RecordObject) -> Ordering {
    let first = match order {
        "name" => a.name.cmp(&b.name),
        "content" => a.content.cmp(&b.content),
        "ttl" => a.ttl.cmp(&b.ttl),
        "proxied" => a.proxied.cmp(&b.proxied),
        _ => Ordering::Equal,
    };
    first
        .then_with(|| a.record_type.cmp(&b.record_type))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.content.cmp(&b.content))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        Query(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn zone(name: &str) -> ZoneObject {
        ZoneObject {
            id: name.to_string(),
            name: name.to_string(),
            status: "active".into(),
            ..ZoneObject::default()
        }
    }

    fn record(name: &str, record_type: &str, content: &str) -> RecordObject {
        serde_json::from_value(serde_json::json!({
            "id": format!("{name}-{record_type}-{content}"),
            "name": name, "type": record_type, "content": content
        }))
        .unwrap()
    }

    #[test]
    fn pages_are_clamped_and_counted() {
        let items: Vec<u32> = (0..12_345).collect();
        let (last, info) = page(
            &items,
            &query(&[("page", "3"), ("per_page", "5000")]),
            RECORD_PAGES,
        );
        assert_eq!(last.len(), 2345);
        assert_eq!(info, PageInfo::new(3, 5000, 2345, 12_345));
        assert_eq!(info.total_pages, 3);
        let (first, info) = page(&items, &query(&[]), RECORD_PAGES);
        assert_eq!((first.len(), info.per_page, info.page), (100, 100, 1));
        let (_, info) = page(&items, &query(&[("per_page", "1000")]), ZONE_PAGES);
        assert_eq!(info.per_page, 50);
        let (_, info) = page(
            &items,
            &query(&[("per_page", "1"), ("page", "0")]),
            ZONE_PAGES,
        );
        assert_eq!((info.per_page, info.page), (5, 1));
        let (beyond, info) = page(&items, &query(&[("page", "99999999999999")]), RECORD_PAGES);
        assert!(beyond.is_empty());
        assert_eq!(info.count, 0);
        let (_, info) = page(&items, &query(&[("per_page", "lots")]), RECORD_PAGES);
        assert_eq!(info.per_page, 100);
    }

    #[test]
    fn zone_names_filter_with_operators() {
        let all = vec![
            zone("example.com"),
            zone("example.org"),
            zone("dev.example.com"),
        ];
        let names = |q: &[(&str, &str)]| -> Vec<String> {
            zones(all.clone(), &query(q))
                .into_iter()
                .map(|z| z.name)
                .collect()
        };
        assert_eq!(names(&[("name", "Example.COM")]), vec!["example.com"]);
        assert_eq!(names(&[("name", "equal:example.org")]), vec!["example.org"]);
        assert_eq!(
            names(&[("name", "ends_with:example.com")]),
            vec!["dev.example.com", "example.com"]
        );
        assert_eq!(
            names(&[("name", "ends_with_case_sensitive:EXAMPLE.COM")]),
            Vec::<String>::new()
        );
        assert_eq!(
            names(&[("name", "not_equal:example.com"), ("direction", "desc")]),
            vec!["example.org", "dev.example.com"]
        );
        assert_eq!(names(&[("name", "contains:dev")]), vec!["dev.example.com"]);
        assert_eq!(names(&[]).len(), 3);
    }

    #[test]
    fn records_filter_by_name_type_and_content() {
        let all = vec![
            record("www.example.com", "A", "192.0.2.1"),
            record("www.example.com", "TXT", "\"heritage\""),
            record("api.example.com", "CNAME", "lb.example.net"),
        ];
        let ids = |q: &[(&str, &str)]| -> Vec<String> {
            records(all.clone(), &query(q))
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(&[("name", "WWW.example.com.")]).len(), 2);
        assert_eq!(
            ids(&[("name", "www.example.com"), ("type", "txt")]),
            vec!["www.example.com-TXT-\"heritage\""]
        );
        assert_eq!(
            ids(&[("content", "LB.example.net")]),
            vec!["api.example.com-CNAME-lb.example.net"]
        );
        assert_eq!(
            ids(&[("name.startswith", "api"), ("type", "A"), ("match", "any")]).len(),
            2
        );
        assert_eq!(ids(&[("content.contains", "heritage")]).len(), 1);
        // Default order: type, then name.
        assert_eq!(
            ids(&[]),
            vec![
                "www.example.com-A-192.0.2.1",
                "api.example.com-CNAME-lb.example.net",
                "www.example.com-TXT-\"heritage\""
            ]
        );
        assert_eq!(
            ids(&[("order", "name"), ("direction", "desc")])[0],
            "www.example.com-TXT-\"heritage\""
        );
    }
}
