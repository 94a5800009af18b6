//! Go's syntax for flag values, as ExternalDNS (a Go program) reads them: booleans
//! as `strconv.ParseBool` accepts them and durations as `time.ParseDuration`
//! accepts them, plus `time.Duration.String()` to print a duration back in the
//! same form.
//!
//! The duration parser is hand-written: the common crate (`humantime`) reads a
//! different grammar (spaces between parts, units such as `d` and `min`), and
//! flaredns must accept exactly what ExternalDNS accepts, so that a user's
//! `--interval=1m30s` or `--min-ttl=1.5m` means the same thing in both.

use std::time::Duration;

/// A value that is not one of Go's boolean spellings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a boolean; use true or false (or 1/0, t/f)")]
pub struct InvalidBool(pub String);

/// Parses a boolean as Go's `strconv.ParseBool` does: `1 t T TRUE true True` and
/// `0 f F FALSE false False`, nothing else.
pub fn parse_bool(text: &str) -> Result<bool, InvalidBool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(InvalidBool(text.to_string())),
    }
}

/// Why a duration did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDuration {
    #[error("{0:?} is not a duration (examples: 30s, 1m, 1h30m, 1.5s, 500ms)")]
    Malformed(String),
    #[error("{0:?} has a number without a unit (examples: 30s, 1m, 1h30m)")]
    MissingUnit(String),
    #[error("{text:?} has the unit {unit:?}; use ns, us, ms, s, m or h")]
    UnknownUnit { text: String, unit: String },
    #[error("{0:?} is too long (at most about 292 years)")]
    Overflow(String),
    #[error("{0:?} is negative; a duration here must be zero or more")]
    Negative(String),
}

/// Go measures durations in nanoseconds in an `int64`; a magnitude above this
/// does not fit (the negative side holds one more, which only `-` can reach).
const MAX_MAGNITUDE: u64 = 1 << 63;

/// Nanoseconds in one of Go's duration units.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        // Go accepts `us`, the micro sign (U+00B5) and the Greek mu (U+03BC).
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

/// Parses a duration as Go's `time.ParseDuration` does: an optional sign, then
/// one or more decimal numbers (with an optional fraction) each followed by a
/// unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), such as `300ms`, `1.5h` or
/// `2h45m`; `0` alone needs no unit. Negative durations are rejected (no flag
/// takes one), except `-0`, which is zero.
pub fn parse_duration(text: &str) -> Result<Duration, InvalidDuration> {
    let malformed = || InvalidDuration::Malformed(text.to_string());
    let overflow = || InvalidDuration::Overflow(text.to_string());

    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(malformed());
    }

    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(malformed());
        }
        let (whole, after_whole) = leading_int(rest).ok_or_else(overflow)?;
        let had_whole = after_whole.len() != rest.len();
        rest = after_whole;

        let mut fraction = Fraction::default();
        let mut had_fraction = false;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let (parsed, after_fraction) = leading_fraction(after_dot);
            had_fraction = after_fraction.len() != after_dot.len();
            fraction = parsed;
            rest = after_fraction;
        }
        if !had_whole && !had_fraction {
            // A lone "." with no digits on either side.
            return Err(malformed());
        }

        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (unit, after_unit) = rest.split_at(unit_len);
        rest = after_unit;
        if unit.is_empty() {
            return Err(InvalidDuration::MissingUnit(text.to_string()));
        }
        let per_unit = unit_nanos(unit).ok_or_else(|| InvalidDuration::UnknownUnit {
            text: text.to_string(),
            unit: unit.to_string(),
        })?;

        if whole > MAX_MAGNITUDE / per_unit {
            return Err(overflow());
        }
        let mut value = whole * per_unit;
        if fraction.digits > 0 {
            // Go computes the fractional part in floating point, truncating; doing
            // the same keeps `1.0000000005s` and friends identical.
            let extra = (fraction.digits as f64 * (per_unit as f64 / fraction.scale)) as u64;
            value = value.checked_add(extra).ok_or_else(overflow)?;
            if value > MAX_MAGNITUDE {
                return Err(overflow());
            }
        }
        total = total.checked_add(value).ok_or_else(overflow)?;
        if total > MAX_MAGNITUDE {
            return Err(overflow());
        }
    }

    if negative {
        return if total == 0 {
            Ok(Duration::ZERO)
        } else {
            Err(InvalidDuration::Negative(text.to_string()))
        };
    }
    if total > MAX_MAGNITUDE - 1 {
        return Err(overflow());
    }
    Ok(Duration::from_nanos(total))
}

