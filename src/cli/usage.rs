//! Command lines clap refuses: the exit code and the hint. A usage error (an unknown flag, a
//! bad value, a missing argument) exits 1 like every other error, never clap's 2, which
//! means "changes" or "drift" here. `--help` and `--version` print to stdout and exit 0.
//! A Terraform habit, a long flag with one dash (`-out`, `-target=X`, `-auto-approve`),
//! gets a "did you mean `--out`?" hint. Nothing here runs a command.

use std::collections::BTreeSet;
use std::ffi::OsString;

use clap::CommandFactory;
use clap::error::ErrorKind;

use super::{Cli, Outcome};
use crate::output;

/// Parses `words` (the program name first); on a refusal prints clap's text, and a hint
/// where one applies, and gives the outcome to exit with.
pub(crate) fn parse<I, T>(words: I) -> Result<Cli, Outcome>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::Parser;
    let words: Vec<OsString> = words.into_iter().map(Into::into).collect();
    match Cli::try_parse_from(&words) {
        Ok(cli) => Ok(cli),
        Err(error) => {
            // Help and version go to stdout; everything else is a usage error on stderr.
            let _ = error.print();
            if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                return Err(Outcome::Success);
            }
            for hint in single_dash_hints(&words) {
                output::message(&hint);
            }
            Err(Outcome::Failure)
        }
    }
}

/// Every long flag name of the command tree, globals included.
fn long_flags() -> BTreeSet<String> {
    fn walk(command: &clap::Command, names: &mut BTreeSet<String>) {
        for argument in command.get_arguments() {
            if let Some(long) = argument.get_long() {
                names.insert(long.to_owned());
            }
            for alias in argument.get_all_aliases().into_iter().flatten() {
                names.insert(alias.to_owned());
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, names);
        }
    }
    let mut names = BTreeSet::new();
    walk(&Cli::command(), &mut names);
    names.insert("help".to_owned());
    names.insert("version".to_owned());
    names
}

/// "did you mean `--out`?" for each word that is a long flag written with one dash.
fn single_dash_hints(words: &[OsString]) -> Vec<String> {
    let known = long_flags();
    let mut hints = Vec::new();
    for word in words.iter().skip(1) {
        let Some(word) = word.to_str() else { continue };
        if word == "--" {
            break;
        }
        let Some(rest) = word.strip_prefix('-') else { continue };
        if rest.starts_with('-') || rest.len() < 2 {
            continue;
        }
        let (name, value) = match rest.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (rest, None),
        };
        if known.contains(name) {
            let suggestion = match value {
                Some(value) => format!("--{name}={value}"),
                None => format!("--{name}"),
            };
            hints.push(format!(
                "hint: did you mean `{suggestion}`? d360's long flags take two dashes (`{word}` is Terraform's spelling)"
            ));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn hints(line: &[&str]) -> Vec<String> {
        let words: Vec<OsString> = line.iter().map(OsString::from).collect();
        single_dash_hints(&words)
    }

    #[test]
    fn terraform_spellings_get_the_double_dash_form() {
        let found = hints(&[
            "d360",
            "plan",
            "-out",
            "plan.json",
            "-target=Connection/A",
            "-auto-approve",
        ]);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("`--out`"), "{found:?}");
        assert!(found[1].contains("`--target=Connection/A`"), "{found:?}");
        assert!(found[2].contains("`--auto-approve`"), "{found:?}");
    }

    #[test]
    fn short_flags_values_and_unknown_words_get_none() {
        assert!(hints(&["d360", "plan", "-vv", "-x", "--out", "p.json", "-nonsense"]).is_empty());
        assert!(hints(&["d360", "plan", "--", "-out"]).is_empty());
    }
}
