//! Reading the org at the limit: `plan` and `drift` against N live connections (1,000 /
//! 5,000 / 20,000 by default, `D360_READING_SIZES` to change) at 0 and 50 ms latency, on an
//! org that serves 12 requests at once (`--max-inflight 12`; more answer 429).
//!
//! For each run: the wall time of the command (its own process, login included), the API
//! requests and the 429s among them, the most requests the org was serving at once, and the
//! time from the first API request's start to the last one's end (the reading), against the
//! ideal ceil(pages / 12) × latency with pages of 200.
//!
//! `D360_BIN` runs another build (for before/after figures; it needs `--max-inflight` and
//! `--log-requests`). Run: `cargo bench --bench reading`. Figures are from one run.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// What the org serves at once.
const ALLOWED_IN_FLIGHT: usize = 12;
/// The client's page size.
const PAGE: usize = 200;

fn binary() -> PathBuf {
    std::env::var_os("D360_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_d360")), PathBuf::from)
}

/// `d360 emulator` over `dir` with `flags`, as its own process.
struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    fn start(dir: &Path, flags: &[&str]) -> Self {
        let mut child = Command::new(binary())
            .args([
                "emulator",
                "--addr",
                "127.0.0.1:0",
                "--daily-limit",
                "1000000000",
                "--data",
            ])
            .arg(dir)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_owned();
        Self { child, url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `d360 ARGS` in `work` against the emulator whose data is in `data`; returns seconds.
fn d360(work: &Path, data: &Path, emulator: &Emulator, args: &[&str]) -> f64 {
    let started = Instant::now();
    let output = Command::new(binary())
        .current_dir(work)
        .args(args)
        .env("D360_ORG", "env")
        .env("D360_INSTANCE_URL", &emulator.url)
        .env("D360_CLIENT_ID", "d360-local")
        .env("D360_USERNAME", "admin@local.d360")
        .env("D360_PRIVATE_KEY_FILE", data.join("local.key"))
        .env("RDS_USER", "bench")
        .env("RDS_PASSWORD", "bench-password")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0,
        "d360 {args:?} exited {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    wall
}

fn write_fleet(dir: &Path, count: usize) {
    let mut csv = String::from("key\n");
    for index in 0..count {
        csv.push_str(&format!("{index:05}\n"));
    }
    std::fs::create_dir_all(dir.join("manifests")).unwrap();
    std::fs::write(dir.join("manifests/fleet.csv"), csv).unwrap();
    std::fs::write(
        dir.join("manifests/fleet.yaml"),
        "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: fleet.csv }\n  template:\n    metadata: { name: \"Read_${item.key}\" }\n    spec:\n      connectorType: AwsRdsMySql\n      label: \"Read ${item.key}\"\n      parameters: { jdbc_connection_url: \"jdbc:mysql://db${item.key}.internal:3306\", DATABASE: bench }\n      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }\n",
    )
    .unwrap();
}

/// What the request log says about one command's API requests.
struct Traffic {
    requests: usize,
    throttled: usize,
    peak: usize,
    span: f64,
}

fn traffic(log: &Path) -> Traffic {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut events: Vec<(f64, i32)> = Vec::new();
    let mut requests = 0;
    let mut throttled = 0;
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        if !entry["path"].as_str().unwrap_or("").starts_with("/services/data/") {
            continue;
        }
        requests += 1;
        if entry["status"] == 429 {
            throttled += 1;
            continue;
        }
        let end = time::OffsetDateTime::parse(
            entry["time"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let end = end.unix_timestamp_nanos() as f64 / 1e9;
        let start = end - entry["duration_ms"].as_f64().unwrap() / 1000.0;
        events.push((start, 1));
        events.push((end, -1));
    }
    // Ends before starts at the same instant: a request that ended is not in flight.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut peak) = (0_i32, 0_i32);
    for (_, step) in &events {
        now += step;
        peak = peak.max(now);
    }
    let span = match (events.first(), events.last()) {
        (Some(first), Some(last)) => last.0 - first.0,
        _ => 0.0,
    };
    Traffic {
        requests,
        throttled,
        peak: peak as usize,
        span,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let sizes = std::env::var("D360_READING_SIZES").unwrap_or_else(|_| "1000,5000,20000".to_owned());
    let sizes: Vec<usize> = sizes.split(',').map(|n| n.trim().parse().unwrap()).collect();
    println!(
        "reading: plan and drift of N live connections, --max-inflight {ALLOWED_IN_FLIGHT} ({})",
        binary().display()
    );
    println!(
        "| N | latency | command | wall s | API requests (429) | peak in flight | reading s | ideal s | reading / ideal |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &count in &sizes {
        let data = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        write_fleet(work.path(), count);
        {
            let seed = Emulator::start(data.path(), &[]);
            d360(
                work.path(),
                data.path(),
                &seed,
                &["apply", "--auto-approve", "--parallelism", "32"],
            );
        }
        let pages = count.div_ceil(PAGE);
        for latency in [0_u64, 50] {
            for command in ["plan", "drift"] {
                let logs = tempfile::tempdir().unwrap();
                let log = logs.path().join("requests.jsonl");
                let latency_text = latency.to_string();
                let inflight = ALLOWED_IN_FLIGHT.to_string();
                let emulator = Emulator::start(
                    data.path(),
                    &[
                        "--latency",
                        &latency_text,
                        "--max-inflight",
                        &inflight,
                        "--log-requests",
                        log.to_str().unwrap(),
                    ],
                );
                let args: &[&str] = if command == "plan" {
                    &["plan", "--detailed-exitcode"]
                } else {
                    &["drift"]
                };
                let wall = d360(work.path(), data.path(), &emulator, args);
                drop(emulator);
                let seen = traffic(&log);
                let ideal = pages.div_ceil(ALLOWED_IN_FLIGHT) as f64 * latency as f64 / 1000.0;
                let ratio = if ideal > 0.0 {
                    format!("{:.2}", seen.span / ideal)
                } else {
                    "n/a".to_owned()
                };
                println!(
                    "| {count} | {latency} ms | {command} | {wall:.2} | {} ({}) | {} | {:.2} | {ideal:.2} | {ratio} |",
                    seen.requests, seen.throttled, seen.peak, seen.span
                );
            }
        }
    }
}
