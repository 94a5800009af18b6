//! Logging with tracing-subscriber: `--log-level` with ExternalDNS's (logrus)
//! level names, `--log-format=text|json`, and `RUST_LOG` for finer filters.

use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// How much to log (`--log-level`), with logrus's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogLevel {
    /// Nothing but panics.
    Panic,
    /// Only failures that stop flaredns.
    Fatal,
    /// Failures.
    Error,
    /// Failures and what may need attention.
    #[value(alias = "warn")]
    Warning,
    /// Also what flaredns does.
    Info,
    /// Also details for diagnosis.
    Debug,
    /// Everything.
    Trace,
}

/// How log lines look (`--log-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// One readable line per entry.
    Text,
    /// One JSON object per line.
    Json,
}

/// The tracing filter for a logrus level name. `panic` and `fatal` keep only
/// errors (tracing has no coarser level); dependencies log at warning and above
/// unless flaredns itself is at trace.
pub fn filter(level: LogLevel) -> EnvFilter {
    let ours = match level {
        LogLevel::Panic | LogLevel::Fatal | LogLevel::Error => "error",
        LogLevel::Warning => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    };
    let others = if level == LogLevel::Trace {
        "debug"
    } else {
        "warn"
    };
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{others},flaredns={ours}")))
}

/// Installs the process's logger (once; later calls are ignored).
pub fn init(level: LogLevel, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(level))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
