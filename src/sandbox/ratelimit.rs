//! Cloudflare's per-user rate limit: a budget of requests per fixed window; the
//! request past the budget starts a lock-out during which every call is refused
//! with 429. The caller passes the time in, so the rules are tested without
//! waiting.

use std::time::{Duration, Instant};

use super::config::RateLimitConfig;

/// The limiter's answer for one request, with what the headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// Requests left in the window.
    pub remaining: u32,
    /// Whole seconds until the window resets or the lock-out ends.
    pub reset_secs: u64,
    /// On refusal, the `Retry-After` seconds (at least 1).
    pub retry_after: Option<u64>,
}

/// The budget's state.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    window_start: Option<Instant>,
    used: u32,
    locked_until: Option<Instant>,
}

/// Whole seconds, rounded up, as `Retry-After` and `Ratelimit` report them.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimiter {
            config,
            window_start: None,
            used: 0,
            locked_until: None,
        }
    }

    /// Counts one request at `now` and decides whether it may proceed.
    pub fn check(&mut self, now: Instant) -> Verdict {
        if let Some(until) = self.locked_until {
            if now < until {
                return refused(until - now);
            }
            self.reset();
        }
        let start = match self.window_start {
            Some(start) if now < start + self.config.window => start,
            _ => {
                self.window_start = Some(now);
                self.used = 0;
                now
            }
        };
        if self.used < self.config.requests {
            self.used += 1;
            return Verdict {
                allowed: true,
                remaining: self.config.requests - self.used,
                reset_secs: ceil_secs((start + self.config.window).saturating_duration_since(now)),
                retry_after: None,
            };
        }
        self.locked_until = Some(now + self.config.lockout);
        refused(self.config.lockout)
    }

    /// Forgets the window and any lock-out.
    pub fn reset(&mut self) {
        self.window_start = None;
        self.used = 0;
        self.locked_until = None;
    }

    /// The `Ratelimit` header for a verdict.
    pub fn header(verdict: &Verdict) -> String {
        format!(
            "\"default\";r={};t={}",
            verdict.remaining, verdict.reset_secs
        )
    }

    /// The `Ratelimit-Policy` header.
    pub fn policy_header(&self) -> String {
        format!(
            "\"default\";q={};w={}",
            self.config.requests,
            ceil_secs(self.config.window)
        )
    }
}

fn refused(wait: Duration) -> Verdict {
    let secs = ceil_secs(wait).max(1);
    Verdict {
        allowed: false,
        remaining: 0,
        reset_secs: secs,
        retry_after: Some(secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimitConfig {
            requests: 3,
            window: Duration::from_secs(10),
            lockout: Duration::from_secs(60),
        })
    }

    #[test]
    fn the_budget_counts_down_then_locks_out() {
        let mut l = limiter();
        let t0 = Instant::now();
        let remaining: Vec<u32> = (0..3).map(|_| l.check(t0).remaining).collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let v = l.check(t0 + Duration::from_secs(1));
        assert!(!v.allowed);
        assert_eq!(v.retry_after, Some(60));
        // Refused for the whole lock-out, even after the window has passed.
        let v = l.check(t0 + Duration::from_secs(30));
        assert!(!v.allowed);
        assert_eq!(v.retry_after, Some(31));
        // After the lock-out a fresh window starts.
        let v = l.check(t0 + Duration::from_secs(61));
        assert!(v.allowed);
        assert_eq!(v.remaining, 2);
    }

    #[test]
    fn a_new_window_restores_the_budget() {
        let mut l = limiter();
        let t0 = Instant::now();
        l.check(t0);
        l.check(t0);
        let v = l.check(t0 + Duration::from_millis(9_500));
        assert_eq!((v.remaining, v.reset_secs), (0, 1));
        let v = l.check(t0 + Duration::from_secs(10));
        assert!(v.allowed);
        assert_eq!((v.remaining, v.reset_secs), (2, 10));
    }

    #[test]
    fn headers_follow_the_live_format() {
        let mut l = limiter();
        let v = l.check(Instant::now());
        assert_eq!(RateLimiter::header(&v), "\"default\";r=2;t=10");
        assert_eq!(l.policy_header(), "\"default\";q=3;w=10");
    }
}
