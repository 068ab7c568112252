//! Benchmarks of the main job against the emulator with injected latency (DESIGN.md §10):
//!
//! 1. apply 1,000 new connections at 50 ms latency with `--parallelism 16`, against the ideal
//!    ceil(1000/16) x 50 ms; and the one-at-a-time way the Postman guides work (parallelism 1,
//!    fewer connections, per-connection time compared);
//! 2. plan 5,000 declared connections against 5,000 live ones (1% changed) at no latency:
//!    HTTP requests (from `--log-requests`) and wall time.
//!
//! Run: `cargo bench --bench apply`. Figures are from one run; report them as ratios.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use d360_emulator::{self as emulator, Options};

fn write_fleet(dir: &Path, count: usize, label: &str, changed: usize) {
    let mut csv = String::from("key,label\n");
    for index in 0..count {
        let label = if index < changed {
            format!("{label} {index} (edited)")
        } else {
            format!("{label} {index}")
        };
        csv.push_str(&format!("{index:05},{label}\n"));
    }
    std::fs::create_dir_all(dir.join("manifests")).unwrap();
    std::fs::write(dir.join("manifests/fleet.csv"), csv).unwrap();
    std::fs::write(
        dir.join("manifests/fleet.yaml"),
        "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: fleet.csv }\n  template:\n    metadata: { name: \"Bench_${item.key}\" }\n    spec:\n      connectorType: AwsRdsMySql\n      label: \"${item.label}\"\n      parameters: { jdbc_connection_url: \"jdbc:mysql://db${item.key}.internal:3306\", DATABASE: bench }\n      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }\n",
    )
    .unwrap();
}

/// Runs `d360 ARGS` in `dir` against the emulator; returns the wall time.
fn d360(dir: &Path, url: &str, key: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_d360"))
        .current_dir(dir)
        .args(args)
        .env("D360_ORG", "env")
        .env("D360_INSTANCE_URL", url)
        .env("D360_CLIENT_ID", "d360-local")
        .env("D360_USERNAME", "admin@local.d360")
        .env("D360_PRIVATE_KEY_FILE", key)
        .env("RDS_USER", "bench")
        .env("RDS_PASSWORD", "bench-password")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "d360 {args:?} failed ({code}):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

struct Running {
    url: String,
    key: std::path::PathBuf,
    _runtime: tokio::runtime::Runtime,
    _emulator: emulator::Emulator,
    _data: tempfile::TempDir,
}

fn start(latency_ms: u64, log: Option<&Path>) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut options = Options::new(data.path());
    options.latency = Duration::from_millis(latency_ms);
    options.log_requests = log.map(Path::to_path_buf);
    let running = runtime.block_on(emulator::start(options)).unwrap();
    let url = running.base_url().to_owned();
    let key = running.local_login().private_key_path;
    Running {
        url,
        key,
        _runtime: runtime,
        _emulator: running,
        _data: data,
    }
}

fn apply_scenarios() {
    let latency = 50;
    let emulator = start(latency, None);
    let work = tempfile::tempdir().unwrap();
    write_fleet(work.path(), 1000, "Bench", 0);
    let elapsed = d360(
        work.path(),
        &emulator.url,
        &emulator.key,
        &["apply", "--auto-approve", "--parallelism", "16"],
    );
    let ideal = Duration::from_millis(1000_u64.div_ceil(16) * latency);
    println!(
        "apply 1,000 connections, latency {latency} ms, parallelism 16: {:.2} s; ideal {:.2} s; ratio {:.2} (target <= 1.25)",
        elapsed.as_secs_f64(),
        ideal.as_secs_f64(),
        elapsed.as_secs_f64() / ideal.as_secs_f64()
    );

    let serial_emulator = start(latency, None);
    let serial_work = tempfile::tempdir().unwrap();
    write_fleet(serial_work.path(), 100, "Serial", 0);
    let serial = d360(
        serial_work.path(),
        &serial_emulator.url,
        &serial_emulator.key,
        &["apply", "--auto-approve", "--parallelism", "1"],
    );
    let per_serial = serial.as_secs_f64() / 100.0;
    let per_parallel = elapsed.as_secs_f64() / 1000.0;
    println!(
        "one at a time (parallelism 1, as in the Postman guides), 100 connections: {:.2} s = {:.0} ms per connection; parallelism 16: {:.1} ms per connection; speed-up {:.1}x",
        serial.as_secs_f64(),
        per_serial * 1000.0,
        per_parallel * 1000.0,
        per_serial / per_parallel
    );
}

fn plan_scenario() {
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("requests.jsonl");
    let emulator = start(0, Some(&log));
    let work = tempfile::tempdir().unwrap();
    write_fleet(work.path(), 5000, "Bench", 0);
    let setup = d360(
        work.path(),
        &emulator.url,
        &emulator.key,
        &["apply", "--auto-approve", "--parallelism", "32"],
    );
    write_fleet(work.path(), 5000, "Bench", 50);
    let before = std::fs::read_to_string(&log).map_or(0, |t| t.lines().count());
    let elapsed = d360(
        work.path(),
        &emulator.url,
        &emulator.key,
        &["plan", "--detailed-exitcode"],
    );
    let requests = std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) - before;
    println!(
        "plan 5,000 declared vs 5,000 live (50 changed), no latency: {:.2} s (target < 2 s, ratio {:.2}); {requests} HTTP requests (target about 5000/200 = 25 plus login and metadata); setup apply of 5,000 took {:.1} s",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / 2.0,
        setup.as_secs_f64()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    apply_scenarios();
    plan_scenario();
}
