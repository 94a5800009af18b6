//! The README's "## Flags" section is the table of every flag the command line
//! has, with its default and its environment variable, as the clap command
//! (`flaredns::cli::command()`) defines them. When a flag changes, this test
//! fails and prints the section to paste.

use clap::{Arg, Command};
use flaredns::cli::argv::env_var_name;

const HEADING: &str = "## Flags";

const INTRO: &str = "Every flag, as `flaredns --help` shows it. Each one can also be set \
through its environment variable (a repeatable flag takes one value per line there); a flag \
on the command line wins. Boolean flags take `--flag`, `--no-flag` and `--flag=true|false`. \
Cloudflare credentials are variables only: `CF_API_TOKEN` (or `CF_API_TOKEN=file:<path>`), \
else `CF_API_KEY` with `CF_API_EMAIL`.";

/// Makes text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The first paragraph of a flag's help.
fn description(arg: &Arg) -> String {
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    cell(help.split("\n\n").next().unwrap_or_default())
}

fn default(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if values.is_empty() {
        String::new()
    } else {
        format!("`{}`", cell(&values.join(",")))
    }
}

fn flag(arg: &Arg, long: &str) -> String {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(ToString::to_string);
    match value {
        Some(name) if name == "BOOL" => format!("`--{long}`"),
        Some(name) => format!("`--{long}={name}`"),
        None if arg.get_action().takes_values() => format!("`--{long}=VALUE`"),
        None => format!("`--{long}`"),
    }
}

/// One table per help heading, in the order the command declares them;
/// `only` keeps the flags of one heading (a subcommand's own).
fn tables(cmd: &Command, only: Option<&str>, level: &str) -> String {
    let mut headings: Vec<Option<&str>> = Vec::new();
    for arg in cmd.get_arguments() {
        if !headings.contains(&arg.get_help_heading()) {
            headings.push(arg.get_help_heading());
        }
    }
    // Subheadings only where there is more than one group.
    let several = headings.len() > 1;
    let mut out = String::new();
    for heading in headings {
        if only.is_some() && heading != only {
            continue;
        }
        let rows: Vec<String> = cmd
            .get_arguments()
            .filter(|arg| arg.get_help_heading() == heading && !arg.is_hide_set())
            .filter_map(|arg| Some((arg, arg.get_long()?)))
            .filter(|(_, long)| !matches!(*long, "help" | "version"))
            .map(|(arg, long)| {
                format!(
                    "| {} | {} | `{}` | {} |\n",
                    flag(arg, long),
                    default(arg),
                    env_var_name(long),
                    description(arg)
                )
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        if only.is_none() && several {
            out.push_str(&format!("{level} {}\n\n", heading.unwrap_or("General")));
        }
        out.push_str("| Flag | Default | Environment variable | Description |\n");
        out.push_str("| --- | --- | --- | --- |\n");
        out.extend(rows);
        out.push('\n');
    }
    out
}

/// The whole section, heading included, as the README must hold it.
fn expected_section() -> String {
    let cmd = flaredns::cli::command();
    let mut out = format!("{HEADING}\n\n{INTRO}\n\n");
    out.push_str("### The controller (`flaredns`, `flaredns config`, `flaredns plan`)\n\n");
    out.push_str(&tables(&cmd, None, "####"));
    let plan = cmd.find_subcommand("plan").expect("a plan command");
    out.push_str("### `flaredns plan`\n\n");
    out.push_str(&tables(plan, Some("Plan"), "####"));
    let sandbox = cmd.find_subcommand("sandbox").expect("a sandbox command");
    out.push_str("### `flaredns sandbox`\n\n");
    out.push_str(&tables(sandbox, None, "####"));
    out.trim_end().to_string() + "\n"
}

/// The README's section: from its heading to the next `## ` heading.
fn readme_section() -> Option<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find(&format!("\n{HEADING}\n"))? + 1;
    let rest = &readme[start..];
    let end = rest[HEADING.len()..]
        .find("\n## ")
        .map_or(rest.len(), |i| i + HEADING.len() + 1);
    Some(rest[..end].trim_end().to_string() + "\n")
}

#[test]
fn the_readme_flags_table_matches_the_command_line() {
    let expected = expected_section();
    let found = readme_section();
    assert!(
        found.as_deref() == Some(expected.as_str()),
        "README.md's \"{HEADING}\" section differs from the command line; replace it with:\n\n{expected}"
    );
}

#[test]
fn every_controller_flag_is_in_the_table() {
    let section = expected_section();
    let cmd = flaredns::cli::command();
    let longs: Vec<&str> = cmd
        .get_arguments()
        .filter_map(Arg::get_long)
        .filter(|long| !matches!(*long, "help" | "version"))
        .collect();
    assert!(longs.len() >= 70, "{} flags", longs.len());
    for long in longs {
        assert!(
            section.contains(&format!("`{}`", env_var_name(long))),
            "--{long} is missing"
        );
    }
    for row in [
        "| `--txt-owner-id=ID` | `default` | `EXTERNAL_DNS_TXT_OWNER_ID` |",
        "| `--cloudflare-proxied` | `false` | `EXTERNAL_DNS_CLOUDFLARE_PROXIED` |",
        "| `--interval=DURATION` | `1m` | `EXTERNAL_DNS_INTERVAL` |",
    ] {
        assert!(section.contains(row), "{row}");
    }
}
