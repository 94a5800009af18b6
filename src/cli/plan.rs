//! `flaredns plan`: the DNS changes a set of manifests would make.

use std::process::ExitCode;

use super::PlanArgs;
use crate::config::Config;

/// Computes the plan for `args` with `config` and prints it.
pub fn run(_args: &PlanArgs, _config: &Config) -> anyhow::Result<ExitCode> {
    anyhow::bail!("plan is not wired yet")
}