/// Reads the leading decimal digits; `None` when they overflow Go's range.
fn leading_int(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let mut value: u64 = 0;
    for digit in text[..digits].bytes() {
        if value > MAX_MAGNITUDE / 10 {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
        if value > MAX_MAGNITUDE {
            return None;
        }
    }
    Some((value, &text[digits..]))
}

/// The digits after a decimal point, as Go keeps them: as many as fit, with the
/// power of ten they are scaled by.
#[derive(Clone, Copy, Debug)]
struct Fraction {
    digits: u64,
    scale: f64,
}

impl Default for Fraction {
    fn default() -> Self {
        Fraction {
            digits: 0,
            scale: 1.0,
        }
    }
}

/// Reads the digits after a decimal point; digits beyond what fits are skipped.
fn leading_fraction(text: &str) -> (Fraction, &str) {
    let len = text.bytes().take_while(u8::is_ascii_digit).count();
    let mut fraction = Fraction::default();
    let mut full = false;
    for digit in text[..len].bytes() {
        if full {
            continue;
        }
        if fraction.digits > (MAX_MAGNITUDE - 1) / 10 {
            full = true;
            continue;
        }
        let next = fraction.digits * 10 + u64::from(digit - b'0');
        if next > MAX_MAGNITUDE {
            full = true;
            continue;
        }
        fraction.digits = next;
        fraction.scale *= 10.0;
    }
    (fraction, &text[len..])
}

/// Serialises a duration in Go's form (for `#[serde(serialize_with)]`).
pub fn serialize_duration<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_duration(*duration))
}

/// Serialises an optional duration in Go's form, `None` as null.
pub fn serialize_optional_duration<S: serde::Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(d) => serialize_duration(d, serializer),
        None => serializer.serialize_none(),
    }
}

/// Prints a duration as Go's `time.Duration.String()` does: `0s`, `500ms`,
/// `1.5s`, `1m0s`, `1h30m0s`.
pub fn format_duration(duration: Duration) -> String {
    const SECOND: u128 = 1_000_000_000;
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < SECOND {
        let (precision, unit) = match nanos {
            0..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "\u{b5}s"),
            _ => (6, "ms"),
        };
        return format!("{}{unit}", decimal(nanos, precision));
    }
    let seconds = nanos % (60 * SECOND);
    let minutes_total = nanos / (60 * SECOND);
    let hours = minutes_total / 60;
    let minutes = minutes_total % 60;
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes_total > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&decimal(seconds, 9));
    out.push('s');
    out
}

