//! Memory and CPU of the flaredns process, read from `/proc/<pid>/status` and
//! `/proc/<pid>/stat`, and a background sampler that keeps the highest resident
//! size it saw.
//!
//! Hand-written rather than taken from a crate: two fields of two text files
//! are all that is read, and the parsing is a few lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// How often the sampler reads `/proc`.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// One reading of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Reading {
    /// Resident set size now (`VmRSS`), in bytes.
    pub rss_bytes: u64,
    /// The kernel's high-water mark of the resident set (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
    /// User plus system CPU time so far, in seconds.
    pub cpu_seconds: f64,
}

/// Reads the process now; `None` once it has exited (or off Linux).
pub fn read(pid: u32) -> Option<Reading> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(Reading {
        rss_bytes: status_kib(&status, "VmRSS:")? * 1024,
        peak_rss_bytes: status_kib(&status, "VmHWM:")? * 1024,
        cpu_seconds: cpu_ticks(&stat)? as f64 / clock_ticks_per_second() as f64,
    })
}

/// A `/proc/<pid>/status` field given in kB, e.g. `VmRSS:    12345 kB`.
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `utime + stime` from `/proc/<pid>/stat`, in clock ticks. The command name
/// (field 2) may hold spaces and parentheses, so fields are counted from the
/// last `)`: utime and stime are fields 14 and 15 of the line, the 12th and
/// 13th after it.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf` (the crate has no libc binding);
/// 100, its value on every common Linux build, when that fails.
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// Samples a process's resident size every 50 ms until dropped, keeping the
/// highest value seen (a cross-check of the kernel's `VmHWM`).
#[derive(Debug)]
pub struct Sampler {
    pid: u32,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    /// Starts sampling `pid` on the current runtime.
    pub fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&peak);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                match read(pid) {
                    Some(r) => {
                        seen.fetch_max(r.rss_bytes, Ordering::Relaxed);
                    }
                    None => return,
                }
            }
        });
        Sampler { pid, peak, task }
    }

    /// The highest resident size sampled so far, in bytes.
    pub fn sampled_peak_bytes(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// The process now.
    pub fn now(&self) -> Option<Reading> {
        read(self.pid)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}
