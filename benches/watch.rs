//! `d360 watch` at scale (issue 26 points 3 and 4), each part in processes of its own:
//!
//! 1. Many orgs in one process: 50 orgs of 1,000 live connections each (`D360_WATCH_ORGS`,
//!    `D360_WATCH_OBJECTS` to change), each its own emulator at 50 ms latency serving 12
//!    requests at once, state in local files; one `d360 watch --interval 60s` over all of them.
//!    Every org's first run starts at once (the worst case), and the bench reports each run's
//!    time against the 60 s interval and the process's memory (peak RSS, `VmHWM`).
//! 2. Replica takeover (PostgreSQL state; skipped without the server binaries): three
//!    replicas over six orgs, at intervals of 2 s and 10 s; one replica holding two orgs is
//!    killed with SIGKILL, and the bench reports the time until each of its orgs has finished a
//!    run on another replica, against the two-interval target.
//!
//! `D360_BIN` runs another build. Run: `cargo bench --bench watch`. Figures are from one run.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    std::env::var_os("D360_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_d360")), PathBuf::from)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A child process killed on drop, and the first line it printed.
struct Process {
    child: Child,
    first_line: String,
}

impl Process {
    fn start(command: &mut Command) -> Self {
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self { child, first_line }
    }

    /// The `http://127.0.0.1:PORT` in the first line, as `127.0.0.1:PORT`.
    fn address(&self) -> String {
        self.first_line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {:?}", self.first_line))
            .to_owned()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn emulator(data: &Path, flags: &[&str]) -> Process {
    Process::start(
        Command::new(binary())
            .stderr(Stdio::null())
            .args([
                "emulator",
                "--addr",
                "127.0.0.1:0",
                "--daily-limit",
                "1000000000",
                "--data",
            ])
            .arg(data)
            .args(flags),
    )
}

/// `GET path` on `address`: the body.
fn get(address: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

fn status(address: &str) -> serde_json::Value {
    serde_json::from_str(&get(address, "/status")).unwrap()
}

/// `VmHWM` and `VmRSS` of `pid`, in MB.
fn memory(pid: u32) -> (f64, f64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn write_fleet(work: &Path, count: usize) {
    let mut csv = String::from("key\n");
    for index in 0..count {
        csv.push_str(&format!("{index:05}\n"));
    }
    std::fs::create_dir_all(work.join("manifests")).unwrap();
    std::fs::write(work.join("manifests/fleet.csv"), csv).unwrap();
    std::fs::write(
        work.join("manifests/fleet.yaml"),
        "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: fleet.csv }\n  template:\n    metadata: { name: \"Watch_${item.key}\" }\n    spec:\n      connectorType: AwsRdsMySql\n      label: \"Watch ${item.key}\"\n      parameters: { jdbc_connection_url: \"jdbc:mysql://db${item.key}.internal:3306\", DATABASE: bench }\n      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }\n",
    )
    .unwrap();
}

/// `d360` in `work` with the connector credentials the manifests name.
fn d360(work: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(work)
        .env("RDS_USER", "bench")
        .env("RDS_PASSWORD", "bench-password")
        .env("NO_COLOR", "1")
        .stderr(Stdio::null())
        .env_remove("D360_ORG")
        .env_remove("D360_STATE_URL");
    command
}

/// An org profile of `d360.yaml` on the emulator whose data is in `data`.
fn profile(name: &str, url: &str, data: &Path, state: &str) -> String {
    format!(
        "  {name}:\n    instanceUrl: {url}\n    auth:\n      jwt: {{ clientId: d360-local, username: admin@local.d360, privateKeyFile: {} }}\n{state}",
        data.join("local.key").display()
    )
}

fn org_name(index: usize) -> String {
    format!("o{index:02}")
}

/// Part 1: many orgs in one process.
fn many_orgs() {
    let orgs = env_number("D360_WATCH_ORGS", 50);
    let objects = env_number("D360_WATCH_OBJECTS", 1_000);
    let interval = 60;
    let work = tempfile::tempdir().unwrap();
    let datas = tempfile::tempdir().unwrap();
    write_fleet(work.path(), objects);
    // One org applied, then copied: every org holds the same objects, and its state says so.
    let seed = datas.path().join("seed");
    {
        let emulator = emulator(&seed, &[]);
        let url = emulator.first_line.trim().rsplit(' ').next().unwrap().to_owned();
        std::fs::write(
            work.path().join("d360.yaml"),
            format!("orgs:\n{}", profile("seed", &url, &seed, "")),
        )
        .unwrap();
        let applied = d360(work.path())
            .args(["apply", "--auto-approve", "--org", "seed", "--parallelism", "32"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    }
    let state_dir = work.path().join(".d360/state");
    let state = std::fs::read_to_string(state_dir.join("seed.json")).unwrap();
    let mut config = String::from("orgs:\n");
    let mut emulators = Vec::new();
    for index in 0..orgs {
        let name = org_name(index);
        let data = datas.path().join(&name);
        copy_dir(&seed, &data);
        std::fs::write(
            state_dir.join(format!("{name}.json")),
            state.replace("\"org\": \"seed\"", &format!("\"org\": \"{name}\"")),
        )
        .unwrap();
        // The key of the credentials' fingerprints, so the copies verify them too.
        std::fs::copy(
            state_dir.join("seed.json.key"),
            state_dir.join(format!("{name}.json.key")),
        )
        .unwrap();
        let process = emulator(&data, &["--latency", "50", "--max-inflight", "12"]);
        let url = process.first_line.trim().rsplit(' ').next().unwrap().to_owned();
        config.push_str(&profile(&name, &url, &data, ""));
        emulators.push(process);
    }
    std::fs::write(work.path().join("d360.yaml"), config).unwrap();
    let mut command = d360(work.path());
    command.args([
        "watch",
        "--interval",
        &format!("{interval}s"),
        "--listen",
        "127.0.0.1:0",
    ]);
    for index in 0..orgs {
        command.args(["--org", &org_name(index)]);
    }
    let started = Instant::now();
    let mut watch = Process::start(&mut command);
    let address = watch.address();
    let pid = watch.child.id();
    let mut peak_rss: f64 = 0.0;
    let finished = loop {
        let (_, rss) = memory(pid);
        peak_rss = peak_rss.max(rss);
        let runs = status(&address)["orgs"].as_array().unwrap().clone();
        if runs.iter().all(|org| org["lastRun"].is_object()) {
            break runs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no first run of every org in 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let all_done = started.elapsed().as_secs_f64();
    let (hwm, rss) = memory(pid);
    watch.kill();
    let mut durations: Vec<f64> = finished
        .iter()
        .map(|org| org["lastRun"]["durationSeconds"].as_f64().unwrap())
        .collect();
    durations.sort_by(f64::total_cmp);
    let failed = finished
        .iter()
        .filter(|org| org["lastRun"]["result"] != "success")
        .count();
    let unchanged = finished
        .iter()
        .filter(|org| {
            org["lastRun"]["plan"]["line"]
                .as_str()
                .is_some_and(|l| l.starts_with("No changes"))
        })
        .count();
    let lines: std::collections::BTreeSet<String> = finished
        .iter()
        .map(|org| org["lastRun"]["plan"]["line"].as_str().unwrap_or("no plan").to_owned())
        .collect();
    println!("watch: plans: {lines:?}");
    println!("watch: {orgs} orgs x {objects} connections, 50 ms latency, 12 in flight per org, --interval {interval}s");
    println!(
        "| orgs | objects each | run s: min / median / max | max run / interval | all first runs done s | failed runs | plans with no changes | peak RSS MB (VmHWM) | RSS after MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {orgs} | {objects} | {:.2} / {:.2} / {:.2} | {:.3} | {all_done:.2} | {failed} | {unchanged} | {:.0} | {rss:.0} |",
        durations[0],
        durations[durations.len() / 2],
        durations[durations.len() - 1],
        durations[durations.len() - 1] / f64::from(interval),
        hwm.max(peak_rss)
    );
}

/// A throwaway PostgreSQL cluster; stopped on drop.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    run_as_postgres: bool,
    url: String,
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            command
        } else {
            Command::new(self.bin.join(program))
        }
    }

    fn start() -> Option<Self> {
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .collect();
        bins.sort();
        let bin = bins.pop()?;
        let dir = tempfile::tempdir().unwrap();
        let run_as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if run_as_postgres {
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.path().join("data");
        let cluster = Self {
            bin,
            data: data.clone(),
            _dir: dir,
            run_as_postgres,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        };
        let init = cluster
            .command("initdb")
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            data.display()
        );
        let started = cluster
            .command("pg_ctl")
            .args(["-w", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(data.join("server.log"))
            .args(["-o", &options, "start"])
            .output()
            .unwrap();
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        Some(cluster)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn holds(address: &str) -> Vec<String> {
    status(address)["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|org| org.as_str().unwrap().to_owned())
        .collect()
}

fn runs_of(address: &str, org: &str) -> u64 {
    status(address)["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|status| status["org"] == org)
        .and_then(|status| status["runs"].as_u64())
        .unwrap_or(0)
}

/// Part 2: the time a killed replica's orgs take to be reconciled by the others.
fn takeover() {
    let Some(cluster) = Cluster::start() else {
        println!("takeover: skipped (no PostgreSQL server binaries under /usr/lib/postgresql)");
        return;
    };
    let orgs: Vec<String> = (0..6).map(org_name).collect();
    let work = tempfile::tempdir().unwrap();
    let datas = tempfile::tempdir().unwrap();
    write_fleet(work.path(), 10);
    let mut emulators = Vec::new();
    let mut config = String::from("orgs:\n");
    for org in &orgs {
        let data = datas.path().join(org);
        let process = emulator(&data, &[]);
        let url = process.first_line.trim().rsplit(' ').next().unwrap().to_owned();
        config.push_str(&profile(
            org,
            &url,
            &data,
            "    state: { backend: postgres, url: { fromEnv: D360_STATE_URL } }\n",
        ));
        emulators.push(process);
    }
    std::fs::write(work.path().join("d360.yaml"), config).unwrap();
    println!("takeover: 3 replicas over 6 orgs on one PostgreSQL; SIGKILL of a replica holding 2");
    println!(
        "| interval | spread 2/2/2 after start s | takeover s (both orphans reconciled) | takeover / interval | target |"
    );
    println!("|---|---|---|---|---|");
    for interval in [2_u64, 10, 60] {
        let start = || {
            let mut command = d360(work.path());
            command.env("D360_STATE_URL", &cluster.url).args([
                "watch",
                "--interval",
                &format!("{interval}s"),
                "--listen",
                "127.0.0.1:0",
            ]);
            for org in &orgs {
                command.args(["--org", org]);
            }
            if let Some(dir) = std::env::var_os("D360_WATCH_LOGS") {
                let file = tempfile::NamedTempFile::new_in(dir).unwrap().keep().unwrap().0;
                command.env("RUST_LOG", "d360=debug").stderr(file);
            }
            Process::start(&mut command)
        };
        let started = Instant::now();
        let mut replicas: Vec<Process> = (0..3).map(|_| start()).collect();
        let addresses: Vec<String> = replicas.iter().map(Process::address).collect();
        loop {
            let held: Vec<Vec<String>> = addresses.iter().map(|a| holds(a)).collect();
            if held.iter().all(|h| h.len() == 2) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(interval * 10),
                "no spread: {held:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let spread = started.elapsed().as_secs_f64();
        let orphans = holds(&addresses[0]);
        let survivors = &addresses[1..];
        let before: Vec<Vec<u64>> = survivors
            .iter()
            .map(|a| orphans.iter().map(|org| runs_of(a, org)).collect())
            .collect();
        replicas[0].kill();
        let killed = Instant::now();
        loop {
            let done = orphans.iter().enumerate().all(|(index, org)| {
                survivors
                    .iter()
                    .zip(&before)
                    .any(|(a, before)| runs_of(a, org) > before[index])
            });
            if done {
                break;
            }
            assert!(killed.elapsed() < Duration::from_secs(interval * 10), "no takeover");
            std::thread::sleep(Duration::from_millis(20));
        }
        let took = killed.elapsed().as_secs_f64();
        println!(
            "| {interval} s | {spread:.2} | {took:.2} | {:.2} | 2 intervals |",
            took / interval as f64
        );
        drop(replicas);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    println!("watch ({})", binary().display());
    if std::env::var_os("D360_WATCH_SKIP_MANY").is_none() {
        many_orgs();
    }
    takeover();
}
