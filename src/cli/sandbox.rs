//! `flaredns sandbox`: a local Cloudflare-compatible API, and the whole loop on
//! the guide's example against it, with no cluster and no Cloudflare account.
//!
//! Without `--serve` it starts the sandbox on a free loopback port, seeds it with
//! the guide's zone, plans the guide's manifests with the real planner, applies
//! the plan with the real client over HTTP, prints what it did, then runs a
//! second pass that must write nothing. With `--serve` it keeps the sandbox
//! running for other programs (`flaredns plan`, a user's CI) to point at.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use comfy_table::Table;
use comfy_table::presets::NOTHING;

use super::Command;
use super::zone_file::{RecordZone, parse_record_list, zone_records};
use crate::config::Config;
use crate::endpoint::{Zone, ZoneRecord, normalize_name};
use crate::plan::Desired;
use crate::plan::report::Report;
use crate::provider::cloudflare::credentials::{CloudflareCredentials, TokenSource};
use crate::provider::cloudflare::types::ReadRecord;
use crate::reconcile::{ReconcileReport, converge};
use crate::sandbox::{
    PlanTier, RecordDataFields, RecordInput, Sandbox, SandboxConfig, SandboxHandle, SettingsObject,
};
use crate::secret::Secret;
use crate::setup;
use crate::source::manifest::{self, Format, Manifests};

/// The guide's settings, as its HelmRelease gives them.
pub const GUIDE_FLAGS: [&str; 8] = [
    "--source=ingress",
    "--source=service",
    "--source=crd",
    "--provider=cloudflare",
    "--policy=sync",
    "--txt-owner-id=production-cluster-01",
    "--domain-filter=example.com",
    "--cloudflare-proxied=true",
];

/// The guide's example, built into the binary so that `flaredns sandbox` runs
/// from any folder.
const GUIDE_MANIFESTS: [(&str, &str); 3] = [
    (
        "examples/guide/nginx-app.yaml",
        include_str!("../../examples/guide/nginx-app.yaml"),
    ),
    (
        "examples/guide/nginx-ingress.yaml",
        include_str!("../../examples/guide/nginx-ingress.yaml"),
    ),
    (
        "examples/guide/custom-record.yaml",
        include_str!("../../examples/guide/custom-record.yaml"),
    ),
];
const GUIDE_ZONE: &str = include_str!("../../examples/guide/zone.json");

/// Where the sandbox listens with `--serve` unless told otherwise.
const DEFAULT_SERVE_ADDRESS: &str = "127.0.0.1:8787";

/// `flaredns sandbox` flags.
#[derive(Clone, Debug, Args)]
pub struct SandboxArgs {
    /// Keep the sandbox running (until Ctrl-C) instead of running the example.
    #[arg(long)]
    pub serve: bool,
    /// Address to listen on with --serve (loopback unless you say otherwise).
    #[arg(long, value_name = "ADDR", requires = "serve")]
    pub listen: Option<SocketAddr>,
    /// With --serve: load the zones from this file if it exists, and save them
    /// there on exit.
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub state: Option<PathBuf>,
    /// Manifests to plan instead of the guide's example.
    #[arg(long, value_name = "DIR")]
    pub manifests: Vec<PathBuf>,
    /// Zone to seed the sandbox with instead of the guide's (what Cloudflare's
    /// list-records call returns).
    #[arg(long, value_name = "FILE")]
    pub zone_file: Option<PathBuf>,
    /// With --serve: refuse a request body holding a field Cloudflare does not
    /// define (error 9207) instead of ignoring it as the live API does, so that
    /// a client's misnamed field fails its tests.
    #[arg(long, requires = "serve")]
    pub strict: bool,
}

/// Runs `flaredns sandbox`.
pub fn run(args: &SandboxArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        if args.serve {
            serve(args).await
        } else {
            demo(args).await
        }
    })
}

/// The guide's configuration, resolved by the real command-line parser.
pub fn guide_config() -> anyhow::Result<Config> {
    let no_env = |_: &str| None;
    let argv = std::iter::once("flaredns")
        .chain(std::iter::once("config"))
        .chain(GUIDE_FLAGS);
    let parsed = super::parse(argv, &no_env).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(Command::Config(controller)) = parsed.cli.command else {
        bail!("the guide's flags did not parse as a configuration");
    };
    Ok(Config::resolve(&controller, &no_env)?.config)
}

