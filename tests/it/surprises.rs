//! The smaller surprises of an unattended run, each through the binary against the emulator:
//! import does not re-import what d360 manages, a plan says when managed objects are no
//! longer declared, `state mv` warns when the org's object has another name, and a lost
//! fingerprint key makes credentials unknown (with one warning), never "changed".

use crate::support::{EmulatorProcess, Work, expect};

fn applied_examples() -> (Work, EmulatorProcess) {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&[]);
    expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    (work, emulator)
}

#[test]
fn import_skips_objects_already_managed_unless_asked() {
    let (work, emulator) = applied_examples();
    let ran = expect(work.d360(&emulator).args(["import", "--out", "imported"]), 0);
    assert!(
        ran.stderr
            .contains("Skipped 41 objects d360 already manages (their manifests exist; pass --include-managed to write them again)."),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("Nothing to import"), "{ran:?}");
    assert!(!work.path().join("imported").exists());
    let ran = expect(
        work.d360(&emulator).args([
            "import",
            "--out",
            "imported",
            "--include-managed",
            "--kind",
            "Connection",
        ]),
        0,
    );
    assert!(ran.stderr.contains("Imported 21 objects"), "{ran:?}");
}

#[test]
fn a_plan_with_managed_objects_no_longer_declared_says_so() {
    let (work, emulator) = applied_examples();
    std::fs::remove_file(work.path().join("manifests/data-streams.yaml")).expect("remove");
    let text = expect(
        work.d360(&emulator).args(["plan", "manifests", "--detailed-exitcode"]),
        0,
    );
    assert!(
        text.stdout
            .contains("No changes to apply. 20 managed objects are no longer declared: kept; `--prune` deletes them."),
        "{text:?}"
    );
    assert!(!text.stdout.contains("The org matches the manifests"), "{text:?}");
    let markdown = expect(
        work.d360(&emulator).args(["plan", "manifests", "--format", "markdown"]),
        0,
    );
    assert!(
        markdown
            .stdout
            .contains("20 managed objects are no longer declared: kept; `--prune` deletes them."),
        "{markdown:?}"
    );
    let json = expect(work.d360(&emulator).args(["plan", "manifests", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    assert_eq!(json["noLongerDeclared"].as_array().map(Vec::len), Some(20));
}

#[test]
fn state_mv_warns_when_the_org_calls_the_object_otherwise() {
    let (work, emulator) = applied_examples();
    let ran = expect(
        work.d360(&emulator)
            .args(["state", "mv", "Connection/AWS_RDS_c01", "Connection/AWS_RDS_c99"]),
        0,
    );
    assert!(
        ran.stderr.contains(
            "warning: the org's connection with record id "
        ) && ran.stderr.contains(
            "is named `AWS_RDS_c01`, not `AWS_RDS_c99`: the next plan looks `AWS_RDS_c99` up by name, will not find it and will create it, leaving `AWS_RDS_c01` unmanaged. To undo: d360 state mv Connection/AWS_RDS_c99 AWS_RDS_c01"
        ),
        "{ran:?}"
    );
    // Moving it back names what the org holds: no warning.
    let ran = expect(
        work.d360(&emulator)
            .args(["state", "mv", "Connection/AWS_RDS_c99", "AWS_RDS_c01"]),
        0,
    );
    assert!(!ran.stderr.contains("warning"), "{ran:?}");
}

#[test]
fn a_lost_fingerprint_key_makes_credentials_unknown_not_changed() {
    let (work, emulator) = applied_examples();
    std::fs::remove_file(work.path().join(".d360/state/env.json.key")).expect("remove the key");
    let plan = expect(
        work.d360(&emulator)
            .args(["plan", "manifests", "--detailed-exitcode", "--format", "json"]),
        2,
    );
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let notes: Vec<&str> = json["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .flat_map(|action| action["changes"].as_array().cloned().unwrap_or_default())
        .filter_map(|change| change["note"].as_str().map(str::to_owned))
        .map(|note| {
            if note == "(unknown, will be set)" {
                "unknown"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(
        notes.len(),
        42,
        "two credentials of each of 21 connections: {}",
        plan.stdout
    );
    assert!(notes.iter().all(|n| *n == "unknown"), "{}", plan.stdout);
    let warnings: Vec<&serde_json::Value> = json["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w.as_str().is_some_and(|w| w.contains("fingerprint key is missing")))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {}", plan.stdout);
    // Apply sets them again with a new key; then nothing is left to do.
    expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    expect(
        work.d360(&emulator).args(["plan", "manifests", "--detailed-exitcode"]),
        0,
    );
}