/// `value / 10^precision` in decimal, without trailing zeros in the fraction.
fn decimal(value: u128, precision: u32) -> String {
    let divisor = 10u128.pow(precision);
    let (whole, fraction) = (value / divisor, value % divisor);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:0width$}", width = precision as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn booleans_follow_parse_bool() {
        for text in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(text), Ok(true), "{text}");
        }
        for text in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(text), Ok(false), "{text}");
        }
        for text in ["", "yes", "no", "on", "tRUE", "2", " true", "true "] {
            assert_eq!(parse_bool(text), Err(InvalidBool(text.to_string())));
        }
    }

    #[test]
    fn durations_in_every_unit() {
        let cases = [
            ("0", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("+0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("-0s", Duration::ZERO),
            ("5s", Duration::from_secs(5)),
            ("+5s", Duration::from_secs(5)),
            ("1m", Duration::from_secs(60)),
            ("1h", Duration::from_secs(3600)),
            ("1h30m", Duration::from_secs(5400)),
            ("2h45m10s", Duration::from_secs(2 * 3600 + 45 * 60 + 10)),
            ("500ms", ms(500)),
            ("1.5s", ms(1500)),
            (".5s", ms(500)),
            ("5.s", Duration::from_secs(5)),
            ("1.5h", Duration::from_secs(5400)),
            ("10ns", Duration::from_nanos(10)),
            ("10us", Duration::from_micros(10)),
            ("10\u{b5}s", Duration::from_micros(10)),
            ("10\u{3bc}s", Duration::from_micros(10)),
            ("1h1m1s1ms1us1ns", Duration::from_nanos(3_661_001_001_001)),
            ("1s1s", Duration::from_secs(2)),
            ("0.000000001s", Duration::from_nanos(1)),
            ("0.0000000001s", Duration::ZERO),
            // The largest value Go accepts: 2^63 - 1 nanoseconds.
            (
                "9223372036854775807ns",
                Duration::from_nanos(i64::MAX as u64),
            ),
            (
                "2562047h47m16.854775807s",
                Duration::from_nanos(i64::MAX as u64),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn malformed_durations_say_why() {
        for text in ["", "-", "+", ".", ".s", "s", "-s", " 1s", "x1s", "--1s"] {
            assert_eq!(
                parse_duration(text),
                Err(InvalidDuration::Malformed(text.to_string())),
                "{text}"
            );
        }
        for text in ["1", "1m1", "1.5", "1.2.3s"] {
            assert_eq!(
                parse_duration(text),
                Err(InvalidDuration::MissingUnit(text.to_string())),
                "{text}"
            );
        }
        assert_eq!(
            parse_duration("1d"),
            Err(InvalidDuration::UnknownUnit {
                text: "1d".to_string(),
                unit: "d".to_string()
            })
        );
        assert_eq!(
            parse_duration("5 m"),
            Err(InvalidDuration::UnknownUnit {
                text: "5 m".to_string(),
                unit: " m".to_string()
            })
        );
        assert_eq!(
            parse_duration("1s "),
            Err(InvalidDuration::UnknownUnit {
                text: "1s ".to_string(),
                unit: "s ".to_string()
            })
        );
        assert_eq!(
            parse_duration("1S"),
            Err(InvalidDuration::UnknownUnit {
                text: "1S".to_string(),
                unit: "S".to_string()
            })
        );
        assert_eq!(
            parse_duration("-1s"),
            Err(InvalidDuration::Negative("-1s".to_string()))
        );
        for text in [
            "9223372036854775808ns",
            "2562048h",
            "99999999999999999999s",
            "2562047h48m",
        ] {
            assert_eq!(
                parse_duration(text),
                Err(InvalidDuration::Overflow(text.to_string())),
                "{text}"
            );
        }
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(1_500), "1.5\u{b5}s"),
            (ms(1), "1ms"),
            (ms(500), "500ms"),
            (Duration::from_micros(1_500), "1.5ms"),
            (Duration::from_secs(1), "1s"),
            (ms(1_500), "1.5s"),
            (Duration::from_secs(5), "5s"),
            (Duration::from_secs(30), "30s"),
            (Duration::from_secs(60), "1m0s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(5400), "1h30m0s"),
            (Duration::from_nanos(3_661_001_001_001), "1h1m1.001001001s"),
        ];
        for (duration, expected) in cases {
            assert_eq!(format_duration(duration), expected);
        }
    }

    #[test]
    fn printed_durations_parse_back() {
        for text in ["0s", "1ns", "999ms", "1.5s", "1m0s", "1h30m0s", "12h0m0.5s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(format_duration(parsed), text);
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,24}") {
            let _ = parse_duration(&text);
        }

        #[test]
        fn every_nanosecond_count_round_trips(nanos in 0u64..=(i64::MAX as u64)) {
            let duration = Duration::from_nanos(nanos);
            proptest::prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }
}
