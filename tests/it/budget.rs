//! The org's daily API allowance: an apply that would not fit does not start, one that runs
//! into the reserve stops cleanly, a spent allowance (403 "TotalRequests Limit exceeded") is
//! never retried, and a re-run once the allowance is back finishes the work, no duplicates.

use serde_json::Value;

use super::fleet::write_fleet;
use super::org_snapshot;
use super::support::{EmulatorProcess, Work, expect, run};

fn with_secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

fn connections(snapshot: &Value) -> Vec<String> {
    let mut names: Vec<String> = snapshot["connections"]["AwsRdsMySql"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().expect("a name").to_owned())
        .collect();
    names.sort();
    names
}

fn managed(work: &Work, emulator: &EmulatorProcess) -> Vec<String> {
    let ran = expect(work.d360(emulator).args(["state", "list"]), 0);
    let mut names: Vec<String> = ran
        .stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|key| key.strip_prefix("Connection/"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn an_apply_that_would_eat_the_reserve_does_not_start_and_one_that_reaches_it_stops() {
    let emulator = EmulatorProcess::start(&["--daily-limit", "110"]);
    let work = Work::new();
    write_fleet(&work, 100, "Budget");

    let plan = expect(with_secrets(work.d360(&emulator).args(["plan"])), 0);
    assert!(
        plan.stdout.contains("100 creates") && plan.stdout.contains("of 110 left today"),
        "{plan:?}"
    );
    let refused = expect(with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 1);
    assert!(
        refused.stderr.contains("--api-reserve") && refused.stderr.contains("--ignore-api-budget"),
        "{refused:?}"
    );
    assert!(managed(&work, &emulator).is_empty(), "nothing was applied");

    // Started anyway, it stops at the reserve (10% of 110) and saves what it did.
    let stopped = expect(
        with_secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--ignore-api-budget"]),
        ),
        1,
    );
    assert!(stopped.stdout.contains("Apply stopped"), "{stopped:?}");
    assert!(
        stopped.stderr.contains("Stopped starting steps") && stopped.stderr.contains("Not started"),
        "{stopped:?}"
    );
    let recorded = managed(&work, &emulator);
    assert!(
        !recorded.is_empty() && recorded.len() < 100,
        "{} recorded",
        recorded.len()
    );

    // The allowance refills: the re-run finishes the rest.
    let emulator = emulator.restart(&["--daily-limit", "1000"]);
    assert_eq!(
        connections(&org_snapshot::snapshot(&emulator)),
        recorded,
        "state matches the org"
    );
    let finished = expect(with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    assert!(finished.stdout.contains("Apply complete"), "{finished:?}");
    let names = connections(&org_snapshot::snapshot(&emulator));
    assert_eq!(names.len(), 100, "exactly 100, no duplicates");
    assert_eq!(managed(&work, &emulator), names);
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])),
        0,
    );
}

#[test]
fn a_spent_allowance_is_never_retried() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let log_flag = log.display().to_string();
    // Another integration spent the whole allowance before this nightly job starts.
    let emulator = EmulatorProcess::start(&[
        "--daily-limit",
        "1000",
        "--daily-used",
        "1000",
        "--log-requests",
        &log_flag,
    ]);
    let work = Work::new();
    write_fleet(&work, 20, "Spent");
    let ran = run(with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"])));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("TotalRequests Limit exceeded") && ran.stderr.contains("daily API allowance is spent"),
        "{ran:?}"
    );
    let text = std::fs::read_to_string(&log).expect("request log");
    let api: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["path"].as_str().is_some_and(|p| p.starts_with("/services/data/")))
        .collect();
    // The plan's first reads go out together; each meets the 403 once and nothing follows.
    assert!(!api.is_empty() && api.len() <= 2, "{} API requests: {api:?}", api.len());
    assert!(api.iter().all(|entry| entry["status"] == 403), "{api:?}");

    let emulator = emulator.restart(&["--daily-limit", "1000"]);
    expect(with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    assert_eq!(connections(&org_snapshot::snapshot(&emulator)).len(), 20);
}