async fn seeded_sandbox(
    args: &SandboxArgs,
    config: SandboxConfig,
) -> anyhow::Result<SandboxHandle> {
    let restored = config.state_file.as_ref().is_some_and(|p| p.exists());
    let handle = Sandbox::start(config)
        .await
        .context("cannot start the sandbox")?;
    if restored {
        return Ok(handle);
    }
    let (records, origin) = match &args.zone_file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (GUIDE_ZONE.to_string(), "the guide's zone".to_string()),
    };
    let does_not_parse = || format!("{origin} does not parse");
    let named: Vec<RecordZone> = parse_record_list(&records).with_context(does_not_parse)?;
    let records: Vec<ReadRecord> = parse_record_list(&records).with_context(does_not_parse)?;
    let zone_name = zone_name_of(&named).unwrap_or_else(|| "example.com".to_string());
    handle.add_zone(&zone_name, PlanTier::Free)?;
    let requests: Vec<RecordInput> = zone_records(records, "").0.iter().map(seed_input).collect();
    let count = requests.len();
    handle.put_records(&zone_name, requests)?;
    println!("Seeded zone {zone_name} (Free plan) with {count} records from {origin}.");
    Ok(handle)
}

/// The sandbox's create request for a record read from a zone file: every
/// field the record carries, in the sandbox's own wire form.
pub fn seed_input(record: &ZoneRecord) -> RecordInput {
    let data = &record.data;
    let settings = data.settings();
    RecordInput {
        ttl: data.ttl,
        proxied: data.proxied,
        comment: data.comment().map(str::to_string),
        tags: data.tags().to_vec(),
        priority: data.priority,
        data: data
            .content
            .structured_data()
            .and_then(|d| serde_json::from_value::<RecordDataFields>(d.clone()).ok()),
        settings: (!settings.is_default()).then_some(SettingsObject {
            ipv4_only: settings.ipv4_only.then_some(true),
            ipv6_only: settings.ipv6_only.then_some(true),
            flatten_cname: settings.flatten_cname.then_some(true),
        }),
        ..RecordInput::new(&record.name, record.record_type, data.content.text())
    }
}

fn zone_name_of(records: &[RecordZone]) -> Option<String> {
    records
        .iter()
        .find_map(|r| r.zone_name.as_deref())
        .map(normalize_name)
}

