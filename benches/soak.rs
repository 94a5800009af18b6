//! Soak run: the real binary for a bounded time (30 minutes by default) under
//! random churn and random faults, then every invariant; prints one JSON
//! summary and fails when it lists a violation. See docs/soak.md.
//!
//! `cargo bench --bench soak -- [--minutes N] [--seed S] [--json FILE]`

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use support::soak::{SoakConfig, run};

/// The soak run's options.
#[derive(Debug, Parser)]
#[command(about = "Runs flaredns under random churn and faults, then checks every invariant")]
struct Args {
    /// How long churn and faults last.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// The random seed (changes and faults); random when not given, and
    /// printed in the summary so that a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// Also write the summary to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Minutes between checkpoints (churn pauses, the zone converges, every
    /// invariant is checked and the history so far dropped); 0 for none.
    #[arg(long, default_value_t = 5)]
    checkpoint_minutes: u64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = SoakConfig {
        duration: Duration::from_secs(args.minutes * 60),
        seed: args.seed.unwrap_or_else(rand::random),
        checkpoint_every: (args.checkpoint_minutes > 0)
            .then(|| Duration::from_secs(args.checkpoint_minutes * 60)),
    };
    let summary = runtime.block_on(run(config));
    let json = match serde_json::to_string_pretty(&summary) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("cannot write the summary: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{json}");
    if let Some(path) = &args.json
        && let Err(e) = std::fs::write(path, format!("{json}\n"))
    {
        eprintln!("cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if summary.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
