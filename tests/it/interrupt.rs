//! Interrupted and killed applies: state saved, and the next apply converges with no
//! duplicates.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::fleet::write_fleet;
use super::support::{EmulatorProcess, Work, expect, run};

fn spawn_apply(work: &Work, emulator: &EmulatorProcess, parallelism: &str) -> Child {
    work.d360(emulator)
        .args(["apply", "--auto-approve", "--parallelism", parallelism])
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply")
}

fn managed_count(work: &Work, emulator: &EmulatorProcess) -> usize {
    expect(work.d360(emulator).args(["state", "list"]), 0)
        .stdout
        .lines()
        .count()
}

fn live_connections(work: &Work, emulator: &EmulatorProcess) -> u64 {
    let ran = expect(work.d360(emulator).args(["org", "check", "--format", "json"]), 0);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).expect("org check JSON");
    report["connections"].as_u64().expect("a connection count")
}

fn wait_for_state(work: &Work) {
    let started = Instant::now();
    while !work.path().join(".d360/state/env.json").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "apply never wrote state");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_finishes_in_flight_work_saves_state_and_exits_130() {
    let emulator = EmulatorProcess::start(&["--latency", "150"]);
    let work = Work::new();
    write_fleet(&work, 60, "Fleet");
    let child = spawn_apply(&work, &emulator, "2");
    wait_for_state(&work);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let output = child.wait_with_output().expect("apply ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Apply interrupted"), "{stdout}");
    assert!(stderr.contains("Not started:"), "{stderr}");
    let managed = managed_count(&work, &emulator);
    assert!(managed > 0 && managed < 60, "managed {managed}");
    // Everything the org has is in state: nothing in flight was lost.
    assert_eq!(live_connections(&work, &emulator), managed as u64);
    expect(
        work.d360(&emulator)
            .args(["apply", "--auto-approve"])
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p"),
        0,
    );
    assert_eq!(live_connections(&work, &emulator), 60);
    expect(
        work.d360(&emulator)
            .args(["plan", "--detailed-exitcode"])
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p"),
        0,
    );
}

#[test]
fn applies_killed_at_several_points_converge_without_duplicates() {
    let emulator = EmulatorProcess::start(&["--latency", "20"]);
    let work = Work::new();
    write_fleet(&work, 300, "Fleet");
    for delay_ms in [150_u64, 400, 700] {
        let mut child = spawn_apply(&work, &emulator, "8");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let finished = run(work
        .d360(&emulator)
        .args(["apply", "--auto-approve"])
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p"));
    assert_eq!(finished.code, 0, "{finished:?}");
    assert_eq!(live_connections(&work, &emulator), 300);
    assert_eq!(managed_count(&work, &emulator), 300);
    let plan = expect(
        work.d360(&emulator)
            .args(["plan", "--detailed-exitcode"])
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p"),
        0,
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}
