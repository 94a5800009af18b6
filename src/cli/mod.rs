//! The `flaredns` command line: which command runs, with which configuration.
//!
//! - `flaredns [FLAGS]` runs the controller, with ExternalDNS's flags exactly as
//!   the ExternalDNS Helm chart passes them.
//! - `flaredns config [FLAGS]` prints the resolved configuration as JSON.
//! - `flaredns plan [FLAGS] --manifests DIR …` shows the DNS changes a set of
//!   manifests would make.
//! - `flaredns crd` prints the `DNSEndpoint` CustomResourceDefinition as YAML.
//!
//! [`parse`] reads the arguments and the `EXTERNAL_DNS_*` variables
//! (see [`argv`]); [`run`] resolves the configuration and dispatches.
//! Exit status: 0 success, 1 failure while running, 2 bad flags or configuration.

pub mod argv;
pub mod plan;
pub mod sandbox;
pub mod zone_file;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{Config, ControllerArgs, Env, ProviderKind, SourceKind};

pub use argv::RepeatedFlag;

/// Exit status for bad flags or configuration, as clap (and kingpin) use.
pub const EXIT_USAGE: u8 = 2;

const ENV_HELP: &str = "Every flag can also be set with an EXTERNAL_DNS_<FLAG> variable \
(upper case, '-' as '_', e.g. EXTERNAL_DNS_TXT_OWNER_ID); a repeatable flag takes one value \
per line. Flags on the command line win. Boolean flags accept --flag, --no-flag and \
--flag=true|false. Cloudflare credentials: CF_API_TOKEN (or CF_API_TOKEN=file:<path>), \
else CF_API_KEY with CF_API_EMAIL.";

/// flaredns keeps Cloudflare DNS in step with Kubernetes, as a drop-in
/// replacement for ExternalDNS.
///
/// Without a command it runs the controller.
#[derive(Debug, Parser)]
#[command(
    name = "flaredns",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    args_override_self = true,
    after_help = ENV_HELP
)]
pub struct Cli {
    /// The command given; `None` runs the controller.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The controller's flags, used when no command is given.
    #[command(flatten)]
    pub controller: ControllerArgs,
}

/// What to do instead of running the controller.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the resolved configuration as JSON (secrets redacted) and exit.
    #[command(args_override_self = true, after_help = ENV_HELP)]
    Config(ControllerArgs),
    /// Show the DNS changes the given manifests would make.
    #[command(args_override_self = true, after_help = ENV_HELP)]
    Plan(PlanArgs),
    /// Run a local Cloudflare-compatible API and the whole loop on the guide's
    /// example against it (no cluster, no Cloudflare account).
    Sandbox(sandbox::SandboxArgs),
    /// Print the DNSEndpoint CustomResourceDefinition as YAML (for kubectl apply).
    Crd,
}

/// `flaredns plan`: the controller's flags plus where the desired and the
/// current state come from.
///
/// `--source` defaults to every supported source and `--provider` to
/// `cloudflare` here, since the manifests say which objects there are.
#[derive(Clone, Debug, Args)]
pub struct PlanArgs {
    /// Folder of Ingress, Service and DNSEndpoint manifests; repeat for several.
    #[arg(long, value_name = "DIR", required = true, help_heading = "Plan")]
    pub manifests: Vec<PathBuf>,
    /// Zone records to compare with, instead of reading the live zone: what
    /// Cloudflare's list-records call returns (one response, an array of them, or
    /// the bare `result` array).
    #[arg(long, value_name = "FILE", help_heading = "Plan")]
    pub zone_file: Option<PathBuf>,
    /// The zone the zone file holds (its apex, e.g. example.com), when its records
    /// do not say (Cloudflare's current API leaves `zone_name` out); default: each
    /// --domain-filter entry.
    #[arg(
        long,
        value_name = "NAME",
        requires = "zone_file",
        help_heading = "Plan"
    )]
    pub zone_name: Vec<String>,
    /// Plan the zone file's zone as a paid-plan zone (comments up to 500
    /// characters, tags); default: Free plan.
    #[arg(long, requires = "zone_file", help_heading = "Plan")]
    pub paid_plan: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, help_heading = "Plan")]
    pub output: OutputFormat,
    /// Exit with 2 when there are changes (0 when there are none, 1 on failure).
    #[arg(long, help_heading = "Plan")]
    pub detailed_exitcode: bool,
    /// The controller's flags, as given (see [`PlanArgs::controller_args`]).
    #[command(flatten)]
    pub controller: ControllerArgs,
}

