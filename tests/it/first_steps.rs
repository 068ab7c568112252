//! A newcomer's first ten minutes, through the binary: the README's quick start, keys kept out
//! of git, and messages that say the right thing (`org check` with a profile d360.yaml lacks,
//! `destroy`'s lines, `drift --accept` with nothing it may accept).

use super::fleet::write_connection;
use super::support::{EmulatorProcess, Work, bin, expect, run};

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

fn git(work: &Work, arguments: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(work.path())
        .args(arguments)
        .status()
        .expect("git runs (the tests of keygen's warning need it)");
    assert!(status.success(), "git {arguments:?}");
}

#[test]
fn the_readme_quick_start_reaches_a_first_plan() {
    let work = Work::new();
    expect(bin().current_dir(work.path()).args(["init", "demo"]), 0);
    let demo = work.path().join("demo");
    let planned = expect(secrets(bin().current_dir(&demo).arg("plan")), 0);
    assert!(
        planned
            .stdout
            .contains("+ Connection/Example_RDS_MySQL will be created"),
        "{planned:?}"
    );
    let gitignore = std::fs::read_to_string(demo.join(".gitignore")).unwrap();
    assert!(
        gitignore.contains("\n.d360/\n") && gitignore.contains("\nkeys/\n"),
        "{gitignore}"
    );
}

#[test]
fn keygen_warns_when_the_key_would_be_committed() {
    let work = Work::new();
    git(&work, &["init", "--quiet", "."]);
    let ran = expect(
        bin().current_dir(work.path()).args(["auth", "keygen", "--out", "keys"]),
        0,
    );
    assert!(
        ran.stderr
            .contains("warning: keys/d360.key is inside a git work tree and not ignored"),
        "{ran:?}"
    );
    // Once `init` has ignored keys/, the same command says nothing.
    expect(bin().current_dir(work.path()).arg("init"), 0);
    let ran = expect(
        bin()
            .current_dir(work.path())
            .args(["auth", "keygen", "--out", "keys", "--force"]),
        0,
    );
    assert!(!ran.stderr.contains("warning"), "{ran:?}");
    // Outside any work tree: no git question worth asking, no warning.
    let elsewhere = Work::new();
    let ran = expect(
        bin()
            .current_dir(elsewhere.path())
            .args(["auth", "keygen", "--out", "keys"]),
        0,
    );
    assert!(!ran.stderr.contains("warning"), "{ran:?}");
}

#[test]
fn org_check_names_the_file_and_its_profiles_when_one_is_missing() {
    let work = Work::new();
    let none = expect(
        bin().current_dir(work.path()).args(["org", "check", "--org", "prod"]),
        1,
    );
    assert!(none.stderr.contains("no d360.yaml found"), "{none:?}");
    work.write("d360.yaml", "orgs: {}\n");
    let empty = expect(
        bin().current_dir(work.path()).args(["org", "check", "--org", "prod"]),
        1,
    );
    assert!(
        empty
            .stderr
            .contains("org `prod` is not defined in d360.yaml: it has no org profile"),
        "{empty:?}"
    );
    assert!(!empty.stderr.contains("no d360.yaml found"), "{empty:?}");
    work.write(
        "d360.yaml",
        "orgs:\n  dev:\n    instanceUrl: https://dev.example.com\n    auth:\n      clientCredentials: { clientId: x, clientSecret: { fromEnv: S } }\n",
    );
    let other = expect(
        bin().current_dir(work.path()).args(["org", "check", "--org", "prod"]),
        1,
    );
    assert!(other.stderr.contains("in d360.yaml: its profiles are dev"), "{other:?}");
}

#[test]
fn destroy_says_it_deletes_on_request_not_for_prune() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Destroyed_A", "AwsRdsMySql", "A", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let ran = expect(work.d360(&emulator).args(["destroy", "--auto-approve"]), 0);
    assert!(ran.stdout.contains("- Connection/Destroyed_A"), "{ran:?}");
    assert!(ran.stdout.contains("d360 destroy deletes what d360 manages"), "{ran:?}");
    assert!(!ran.stdout.contains("--prune"), "{ran:?}");
}

