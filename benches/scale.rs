//! Scale benchmark: the release flaredns binary as a separate process against
//! the Kubernetes API test server and the Cloudflare sandbox, both in this
//! process, with N Ingresses, N LoadBalancer Services and N/10 DNSEndpoints.
//!
//! `cargo bench --bench scale -- [--objects N] [--json FILE]` writes one JSON
//! document (to FILE, else stdout) with every figure per scenario, the
//! targets checked, and a model of ExternalDNS's calls labelled as such; a
//! readable summary goes to stderr. See `tests/support/scale/` for what each
//! scenario does and how each figure is taken.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use support::scale::{self, Options};

/// The scale benchmark's options.
#[derive(Debug, Parser)]
#[command(name = "scale", about = "flaredns scale benchmark")]
struct Args {
    /// N: N Ingresses, N LoadBalancer Services and N/10 DNSEndpoints; also the
    /// hostnames of the hostname-sized runs and of adoption.
    #[arg(long, default_value_t = 1_000)]
    objects: usize,
    /// Write the JSON document here instead of stdout.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Churn changes, spread over the objects.
    #[arg(long, default_value_t = 1_000)]
    changes: usize,
    /// Churn changes written back to back per round.
    #[arg(long, default_value_t = 10)]
    burst: usize,
    /// Pods created that no Service needs.
    #[arg(long, default_value_t = 50_000)]
    pods: usize,
    /// Resync intervals counted in steady state.
    #[arg(long, default_value_t = 3)]
    intervals: u64,
    /// `--interval` of the steady-state controller, in seconds.
    #[arg(long, default_value_t = 2)]
    interval_seconds: u64,
    /// The controller's `--plan-slice-size` (its default when not given).
    #[arg(long, value_name = "N")]
    plan_slice_size: Option<usize>,
    /// Cargo passes `--bench` to every benchmark; it means nothing here.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        changes: args.changes,
        burst: args.burst,
        pods: args.pods,
        intervals: args.intervals,
        interval: Duration::from_secs(args.interval_seconds.max(1)),
        plan_slice_size: args.plan_slice_size,
        ..Options::for_objects(args.objects)
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(scale::run(&options)) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("scale run failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprint!("{}", report.summary());
    let json = match serde_json::to_string_pretty(&report) {
        Ok(json) => json,
        Err(error) => {
            eprintln!("cannot encode the report: {error}");
            return ExitCode::FAILURE;
        }
    };
    let written = match &args.json {
        Some(path) => std::fs::write(path, json + "\n"),
        None => {
            println!("{json}");
            Ok(())
        }
    };
    if let Err(error) = written {
        eprintln!("cannot write the report: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