impl PlanArgs {
    /// The controller flags with plan's defaults filled in.
    pub fn controller_args(&self) -> ControllerArgs {
        let mut args = self.controller.clone();
        if args.sources.source.is_empty() {
            args.sources.source = SourceKind::ALL.to_vec();
        }
        args.provider
            .provider
            .get_or_insert(ProviderKind::Cloudflare);
        args
    }
}

/// How `flaredns plan` prints the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum OutputFormat {
    /// Plain text for a terminal.
    Text,
    /// JSON for programs.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// A parsed command line, and the warnings to show before running it.
#[derive(Debug)]
pub struct Parsed {
    /// The command and its flags.
    pub cli: Cli,
    /// Flags given more than once; print them before running.
    pub warnings: Vec<RepeatedFlag>,
}

/// The clap command, with Go's boolean forms on every boolean flag.
pub fn command() -> clap::Command {
    argv::go_style_bools(Cli::command())
}

/// Parses `argv` (program name first) and the `EXTERNAL_DNS_*` variables read
/// through `env`. The error prints as clap prints errors and carries the exit
/// status (2 for bad flags, 0 for `--help` and `--version`).
pub fn parse<I, T>(argv: I, env: Env<'_>) -> Result<Parsed, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut cmd = command();
    cmd.build();
    let prepared = argv::prepare(&cmd, argv.into_iter().map(Into::into).collect(), env);
    let matches = cmd
        .try_get_matches_from_mut(prepared.argv)
        .map_err(|err| explain_stray_argument(err, &mut cmd))
        .map_err(|err| mention_variables(err, &prepared.env_vars))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|err| err.format(&mut cmd))?;
    Ok(Parsed {
        cli,
        warnings: prepared.warnings,
    })
}

/// Adds a `tip:` line to a clap error.
fn add_tip(mut err: clap::Error, tip: String) -> clap::Error {
    let mut tips = match err.get(ContextKind::Suggested) {
        Some(ContextValue::StyledStrs(tips)) => tips.clone(),
        _ => Vec::new(),
    };
    tips.push(tip.into());
    err.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
    err
}

/// Explains a stray word after the flags. After the controller's flags clap
/// reads any word as a command (`flaredns --once true` "uses the subcommand
/// true"), so that error is turned into the one subcommands give; a stray
/// boolean word gets a tip, since kingpin users may write `--flag true`.
fn explain_stray_argument(err: clap::Error, cmd: &mut clap::Command) -> clap::Error {
    let err = match (err.kind(), err.get(ContextKind::InvalidSubcommand)) {
        (ErrorKind::ArgumentConflict, Some(ContextValue::String(word))) => {
            let word = word.clone();
            if cmd.find_subcommand(&word).is_some() {
                let tip = format!("give the flags after the command: flaredns {word} [FLAGS]");
                return add_tip(err, tip);
            }
            let mut stray = clap::Error::new(ErrorKind::UnknownArgument).with_cmd(cmd);
            stray.insert(ContextKind::InvalidArg, ContextValue::String(word));
            stray.insert(
                ContextKind::Usage,
                ContextValue::StyledStr(cmd.render_usage()),
            );
            stray
        }
        _ => err,
    };
    match (err.kind(), err.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(word)))
            if crate::go_syntax::parse_bool(word).is_ok() =>
        {
            let tip = "a boolean flag takes its value after '=', as in --once=true".to_string();
            add_tip(err, tip)
        }
        _ => err,
    }
}

/// Adds to a parse error which variables supplied values, since clap's message
/// names only the flag and the user may not have typed it.
fn mention_variables(err: clap::Error, vars: &[String]) -> clap::Error {
    let shown_as_is = matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if vars.is_empty() || shown_as_is {
        return err;
    }
    add_tip(
        err,
        format!("values were also read from {}", vars.join(", ")),
    )
}

