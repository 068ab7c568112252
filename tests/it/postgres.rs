//! The Postgres state backend against a real, throwaway PostgreSQL server started here:
//! locking, kills, migrations between backends, the row-per-resource layout (what an apply
//! writes, read back with `psql`) and the conversion of a database in the old layout.
//! Skipped with a printed reason when no server binaries exist and `CI` is unset; in CI a
//! missing server is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::fleet::write_fleet;
use super::support::{EmulatorProcess, Work, expect, run};

/// A PostgreSQL cluster in a temp folder on a free port; stopped on drop.
pub(crate) struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    run_as: Option<&'static str>,
    port: u16,
    pub(crate) url: String,
}

fn find_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    candidates.reverse();
    candidates.push(PathBuf::from("/usr/local/bin"));
    candidates.push(PathBuf::from("/usr/bin"));
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    pub(crate) fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must provide PostgreSQL server binaries (.ci/run installs them)"
            );
            eprintln!("skipping the Postgres tests: no initdb/pg_ctl found (install postgresql)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let run_as = is_root().then_some("postgres");
        if run_as.is_some() {
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let mut cluster = Self {
            bin,
            data: data.clone(),
            _dir: dir,
            run_as,
            port,
            url: String::new(),
        };
        let init = cluster
            .command("initdb")
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .output()
            .expect("initdb");
        assert!(
            init.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        cluster.start_server();
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Some(cluster)
    }

    /// Starts the server (`pg_ctl start -w`: returns once it accepts connections).
    pub(crate) fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.data.display()
        );
        let started = self
            .command("pg_ctl")
            .args(["-w", "-D"])
            .arg(&self.data)
            .args(["-l"])
            .arg(self.data.join("server.log"))
            .args(["-o", &options, "start"])
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl start");
        assert!(
            started.status.success(),
            "pg_ctl start failed: {}",
            String::from_utf8_lossy(&started.stderr)
        );
    }

    /// Stops the server as a restart does (`pg_ctl stop -m fast -w`: every session is ended).
    pub(crate) fn stop_server(&self) {
        let stopped = self
            .command("pg_ctl")
            .args(["-w", "-D"])
            .arg(&self.data)
            .args(["-m", "fast", "stop"])
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl stop");
        assert!(
            stopped.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&stopped.stderr)
        );
    }

    /// Runs `sql` with `psql` (one transaction) and returns its unaligned, tuples-only output.
    pub(crate) fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|error| panic!("psql failed: {error}"))
    }

    /// [`Self::sql`], or psql's error (a table not created yet, say).
    pub(crate) fn try_sql(&self, sql: &str) -> Result<String, String> {
        let ran = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c", sql])
            .output()
            .expect("psql");
        if ran.status.success() {
            Ok(String::from_utf8_lossy(&ran.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&ran.stderr).into_owned())
        }
    }

    /// A number `sql` returns.
    pub(crate) fn count(&self, sql: &str) -> u64 {
        let text = self.sql(sql);
        text.parse().unwrap_or_else(|_| panic!("`{sql}` returned `{text}`"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D"])
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

pub(crate) fn with_db<'a>(command: &'a mut Command, cluster: &Cluster) -> &'a mut Command {
    command
        .env("D360_STATE_URL", &cluster.url)
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
}

fn wait_until_locked(work: &Work, emulator: &EmulatorProcess, cluster: &Cluster) {
    let started = std::time::Instant::now();
    loop {
        let probe = run(with_db(work.d360(emulator).args(["state", "list"]), cluster));
        assert_eq!(probe.code, 0, "{probe:?}");
        // A second lock attempt fails while the apply holds it (the apply waits for these probes).
        let attempt = run(with_db(
            work.d360(emulator).args(["state", "rm", "Connection/Nothing_Here"]),
            cluster,
        ));
        if attempt.stderr.contains("locked by") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the apply never took the lock: {attempt:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn postgres_state_locks_survives_kills_and_migrates() {
    let Some(cluster) = Cluster::start() else { return };
    let emulator = EmulatorProcess::start(&["--latency", "200"]);
    let work = Work::new();
    write_fleet(&work, 15, "Pg");

    // Two applies at once: the second fails naming the holder.
    let mut first = with_db(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "1", "--lock-timeout", "30s"]),
        &cluster,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("first apply");
    wait_until_locked(&work, &emulator, &cluster);
    // Let the first apply commit some steps, so the kill lands mid-apply.
    let started = std::time::Instant::now();
    while cluster.count("SELECT count(*) FROM d360_state_resources") < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first apply recorded nothing"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = run(with_db(
        work.d360(&emulator).args(["apply", "--auto-approve"]),
        &cluster,
    ));
    assert_eq!(second.code, 1, "{second:?}");
    assert!(second.stderr.contains("locked by `d360 apply` (pid"), "{second:?}");

    // SIGKILLed: the server ends its session, so the lock is gone, and rolls back the step
    // being written, if any.
    first.kill().expect("kill");
    let _ = first.wait();
    let resumed = run(with_db(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--lock-timeout", "10s", "--parallelism", "8"]),
        &cluster,
    ));
    assert_eq!(resumed.code, 0, "{resumed:?}");
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
    let listed = expect(with_db(work.d360(&emulator).args(["state", "list"]), &cluster), 0);
    assert_eq!(listed.stdout.lines().count(), 15, "{listed:?}");
    // The killed run's committed steps and the resumed run's: one row per object, each
    // written by the last history row of its key, and no history row past the header.
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_resources WHERE org = 'env'"),
        15
    );
    assert_eq!(
        cluster.count(
            "SELECT count(*) FROM d360_state_resources r WHERE r.serial <> \
             (SELECT max(c.serial) FROM d360_state_changes c WHERE c.org = r.org AND c.key = r.key)"
        ),
        0
    );
    assert_eq!(
        cluster.count("SELECT max(serial) FROM d360_state_changes WHERE org = 'env'"),
        cluster.count("SELECT serial FROM d360_state_header WHERE org = 'env'")
    );

    // Migrate a local state into a fresh database schema's org: plan shows no changes.
    let local = Work::new();
    write_fleet(&local, 15, "Pg");
    let mut command = local.d360(&emulator);
    command
        .env_remove("D360_STATE_URL")
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .args(["plan", "--detailed-exitcode"]);
    // The local checkout has no state yet: everything is adopted (credentials unknown).
    assert_eq!(run(&mut command).code, 2);
    local_state_from_postgres(&local, &emulator, &cluster);
    let migrated = expect(
        with_db(
            local
                .d360(&emulator)
                .args(["state", "migrate", "--from", "local", "--to", "postgres"]),
            &cluster,
        ),
        0,
    );
    assert!(migrated.stderr.contains("Copied the state"), "{migrated:?}");
    expect(
        with_db(local.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
}

#[test]
fn sslmode_require_never_falls_back_to_plain_text() {
    let Some(cluster) = Cluster::start() else { return };
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    let ran = run(work
        .d360(&emulator)
        .args(["state", "list"])
        .env("D360_STATE_URL", format!("{}?sslmode=require", cluster.url)));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("TLS") || ran.stderr.contains("SSL"), "{ran:?}");
    assert!(
        !ran.stderr.contains("postgres@"),
        "the URL's user part must not be shown: {ran:?}"
    );
}

/// Copies the Postgres state into the local checkout's state file (migrate the other way).
fn local_state_from_postgres(local: &Work, emulator: &EmulatorProcess, cluster: &Cluster) {
    expect(
        with_db(
            local
                .d360(emulator)
                .args(["state", "migrate", "--from", "postgres", "--to", "local"]),
            cluster,
        ),
        0,
    );
    assert!(Path::new(&local.path().join(".d360/state/env.json")).exists());
}

#[test]
fn postgres_apply_writes_one_row_per_change() {
    let Some(cluster) = Cluster::start() else { return };
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_fleet(&work, 300, "Rows");
    expect(
        with_db(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--parallelism", "8"]),
            &cluster,
        ),
        0,
    );
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
    // One history row per create, each a put at its own serial, up to the header's serial.
    assert_eq!(
        cluster.sql(
            "SELECT count(*), count(DISTINCT serial), count(DISTINCT key), min(serial), max(serial), \
             count(*) FILTER (WHERE change ? 'put') FROM d360_state_changes WHERE org = 'env'"
        ),
        "300|300|300|1|300|300"
    );
    assert_eq!(
        cluster.count("SELECT serial FROM d360_state_header WHERE org = 'env'"),
        300
    );
    // The resource table holds exactly the managed objects.
    assert_eq!(
        cluster.sql(
            "SELECT count(*), min(key), max(key), count(*) FILTER (WHERE managed->>'id' <> '') \
             FROM d360_state_resources WHERE org = 'env'"
        ),
        "300|Connection/Fleet_0001|Connection/Fleet_0300|300"
    );
    let listed = expect(with_db(work.d360(&emulator).args(["state", "list"]), &cluster), 0);
    assert_eq!(listed.stdout.lines().count(), 300, "{listed:?}");

    // A full write (`state rm`) writes only what differs: one row gone, one history row.
    expect(
        with_db(
            work.d360(&emulator).args(["state", "rm", "Connection/Fleet_0007"]),
            &cluster,
        ),
        0,
    );
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_resources WHERE org = 'env'"),
        299
    );
    assert_eq!(
        cluster
            .sql("SELECT serial, key, change::text FROM d360_state_changes WHERE org = 'env' ORDER BY id DESC LIMIT 1"),
        r#"301|Connection/Fleet_0007|{"remove": "Connection/Fleet_0007"}"#
    );
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_changes WHERE org = 'env'"),
        301
    );
    let listed = expect(with_db(work.d360(&emulator).args(["state", "list"]), &cluster), 0);
    assert_eq!(listed.stdout.lines().count(), 299, "{listed:?}");
}

