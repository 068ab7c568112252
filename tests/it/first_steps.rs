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
