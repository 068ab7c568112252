//! `d360 import`: hand-made objects into manifests and state; the next plan only wants the
//! credentials.

use super::fleet::{write_connection, write_fleet};
use super::support::{EmulatorProcess, Work, expect};

#[test]
fn fifty_hand_made_connections_import_cleanly() {
    let emulator = EmulatorProcess::start(&[]);
    let by_hand = Work::new();
    write_fleet(&by_hand, 50, "Made by hand");
    expect(
        by_hand
            .d360(&emulator)
            .args(["apply", "--auto-approve"])
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p"),
        0,
    );

    let work = Work::new();
    let imported = expect(
        work.d360(&emulator).args([
            "import",
            "--out",
            "manifests",
            "--connector-type",
            "AwsRdsMySql",
            "--match",
            "^Fleet_",
        ]),
        0,
    );
    assert_eq!(imported.stdout.lines().count(), 50, "{imported:?}");
    assert!(imported.stderr.contains("D360_FLEET_0001_PASSWORD"), "{imported:?}");
    let file = work.read("manifests/connection-Fleet_0001.yaml");
    assert!(
        file.contains("fromEnv: D360_FLEET_0001_PASSWORD") && file.contains("label: Made by hand 0001"),
        "{file}"
    );
    expect(work.d360(&emulator).args(["validate"]), 0);
    assert_eq!(
        expect(work.d360(&emulator).args(["state", "list"]), 0)
            .stdout
            .lines()
            .count(),
        50
    );

    // Without the variables nothing can be compared or changed: no changes, with warnings.
    let plan = expect(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), 0);
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    // With them, the only changes are the credentials to set.
    let mut command = work.d360(&emulator);
    command.args(["plan", "--detailed-exitcode", "--format", "json"]);
    for index in 1..=50 {
        command
            .env(format!("D360_FLEET_{index:04}_USER"), "u")
            .env(format!("D360_FLEET_{index:04}_PASSWORD"), "p");
    }
    let plan = expect(&mut command, 2);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(plan["summary"]["update"], 50);
    for action in plan["actions"].as_array().expect("actions") {
        for change in action["changes"].as_array().expect("changes") {
            assert_eq!(change["sensitive"], true, "{change}");
            assert_eq!(change["note"], "(unknown, will be set)", "{change}");
        }
    }
    let again = expect(
        work.d360(&emulator).args([
            "import",
            "--out",
            "manifests",
            "--connector-type",
            "AwsRdsMySql",
            "--include-managed",
        ]),
        1,
    );
    assert!(again.stderr.contains("--force"), "{again:?}");
}

#[test]
fn a_dry_run_lists_what_import_would_write_and_changes_nothing() {
    let emulator = EmulatorProcess::start(&[]);
    let other = Work::new();
    write_connection(&other, "Dry_Hand", "AwsRdsMySql", "Hand made", "clinic", "");
    expect(
        other
            .d360(&emulator)
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p")
            .args(["apply", "--auto-approve"]),
        0,
    );
    let work = Work::new();
    let dry = expect(
        work.d360(&emulator).args([
            "import",
            "--dry-run",
            "--kind",
            "Connection",
            "--connector-type",
            "AwsRdsMySql",
            "--out",
            "imported",
        ]),
        0,
    );
    assert!(
        dry.stdout.contains("would write imported/") && dry.stdout.contains("(Connection/Dry_Hand)"),
        "{dry:?}"
    );
    assert!(dry.stderr.contains("Dry run: would import 1 object"), "{dry:?}");
    assert!(!work.path().join("imported").exists(), "no file written");
    let listed = expect(work.d360(&emulator).args(["state", "list"]), 0);
    assert!(listed.stdout.trim().is_empty(), "{listed:?}");
    expect(
        work.d360(&emulator).args([
            "import",
            "--kind",
            "Connection",
            "--connector-type",
            "AwsRdsMySql",
            "--out",
            "imported",
        ]),
        0,
    );
    let listed = expect(work.d360(&emulator).args(["state", "list"]), 0);
    assert!(listed.stdout.contains("Connection/Dry_Hand"), "{listed:?}");
}
