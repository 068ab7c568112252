//! Chaos: apply 500 connections while the emulator injects 10% 503, 5% 429 with
//! `Retry-After`, 2% dropped connections (half after the write) and expires every token each
//! 200 requests; then again with d360 SIGKILLed at seeded points and re-run. Every run must end
//! with exactly 500 objects, state equal to live, and an empty next plan.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::fleet::write_fleet;
use super::support::{EmulatorProcess, Work, expect, run};

const COUNT: usize = 500;
const FAULTS: [&str; 10] = [
    "--fault",
    "503=0.1",
    "--fault",
    "429=0.05",
    "--fault",
    "drop=0.02",
    "--expire-tokens-every",
    "200",
    "--seed",
    "360",
];

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// Live connection names, through a clean emulator view (a second, fault-free reader is not
/// available, so org check retries through the faults like any command).
fn assert_converged(work: &Work, emulator: &EmulatorProcess) {
    let check = expect(work.d360(emulator).args(["org", "check", "--format", "json"]), 0);
    let report: serde_json::Value = serde_json::from_str(&check.stdout).expect("org check JSON");
    assert_eq!(report["connections"].as_u64(), Some(COUNT as u64), "{check:?}");
    let state = expect(work.d360(emulator).args(["state", "list", "--format", "json"]), 0);
    let state: serde_json::Value = serde_json::from_str(&state.stdout).expect("state JSON");
    assert_eq!(state["resources"].as_array().map(Vec::len), Some(COUNT));
    let plan = expect(secrets(work.d360(emulator).args(["plan", "--detailed-exitcode"])), 0);
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

/// One apply of the fleet, to the end, with the default adaptive parallelism.
fn apply(work: &Work, emulator: &EmulatorProcess) -> super::support::Ran {
    run(secrets(work.d360(emulator).args(["apply", "--auto-approve"])))
}

fn summary(stdout: &str) -> String {
    stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("Apply "))
        .unwrap_or("")
        .to_owned()
}

#[test]
fn five_hundred_connections_through_faults_converge() {
    let emulator = EmulatorProcess::start(&FAULTS);
    let work = Work::new();
    write_fleet(&work, COUNT, "Chaos");
    let started = Instant::now();
    let applied = apply(&work, &emulator);
    assert_eq!(applied.code, 0, "{applied:?}");
    println!(
        "chaos apply of {COUNT}: {:.1}s; {}",
        started.elapsed().as_secs_f64(),
        summary(&applied.stdout)
    );
    assert_converged(&work, &emulator);
}

#[test]
fn killed_applies_under_faults_converge() {
    let emulator = EmulatorProcess::start(&FAULTS);
    let work = Work::new();
    write_fleet(&work, COUNT, "Chaos");
    let mut rng = fastrand::Rng::with_seed(360);
    for _ in 0..3 {
        let mut child = secrets(work.d360(&emulator).args(["apply", "--auto-approve"]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start apply");
        std::thread::sleep(Duration::from_millis(rng.u64(200..1500)));
        let _ = child.kill();
        let _ = child.wait();
    }
    let last = apply(&work, &emulator);
    assert_eq!(last.code, 0, "{last:?}");
    println!(
        "chaos with kills: the clean re-run converged; {}",
        summary(&last.stdout)
    );
    assert_converged(&work, &emulator);
}
