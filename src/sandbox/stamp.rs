//! Identities and time stamps for what the sandbox creates: 32-hex ids, API
//! tokens, and `modified_on` times that strictly increase.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngExt;
use rand::distr::Alphanumeric;

/// A fresh zone, record or token id: 32 lowercase hex characters, as Cloudflare's.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `s` has the shape of a Cloudflare id.
pub fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh API token value: 40 letters and digits, the shape of a Cloudflare token.
pub fn new_token() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

/// Hands out time stamps in microseconds since the Unix epoch that strictly
/// increase, so that every write changes `modified_on` even when two writes fall
/// in the same microsecond.
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<u64>,
}

impl Clock {
    /// The next time stamp, formatted as the API formats times.
    pub fn stamp(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let next = now.max(last.saturating_add(1));
        *last = next;
        format_micros(next)
    }
}

/// Formats microseconds since the Unix epoch as `2014-01-01T05:20:00.123456Z`.
///
/// Written out rather than taken from a date crate: this is the only date
/// arithmetic the crate needs, and the civil-date conversion is a few lines
/// (Howard Hinnant's `civil_from_days`).
pub fn format_micros(micros: u64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to a (year, month, day) date in the proleptic
/// Gregorian calendar.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_use_the_api_format() {
        assert_eq!(format_micros(0), "1970-01-01T00:00:00.000000Z");
        // 2014-01-01T05:20:00.12345Z, the schema's example.
        assert_eq!(
            format_micros(1_388_553_600_123_450),
            "2014-01-01T05:20:00.123450Z"
        );
        // A leap day.
        assert_eq!(
            format_micros(1_709_164_800_000_000),
            "2024-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn stamps_strictly_increase() {
        let clock = Clock::default();
        let stamps: Vec<String> = (0..1000).map(|_| clock.stamp()).collect();
        assert!(stamps.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn ids_and_tokens_have_the_api_shape() {
        let id = new_id();
        assert!(is_id(&id), "{id}");
        assert!(!is_id("023E105F4ECEF8AD9CA31A8372D0C353"));
        assert!(!is_id("example.com"));
        let token = new_token();
        assert_eq!(token.len(), 40);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
