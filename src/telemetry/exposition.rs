//! The two exposition formats `/metrics` speaks, and the choice between them.
//!
//! prometheus-client encodes OpenMetrics only. Scrapers and tools that ask for
//! the classic Prometheus text format (`text/plain; version=0.0.4`: promtool,
//! older Prometheus, ExternalDNS-era tooling) must get that format, whose
//! counters carry the `_total` suffix in `# HELP`/`# TYPE` and which has no
//! `# EOF`, `# UNIT` or exemplars. No maintained crate converts a
//! prometheus-client registry to the classic format, so [`to_classic`]
//! rewrites the OpenMetrics text, line by line.

/// The content type of the classic text format.
pub const CLASSIC_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The content type of OpenMetrics text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The format a scrape gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Classic,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics only when it is
    /// preferred (by quality) over the classic format; the classic format when
    /// there is no header, as ExternalDNS serves it.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Classic;
        };
        let mut openmetrics = 0.0_f32;
        let mut classic = 0.0_f32;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "application/openmetrics-text" => openmetrics = openmetrics.max(quality),
                "text/plain" | "text/*" | "*/*" => classic = classic.max(quality),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics > classic {
            Format::OpenMetrics
        } else {
            Format::Classic
        }
    }

    /// The `Content-Type` of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Classic => CLASSIC_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// The classic text format of `openmetrics`, text as prometheus-client
/// encodes it (`# HELP`, then `# TYPE`, optionally `# UNIT`, then samples).
pub fn to_classic(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // HELP comes before TYPE, but its name depends on the type: hold it.
    let mut pending_help: Option<(&str, String)> = None;
    let mut counter: Option<String> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            // OpenMetrics escapes `"` in help text; the classic format does not.
            pending_help = Some((name, help.replace("\\\"", "\"")));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (name, kind) = classic_type(family, kind);
            counter = (kind == "counter").then(|| name.clone());
            if let Some((help_name, help)) = pending_help.take() {
                let help_name = if help_name == family {
                    &name
                } else {
                    help_name
                };
                out.push_str(&format!("# HELP {help_name} {help}\n"));
            }
            out.push_str(&format!("# TYPE {name} {kind}\n"));
        } else if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        } else if line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
        } else {
            // The creation time of a counter has no place in the classic format.
            if counter.as_deref().is_some_and(|c| {
                let base = c.trim_end_matches("_total");
                line.starts_with(&format!("{base}_created"))
            }) {
                continue;
            }
            out.push_str(strip_exemplar(line));
            out.push('\n');
        }
    }
    out
}

/// The classic name and type of an OpenMetrics family.
fn classic_type(family: &str, kind: &str) -> (String, &'static str) {
    match kind {
        "counter" => (format!("{family}_total"), "counter"),
        "info" => (format!("{family}_info"), "gauge"),
        "gauge" | "stateset" => (family.to_string(), "gauge"),
        "histogram" | "gaugehistogram" => (family.to_string(), "histogram"),
        "summary" => (family.to_string(), "summary"),
        _ => (family.to_string(), "untyped"),
    }
}

/// A sample line without its exemplar (` # {labels} value [timestamp]`).
/// Label values may contain `#`, so the exemplar is found after the sample's
/// label set closes.
fn strip_exemplar(line: &str) -> &str {
    let after_labels = match line.find('{') {
        Some(open) if !line[..open].contains(' ') => closing_brace(line, open).map_or(0, |c| c + 1),
        _ => 0,
    };
    match line[after_labels..].find(" # ") {
        Some(at) => &line[..after_labels + at],
        None => line,
    }
}

/// The index of the `}` closing the label set opened at `open`, skipping
/// quoted label values (with their `\"` escapes).
fn closing_brace(line: &str, open: usize) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in line[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '}' if !in_quotes => return Some(open + i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENMETRICS: &str = "\
# HELP external_dns_controller_verified_records Verified records.
# TYPE external_dns_controller_verified_records gauge
external_dns_controller_verified_records{record_type=\"a\"} 3
# HELP flaredns_cloudflare_requests Requests to \\\"Cloudflare\\\".
# TYPE flaredns_cloudflare_requests counter
flaredns_cloudflare_requests_total{operation=\"list\",status=\"200\"} 2
flaredns_cloudflare_requests_created{operation=\"list\",status=\"200\"} 1.7e9
# HELP flaredns_batch_size Records per batch.
# TYPE flaredns_batch_size histogram
# UNIT flaredns_batch_size records
flaredns_batch_size_bucket{le=\"+Inf\",name=\"a # b\"} 1 # {trace=\"x\"} 1.0
flaredns_batch_size_count 1
# HELP flaredns_build Build.
# TYPE flaredns_build info
flaredns_build_info{version=\"1\"} 1
# EOF
";

    #[test]
    fn counters_take_the_total_suffix_and_openmetrics_only_lines_go() {
        let classic = to_classic(OPENMETRICS);
        assert_eq!(
            classic,
            "\
# HELP external_dns_controller_verified_records Verified records.
# TYPE external_dns_controller_verified_records gauge
external_dns_controller_verified_records{record_type=\"a\"} 3
# HELP flaredns_cloudflare_requests_total Requests to \"Cloudflare\".
# TYPE flaredns_cloudflare_requests_total counter
flaredns_cloudflare_requests_total{operation=\"list\",status=\"200\"} 2
# HELP flaredns_batch_size Records per batch.
# TYPE flaredns_batch_size histogram
flaredns_batch_size_bucket{le=\"+Inf\",name=\"a # b\"} 1
flaredns_batch_size_count 1
# HELP flaredns_build_info Build.
# TYPE flaredns_build_info gauge
flaredns_build_info{version=\"1\"} 1
"
        );
    }

    #[test]
    fn the_accept_header_chooses_by_quality() {
        use Format::*;
        let cases = [
            (None, Classic),
            (Some("text/plain;version=0.0.4"), Classic),
            (Some("*/*"), Classic),
            (Some("application/openmetrics-text"), OpenMetrics),
            // What Prometheus 2.x sends.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ),
                OpenMetrics,
            ),
            (
                Some("application/openmetrics-text;q=0.2,text/plain;q=0.5"),
                Classic,
            ),
            (Some("application/openmetrics-text;q=0"), Classic),
            (Some("application/json"), Classic),
        ];
        for (accept, expected) in cases {
            assert_eq!(Format::negotiate(accept), expected, "{accept:?}");
        }
    }
}
