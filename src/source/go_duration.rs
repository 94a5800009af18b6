//! Go's `time.ParseDuration`, so that a `ttl` annotation means what it means to
//! ExternalDNS.
//!
//! Written by hand because Go's syntax is its own: several units in a row
//! (`1h1m1s`), decimal fractions (`20.5s`), `µs`/`μs` spellings, a bare `0`, a
//! sign, and overflow at the `int64` nanosecond limit. General-purpose duration
//! crates such as `humantime` accept a different syntax (`1d`, spaces between
//! units), and a TTL that parses differently would rewrite records on adoption.

/// Why a string is not a Go duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is not a duration")]
    Invalid(String),
    #[error("{0:?} has a number without a unit (units: ns, us, ms, s, m, h)")]
    MissingUnit(String),
    #[error("unknown unit {unit:?} in duration {input:?} (units: ns, us, ms, s, m, h)")]
    UnknownUnit { unit: String, input: String },
    #[error("{0:?} is too long a duration (at most about 292 years)")]
    Overflow(String),
}

/// Nanoseconds per unit, as Go spells the units.
fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        // Go accepts the ASCII spelling and both Unicode micro signs.
        "us" | "\u{00b5}s" | "\u{03bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// The largest magnitude Go accepts before applying the sign: 2^63 nanoseconds.
const LIMIT: u64 = 1 << 63;

/// Parses a Go duration (`300ms`, `-1.5h`, `2h45m`) into nanoseconds.
pub fn parse_duration_nanos(input: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(input.to_string());
    let mut rest = input;
    let mut negative = false;
    if let Some(first) = rest.chars().next()
        && (first == '-' || first == '+')
    {
        negative = first == '-';
        rest = &rest[1..];
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let (whole, after_whole, whole_digits) = leading_int(rest).ok_or_else(invalid)?;
        rest = after_whole;
        let mut fraction = (0u64, 1f64, 0usize);
        if let Some(after_dot) = rest.strip_prefix('.') {
            let (digits, scale, after_fraction, count) = leading_fraction(after_dot);
            fraction = (digits, scale, count);
            rest = after_fraction;
        }
        if whole_digits == 0 && fraction.2 == 0 {
            // "." or ".s": no digits on either side of the point.
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_string()));
        }
        let nanos = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit.to_string(),
            input: input.to_string(),
        })?;
        let overflow = || DurationError::Overflow(input.to_string());
        if whole > LIMIT / nanos {
            return Err(overflow());
        }
        let mut value = whole * nanos;
        if fraction.0 > 0 {
            // Go scales the fraction in floating point and truncates; so do we.
            let extra = (fraction.0 as f64 * (nanos as f64 / fraction.1)) as u64;
            value = value.checked_add(extra).ok_or_else(overflow)?;
            if value > LIMIT {
                return Err(overflow());
            }
        }
        total = total.checked_add(value).ok_or_else(overflow)?;
        if total > LIMIT {
            return Err(overflow());
        }
    }
    if negative {
        // -2^63 is representable; `total <= LIMIT` was checked above.
        return Ok((-i128::from(total)) as i64);
    }
    i64::try_from(total).map_err(|_| DurationError::Overflow(input.to_string()))
}

/// Leading decimal digits as an integer: (value, rest, digit count). `None` when
/// the value exceeds 2^63, as Go's `leadingInt` reports.
fn leading_int(s: &str) -> Option<(u64, &str, usize)> {
    let mut value: u64 = 0;
    let mut count = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        if value > LIMIT / 10 {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
        if value > LIMIT {
            return None;
        }
        count += 1;
    }
    Some((value, &s[count..], count))
}

/// Leading fraction digits: (digits as integer, 10^kept digits, rest, digit count).
/// Digits beyond what fits are consumed but dropped, as Go does.
fn leading_fraction(s: &str) -> (u64, f64, &str, usize) {
    let mut value: u64 = 0;
    let mut scale = 1f64;
    let mut overflowed = false;
    let mut count = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        count += 1;
        if overflowed {
            continue;
        }
        if value > (LIMIT - 1) / 10 {
            overflowed = true;
            continue;
        }
        let next = value * 10 + u64::from(b - b'0');
        if next > LIMIT {
            overflowed = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale, &s[count..], count)
}

/// Whole seconds of a duration in nanoseconds, as Go's `int64(d.Seconds())`
/// computes them (through a float, truncated toward zero).
pub fn whole_seconds(nanos: i64) -> i64 {
    let seconds = nanos / 1_000_000_000;
    let rest = nanos % 1_000_000_000;
    (seconds as f64 + rest as f64 / 1e9) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> i64 {
        parse_duration_nanos(s).unwrap()
    }

    #[test]
    fn parses_go_examples() {
        assert_eq!(ns("0"), 0);
        assert_eq!(ns("-0"), 0);
        assert_eq!(ns("10m"), 600_000_000_000);
        assert_eq!(ns("1h1m1s"), 3_661_000_000_000);
        assert_eq!(ns("20.5s"), 20_500_000_000);
        assert_eq!(ns("500ms"), 500_000_000);
        assert_eq!(ns("1.5h"), 5_400_000_000_000);
        assert_eq!(ns(".5s"), 500_000_000);
        assert_eq!(ns("5.s"), 5_000_000_000);
        assert_eq!(ns("-1s"), -1_000_000_000);
        assert_eq!(ns("+2m"), 120_000_000_000);
        assert_eq!(ns("3us"), 3_000);
        assert_eq!(ns("3µs"), 3_000);
        assert_eq!(ns("3μs"), 3_000);
        assert_eq!(ns("1ns"), 1);
        assert_eq!(ns("9223372036854775807ns"), i64::MAX);
        assert_eq!(ns("-9223372036854775808ns"), i64::MIN);
        // Excess fraction digits are dropped, not an error.
        assert_eq!(ns("0.1234567890123456789012345s"), 123_456_789);
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "", "+", "-", ".", ".s", "s", "60", "+60", "1d", "1.5", " 60", "60 ", "1h 1m", "1e3s",
        ] {
            assert!(parse_duration_nanos(bad).is_err(), "{bad:?} should fail");
        }
        assert!(matches!(
            parse_duration_nanos("1d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration_nanos("60"),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            parse_duration_nanos("9223372036854775808ns"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_duration_nanos("3000000h"),
            Err(DurationError::Overflow(_))
        ));
        assert!(parse_duration_nanos("99999999999999999999s").is_err());
    }

    #[test]
    fn seconds_truncate_toward_zero() {
        assert_eq!(whole_seconds(ns("20.5s")), 20);
        assert_eq!(whole_seconds(ns("500ms")), 0);
        assert_eq!(whole_seconds(ns("-1.5s")), -1);
        assert_eq!(whole_seconds(ns("10m")), 600);
    }
}
