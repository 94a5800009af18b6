//! One rate-limit budget for every Cloudflare call the process makes.
//!
//! Cloudflare allows 1,200 requests per 5 minutes per user (all of the user's
//! tokens and the dashboard share it), and once the limit is hit it refuses every
//! call for five minutes (HTTP 429, code 971). flaredns therefore paces itself
//! well below the limit instead of reacting to 429s:
//!
//! - a sliding window of `requests` per `window` (default 1,000 per 300 s, leaving
//!   headroom for other users of the same token) and a per-second cap;
//! - the `Ratelimit: "default";r=<remaining>;t=<seconds>` header lowers the budget
//!   when others spend it;
//! - a 429 locks every call out until its `Retry-After` has passed.
//!
//! The limiter is a pure state machine over `Instant`s so that tests can drive it
//! without a clock; the client sleeps until [`Limiter::earliest_send`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Cloudflare's documented budget per user.
pub const CLOUDFLARE_REQUESTS_PER_WINDOW: u32 = 1_200;
/// Cloudflare's window.
pub const CLOUDFLARE_WINDOW: Duration = Duration::from_secs(300);

/// How fast flaredns may call the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests allowed per `window`.
    pub requests: u32,
    pub window: Duration,
    /// Requests allowed in any one second.
    pub per_second: u32,
}

impl Default for RateLimitConfig {
    /// 1,000 per 5 minutes (a sixth of the budget left to other users of the
    /// token) and 10 per second (far below the 200 per second per IP, and enough
    /// for an initial sync of 10,000 hostnames in about 11 s).
    fn default() -> Self {
        RateLimitConfig {
            requests: 1_000,
            window: CLOUDFLARE_WINDOW,
            per_second: 10,
        }
    }
}

/// What Cloudflare's `Ratelimit` header says: requests left and seconds until the
/// window resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerBudget {
    pub remaining: u32,
    pub reset_after: Duration,
}

/// Parses `"default";r=50;t=30`. Unknown parameters are ignored; a header without
/// `r` is not understood (`None`).
pub fn parse_ratelimit_header(value: &str) -> Option<ServerBudget> {
    let mut remaining = None;
    let mut reset = None;
    for part in value.split(';').map(str::trim) {
        if let Some(r) = part.strip_prefix("r=") {
            remaining = r.trim().parse().ok();
        } else if let Some(t) = part.strip_prefix("t=") {
            reset = t.trim().parse().ok();
        }
    }
    Some(ServerBudget {
        remaining: remaining?,
        reset_after: Duration::from_secs(reset.unwrap_or(0)),
    })
}

/// Parses `Retry-After` given in seconds (Cloudflare's form); an HTTP date or a
/// missing header falls back to Cloudflare's five-minute lock-out.
pub fn parse_retry_after(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(CLOUDFLARE_WINDOW)
}

/// The process-wide budget.
#[derive(Debug)]
pub struct Limiter {
    config: RateLimitConfig,
    /// Send times within the last window, oldest first.
    sent: VecDeque<Instant>,
    /// No request before this instant (after a 429).
    locked_until: Option<Instant>,
    /// What the server last said is left, and until when that holds.
    server: Option<(u32, Instant)>,
}

