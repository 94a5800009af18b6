//! Injected faults: added latency, a run of 429 answers, a 5xx answer to one
//! write (nothing applied), and one write applied whose connection is then
//! dropped. Positions count write calls from when the fault is set.

use std::time::Duration;

use super::config::{FailWrite, FaultConfig, Throttle};

/// What happens to one write call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFault {
    None,
    /// Answer this 5xx status without applying the write.
    Fail(u16),
    /// Apply the write, then drop the connection without an answer.
    ResetAfterApply,
}

/// The faults in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    latency: Duration,
    /// Delay added after a request was processed, before its answer: a client
    /// that times out then does not know that its write was applied.
    answer_delay: Duration,
    throttle_left: u32,
    throttle_retry_after: Duration,
    /// Write calls seen so far.
    writes_seen: u64,
    /// The write call (by absolute count) that fails, and its status.
    fail_at: Option<(u64, u16)>,
    /// The write call (by absolute count) whose connection is dropped.
    reset_at: Option<u64>,
}

impl Faults {
    /// The faults a sandbox starts with.
    pub fn new(config: FaultConfig) -> Self {
        let mut faults = Faults::default();
        faults.set_latency(config.latency);
        if let Some(throttle) = config.throttle {
            faults.throttle(throttle);
        }
        if let Some(fail) = config.fail_write {
            faults.fail_write(fail);
        }
        if let Some(nth) = config.reset_after_write {
            faults.reset_after_write(nth);
        }
        faults
    }

    /// The delay added before every answer.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    pub fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }

    /// The delay added after processing, before the answer.
    pub fn answer_delay(&self) -> Duration {
        self.answer_delay
    }

    pub fn set_answer_delay(&mut self, delay: Duration) {
        self.answer_delay = delay;
    }

    /// Refuses the next `throttle.calls` calls with 429.
    pub fn throttle(&mut self, throttle: Throttle) {
        self.throttle_left = throttle.calls;
        self.throttle_retry_after = throttle.retry_after;
    }

    /// Fails the `fail.nth` write call from now.
    pub fn fail_write(&mut self, fail: FailWrite) {
        self.fail_at = Some((self.writes_seen.saturating_add(fail.nth), fail.status));
    }

    /// Drops the connection of the `nth` write call from now, after applying it.
    pub fn reset_after_write(&mut self, nth: u64) {
        self.reset_at = Some(self.writes_seen.saturating_add(nth));
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        *self = Faults {
            writes_seen: self.writes_seen,
            ..Faults::default()
        };
    }

    /// Consumes one throttled call, if any are left: the `Retry-After` to send.
    pub fn take_throttle(&mut self) -> Option<Duration> {
        if self.throttle_left == 0 {
            return None;
        }
        self.throttle_left -= 1;
        Some(self.throttle_retry_after)
    }

    /// Counts one write call and says what happens to it.
    pub fn on_write(&mut self) -> WriteFault {
        self.writes_seen += 1;
        if let Some((at, status)) = self.fail_at
            && at == self.writes_seen
        {
            self.fail_at = None;
            return WriteFault::Fail(status);
        }
        if self.reset_at == Some(self.writes_seen) {
            self.reset_at = None;
            return WriteFault::ResetAfterApply;
        }
        WriteFault::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_faults_count_from_when_they_are_set() {
        let mut f = Faults::default();
        assert_eq!(f.on_write(), WriteFault::None);
        f.fail_write(FailWrite {
            nth: 2,
            status: 503,
        });
        f.reset_after_write(3);
        let seen: Vec<WriteFault> = (0..4).map(|_| f.on_write()).collect();
        assert_eq!(
            seen,
            vec![
                WriteFault::None,
                WriteFault::Fail(503),
                WriteFault::ResetAfterApply,
                WriteFault::None
            ]
        );
    }

    #[test]
    fn throttling_lasts_the_given_number_of_calls() {
        let mut f = Faults::new(FaultConfig {
            throttle: Some(Throttle {
                calls: 2,
                retry_after: Duration::from_secs(7),
            }),
            ..FaultConfig::default()
        });
        assert_eq!(f.take_throttle(), Some(Duration::from_secs(7)));
        assert_eq!(f.take_throttle(), Some(Duration::from_secs(7)));
        assert_eq!(f.take_throttle(), None);
    }

    #[test]
    fn clearing_keeps_the_write_count() {
        let mut f = Faults::default();
        f.on_write();
        f.reset_after_write(1);
        f.set_latency(Duration::from_millis(5));
        f.clear();
        assert_eq!(f.latency(), Duration::ZERO);
        assert_eq!(f.on_write(), WriteFault::None);
        f.reset_after_write(1);
        assert_eq!(f.on_write(), WriteFault::ResetAfterApply);
    }
}