/// The tables and row the previous layout wrote: the whole state as one JSONB document.
const OLD_LAYOUT: &str = "
CREATE TABLE d360_state (
    org TEXT PRIMARY KEY,
    serial BIGINT NOT NULL,
    lineage TEXT NOT NULL,
    state JSONB NOT NULL,
    fingerprint_key TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE d360_state_history (
    org TEXT NOT NULL,
    serial BIGINT NOT NULL,
    state JSONB NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org, serial)
);
CREATE TABLE d360_lock_holder (
    org TEXT PRIMARY KEY,
    holder JSONB NOT NULL
);";

#[test]
fn postgres_state_in_the_old_layout_is_read_then_converted_on_first_write() {
    let Some(cluster) = Cluster::start() else { return };
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_fleet(&work, 5, "Old");
    // A state with resources, secret fingerprints and a serial, made by a local apply...
    let mut local = work.d360(&emulator);
    local
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p")
        .args(["apply", "--auto-approve"]);
    expect(&mut local, 0);
    let text = work.read(".d360/state/env.json");
    let key = work.read(".d360/state/env.json.key").trim().to_owned();
    let document: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    let lineage = document["lineage"].as_str().expect("lineage").to_owned();
    let serial = document["serial"].as_u64().expect("serial");
    assert!(serial > 0);
    std::fs::remove_dir_all(work.path().join(".d360/state")).expect("drop the local state");
    // ...written into the database as the previous version did.
    cluster.sql(&format!(
        "{OLD_LAYOUT}
         INSERT INTO d360_state (org, serial, lineage, state, fingerprint_key)
         VALUES ('env', {serial}, '{lineage}', $doc${text}$doc$::jsonb, '{key}');
         INSERT INTO d360_state_history (org, serial, state) VALUES ('env', {serial}, $doc${text}$doc$::jsonb);"
    ));

    // A read works on the old layout and converts nothing.
    let listed = expect(with_db(work.d360(&emulator).args(["state", "list"]), &cluster), 0);
    assert_eq!(listed.stdout.lines().count(), 5, "{listed:?}");
    assert_eq!(cluster.count("SELECT count(*) FROM d360_state_header"), 0);

    // `plan` reads the old layout, key included (nothing differs), and writes nothing.
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
    assert_eq!(cluster.count("SELECT count(*) FROM d360_state_header"), 0);
    // `apply` takes the fingerprint key, the first write: converted, and nothing differs (so the
    // resources, their ids and the key that made the secrets' fingerprints all came across).
    expect(
        with_db(
            work.d360(&emulator)
                .env("RDS_USER", "u")
                .env("RDS_PASSWORD", "p")
                .args(["apply", "--auto-approve"]),
            &cluster,
        ),
        0,
    );
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
    assert_eq!(
        cluster.sql("SELECT serial, lineage, fingerprint_key FROM d360_state_header WHERE org = 'env'"),
        format!("{serial}|{lineage}|{key}")
    );
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_resources WHERE org = 'env'"),
        5
    );
    assert_eq!(cluster.count("SELECT count(*) FROM d360_state_changes"), 0);
    // The old row is left as a marker older builds refuse; the old history is untouched.
    assert_eq!(
        cluster.sql("SELECT state->>'formatVersion' FROM d360_state WHERE org = 'env'"),
        "2"
    );
    assert_eq!(cluster.count("SELECT count(*) FROM d360_state_history"), 1);

    // The converted state goes on: one more object is one more row and one history row.
    write_fleet(&work, 6, "Old");
    expect(
        with_db(work.d360(&emulator).args(["apply", "--auto-approve"]), &cluster),
        0,
    );
    expect(
        with_db(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), &cluster),
        0,
    );
    assert_eq!(
        cluster.sql("SELECT serial, key FROM d360_state_changes WHERE org = 'env'"),
        format!("{}|Connection/Fleet_0006", serial + 1)
    );
    assert_eq!(
        cluster.count("SELECT count(*) FROM d360_state_resources WHERE org = 'env'"),
        6
    );
    let listed = expect(with_db(work.d360(&emulator).args(["state", "list"]), &cluster), 0);
    assert_eq!(listed.stdout.lines().count(), 6, "{listed:?}");
}
