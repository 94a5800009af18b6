//! Faults a test arms through the handle: failing requests and added latency.
//! (Cutting watches and expiring the history act on the store and the watch
//! streams instead; see the handle.)

use std::time::Duration;

/// Armed failures: each rule answers 500 to its next `remaining` requests,
/// for one resource (a plural) or for any request.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    rules: Vec<FailureRule>,
    latency: Duration,
}

#[derive(Clone, Debug)]
struct FailureRule {
    remaining: usize,
    resource: Option<String>,
}

impl Faults {
    /// Arms `count` failures, for `resource` only when given.
    pub fn fail_next(&mut self, count: usize, resource: Option<&str>) {
        if count > 0 {
            self.rules.push(FailureRule {
                remaining: count,
                resource: resource.map(str::to_owned),
            });
        }
    }

    /// Whether this request (on `resource`, if the path names one) must fail;
    /// uses up one failure of the first matching rule.
    pub fn take_failure(&mut self, resource: Option<&str>) -> bool {
        let hit = self
            .rules
            .iter_mut()
            .find(|r| r.resource.is_none() || r.resource.as_deref() == resource);
        let Some(rule) = hit else {
            return false;
        };
        rule.remaining -= 1;
        self.rules.retain(|r| r.remaining > 0);
        true
    }

    /// Failures still armed.
    pub fn pending(&self) -> usize {
        self.rules.iter().map(|r| r.remaining).sum()
    }

    /// Delay before every answer.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Sets the delay before every answer.
    pub fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }
}
