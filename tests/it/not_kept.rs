//! Writes the org does not keep: an org that shortens labels (`--truncate-labels`) answers
//! every later read with the short one. d360 reads back what it wrote, says what was not
//! kept, records it, and does not propose the same write again until the manifest changes:
//! a scheduled `apply` or `watch --heal` never rewrites the fleet every run.

use crate::support::{EmulatorProcess, Work, expect, writes};

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

#[test]
fn watch_counts_unkept_writes_logs_them_once_and_never_rewrites_them() {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&["--truncate-labels", "14"]);
    let watcher =
        crate::watch::Watcher::start(
            work.d360(&emulator)
                .args(["watch", "manifests", "--heal", "--interval", "1s"]),
        );
    let labels = |kind| [("org", "env"), ("kind", kind)];
    watcher.wait_for("the unkept writes counted", std::time::Duration::from_secs(30), |m| {
        m.value("d360_nonconverging_objects", &labels("DataStream")) == Some(20.0)
            && m.value("d360_nonconverging_objects", &labels("Connection")) == Some(1.0)
            && m.value("d360_reconcile_runs_total", &[("org", "env"), ("result", "success")])
                .is_some_and(|runs| runs >= 3.0)
    });
    let stderr = watcher.stderr();
    let logged = stderr
        .lines()
        .filter(|line| line.contains("warning: Connection/AWS_RDS_MySQL_spike_test: the org did not keep label"))
        .count();
    assert_eq!(logged, 1, "logged once however many runs: {stderr}");
    let applied = watcher
        .metrics()
        .value("d360_applied_actions_total", &[("org", "env"), ("action", "update")]);
    assert_eq!(applied, Some(0.0), "never rewritten: {stderr}");
}

#[test]
fn a_watch_run_that_outlasts_its_interval_retrying_is_a_failure() {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&["--latency", "150", "--fault", "503=0.4", "--seed", "7"]);
    let watcher =
        crate::watch::Watcher::start(work.d360(&emulator).args(["watch", "manifests", "--interval", "100ms"]));
    let started = std::time::Instant::now();
    loop {
        let stderr = watcher.stderr();
        if stderr.contains("longer than the 0.1s interval, retrying") {
            assert!(stderr.contains("WARN"), "logged as a warning: {stderr}");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(40),
            "no overrun failure seen: {stderr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let failures = watcher
        .metrics()
        .value("d360_reconcile_runs_total", &[("org", "env"), ("result", "failure")]);
    assert!(failures.is_some_and(|f| f >= 1.0), "{failures:?}");
}