/// The `flaredns` binary: parse, print warnings, run.
pub fn main() -> ExitCode {
    let env = |name: &str| std::env::var_os(name);
    let parsed = match parse(std::env::args_os(), &env) {
        Ok(parsed) => parsed,
        Err(err) => {
            // Printing can fail only if stderr/stdout is gone; the status still says it.
            let _ = err.print();
            return exit_code(err.exit_code());
        }
    };
    for warning in &parsed.warnings {
        eprintln!("warning: {warning}");
    }
    run(parsed.cli, &env)
}

/// Resolves the configuration for the chosen command and runs it.
pub fn run(cli: Cli, env: Env<'_>) -> ExitCode {
    match cli.command {
        None => with_config(&cli.controller, env, run_controller),
        Some(Command::Config(args)) => with_config(&args, env, print_config),
        Some(Command::Plan(args)) => with_config(&args.controller_args(), env, |config| {
            plan::run(&args, config)
        }),
        Some(Command::Sandbox(args)) => match sandbox::run(&args) {
            Ok(code) => code,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Crd) => match print_crd() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// `flaredns crd`: the CRD the chart installs, for installing it by hand.
fn print_crd() -> anyhow::Result<()> {
    let yaml = crate::crd::definition_yaml()?;
    // `write!` rather than `print!`: no panic when stdout is closed early.
    write!(std::io::stdout().lock(), "{yaml}")?;
    Ok(())
}

/// Resolves the configuration (exit 2 if it cannot run), prints its warnings,
/// then runs `command` with it (exit 1 if it fails).
fn with_config(
    args: &ControllerArgs,
    env: Env<'_>,
    command: impl FnOnce(&Config) -> anyhow::Result<ExitCode>,
) -> ExitCode {
    let resolved = match Config::resolve(args, env) {
        Ok(resolved) => resolved,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    for warning in &resolved.warnings {
        eprintln!("warning: {warning}");
    }
    match command(&resolved.config) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the in-cluster controller.
fn run_controller(config: &Config) -> anyhow::Result<ExitCode> {
    crate::telemetry::log::init(config.telemetry.log_level, config.telemetry.log_format);
    for note in config.startup_notes() {
        tracing::info!("{note}");
    }
    crate::controller::run(crate::setup::controller(config)?)
}

/// `flaredns config`: the resolved configuration as pretty JSON.
fn print_config(config: &Config) -> anyhow::Result<ExitCode> {
    // `writeln!` rather than `println!`, which panics when stdout is closed early
    // (`flaredns config | head`).
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(config)?
    )?;
    Ok(ExitCode::SUCCESS)
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(EXIT_USAGE))
}

#[cfg(test)]
mod tests {
    use crate::config::env_of;
    use std::time::Duration;

    use clap::ArgMatches;
    use proptest::prelude::*;

    use super::*;
    use crate::config::{LogLevel, Policy, RegistryKind};

    fn parse_with(flags: &[&str], env: Env<'_>) -> Result<Parsed, clap::Error> {
        parse(
            std::iter::once("flaredns").chain(flags.iter().copied()),
            env,
        )
    }

    fn controller(flags: &[&str]) -> ControllerArgs {
        parse_with(flags, &|_| None)
            .expect("flags parse")
            .cli
            .controller
    }

    fn error(flags: &[&str]) -> clap::Error {
        parse_with(flags, &|_| None).expect_err("flags are refused")
    }

    /// The matches for the controller's flags, to read any flag by name.
    fn matches(flags: &[&str]) -> ArgMatches {
        let argv: Vec<OsString> = std::iter::once("flaredns")
            .chain(flags.iter().copied())
            .map(OsString::from)
            .collect();
        let mut cmd = command();
        cmd.build();
        let prepared = argv::prepare(&cmd, argv, &|_| None);
        cmd.try_get_matches_from_mut(prepared.argv)
            .expect("flags parse")
    }

    /// Every boolean flag of the controller, by its long name.
    fn boolean_flags() -> Vec<String> {
        let cmd = command();
        cmd.get_arguments()
            .filter(|arg| arg.is_require_equals_set() && arg.get_id() != "leader_election")
            .filter_map(|arg| arg.get_long().map(String::from))
            .collect()
    }

    fn id_of(long: &str) -> String {
        long.replace('-', "_")
    }

    #[test]
    fn every_boolean_flag_takes_every_form() {
        let flags = boolean_flags();
        assert_eq!(flags.len(), 16, "{flags:?}");
        let forms: [(&str, bool); 16] = [
            ("", true),
            ("=true", true),
            ("=True", true),
            ("=TRUE", true),
            ("=t", true),
            ("=T", true),
            ("=1", true),
            ("=false", false),
            ("=False", false),
            ("=FALSE", false),
            ("=f", false),
            ("=F", false),
            ("=0", false),
            ("NO", false),
            ("NO=", true),
            ("ABSENT", false),
        ];
        for flag in &flags {
            for (form, expected) in forms {
                let given = match form {
                    "NO" => vec![format!("--no-{flag}")],
                    // Turned off, then on again: the last one wins.
                    "NO=" => vec![format!("--no-{flag}"), format!("--{flag}")],
                    "ABSENT" => vec![],
                    _ => vec![format!("--{flag}{form}")],
                };
                let given: Vec<&str> = given.iter().map(String::as_str).collect();
                let matches = matches(&given);
                assert_eq!(
                    matches.get_one::<bool>(&id_of(flag)).copied(),
                    Some(expected),
                    "--{flag} given as {given:?}"
                );
            }
        }
    }

    #[test]
    fn boolean_flags_refuse_other_values_and_separate_values() {
        for bad in [
            "--once=yes",
            "--once=",
            "--dry-run=2",
            "--cloudflare-proxied=on",
        ] {
            assert_eq!(error(&[bad]).kind(), ErrorKind::ValueValidation, "{bad}");
        }
        // Kingpin reads `--once true` as the flag and a stray argument.
        let err = error(&["--once", "true"]);
        assert_eq!(err.kind(), ErrorKind::UnknownArgument);
        let text = err.render().to_string();
        assert!(
            text.starts_with("error: unexpected argument 'true' found\n"),
            "{text}"
        );
        let tip = "tip: a boolean flag takes its value after '=', as in --once=true";
        assert!(text.contains(tip), "{text}");
        assert!(text.contains("Usage: flaredns [OPTIONS]"), "{text}");
        let err = error(&["config", "--once", "true"]);
        assert_eq!(err.kind(), ErrorKind::UnknownArgument);
        assert!(err.render().to_string().contains(tip));
        let text = error(&["--once", "stray"]).render().to_string();
        assert!(
            text.starts_with("error: unexpected argument 'stray' found\n"),
            "{text}"
        );
        assert!(!text.contains(tip), "{text}");
        // `--no-` exists for booleans only.
        assert_eq!(error(&["--no-interval"]).kind(), ErrorKind::UnknownArgument);
    }

    #[test]
    fn leader_election_is_unset_unless_given() {
        let cases: [(&[&str], Option<bool>); 5] = [
            (&[], None),
            (&["--leader-election"], Some(true)),
            (&["--leader-election=false"], Some(false)),
            (&["--no-leader-election"], Some(false)),
            (&["--leader-election=0", "--leader-election=T"], Some(true)),
        ];
        for (flags, expected) in cases {
            assert_eq!(
                controller(flags).leader_election.leader_election,
                expected,
                "{flags:?}"
            );
        }
    }

    #[test]
    fn values_take_both_forms_and_the_last_one_wins() {
        let args = controller(&[
            "--interval",
            "2m",
            "--policy=upsert-only",
            "--txt-owner-id",
            "a",
        ]);
        assert_eq!(args.sync.interval, Duration::from_secs(120));
        assert_eq!(args.scope.policy, Policy::UpsertOnly);
        assert_eq!(args.registry.txt_owner_id, "a");

        let parsed = parse_with(
            &[
                "--interval=1m",
                "--interval=90s",
                "--log-level=debug",
                "--log-level",
                "warn",
            ],
            &|_| None,
        )
        .unwrap();
        assert_eq!(parsed.cli.controller.sync.interval, Duration::from_secs(90));
        assert_eq!(parsed.cli.controller.telemetry.log_level, LogLevel::Warning);
        let flags: Vec<&str> = parsed.warnings.iter().map(|w| w.flag.as_str()).collect();
        assert_eq!(flags, vec!["--interval", "--log-level"]);
    }

    #[test]
    fn repeatable_flags_keep_every_value_without_splitting_commas() {
        let args = controller(&[
            "--domain-filter=a.com,b.com",
            "--domain-filter",
            "c.com",
            "--source=ingress",
            "--source=crd",
            "--target-net-filter= 10.0.0.0/8 ",
            "--events-emit=RecordReady",
            "--events-emit=RecordError",
        ]);
        assert_eq!(args.scope.domain_filter, vec!["a.com,b.com", "c.com"]);
        assert_eq!(
            args.sources.source,
            vec![SourceKind::Ingress, SourceKind::Crd]
        );
        assert_eq!(args.sources.target_net_filter[0].to_string(), "10.0.0.0/8");
        assert_eq!(args.sync.events_emit.len(), 2);
    }

    #[test]
    fn variables_stand_in_for_flags_and_the_command_line_wins() {
        let env = env_of(&[
            ("EXTERNAL_DNS_DOMAIN_FILTER", "a.com\nb.com\n"),
            ("EXTERNAL_DNS_INTERVAL", "3m"),
            ("EXTERNAL_DNS_DRY_RUN", "TRUE"),
            ("EXTERNAL_DNS_REGISTRY", "noop"),
            ("EXTERNAL_DNS_SOURCE", "crd"),
        ]);
        let parsed = parse_with(&["--interval=1m", "--source=ingress"], &env).unwrap();
        let args = parsed.cli.controller;
        assert_eq!(args.scope.domain_filter, vec!["a.com", "b.com"]);
        assert_eq!(args.sync.interval, Duration::from_secs(60));
        assert!(args.sync.dry_run);
        assert_eq!(args.registry.registry, RegistryKind::Noop);
        assert_eq!(args.sources.source, vec![SourceKind::Ingress]);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn a_bad_variable_is_named_in_the_error() {
        let env = env_of(&[("EXTERNAL_DNS_ONCE", "maybe")]);
        let err = parse_with(&[], &env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        let text = err.render().to_string();
        assert!(text.contains("--once"), "{text}");
        assert!(
            text.contains("values were also read from EXTERNAL_DNS_ONCE"),
            "{text}"
        );
        // Help still works when a variable is bad.
        let err = parse_with(&["--help"], &env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn unknown_flags_suggest_the_flag_meant() {
        for (given, meant) in [
            ("--domain-filters=x", "--domain-filter"),
            ("--txt-owner=x", "--txt-owner-id"),
            ("--cloudflare-proxy", "--cloudflare-proxied"),
            ("--intervall=1m", "--interval"),
        ] {
            let err = error(&[given]);
            assert_eq!(err.kind(), ErrorKind::UnknownArgument, "{given}");
            assert_eq!(err.exit_code(), 2);
            let text = err.render().to_string();
            assert!(text.contains(&format!("'{meant}'")), "{given}: {text}");
        }
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (given, flag) in [
            ("--interval=1d", "--interval"),
            ("--min-ttl=60", "--min-ttl"),
            ("--policy=sink", "--policy"),
            ("--registry=dynamodb", "--registry"),
            ("--provider=aws", "--provider"),
            ("--source=node", "--source"),
            ("--log-level=verbose", "--log-level"),
            ("--log-format=yaml", "--log-format"),
            (
                "--cloudflare-dns-records-per-page=5001",
                "--cloudflare-dns-records-per-page",
            ),
            ("--batch-change-size=0", "--batch-change-size"),
            ("--kube-api-qps=0", "--kube-api-qps"),
            ("--managed-record-types=BOGUS", "--managed-record-types"),
            ("--target-net-filter=10.0.0.1", "--target-net-filter"),
            ("--regex-domain-filter=(", "--regex-domain-filter"),
            ("--events-emit=RecordGone", "--events-emit"),
        ] {
            let err = error(&[given]);
            assert_eq!(err.exit_code(), 2, "{given}");
            let text = err.render().to_string();
            assert!(text.contains(flag), "{given}: {text}");
        }
        let text = error(&["--provider=aws"]).render().to_string();
        assert!(
            text.contains("flaredns supports --provider=cloudflare only"),
            "{text}"
        );
    }

    #[test]
    fn subcommands_take_the_controller_flags() {
        let parsed = parse_with(&["config", "--source=crd", "--no-dry-run"], &|_| None).unwrap();
        let Some(Command::Config(args)) = parsed.cli.command else {
            panic!("expected the config command");
        };
        assert_eq!(args.sources.source, vec![SourceKind::Crd]);

        let parsed = parse_with(
            &[
                "plan",
                "--manifests",
                "k8s",
                "--manifests=more",
                "--output=markdown",
                "--detailed-exitcode",
            ],
            &|_| None,
        )
        .unwrap();
        let Some(Command::Plan(args)) = parsed.cli.command else {
            panic!("expected the plan command");
        };
        assert_eq!(
            args.manifests,
            vec![PathBuf::from("k8s"), PathBuf::from("more")]
        );
        assert_eq!(args.output, OutputFormat::Markdown);
        assert!(args.detailed_exitcode);
        let controller = args.controller_args();
        assert_eq!(controller.sources.source, SourceKind::ALL.to_vec());
        assert_eq!(controller.provider.provider, Some(ProviderKind::Cloudflare));

        // Flags before a command are the controller's and cannot be mixed.
        let err = error(&["--dry-run", "config"]);
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        let text = err.render().to_string();
        assert!(
            text.contains("tip: give the flags after the command: flaredns config [FLAGS]"),
            "{text}"
        );
        assert_eq!(error(&["plan"]).kind(), ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn the_chart_arguments_run_the_controller() {
        let parsed = parse_with(
            &[
                "--log-level=info",
                "--log-format=text",
                "--interval=1m",
                "--source=service",
                "--source=ingress",
                "--policy=sync",
                "--registry=txt",
                "--txt-owner-id=x",
                "--domain-filter=example.com",
                "--provider=cloudflare",
                "--cloudflare-proxied=true",
                "--cloudflare-dns-records-per-page=5000",
            ],
            &|_| None,
        )
        .unwrap();
        assert!(parsed.cli.command.is_none());
        assert!(parsed.warnings.is_empty());
        let config = Config::resolve(&parsed.cli.controller, &|_| None)
            .unwrap()
            .config;
        assert_eq!(
            config.sources.kinds,
            vec![SourceKind::Service, SourceKind::Ingress]
        );
        assert_eq!(config.registry.owner_id, "x");
        assert_eq!(config.scope.domain_filters, vec!["example.com"]);
        assert!(config.provider.cloudflare.proxied);
        assert_eq!(config.provider.cloudflare.dns_records_per_page, 5000);
        assert_eq!(config.sync.interval, Duration::from_secs(60));
    }

    #[test]
    fn version_prints_the_crate_version() {
        let err = error(&["--version"]);
        assert_eq!(err.kind(), ErrorKind::DisplayVersion);
        assert_eq!(err.exit_code(), 0);
        assert_eq!(
            err.render().to_string(),
            format!("flaredns {}\n", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn the_command_is_well_formed() {
        command().debug_assert();
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_arguments_never_panic(
            args in proptest::collection::vec(
                proptest::prop_oneof![
                    "\\PC{0,12}",
                    "--(no-)?(interval|once|source|domain-filter|leader-election|txt-prefix|txt-suffix|registry|provider|policy|manifests)(=\\PC{0,8})?",
                    proptest::sample::select(vec!["config", "plan", "help", "--", "--help", "-", "--no-", "="]).prop_map(String::from),
                ],
                0..8,
            ),
            vars in proptest::collection::vec(("(SOURCE|ONCE|INTERVAL|PROVIDER|TXT_OWNER_ID)", "\\PC{0,12}"), 0..3),
        ) {
            let vars: Vec<(String, String)> = vars
                .into_iter()
                .map(|(k, v)| (format!("EXTERNAL_DNS_{k}"), v))
                .collect();
            let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let env = env_of(&pairs);
            let argv: Vec<&str> = std::iter::once("flaredns").chain(args.iter().map(String::as_str)).collect();
            if let Ok(parsed) = parse(argv, &env) {
                let args = match &parsed.cli.command {
                    None => Some(parsed.cli.controller.clone()),
                    Some(Command::Config(args)) => Some(args.clone()),
                    Some(Command::Plan(args)) => Some(args.controller_args()),
                    Some(Command::Sandbox(_) | Command::Crd) => None,
                };
                if let Some(args) = args {
                    let _ = Config::resolve(&args, &env);
                }
            }
        }
    }
}
