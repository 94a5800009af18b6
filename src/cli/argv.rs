//! Kingpin's command-line forms that clap cannot express alone.
//!
//! ExternalDNS parses its flags with kingpin; flaredns parses them with clap and
//! accepts a superset. These rules need work outside clap, done here on the
//! raw argument list before clap sees it, using the clap `Command` itself as
//! the list of flags (so there is no second list to keep in step):
//!
//! - `--no-<flag>` turns a boolean flag off. clap would need a second, hidden
//!   flag per boolean; rewriting it to `--<flag>=false` keeps one flag each.
//! - A flag that is not repeatable may be given more than once; the last value
//!   wins (clap's `args_override_self`) and [`prepare`] reports a warning,
//!   which clap does not.
//! - Every flag may come from `EXTERNAL_DNS_<FLAG>`, a repeatable flag taking one
//!   value per line. clap's `env` support splits a repeatable value only with a
//!   delimiter that would split command-line values too (kingpin never splits
//!   those), so variables are turned into arguments here instead, for flags
//!   the command line does not give.
//!
//! [`go_style_bools`] makes every boolean flag accept `--flag`, `--no-flag`
//! (with [`prepare`]) and `--flag=<value>` with Go's `strconv.ParseBool`
//! spellings, which kingpin itself does not (`--flag=true` is an error there,
//! though the guide's Helm values pass `--cloudflare-proxied=true`).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;

use clap::builder::ValueRange;
use clap::{Arg, ArgAction, Command};

use crate::go_syntax;

/// Prefix of the environment variables that stand in for flags.
pub const ENV_PREFIX: &str = "EXTERNAL_DNS_";

/// The variable that stands in for a flag, as kingpin names it:
/// `--txt-owner-id` → `EXTERNAL_DNS_TXT_OWNER_ID`.
pub fn env_var_name(long: &str) -> String {
    let mut name = String::from(ENV_PREFIX);
    name.extend(long.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// Gives every boolean flag of `cmd` and its subcommands Go's forms: `--flag`
/// (true), `--flag=<bool>` with `strconv.ParseBool` spellings, and no value
/// after a space (so `--flag true` is an error, as in kingpin). Boolean flags
/// are the plain `bool` fields of the clap structs.
pub fn go_style_bools(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        if matches!(arg.get_action(), ArgAction::SetTrue) {
            arg.action(ArgAction::Set)
                .num_args(0..=1)
                .require_equals(true)
                .default_value("false")
                .default_missing_value("true")
                .value_name("BOOL")
                .value_parser(go_syntax::parse_bool)
        } else {
            arg
        }
    })
    .mut_subcommands(go_style_bools)
}

/// A flag given more than once where only one value counts; the last one wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedFlag {
    /// The flag, with its dashes (`--interval`).
    pub flag: String,
    /// How often it was given.
    pub times: usize,
}

impl fmt::Display for RepeatedFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is not shown: it may be a secret (`--txt-encrypt-aes-key`).
        write!(
            f,
            "{} was given {} times; only the last value is used",
            self.flag, self.times
        )
    }
}

/// The argument list clap should parse, and what to tell the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// The arguments for clap, program name first.
    pub argv: Vec<OsString>,
    /// Flags given more than once where only the last value counts.
    pub warnings: Vec<RepeatedFlag>,
    /// The `EXTERNAL_DNS_*` variables that supplied values, for error messages.
    pub env_vars: Vec<String>,
}

/// How a flag takes its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `--flag`, `--flag=<bool>`, `--no-flag`.
    Bool,
    /// One value, the last one given wins.
    Single,
    /// One value per use, all kept.
    Repeatable,
}

#[derive(Clone, Debug)]
struct Flag {
    shape: Shape,
    /// Whether `--flag value` (with a space) takes the next argument as the value.
    takes_next: bool,
}

/// The long flags of `cmd` that carry values (help and version excluded).
fn flags_of(cmd: &Command) -> BTreeMap<String, Flag> {
    cmd.get_arguments()
        .filter_map(|arg| Some((arg.get_long()?.to_string(), flag_of(arg)?)))
        .collect()
}

