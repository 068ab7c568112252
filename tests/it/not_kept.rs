//! Writes the org does not keep: an org that shortens labels (`--truncate-labels`) answers
//! every later read with the short one. d360 reads back what it wrote, says what was not
//! kept, records it, and does not propose the same write again until the manifest changes:
//! a scheduled `apply` or `watch --heal` never rewrites the fleet every run.

use crate::support::{EmulatorProcess, Work, expect};

/// `METHOD path` of every write in the request log.
fn writes(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| {
            entry["path"].as_str().is_some_and(|path| path.contains("/ssot/"))
                && entry["method"]
                    .as_str()
                    .is_some_and(|method| matches!(method, "POST" | "PUT" | "PATCH" | "DELETE"))
        })
        .map(|entry| format!("{} {}", entry["method"], entry["path"]))
        .collect()
}

#[test]
fn a_write_the_org_does_not_keep_is_reported_once_and_not_repeated() {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&["--truncate-labels", "14"]);
    let applied = expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    assert!(
        applied
            .stderr
            .contains(r#"warning: Connection/AWS_RDS_MySQL_spike_test: the org did not keep label (sent "AWS RDS MySQL spike_test_clinic", reads "AWS RDS MySQL ")"#),
        "{applied:?}"
    );
    // "Clinic c01" fits in 14 characters: kept, so not reported.
    assert!(!applied.stderr.contains("Connection/AWS_RDS_c01"), "{applied:?}");

    let plan = expect(
        work.d360(&emulator).args(["plan", "manifests", "--detailed-exitcode"]),
        0,
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    assert!(
        plan.stdout.contains(
            "Connection/AWS_RDS_MySQL_spike_test: the org did not keep label (sent \"AWS RDS MySQL spike_test_clinic\", reads \"AWS RDS MySQL \") when d360 last wrote it: not proposed again until the manifest changes"
        ),
        "{plan:?}"
    );
    let json = expect(work.d360(&emulator).args(["plan", "manifests", "--format", "json"]), 0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    let not_kept = json["notKept"].as_array().expect("notKept");
    assert_eq!(
        not_kept.len(),
        21,
        "every connection but none of the short ones: {not_kept:?}"
    );

    // A second apply (a scheduled run) sends nothing.
    let log = work.path().join("requests.jsonl");
    let emulator = emulator.restart(&[
        "--truncate-labels",
        "14",
        "--log-requests",
        log.to_str().expect("utf-8"),
    ]);
    expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    assert_eq!(writes(&log), Vec::<String>::new());

    // Drift still says the org holds something else than the manifest.
    let drift = expect(work.d360(&emulator).args(["drift", "manifests", "--format", "json"]), 2);
    let report: serde_json::Value = serde_json::from_str(&drift.stdout).expect("drift JSON");
    assert_eq!(report["summary"]["changed"], not_kept.len(), "{}", drift.stdout);

    // A changed manifest is proposed again.
    let connections = work
        .read("manifests/connections.yaml")
        .replace("label: AWS RDS MySQL spike_test_clinic", "label: Spike clinic");
    work.write("manifests/connections.yaml", &connections);
    let plan = expect(
        work.d360(&emulator)
            .args(["plan", "manifests", "--detailed-exitcode", "--format", "json"]),
        2,
    );
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(json["summary"]["update"], 1, "{}", plan.stdout);
    assert_eq!(json["actions"][0]["name"], "AWS_RDS_MySQL_spike_test");
}