#[test]
fn accept_explains_why_an_unrecorded_object_is_not_adopted() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Unrecorded_A", "AwsRdsMySql", "Original", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    expect(work.d360(&emulator).args(["state", "rm", "Connection/Unrecorded_A"]), 0);
    write_connection(&work, "Unrecorded_A", "AwsRdsMySql", "Edited", "clinic", "");
    let ran = run(secrets(work.d360(&emulator).args(["drift", "--accept"])));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("Nothing to accept"), "{ran:?}");
    assert!(
        ran.stderr.contains(
            "Connection/Unrecorded_A: not accepted: not in state, and the org's object differs from its manifest (label"
        ),
        "{ran:?}"
    );
}

/// A set of `rows` connections whose template reads `variable` in its label and credentials
/// from `RDS_USER` / `RDS_PASSWORD`.
fn fleet(work: &Work, rows: usize, variable: &str) {
    let mut csv = String::from("key,host\n");
    for row in 0..rows {
        csv.push_str(&format!("c{row:04},h{row}.example.internal\n"));
    }
    work.write("manifests/inventory.csv", &csv);
    work.write(
        "manifests/fleet.yaml",
        &format!(
            r#"apiVersion: d360/v1
kind: ConnectionSet
metadata: {{ name: fleet }}
spec:
  items: {{ fromCsv: inventory.csv }}
  template:
    metadata: {{ name: "Fleet_${{item.key}}" }}
    spec:
      connectorType: AwsRdsMySql
      label: "Clinic ${{item.key}}{variable}"
      parameters:
        jdbc_connection_url: "jdbc:mysql://${{item.host}}:3306"
        DATABASE: clinic
      credentials:
        user: {{ fromEnv: RDS_USER }}
        password: {{ fromEnv: RDS_PASSWORD }}
"#
        ),
    );
}

#[test]
fn an_unset_variable_in_a_large_set_is_one_error_with_the_count() {
    let work = Work::new();
    fleet(&work, 2000, " ${env:D360_TEST_UNSET_REGION}");
    let ran = expect(
        bin().current_dir(work.path()).args(["validate", "--format", "short"]),
        1,
    );
    let lines: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|line| line.contains("D360_TEST_UNSET_REGION"))
        .collect();
    assert_eq!(lines.len(), 1, "{ran:?}");
    assert!(lines[0].starts_with("manifests/fleet.yaml:10:"), "{lines:?}");
    assert!(lines[0].contains("(2000 resources need it)"), "{lines:?}");
    // The same in the human form: one snippet, not 2,000.
    let ran = expect(bin().current_dir(work.path()).arg("validate"), 1);
    assert_eq!(
        ran.stderr
            .matches("environment variable `D360_TEST_UNSET_REGION` is not set")
            .count(),
        1,
        "{}",
        &ran.stderr[..ran.stderr.len().min(3000)]
    );
}

#[test]
fn missing_credentials_of_a_set_are_one_plan_error_with_the_count() {
    let work = Work::new();
    fleet(&work, 30, "");
    let ran = run(bin()
        .current_dir(work.path())
        .env_remove("RDS_USER")
        .env_remove("RDS_PASSWORD")
        .args(["plan", "--org", "local"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    let all = format!("{}{}", ran.stdout, ran.stderr);
    let errors: Vec<&str> = all
        .lines()
        .filter(|line| line.starts_with("error:") && line.contains("RDS_PASSWORD"))
        .collect();
    assert_eq!(errors.len(), 1, "{all}");
    assert!(errors[0].contains("30 resources need it"), "{errors:?}");
}

/// `d360 ARGS` with stdout on a terminal (util-linux `script` gives it a pseudo-terminal).
fn on_a_terminal(work: &Work, arguments: &str) -> String {
    let line = format!("{} {arguments}", env!("CARGO_BIN_EXE_d360"));
    let output = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(work.path())
        .env("NO_COLOR", "1")
        .env_remove("D360_ORG")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_first_plan_of_the_examples_fits_a_screen_on_a_terminal_unless_verbose() {
    let work = Work::with_examples();
    let quiet = on_a_terminal(&work, "plan manifests/ --org local");
    assert!(quiet.contains("Plan: 41 to create"), "{quiet}");
    assert!(
        quiet.contains("will be created (17 fields)"),
        "compact above 15 actions: {quiet}"
    );
    assert!(quiet.lines().count() < 120, "{} lines", quiet.lines().count());
    let verbose = on_a_terminal(&work, "plan manifests/ --org local -v");
    assert!(!verbose.contains("(17 fields)"), "-v shows every field");
    assert!(verbose.lines().count() > 400, "{} lines", verbose.lines().count());
}
