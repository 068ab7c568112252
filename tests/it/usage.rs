//! Exit codes a pipeline can trust: a usage error (unknown or misspelt flag, bad value) exits
//! 1, never 2 ("changes" / "drift"), on every subcommand; Terraform's single-dash spellings
//! get a hint; `--help`, `--version` and `d360 version` exit 0 on stdout.

use crate::support::{bin, expect};

/// The subcommand names `d360 [PATH] --help` lists under "Commands:" (`help` left out).
fn subcommands(path: &[&str]) -> Vec<String> {
    let ran = expect(bin().args(path).arg("--help"), 0);
    let mut names = Vec::new();
    let mut inside = false;
    for line in ran.stdout.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if line.trim().is_empty() {
                break;
            }
            // Names are indented by two spaces; wrapped descriptions by more.
            if let Some(rest) = line.strip_prefix("  ")
                && !rest.starts_with(' ')
            {
                let name = rest.split_whitespace().next().unwrap_or_default();
                if name != "help" {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// Every command line that names one subcommand to the end: `plan`, `state list`, ...
fn every_subcommand() -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for name in subcommands(&[]) {
        let nested = subcommands(&[name.as_str()]);
        if nested.is_empty() {
            all.push(vec![name]);
        } else {
            for sub in nested {
                all.push(vec![name.clone(), sub]);
            }
        }
    }
    all
}

#[test]
fn a_misspelt_flag_exits_1_on_every_subcommand() {
    let all = every_subcommand();
    // The tree as of this test: a new command is covered by itself.
    assert!(all.len() >= 20, "{all:?}");
    for words in [vec!["plan".to_owned()], vec!["state".to_owned(), "list".to_owned()]] {
        assert!(all.contains(&words), "{words:?} missing from {all:?}");
    }
    for words in &all {
        let ran = expect(bin().args(words).arg("--auto-aprove"), 1);
        assert!(
            ran.stderr.contains("unexpected argument '--auto-aprove'"),
            "{words:?}: {ran:?}"
        );
        assert!(ran.stdout.is_empty(), "{words:?}: {ran:?}");
    }
}

#[test]
fn the_misspelt_detailed_exitcode_fails_instead_of_passing_as_changes() {
    let ran = expect(bin().args(["plan", "--detailed-exitcodes"]), 1);
    assert!(
        ran.stderr.contains("a similar argument exists: '--detailed-exitcode'"),
        "{ran:?}"
    );
}

#[test]
fn bad_values_and_missing_arguments_exit_1() {
    let ran = expect(bin().args(["plan", "--format", "yml"]), 1);
    assert!(ran.stderr.contains("invalid value 'yml'"), "{ran:?}");
    expect(bin().args(["apply", "--parallelism", "many"]), 1);
    expect(bin().args(["state", "show"]), 1);
    expect(bin().arg("no-such-command"), 1);
    // No subcommand at all: the help, as an error.
    expect(&mut bin(), 1);
}

#[test]
fn terraform_single_dash_flags_get_the_double_dash_hint() {
    for (line, hint) in [
        (vec!["plan", "-out", "plan.json"], "did you mean `--out`?"),
        (
            vec!["plan", "-target=Connection/A"],
            "did you mean `--target=Connection/A`?",
        ),
        (vec!["apply", "-auto-approve"], "did you mean `--auto-approve`?"),
        (
            vec!["plan", "-detailed-exitcode"],
            "did you mean `--detailed-exitcode`?",
        ),
    ] {
        let ran = expect(bin().args(&line), 1);
        assert!(ran.stderr.contains(hint), "{line:?}: {ran:?}");
    }
    // A flag that does not exist with two dashes either gets no made-up hint.
    let ran = expect(bin().args(["plan", "-lock=false"]), 1);
    assert!(!ran.stderr.contains("did you mean `--lock"), "{ran:?}");
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    let ran = expect(bin().arg("--help"), 0);
    assert!(ran.stdout.contains("Usage: d360"), "{ran:?}");
    let ran = expect(bin().args(["plan", "--help"]), 0);
    assert!(ran.stdout.contains("--detailed-exitcode"), "{ran:?}");
    let version = env!("CARGO_PKG_VERSION");
    let ran = expect(bin().arg("--version"), 0);
    assert_eq!(ran.stdout.trim(), format!("d360 {version}"));
    let ran = expect(bin().arg("version"), 0);
    assert!(ran.stdout.starts_with(&format!("d360 {version} (")), "{ran:?}");
    let ran = expect(bin().args(["version", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["version"], version);
    assert_eq!(json["name"], "d360");
    assert!(json["defaultApiVersion"].as_str().unwrap().ends_with(".0"), "{json}");
}
