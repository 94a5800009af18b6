//! What flaredns says once at start-up about flags it accepts for
//! ExternalDNS compatibility but has no use for.

use std::fmt;
use std::time::Duration;

use super::*;
use crate::go_syntax;

/// Something flaredns says once at start-up about how it treats a flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartupNote {
    /// An ExternalDNS cache flag was set: flaredns has nothing to cache.
    NoCacheNeeded { flag: &'static str, value: Duration },
}

impl fmt::Display for StartupNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartupNote::NoCacheNeeded { flag, value } => write!(
                f,
                "{flag}={} has no effect: flaredns reads each zone once per pass and \
                 keeps a view of it between passes, so it needs no cache",
                go_syntax::format_duration(*value)
            ),
        }
    }
}

impl Config {
    /// What the controller logs at start-up about the flags it accepts for
    /// ExternalDNS compatibility but has no use for.
    pub fn startup_notes(&self) -> Vec<StartupNote> {
        [
            ("--txt-cache-interval", self.registry.cache_interval),
            ("--provider-cache-time", self.provider.cache_time),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_zero())
        .map(|(flag, value)| StartupNote::NoCacheNeeded { flag, value })
        .collect()
    }
}
