//! `flaredns plan`: the DNS changes a set of manifests would make, computed
//! before a merge.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::provider::cloudflare::error::{CredentialOrigin, explain_startup};
use crate::provider::cloudflare::{Cloudflare, StartupError};
use crate::provider::inmemory::{InMemoryStore, InMemoryZones};
use crate::reconcile::converge;

use super::zone_file::{RecordZone, parse_record_list};
use super::{OutputFormat, PlanArgs};
use crate::config::Config;
use crate::endpoint::{Zone, ZoneRecord, normalize_name, zone_for};
use crate::plan::Desired;
use crate::plan::report::Report;
use crate::provider::cloudflare::convert;
use crate::provider::cloudflare::types::ReadRecord;
use crate::setup;
use crate::source::manifest;

/// `--detailed-exitcode`: the plan has changes.
const EXIT_CHANGES: u8 = 2;

/// Computes the plan for `args` with `config` and prints it.
pub fn run(args: &PlanArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let source_config = setup::source_config(config)?;
    let registry = setup::registry(config)?;
    let manifests = manifest::load(&args.manifests)?;
    let output = manifest::endpoints(&manifests, &source_config, &config.sources.kinds);

    let desired = Desired {
        held_resources: setup::held_resources(&output.problems),
        endpoints: output.endpoints,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // The reconcile pass every other command runs, read-only: against the
    // zone file held in memory, or against the live zones.
    let (plan, zone) = runtime.block_on(async {
        match &args.zone_file {
            Some(path) => {
                let mut zone = read_zone_file(path, args, config)?;
                let plan_config = setup::plan_config(config, zone.zones.clone())?;
                let records = std::mem::take(&mut zone.records);
                let store = InMemoryStore::new(InMemoryZones::new(zone.zones.clone(), records));
                let pass = converge(&store, &registry, &plan_config, &desired, true).await?;
                anyhow::Ok((pass.plan, zone))
            }
            None => {
                let (provider, zones) = connect_live(config).await?;
                let plan_config = setup::plan_config(config, zones.clone())?;
                let pass = converge(&provider, &registry, &plan_config, &desired, true).await?;
                let zone = ZoneFile {
                    zones,
                    records: Vec::new(),
                    outside_zones: 0,
                    unsupported: 0,
                };
                anyhow::Ok((pass.plan, zone))
            }
        }
    })?;

    let mut passed_over = manifests.other_kinds.clone();
    if zone.outside_zones > 0 {
        passed_over.insert(
            "zone record outside the zones".to_string(),
            zone.outside_zones,
        );
    }
    if zone.unsupported > 0 {
        passed_over.insert(
            "zone record of a type flaredns does not read".to_string(),
            zone.unsupported,
        );
    }
    let report = Report {
        plan: &plan,
        problems: &output.problems,
        passed_over: &passed_over,
    };
    match args.output {
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Markdown => print!("{}", report.to_markdown()),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}

/// A zone file, read: its zones and the records that lie in them.
struct ZoneFile {
    zones: Vec<Zone>,
    records: Vec<ZoneRecord>,
    outside_zones: usize,
    unsupported: usize,
}

/// Reads what Cloudflare's list-records call returned. The zones are the ones
/// the records name, else `--zone-name`, else the `--domain-filter` entries.
fn read_zone_file(path: &Path, args: &PlanArgs, config: &Config) -> anyhow::Result<ZoneFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the zone file {}", path.display()))?;
    let not_a_listing = || {
        format!(
            "{} is not what Cloudflare's list-records call returns",
            path.display()
        )
    };
    let records: Vec<ReadRecord> = parse_record_list(&text).with_context(not_a_listing)?;
    let named: Vec<RecordZone> = parse_record_list(&text).with_context(not_a_listing)?;
    let zones = zones_of(&named, args, config);
    if zones.is_empty() {
        bail!(
            "{}: the records do not say which zone they belong to; pass --zone-name=<apex> \
             (for example --zone-name=example.com) or --domain-filter",
            path.display()
        );
    }
    let mut file = ZoneFile {
        zones,
        records: Vec::with_capacity(records.len()),
        outside_zones: 0,
        unsupported: 0,
    };
    for record in records {
        let Some(zone) = zone_for(&file.zones, &normalize_name(&record.name)) else {
            file.outside_zones += 1;
            continue;
        };
        match convert::zone_record(record, &zone.id.as_str().into()) {
            Ok(r) => file.records.push(r),
            Err(_) => file.unsupported += 1,
        }
    }
    Ok(file)
}

fn zones_of(records: &[RecordZone], args: &PlanArgs, config: &Config) -> Vec<Zone> {
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for record in records {
        if let Some(name) = &record.zone_name {
            let id = record.zone_id.clone().unwrap_or_else(|| name.clone());
            named.entry(normalize_name(name)).or_insert(id);
        }
    }
    let fallback: Vec<String> = if args.zone_name.is_empty() {
        config
            .scope
            .domain_filters
            .iter()
            .map(|d| d.trim_start_matches('.').to_string())
            .collect()
    } else {
        args.zone_name.clone()
    };
    if named.is_empty() || !args.zone_name.is_empty() {
        for name in fallback {
            let name = normalize_name(&name);
            if !name.is_empty() {
                named.entry(name.clone()).or_insert(name);
            }
        }
    }
    named
        .into_iter()
        .map(|(name, id)| Zone {
            id,
            name,
            paid_plan: args.paid_plan,
        })
        .collect()
}

/// Connects to Cloudflare for a live plan: token verify, then the zones the
/// domain filter selects. Read-only: `plan` never writes.
async fn connect_live(config: &Config) -> anyhow::Result<(Cloudflare, Vec<Zone>)> {
    let provider = setup::cloudflare(config)?;
    let domain_filter = setup::domain_filter(config)?;
    let zones = provider
        .connect(&domain_filter)
        .await
        .map_err(|e| match e {
            StartupError::Api(api) => anyhow::anyhow!(
                "{}",
                explain_startup(&api, &CredentialOrigin::from_environment())
            ),
            other => anyhow::anyhow!("{other}"),
        })?;
    Ok((provider, zones))
}
