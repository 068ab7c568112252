//! No state, no work: an apply whose state cannot be written, or whose PostgreSQL database
//! restarts under it, starts no step until the state is saved again (or stops), reports what
//! it did without recording truthfully, and a re-run converges with no duplicates.

use std::collections::BTreeSet;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use super::fleet::write_fleet;
use super::postgres::{Cluster, with_db};
use super::support::{EmulatorProcess, Work, expect, run};

/// Names and labels of the AWS RDS MySQL connections the org holds.
fn live(emulator: &EmulatorProcess) -> Vec<(String, String)> {
    let snapshot = super::org_snapshot::snapshot(emulator);
    snapshot["connections"]["AwsRdsMySql"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("a name").to_owned(),
                c["label"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Asserts the org holds exactly `count` fleet connections, each once, all labelled `label`.
#[track_caller]
fn assert_fleet(emulator: &EmulatorProcess, count: usize, label: &str) {
    let connections = live(emulator);
    let names: BTreeSet<&str> = connections.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        connections.len(),
        count,
        "duplicates or missing objects: {connections:?}"
    );
    assert_eq!(names.len(), count, "{connections:?}");
    assert!(connections.iter().all(|(_, l)| l.starts_with(label)), "{connections:?}");
}

fn spawn(command: &mut std::process::Command) -> Child {
    command
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply")
}

fn finish(child: Child) -> (i32, String, String) {
    let Output { status, stdout, stderr } = child.wait_with_output().expect("apply ends");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const NOT_RECORDED_CLAIM: &str = "recorded and will not be repeated";

#[test]
fn a_local_state_folder_that_becomes_unwritable_stops_the_apply_at_the_first_failure() {
    let emulator = EmulatorProcess::start(&["--latency", "100"]);
    let work = Work::new();
    write_fleet(&work, 30, "Local");
    let apply = spawn(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "1"]),
    );
    // Some steps are recorded in the journal; then the state folder is replaced by a file,
    // so every later write fails for real (tests run as root: permission bits would not).
    let journal = work.path().join(".d360/state/env.json.journal");
    wait_until("the journal", || journal.exists());
    let state_dir = work.path().join(".d360/state");
    let moved = work.path().join(".d360/state-moved");
    std::fs::rename(&state_dir, &moved).expect("move the state folder away");
    std::fs::write(&state_dir, "not a folder").expect("a file in its place");
    let (code, stdout, stderr) = finish(apply);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("cannot write state"), "{stderr}");
    assert!(
        stderr.contains("Stopped starting steps: the state cannot be saved"),
        "{stderr}"
    );
    assert!(
        stderr.contains("created, not recorded: a re-run adopts them"),
        "{stderr}"
    );
    assert!(!stderr.contains(NOT_RECORDED_CLAIM), "{stderr}");
    assert!(stdout.contains("Apply stopped"), "{stdout}");

    // What the org has beyond what the (moved) state records: only the step whose write
    // failed and the one already started when the failure became known.
    let recorded = std::fs::read_to_string(moved.join("env.json.journal"))
        .expect("journal")
        .lines()
        .count()
        + serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(moved.join("env.json")).expect("state"))
            .expect("state JSON")["resources"]
            .as_object()
            .map_or(0, serde_json::Map::len);
    let created = live(&emulator).len();
    assert!(
        created >= recorded && created - recorded <= 2,
        "{created} created, {recorded} recorded:\n{stderr}"
    );
    assert!(created < 30, "the apply went on: {created} created");

    // With the folder back, a re-run adopts what was not recorded and creates the rest.
    std::fs::remove_file(&state_dir).expect("remove the file");
    std::fs::rename(&moved, &state_dir).expect("put the folder back");
    let mut again = work.d360(&emulator);
    again
        .args(["apply", "--auto-approve"])
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p");
    expect(&mut again, 0);
    assert_fleet(&emulator, 30, "Local");
    let mut plan = work.d360(&emulator);
    plan.args(["plan", "--detailed-exitcode"])
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p");
    expect(&mut plan, 0);
}

#[test]
fn a_postgres_restart_mid_apply_pauses_steps_until_state_and_lock_are_back() {
    let Some(cluster) = Cluster::start() else { return };
    let emulator = EmulatorProcess::start(&["--latency", "150"]);
    let work = Work::new();
    write_fleet(&work, 40, "Restart");
    let apply = spawn(with_db(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "2"]),
        &cluster,
    ));
    wait_until("some recorded steps", || {
        cluster
            .try_sql("SELECT count(*) FROM d360_state_resources")
            .is_ok_and(|count| count.parse::<u64>().is_ok_and(|n| n >= 4))
    });
    cluster.stop_server();
    // The steps in flight finish (150 ms each); then nothing may start while the database
    // (the state and the session holding the lock) is down.
    std::thread::sleep(Duration::from_millis(700));
    let during = live(&emulator).len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        live(&emulator).len(),
        during,
        "steps started while the state database was down"
    );
    assert!(during < 40, "the apply finished before the restart: {during}");
    cluster.start_server();
    let (code, stdout, stderr) = finish(apply);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply complete: 40 created"), "{stdout}");
    assert_fleet(&emulator, 40, "Restart");
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_resources WHERE org = 'env'"),
        40
    );
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );

    // A restart with a second apply waiting for the database: never both at once. Whichever
    // takes the lock first runs; the other stops with a clear error.
    write_fleet(&work, 40, "Moved");
    let first = spawn(with_db(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "2"]),
        &cluster,
    ));
    wait_until("some recorded updates", || {
        cluster.count("SELECT count(*) FROM d360_state_changes WHERE org = 'env'") >= 44
    });
    cluster.stop_server();
    std::thread::sleep(Duration::from_millis(500));
    cluster.start_server();
    let second = run(with_db(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "8"]),
        &cluster,
    ));
    let (code, stdout, stderr) = finish(first);
    assert!(!stderr.contains(NOT_RECORDED_CLAIM), "{stderr}");
    if second.code == 0 {
        assert_eq!(code, 1, "both applies ran:\n{stdout}\n{stderr}\n{second:?}");
        assert!(stderr.contains("lost the state lock"), "{stderr}");
    } else {
        assert!(second.stderr.contains("locked by `d360 apply`"), "{second:?}");
        assert_eq!(code, 0, "{stdout}\n{stderr}");
    }
    expect(
        with_db(work.d360(&emulator).args(["apply", "--auto-approve"]), &cluster),
        0,
    );
    assert_fleet(&emulator, 40, "Moved");
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
}