fn flag_of(arg: &Arg) -> Option<Flag> {
    let action = arg.get_action();
    if !action.takes_values() {
        return None;
    }
    let optional_value = arg.get_num_args() == Some(ValueRange::new(0..=1));
    let shape = if optional_value && arg.is_require_equals_set() {
        Shape::Bool
    } else if matches!(action, ArgAction::Append) {
        Shape::Repeatable
    } else {
        Shape::Single
    };
    Some(Flag {
        shape,
        takes_next: !arg.is_require_equals_set(),
    })
}

/// Splits `--name[=value]` into the name and whether a value is attached.
/// Flag names are ASCII, so splitting the encoded bytes at `=` is sound.
fn long_name(token: &OsStr) -> Option<(&str, bool)> {
    let rest = token.as_encoded_bytes().strip_prefix(b"--")?;
    let end = rest.iter().position(|&b| b == b'=');
    let name = std::str::from_utf8(&rest[..end.unwrap_or(rest.len())]).ok()?;
    (!name.is_empty()).then_some((name, end.is_some()))
}

/// Applies the rules in the module documentation to `argv` (program name
/// first), for the command or subcommand it names. `cmd` must be built
/// (`Command::build`), so that it lists its help subcommand.
pub fn prepare(
    cmd: &Command,
    argv: Vec<OsString>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Prepared {
    // ExternalDNS flags come either before any subcommand (the controller) or
    // right after it; clap rejects anything else, so only those two places matter.
    let (target, start) = match argv.get(1).and_then(|a| cmd.find_subcommand(a)) {
        Some(sub) => (sub, 2),
        None => (cmd, 1),
    };
    let flags = flags_of(target);

    let mut out: Vec<OsString> = argv.iter().take(start).cloned().collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut end_of_flags = None;
    let mut tokens = argv.iter().skip(start);
    while let Some(token) = tokens.next() {
        if token == "--" {
            end_of_flags = Some(out.len());
            out.push(token.clone());
            out.extend(tokens.by_ref().cloned());
            break;
        }
        let Some((name, has_value)) = long_name(token) else {
            out.push(token.clone());
            continue;
        };
        if let Some(flag) = flags.get(name) {
            *seen.entry(name.to_string()).or_default() += 1;
            out.push(token.clone());
            if flag.takes_next && !has_value {
                // The value follows; clap refuses one that looks like a flag.
                if let Some(value) = tokens.clone().next().filter(|v| !looks_like_flag(v)) {
                    out.push(value.clone());
                    tokens.next();
                }
            }
            continue;
        }
        let negated = name
            .strip_prefix("no-")
            .filter(|base| !has_value && flags.get(*base).is_some_and(|f| f.shape == Shape::Bool));
        match negated {
            Some(base) => {
                *seen.entry(base.to_string()).or_default() += 1;
                out.push(OsString::from(format!("--{base}=false")));
            }
            None => out.push(token.clone()),
        }
    }

    let warnings = seen
        .iter()
        .filter(|(name, times)| {
            **times > 1
                && flags
                    .get(*name)
                    .is_some_and(|f| f.shape != Shape::Repeatable)
        })
        .map(|(name, times)| RepeatedFlag {
            flag: format!("--{name}"),
            times: *times,
        })
        .collect();

    // Variables go after the user's arguments, so that `--help` and `--version`
    // still work when a variable holds a bad value.
    let mut from_env = Vec::new();
    let mut env_vars = Vec::new();
    for (name, flag) in &flags {
        if seen.contains_key(name) {
            continue;
        }
        let var = env_var_name(name);
        let Some(value) = env(&var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let values = match flag.shape {
            Shape::Repeatable => split_lines(&value),
            Shape::Bool | Shape::Single => vec![value],
        };
        for value in values {
            let mut arg = OsString::from(format!("--{name}="));
            arg.push(value);
            from_env.push(arg);
        }
        env_vars.push(var);
    }
    let at = end_of_flags.unwrap_or(out.len());
    out.splice(at..at, from_env);

    Prepared {
        argv: out,
        warnings,
        env_vars,
    }
}

fn looks_like_flag(token: &OsStr) -> bool {
    let bytes = token.as_encoded_bytes();
    bytes.len() > 1 && bytes[0] == b'-'
}

/// Splits a variable's value into one value per line, as kingpin does: one
/// trailing line break is dropped, then the text is split at `\n` or `\r\n`.
/// A value that is not UTF-8 stays whole (clap then reports it as not UTF-8).
fn split_lines(value: &OsStr) -> Vec<OsString> {
    let Some(text) = value.to_str() else {
        return vec![value.to_os_string()];
    };
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    text.split('\n')
        .map(|line| OsString::from(line.strip_suffix('\r').unwrap_or(line)))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::env_of;

    use clap::Arg;

    use super::*;

    /// A small command with one flag of each shape and a subcommand.
    fn command() -> Command {
        let flags = || {
            [
                Arg::new("once").long("once").action(ArgAction::SetTrue),
                Arg::new("interval").long("interval"),
                Arg::new("source").long("source").action(ArgAction::Append),
            ]
        };
        let mut cmd = go_style_bools(
            Command::new("flaredns")
                .args(flags())
                .subcommand(Command::new("config").args(flags())),
        );
        cmd.build();
        cmd
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    #[test]
    fn variable_names_follow_kingpin() {
        assert_eq!(env_var_name("txt-owner-id"), "EXTERNAL_DNS_TXT_OWNER_ID");
        assert_eq!(env_var_name("source"), "EXTERNAL_DNS_SOURCE");
        assert_eq!(
            env_var_name("cloudflare-dns-records-per-page"),
            "EXTERNAL_DNS_CLOUDFLARE_DNS_RECORDS_PER_PAGE"
        );
    }

    #[test]
    fn flags_are_classified_by_shape() {
        let flags = flags_of(&command());
        assert_eq!(flags["once"].shape, Shape::Bool);
        assert!(!flags["once"].takes_next);
        assert_eq!(flags["interval"].shape, Shape::Single);
        assert!(flags["interval"].takes_next);
        assert_eq!(flags["source"].shape, Shape::Repeatable);
        assert!(!flags.contains_key("help"));
    }

    #[test]
    fn no_flag_becomes_flag_false_for_booleans_only() {
        let prepared = prepare(
            &command(),
            os(&[
                "flaredns",
                "--no-once",
                "--no-interval",
                "--no-once=true",
                "--no-source",
            ]),
            &no_env,
        );
        assert_eq!(
            prepared.argv,
            os(&[
                "flaredns",
                "--once=false",
                "--no-interval",
                "--no-once=true",
                "--no-source"
            ])
        );
    }

    #[test]
    fn arguments_pass_through_unchanged() {
        let argv = os(&[
            "flaredns",
            "--interval",
            "1m",
            "--source=ingress",
            "--once",
            "--unknown",
            "value",
            "-x",
        ]);
        let prepared = prepare(&command(), argv.clone(), &no_env);
        assert_eq!(prepared.argv, argv);
        assert!(prepared.warnings.is_empty());
        assert!(prepared.env_vars.is_empty());
    }

    #[test]
    fn repeated_single_flags_warn_and_repeatable_ones_do_not() {
        let prepared = prepare(
            &command(),
            os(&[
                "flaredns",
                "--interval=1m",
                "--interval",
                "2m",
                "--source=a",
                "--source",
                "b",
                "--once",
                "--no-once",
                "--once=true",
            ]),
            &no_env,
        );
        assert_eq!(
            prepared.warnings,
            vec![
                RepeatedFlag {
                    flag: "--interval".to_string(),
                    times: 2
                },
                RepeatedFlag {
                    flag: "--once".to_string(),
                    times: 3
                },
            ]
        );
        assert_eq!(
            prepared.warnings[0].to_string(),
            "--interval was given 2 times; only the last value is used"
        );
    }

    #[test]
    fn a_value_after_a_space_is_not_mistaken_for_a_flag() {
        // "--once" here is the value of --interval as far as counting goes only
        // when it does not look like a flag; it does, so it counts as a flag.
        let prepared = prepare(
            &command(),
            os(&["flaredns", "--interval", "--once", "--interval", "--once"]),
            &no_env,
        );
        assert_eq!(prepared.warnings.len(), 2);
        // A value that is a flag name of its own is still just a value.
        let prepared = prepare(
            &command(),
            os(&["flaredns", "--interval", "no-once", "--interval", "x"]),
            &no_env,
        );
        assert_eq!(prepared.argv[2], "no-once");
        assert_eq!(prepared.warnings.len(), 1);
    }

    #[test]
    fn variables_fill_flags_the_command_line_does_not_give() {
        let env = env_of(&[
            ("EXTERNAL_DNS_INTERVAL", "5m"),
            ("EXTERNAL_DNS_ONCE", "1"),
            ("EXTERNAL_DNS_SOURCE", "ingress\r\nservice\n"),
            ("EXTERNAL_DNS_HELP", "true"),
        ]);
        let prepared = prepare(&command(), os(&["flaredns", "--interval=1m"]), &env);
        assert_eq!(
            prepared.argv,
            os(&[
                "flaredns",
                "--interval=1m",
                "--once=1",
                "--source=ingress",
                "--source=service",
            ])
        );
        assert_eq!(
            prepared.env_vars,
            vec!["EXTERNAL_DNS_ONCE", "EXTERNAL_DNS_SOURCE"]
        );
    }

    #[test]
    fn a_negated_flag_counts_as_given() {
        let env = env_of(&[("EXTERNAL_DNS_ONCE", "true")]);
        let prepared = prepare(&command(), os(&["flaredns", "--no-once"]), &env);
        assert_eq!(prepared.argv, os(&["flaredns", "--once=false"]));
    }

    #[test]
    fn empty_variables_are_unset_and_lines_split_as_kingpin_splits_them() {
        let env = env_of(&[
            ("EXTERNAL_DNS_INTERVAL", ""),
            ("EXTERNAL_DNS_SOURCE", "a\n\nb"),
        ]);
        let prepared = prepare(&command(), os(&["flaredns"]), &env);
        assert_eq!(
            prepared.argv,
            os(&["flaredns", "--source=a", "--source=", "--source=b"])
        );
        assert_eq!(split_lines(OsStr::new("\n")), vec![OsString::new()]);
        assert_eq!(split_lines(OsStr::new("x\n\n")), os(&["x", ""]));
    }

    #[test]
    fn subcommands_get_their_own_flags_and_variables() {
        let env = env_of(&[("EXTERNAL_DNS_SOURCE", "crd")]);
        let prepared = prepare(
            &command(),
            os(&[
                "flaredns",
                "config",
                "--no-once",
                "--interval=1m",
                "--interval=2m",
            ]),
            &env,
        );
        assert_eq!(
            prepared.argv,
            os(&[
                "flaredns",
                "config",
                "--once=false",
                "--interval=1m",
                "--interval=2m",
                "--source=crd"
            ])
        );
        assert_eq!(prepared.warnings.len(), 1);
    }

    #[test]
    fn nothing_after_a_double_dash_is_touched() {
        let env = env_of(&[("EXTERNAL_DNS_INTERVAL", "5m")]);
        let prepared = prepare(&command(), os(&["flaredns", "--", "--no-once"]), &env);
        assert_eq!(
            prepared.argv,
            os(&["flaredns", "--interval=5m", "--", "--no-once"])
        );
    }

    #[test]
    fn odd_argument_lists_are_handled() {
        assert_eq!(
            prepare(&command(), Vec::new(), &no_env).argv,
            Vec::<OsString>::new()
        );
        let prepared = prepare(&command(), os(&["flaredns", "--", "--=x", "--"]), &no_env);
        assert_eq!(prepared.argv, os(&["flaredns", "--", "--=x", "--"]));
        assert_eq!(long_name(OsStr::new("--=x")), None);
        assert_eq!(long_name(OsStr::new("--a=b=c")), Some(("a", true)));
        assert_eq!(long_name(OsStr::new("-a")), None);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_values_survive() {
        use std::os::unix::ffi::OsStrExt;
        let value = OsStr::from_bytes(b"a\xffb\nc").to_os_string();
        let env = move |name: &str| (name == "EXTERNAL_DNS_SOURCE").then(|| value.clone());
        let prepared = prepare(&command(), os(&["flaredns"]), &env);
        assert_eq!(prepared.argv.len(), 2);
        assert_eq!(prepared.argv[1].as_bytes(), b"--source=a\xffb\nc");
        let token = OsStr::from_bytes(b"--interval=\xff").to_os_string();
        let prepared = prepare(
            &command(),
            vec!["flaredns".into(), token.clone(), token],
            &no_env,
        );
        assert_eq!(prepared.warnings.len(), 1);
    }
}