async fn serve(args: &SandboxArgs) -> anyhow::Result<ExitCode> {
    let listen: SocketAddr = match args.listen {
        Some(addr) => addr,
        None => DEFAULT_SERVE_ADDRESS
            .parse()
            .expect("a valid constant address"),
    };
    let config = SandboxConfig {
        bind: listen,
        state_file: args.state.clone(),
        strict_requests: args.strict,
        ..SandboxConfig::default()
    };
    let handle = seeded_sandbox(args, config).await?;
    let token = handle.token().unwrap_or_default().to_string();
    println!("Cloudflare-compatible API: {}", handle.url());
    println!("API token:                 {token}");
    println!();
    println!("Point flaredns (or any Cloudflare client) at it, for example:");
    println!(
        "  CF_API_TOKEN={token} flaredns plan --manifests examples/guide \\\n    --cloudflare-api-url={} {}",
        handle.url(),
        GUIDE_FLAGS[5..].join(" ")
    );
    println!();
    println!(
        "Press Ctrl-C to stop{}.",
        match &args.state {
            Some(p) => format!(" (the zones are saved to {})", p.display()),
            None => String::new(),
        }
    );
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    handle.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

async fn demo(args: &SandboxArgs) -> anyhow::Result<ExitCode> {
    let handle = seeded_sandbox(args, SandboxConfig::default()).await?;
    println!("Sandbox API: {} (in memory)", handle.url());
    let config = guide_config()?;
    println!(
        "Settings (the guide's HelmRelease): {}",
        GUIDE_FLAGS[4..].join(" ")
    );

    let manifests = load_manifests(&args.manifests)?;
    let source_config = setup::source_config(&config)?;
    let output = manifest::endpoints(&manifests, &source_config, &config.sources.kinds);
    let registry = setup::registry(&config)?;
    let credentials = CloudflareCredentials::ApiToken {
        token: Secret::new(handle.token().unwrap_or_default()),
        source: TokenSource::Environment,
    };
    let mut provider_config = config.clone();
    provider_config.provider.cloudflare.api_url = handle.url();
    let provider = setup::cloudflare_with(&provider_config, credentials)?;
    let zones = provider
        .connect(&setup::domain_filter(&config)?)
        .await
        .context("the sandbox refused the start-up checks")?;
    let plan_config = setup::plan_config(&config, zones.clone())?;
    let desired = Desired {
        held_resources: setup::held_resources(&output.problems),
        endpoints: output.endpoints,
    };

    println!("\n== Pass 1: plan and apply\n");
    let first = converge(&provider, &registry, &plan_config, &desired, false).await?;
    print_pass(&first, &output.problems, &manifests);
    for zone in &zones {
        println!("\nZone {} after pass 1:", zone.name);
        print!("{}", zone_table(&handle, zone)?);
    }

    println!("\n== Pass 2: nothing changed, so nothing is written\n");
    let second = converge(&provider, &registry, &plan_config, &desired, false).await?;
    print_pass(&second, &output.problems, &manifests);

    let calls = provider.client().counts();
    println!(
        "\nCloudflare API calls in all: {} (token verify {}, zones {}, record lists {}, batches {}, single-record calls {}); 429 answers: {}.",
        calls.total(),
        calls.verify,
        calls.zones,
        calls.list,
        calls.batch,
        calls.single,
        calls.rate_limited
    );
    let ok = first.converged() && !second.plan.has_changes() && second.calls.writes() == 0;
    handle.shutdown().await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn load_manifests(dirs: &[PathBuf]) -> anyhow::Result<Manifests> {
    if !dirs.is_empty() {
        return Ok(manifest::load(dirs)?);
    }
    let mut manifests = Manifests::default();
    for (path, text) in GUIDE_MANIFESTS {
        manifests.add_text(text, Format::Yaml, Path::new(path))?;
    }
    Ok(manifests)
}

fn print_pass(pass: &ReconcileReport, problems: &[crate::problem::Problem], manifests: &Manifests) {
    let report = Report {
        plan: &pass.plan,
        problems,
        passed_over: &manifests.other_kinds,
    };
    print!("{}", report.to_text());
    let batches: Vec<_> = pass.applied.iter().flat_map(|a| &a.batches).collect();
    if batches.is_empty() {
        println!("\nBatches sent: none.");
    } else {
        println!("\nBatches sent:");
        let mut table = Table::new();
        table.load_preset(NOTHING);
        table.set_header(["BATCH", "OPERATIONS", "APPLIED", "NAMES"]);
        for (i, b) in batches.iter().enumerate() {
            table.add_row([
                (i + 1).to_string(),
                b.operations.to_string(),
                if b.applied { "yes" } else { "refused" }.to_string(),
                b.names.join(", "),
            ]);
        }
        println!("{table}");
    }
    for refused in pass.applied.iter().flat_map(|a| &a.refused) {
        println!("Refused by Cloudflare: {}: {}", refused.name, refused.error);
    }
    let c = pass.calls;
    println!(
        "Calls this pass: {} (verify {}, zones {}, lists {}, batches {}, single {}).",
        c.total(),
        c.verify,
        c.zones,
        c.list,
        c.batch,
        c.single
    );
}

fn zone_table(handle: &SandboxHandle, zone: &Zone) -> anyhow::Result<String> {
    let mut records = handle.records(&zone.id)?;
    records.sort_by(|a, b| (&a.name, &a.record_type).cmp(&(&b.name, &b.record_type)));
    let mut table = Table::new();
    table.load_preset(NOTHING);
    table.set_header(["NAME", "TYPE", "CONTENT", "TTL", "PROXIED"]);
    for r in records {
        table.add_row([
            r.name,
            r.record_type,
            r.content,
            if r.ttl == 1 {
                "auto".to_string()
            } else {
                r.ttl.to_string()
            },
            if r.proxied { "yes" } else { "no" }.to_string(),
        ]);
    }
    Ok(format!("{table}\n"))
}