impl Limiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Limiter {
            config,
            sent: VecDeque::new(),
            locked_until: None,
            server: None,
        }
    }

    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some(first) = self.sent.front() {
            if now.saturating_duration_since(*first) >= self.config.window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if let Some((_, until)) = self.server
            && now >= until
        {
            self.server = None;
        }
        if let Some(until) = self.locked_until
            && now >= until
        {
            self.locked_until = None;
        }
    }

    /// The earliest instant the next request may be sent (`now` if it may go now).
    pub fn earliest_send(&mut self, now: Instant) -> Instant {
        self.forget_before(now);
        let mut at = now;
        if let Some(until) = self.locked_until {
            at = at.max(until);
        }
        let budget = self.config.requests.max(1) as usize;
        if self.sent.len() >= budget {
            // The request that leaves the window first frees a slot.
            let oldest = self.sent[self.sent.len() - budget];
            at = at.max(oldest + self.config.window);
        }
        let per_second = self.config.per_second.max(1) as usize;
        if self.sent.len() >= per_second {
            let nth = self.sent[self.sent.len() - per_second];
            at = at.max(nth + Duration::from_secs(1));
        }
        if let Some((0, until)) = self.server {
            at = at.max(until);
        }
        at
    }

    /// Records a request sent at `at`.
    pub fn record_send(&mut self, at: Instant) {
        self.sent.push_back(at);
        if let Some((remaining, _)) = &mut self.server {
            *remaining = remaining.saturating_sub(1);
        }
    }

    /// Takes in the server's `Ratelimit` header from a response received at `now`.
    pub fn observe(&mut self, now: Instant, budget: ServerBudget) {
        self.server = Some((budget.remaining, now + budget.reset_after));
    }

    /// A 429: nothing may be sent until `retry_after` has passed.
    pub fn lock_out(&mut self, now: Instant, retry_after: Duration) {
        let until = now + retry_after;
        self.locked_until = Some(self.locked_until.map_or(until, |u| u.max(until)));
    }

    /// Requests left in the current window (the smaller of our own budget and what
    /// the server last reported): the `flaredns_cloudflare_rate_limit_remaining`
    /// figure.
    pub fn remaining(&mut self, now: Instant) -> u32 {
        self.forget_before(now);
        if self.locked_until.is_some() {
            return 0;
        }
        let own = self.config.requests.saturating_sub(self.sent.len() as u32);
        match self.server {
            Some((server, _)) => own.min(server),
            None => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, window: u64, per_second: u32) -> Limiter {
        Limiter::new(RateLimitConfig {
            requests,
            window: Duration::from_secs(window),
            per_second,
        })
    }

    #[test]
    fn the_window_budget_is_never_exceeded() {
        let start = Instant::now();
        let mut l = limiter(5, 60, 100);
        let mut now = start;
        let mut sends = Vec::new();
        for _ in 0..12 {
            now = l.earliest_send(now);
            l.record_send(now);
            sends.push(now);
        }
        // No 60-second window holds more than 5 sends.
        for (i, s) in sends.iter().enumerate() {
            let in_window = sends[i..]
                .iter()
                .filter(|t| t.duration_since(*s) < Duration::from_secs(60))
                .count();
            assert!(
                in_window <= 5,
                "window starting at send {i} has {in_window}"
            );
        }
        assert_eq!(sends[5].duration_since(start), Duration::from_secs(60));
        assert_eq!(sends[10].duration_since(start), Duration::from_secs(120));
    }

    #[test]
    fn the_per_second_cap_spreads_bursts() {
        let start = Instant::now();
        let mut l = limiter(1000, 300, 10);
        let mut now = start;
        for _ in 0..25 {
            now = l.earliest_send(now);
            l.record_send(now);
        }
        assert_eq!(now.duration_since(start), Duration::from_secs(2));
    }

    #[test]
    fn a_429_locks_every_call_out_until_retry_after() {
        let start = Instant::now();
        let mut l = limiter(1000, 300, 10);
        l.lock_out(start, Duration::from_secs(30));
        assert_eq!(l.earliest_send(start), start + Duration::from_secs(30));
        assert_eq!(l.remaining(start), 0);
        let later = start + Duration::from_secs(31);
        assert_eq!(l.earliest_send(later), later);
    }

    #[test]
    fn the_server_header_lowers_the_budget() {
        let start = Instant::now();
        let mut l = limiter(1000, 300, 100);
        l.observe(
            start,
            ServerBudget {
                remaining: 2,
                reset_after: Duration::from_secs(40),
            },
        );
        assert_eq!(l.remaining(start), 2);
        l.record_send(start);
        l.record_send(start);
        assert_eq!(l.earliest_send(start), start + Duration::from_secs(40));
    }

    #[test]
    fn headers_parse_as_cloudflare_sends_them() {
        assert_eq!(
            parse_ratelimit_header("\"default\";r=50;t=30"),
            Some(ServerBudget {
                remaining: 50,
                reset_after: Duration::from_secs(30)
            })
        );
        assert_eq!(parse_ratelimit_header("garbage"), None);
        assert_eq!(parse_retry_after(Some("17")), Duration::from_secs(17));
        assert_eq!(parse_retry_after(None), CLOUDFLARE_WINDOW);
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            CLOUDFLARE_WINDOW
        );
    }
}
