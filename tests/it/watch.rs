//! `d360 watch` through the binary against emulator processes: drift seen within an
//! interval, `--heal` converging, two orgs where one fails, two replicas on PostgreSQL state
//! sharing one org (one owns it, the other takes over when it is killed), the exposition format, SIGTERM (a heal in flight finishes first), and
//! the local-state watch lock.
//! Every wait polls with a deadline.

#![expect(clippy::float_cmp, reason = "the metrics compared are whole counts, exact in f64")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::exposition::{Exposition, get, get_with};
use super::fleet::write_connection;
use super::postgres::Cluster;
use super::support::{EmulatorProcess, Work, expect, run};

/// The metric names the metrics table of the book's watch chapter lists (rows start with `` | `d360_``).
fn readme_table() -> std::collections::BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/watch.md"))
        .expect("the book's watch chapter");
    let names: std::collections::BTreeSet<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `d360_"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("d360_{name}"))
        .collect();
    assert_eq!(names.len(), 11, "the metrics table of docs/src/watch.md: {names:?}");
    names
}

fn secrets(command: &mut Command) -> &mut Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// A running `d360 watch`; killed on drop. Its stdout (heal events) is collected, its stderr
/// kept in a file for failure messages.
pub(crate) struct Watcher {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    stderr: tempfile::NamedTempFile,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Watcher {
    /// Starts `command` (a `d360 ... watch ...` without `--listen`) on a free port.
    pub(crate) fn start(command: &mut Command) -> Self {
        let stderr = tempfile::NamedTempFile::new().expect("temp file");
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr.reopen().expect("reopen")))
            .spawn()
            .expect("start d360 watch");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the first line");
        let Some(url) = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .map(|host| format!("http://{host}"))
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "watch printed no URL: {line:?}\n--- stderr\n{}",
                std::fs::read_to_string(stderr.path()).unwrap_or_default()
            );
        };
        let collected = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = std::sync::Arc::clone(&collected);
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let mut text = sink.lock().expect("stdout buffer");
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self {
            child,
            url,
            stderr,
            stdout: collected,
        }
    }

    /// What it printed on stdout after its first line so far.
    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// `GET path`: status and body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        get(&self.url, path)
    }

    /// `/metrics` as OpenMetrics (what Prometheus asks for), parsed strictly.
    pub(crate) fn metrics(&self) -> Exposition {
        let (status, _, body) = get_with(
            &self.url,
            "/metrics",
            "Accept: application/openmetrics-text; version=1.0.0\r\n",
        );
        assert_eq!(status, 200, "{body}");
        Exposition::parse(&body).unwrap_or_else(|error| panic!("/metrics does not parse: {error}\n{body}"))
    }

    /// Polls `/metrics` until `check` holds, for at most `limit`; the exposition it held on.
    #[track_caller]
    pub(crate) fn wait_for(&self, what: &str, limit: Duration, check: impl Fn(&Exposition) -> bool) -> Exposition {
        let started = Instant::now();
        loop {
            let metrics = self.metrics();
            if check(&metrics) {
                return metrics;
            }
            assert!(
                started.elapsed() < limit,
                "{what}: not seen within {limit:?}\n--- metrics\n{}\n--- stderr\n{}",
                metrics.text,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([name, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Sends SIGTERM and waits (with a deadline) for the exit code.
    fn terminate(mut self) -> (i32, String) {
        self.signal("-TERM");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status.code().unwrap_or(-1), self.stderr());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "watch did not exit after SIGTERM\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drift(metrics: &Exposition, org: &str, status: &str) -> f64 {
    metrics
        .value(
            "d360_drift_objects",
            &[("org", org), ("kind", "Connection"), ("status", status)],
        )
        .unwrap_or(f64::NAN)
}

fn runs(metrics: &Exposition, org: &str, result: &str) -> f64 {
    metrics
        .value("d360_reconcile_runs_total", &[("org", org), ("result", result)])
        .unwrap_or(0.0)
}

/// A work folder with `Watch_A` applied to a fresh emulator.
fn applied_org() -> (EmulatorProcess, Work) {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Watch_A", "AwsRdsMySql", "Original", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    (emulator, work)
}

/// Someone changes `Watch_A`'s label in the org (from a checkout of their own).
fn change_label_out_of_band(emulator: &EmulatorProcess) {
    let other = Work::new();
    write_connection(&other, "Watch_A", "AwsRdsMySql", "Edited by hand", "clinic", "");
    expect(secrets(other.d360(emulator).args(["apply", "--auto-approve"])), 0);
}

fn watch(work: &Work, emulator: &EmulatorProcess, flags: &[&str]) -> Watcher {
    Watcher::start(secrets(
        work.d360(emulator).args(["watch", "--interval", "1s"]).args(flags),
    ))
}

#[test]
fn drift_shows_within_an_interval_and_the_exposition_parses() {
    let (emulator, work) = applied_org();
    let watcher = watch(&work, &emulator, &[]);
    assert_eq!(watcher.get("/healthz").0, 200);
    let first = watcher.wait_for("a first successful run", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    });
    // The names of the README's table, each with an org label, and nothing else of ours.
    let ours: std::collections::BTreeSet<String> = first
        .samples
        .iter()
        .map(|s| s.name.clone())
        .filter(|n| n.starts_with("d360_"))
        .map(|n| {
            n.trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count")
                .to_owned()
        })
        .collect();
    assert_eq!(ours, readme_table(), "{}", first.text);
    assert!(
        first
            .samples
            .iter()
            .all(|s| s.labels.get("org").map(String::as_str) == Some("env")),
        "{}",
        first.text
    );
    assert_eq!(first.families["d360_reconcile_duration_seconds"], "histogram");
    assert_eq!(first.families["d360_reconcile_runs"], "counter");
    assert_eq!(first.value("d360_org_owner", &[("org", "env")]), Some(1.0));
    assert_eq!(first.value("d360_watch_replicas", &[("org", "env")]), Some(1.0));
    assert_eq!(drift(&first, "env", "in_sync"), 1.0, "{}", first.text);
    assert_eq!(drift(&first, "env", "changed"), 0.0, "{}", first.text);
    assert!(
        first
            .value(
                "d360_api_requests_total",
                &[("org", "env"), ("method", "GET"), ("code", "200")]
            )
            .is_some_and(|n| n >= 1.0),
        "{}",
        first.text
    );
    assert!(
        first
            .value("d360_api_budget_remaining", &[("org", "env")])
            .is_some_and(|n| n > 0.0),
        "{}",
        first.text
    );
    assert!(
        first
            .value("d360_last_success_timestamp_seconds", &[("org", "env")])
            .is_some_and(|t| t > 1.7e9)
    );
    let (ready, body) = watcher.get("/readyz");
    assert_eq!(ready, 200, "{body}");

    // Out of band: seen within one interval (1 s, plus 10% jitter and the run itself).
    change_label_out_of_band(&emulator);
    let changed = Instant::now();
    let seen = watcher.wait_for("the changed label", Duration::from_secs(5), |m| {
        drift(m, "env", "changed") == 1.0
    });
    assert!(changed.elapsed() < Duration::from_secs(5));
    assert_eq!(drift(&seen, "env", "in_sync"), 0.0, "{}", seen.text);
    // Detect only: later runs still see it, and nothing was applied.
    let before = runs(&seen, "env", "success");
    let later = watcher.wait_for("two more runs", Duration::from_secs(10), |m| {
        runs(m, "env", "success") >= before + 2.0
    });
    assert_eq!(drift(&later, "env", "changed"), 1.0, "{}", later.text);
    assert_eq!(
        later.value("d360_applied_actions_total", &[("org", "env"), ("action", "update")]),
        Some(0.0)
    );
    let (code, status) = watcher.get("/status");
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    let org = &status["orgs"][0];
    assert_eq!(org["org"], "env", "{status}");
    assert_eq!(org["role"], "owner", "{status}");
    assert_eq!(status["holds"], serde_json::json!(["env"]), "{status}");
    assert_eq!(org["lastRun"]["result"], "success", "{status}");
    assert_eq!(org["lastRun"]["drift"]["summary"]["changed"], 1, "{status}");
    assert_eq!(org["lastRun"]["drift"]["items"][0]["name"], "Watch_A", "{status}");
    assert_eq!(org["lastRun"]["plan"]["summary"]["update"], 1, "{status}");

    // A second watch on the same local state refuses to start, naming the first.
    let second = run(secrets(work.d360(&emulator).args([
        "watch",
        "--interval",
        "1s",
        "--listen",
        "127.0.0.1:0",
    ])));
    assert_eq!(second.code, 1, "{second:?}");
    assert!(
        second.stderr.contains("is already watched by `d360 watch` (pid")
            && second.stderr.contains("only one `d360 watch` runs on a local state"),
        "{second:?}"
    );

    // SIGTERM: the run in flight finishes, exit 0.
    let (code, stderr) = watcher.terminate();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("watch: stopped"), "{stderr}");
}

#[test]
fn heal_puts_the_org_back_and_plan_then_has_nothing_to_do() {
    let (emulator, work) = applied_org();
    let watcher = watch(&work, &emulator, &["--heal"]);
    watcher.wait_for("a first successful run", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    });
    change_label_out_of_band(&emulator);
    let healed = watcher.wait_for("the heal", Duration::from_secs(10), |m| {
        m.value("d360_applied_actions_total", &[("org", "env"), ("action", "update")]) == Some(1.0)
    });
    assert_eq!(runs(&healed, "env", "failure"), 0.0, "{}", healed.text);
    let after = runs(&healed, "env", "success");
    let clean = watcher.wait_for("a run after the heal", Duration::from_secs(10), |m| {
        runs(m, "env", "success") > after
    });
    assert_eq!(drift(&clean, "env", "changed"), 0.0, "{}", clean.text);
    assert_eq!(drift(&clean, "env", "in_sync"), 1.0, "{}", clean.text);
    // The heal's JSON events, one per line, each naming the org.
    let events: Vec<serde_json::Value> = watcher
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON event: {line}: {e}")))
        .collect();
    assert!(events.iter().all(|event| event["org"] == "env"), "{events:?}");
    let names: Vec<&str> = events.iter().filter_map(|event| event["event"].as_str()).collect();
    assert_eq!(names, ["plan", "started", "finished", "summary"], "{events:?}");
    assert_eq!(events[2]["resource"], "Connection/Watch_A", "{events:?}");
    assert_eq!(events[2]["step"], "update", "{events:?}");
    assert_eq!(events[3]["tally"]["updated"], 1, "{events:?}");
    let (code, stderr) = watcher.terminate();
    assert_eq!(code, 0, "{stderr}");
    let plan = expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

#[test]
fn sigterm_lets_the_heal_in_flight_finish() {
    let emulator = EmulatorProcess::start(&["--latency", "200"]);
    let work = Work::new();
    super::fleet::write_fleet(&work, 12, "Fleet");
    let watcher = watch(&work, &emulator, &["--heal"]);
    // The first heal has recorded its first create: the run is in flight.
    let started = Instant::now();
    while !work.path().join(".d360/state/env.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the heal never wrote state\n{}",
            watcher.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let (code, stderr) = watcher.terminate();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("run succeeded"), "{stderr}");
    let plan = expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

/// `d360.yaml` with `good` on the emulator and `broken` on a port nothing listens on.
fn two_orgs(work: &Work, emulator: &EmulatorProcess) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port();
    let org = |url: &str| {
        format!(
            "    instanceUrl: {url}\n    auth:\n      jwt: {{ clientId: d360-local, username: admin@local.d360, privateKeyFile: {} }}\n",
            emulator.key().display()
        )
    };
    work.write(
        "d360.yaml",
        &format!(
            "orgs:\n  good:\n{}  broken:\n{}",
            org(&emulator.url),
            org(&format!("http://127.0.0.1:{closed}"))
        ),
    );
}

#[test]
fn a_failing_org_never_stops_the_other() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Watch_A", "AwsRdsMySql", "Original", "clinic", "");
    two_orgs(&work, &emulator);
    let watcher = Watcher::start(
        secrets(&mut work.d360(&emulator))
            .env_remove("D360_ORG")
            .env("D360_RETRY_ATTEMPTS", "1")
            // `all`: both profiles of d360.yaml, as `--org good --org broken` would.
            .args(["watch", "--org", "all", "--interval", "1s", "--heal"]),
    );
    let metrics = watcher.wait_for("three runs of each org", Duration::from_secs(30), |m| {
        runs(m, "good", "success") >= 3.0 && runs(m, "broken", "failure") >= 3.0
    });
    assert_eq!(runs(&metrics, "good", "failure"), 0.0, "{}", metrics.text);
    assert_eq!(runs(&metrics, "broken", "success"), 0.0, "{}", metrics.text);
    assert_eq!(drift(&metrics, "good", "in_sync"), 1.0, "{}", metrics.text);
    assert_eq!(
        metrics.value("d360_applied_actions_total", &[("org", "good"), ("action", "create")]),
        Some(1.0)
    );
    assert!(
        metrics
            .value("d360_last_success_timestamp_seconds", &[("org", "broken")])
            .is_none()
    );
    let (_, status) = watcher.get("/status");
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    let broken = status["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .find(|o| o["org"] == "broken")
        .expect("broken org")
        .clone();
    assert_eq!(broken["lastRun"]["result"], "failure", "{status}");
    assert!(broken["consecutiveFailures"].as_u64() >= Some(3), "{status}");
    let error = broken["lastRun"]["error"].as_str().expect("an error message");
    assert!(error.contains("127.0.0.1"), "{error}");
    assert!(!error.contains("BEGIN") && !error.contains("PRIVATE KEY"), "{error}");
    let (code, stderr) = watcher.terminate();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("watch: org `broken`: run failed"), "{stderr}");
}

fn leader(watcher: &Watcher) -> Option<f64> {
    watcher.metrics().value("d360_org_owner", &[("org", "env")])
}

#[test]
fn postgres_state_gives_an_org_one_owner_and_a_standby_takes_over() {
    let Some(cluster) = Cluster::start() else { return };
    let (emulator, work) = applied_org();
    let start = || {
        Watcher::start(secrets(work.d360(&emulator).env("D360_STATE_URL", &cluster.url)).args([
            "watch",
            "--interval",
            "1s",
        ]))
    };
    let first = start();
    let second = start();
    let started = Instant::now();
    let (leading, standing_by) = loop {
        match (leader(&first), leader(&second)) {
            (Some(1.0), Some(0.0)) => break (first, second),
            (Some(0.0), Some(1.0)) => break (second, first),
            (a, b) => assert!(
                started.elapsed() < Duration::from_secs(20),
                "no single leader: {a:?} {b:?}\n{}\n{}",
                first.stderr(),
                second.stderr()
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    leading.wait_for("a run by the leader", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    });
    // The standby stays one, and runs nothing.
    std::thread::sleep(Duration::from_millis(1500));
    let idle = standing_by.metrics();
    assert_eq!(
        idle.value("d360_org_owner", &[("org", "env")]),
        Some(0.0),
        "{}",
        idle.text
    );
    assert_eq!(
        idle.value("d360_watch_replicas", &[("org", "env")]),
        Some(2.0),
        "{}",
        idle.text
    );
    assert_eq!(
        runs(&idle, "env", "success") + runs(&idle, "env", "failure"),
        0.0,
        "{}",
        idle.text
    );
    assert_eq!(standing_by.get("/readyz").0, 200);
    let (_, status) = standing_by.get("/status");
    assert!(status.contains(r#""role":"standby""#), "{status}");

    // SIGKILL the leader: the standby leads within one interval (1 s) plus a margin.
    leading.signal("-KILL");
    let killed = Instant::now();
    let took_over = standing_by.wait_for("the takeover", Duration::from_secs(5), |m| {
        m.value("d360_org_owner", &[("org", "env")]) == Some(1.0)
    });
    assert!(killed.elapsed() < Duration::from_secs(5), "{}", took_over.text);
    standing_by.wait_for("a run by the new leader", Duration::from_secs(10), |m| {
        runs(m, "env", "success") >= 1.0
    });
    drop(leading);
    let (code, stderr) = standing_by.terminate();
    assert_eq!(code, 0, "{stderr}");
}

/// `d360 watch --help`'s long flags.
pub(crate) fn watch_flags() -> Vec<String> {
    let help = expect(super::support::bin().args(["watch", "--help"]), 0);
    let mut flags: Vec<String> = help
        .stdout
        .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[' || c == '<')
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(|word| word.trim_end_matches(['.', ')', ']']).to_owned())
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// The /metrics of a watch on a fresh emulator after its first run, for tests that need the
/// live metric names.
pub(crate) fn live_metrics() -> Exposition {
    let (emulator, work) = applied_org();
    let watcher = watch(&work, &emulator, &[]);
    watcher.wait_for("a first successful run", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    })
}

/// Content negotiation: the Prometheus text format 0.0.4 unless the reader asks for
/// OpenMetrics; each parses strictly and holds the same samples.
#[test]
fn metrics_speak_the_format_the_reader_asks_for() {
    let (emulator, work) = applied_org();
    let watcher = watch(&work, &emulator, &[]);
    let openmetrics = watcher.wait_for("a first successful run", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    });
    for accept in [
        "",
        "Accept: text/plain\r\n",
        "Accept: application/openmetrics-text;q=0, text/plain\r\n",
    ] {
        let (status, head, body) = get_with(&watcher.url, "/metrics", accept);
        assert_eq!(status, 200, "{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4"),
            "{accept:?}: {head}"
        );
        let prometheus = Exposition::parse_prometheus(&body)
            .unwrap_or_else(|error| panic!("{accept:?}: not the Prometheus text format: {error}\n{body}"));
        // Every counter has samples under its family's name, as a 0.0.4 reader matches them.
        assert!(
            prometheus
                .value("d360_reconcile_runs_total", &[("org", "env"), ("result", "success")])
                .is_some_and(|runs| runs >= 1.0),
            "{body}"
        );
        assert_eq!(
            prometheus.families.get("d360_reconcile_runs_total").map(String::as_str),
            Some("counter")
        );
        assert!(!body.contains("_created"), "{body}");
    }
    let (status, head, body) = get_with(
        &watcher.url,
        "/metrics",
        "Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4\r\n",
    );
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    Exposition::parse(&body).unwrap_or_else(|error| panic!("not OpenMetrics: {error}\n{body}"));
    assert_eq!(
        openmetrics.families.get("d360_reconcile_runs").map(String::as_str),
        Some("counter")
    );
}

/// A manifest broken while watch runs: the run fails, and `/status` names the file, line
/// and problem (not only how many there are).
#[test]
fn status_names_each_manifest_problem_with_its_file_and_line() {
    let (emulator, work) = applied_org();
    let watcher = watch(&work, &emulator, &[]);
    watcher.wait_for("a first successful run", Duration::from_secs(20), |m| {
        runs(m, "env", "success") >= 1.0
    });
    let text = work.read("manifests/Watch_A.yaml").replace("  label:", "  lable:");
    work.write("manifests/Watch_A.yaml", &text);
    watcher.wait_for("a failed run", Duration::from_secs(10), |m| {
        runs(m, "env", "failure") >= 1.0
    });
    let (_, status) = watcher.get("/status");
    let status: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    let error = status["orgs"][0]["lastRun"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("1 error and 0 warnings in 1 file"), "{status}");
    assert!(error.contains("Watch_A.yaml:6:3: error:"), "{status}");
    assert!(error.contains("lable"), "{status}");
}
