//! Promotion order: dev → staging (`promoteFrom: dev`) → prod (`promoteFrom: staging`), three
//! emulator orgs in one `d360.yaml`. State records the digest of the manifest set (and the git
//! commit) each full apply converged to; `apply` refuses, before logging in, while the org it
//! promotes from has not converged to the same digest; `--skip-promotion-check` goes on and
//! says so; `d360 status` shows every org. PostgreSQL state is read the same way, its header
//! table gaining the `converged` column in place.

use std::path::Path;
use std::process::{Command, Stdio};

use super::postgres::Cluster;
use crate::support::{EmulatorProcess, Work, bin, expect};

/// Two connections whose host and label differ per org only by values.
const DB: &str = "apiVersion: d360/v1
kind: Connection
metadata:
  name: Clinic_DB
spec:
  connectorType: AwsRdsMySql
  label: Clinic DB ${org.name}
  method: Ingress
  parameters:
    jdbc_connection_url: jdbc:mysql://${org.db_host}:3306
    DATABASE: clinic
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
---
apiVersion: d360/v1
kind: Connection
metadata:
  name: Billing_DB
spec:
  connectorType: AwsRdsMySql
  label: Billing DB
  method: Ingress
  parameters:
    jdbc_connection_url: jdbc:mysql://billing.${org.db_host}:3306
    DATABASE: billing
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
";

/// The three orgs, each on its own emulator; prod's logs every request it gets.
struct Orgs {
    dev: EmulatorProcess,
    staging: EmulatorProcess,
    prod: EmulatorProcess,
    prod_log: tempfile::TempDir,
}

impl Orgs {
    fn start() -> Self {
        let prod_log = tempfile::tempdir().unwrap();
        let log = prod_log.path().join("requests.jsonl");
        Self {
            dev: EmulatorProcess::start(&[]),
            staging: EmulatorProcess::start(&[]),
            prod: EmulatorProcess::start(&["--log-requests", log.to_str().unwrap()]),
            prod_log,
        }
    }

    /// Every request prod's emulator answered.
    fn prod_requests(&self) -> usize {
        std::fs::read_to_string(self.prod_log.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// `d360.yaml`: dev, staging (from dev), prod (from staging), with `state` (a YAML flow
    /// map) for each.
    fn write_config(&self, work: &Work, state: &str) {
        let profile = |name: &str, emulator: &EmulatorProcess, from: Option<&str>, host: &str| {
            let from = from
                .map(|from| format!("    promoteFrom: {from}\n"))
                .unwrap_or_default();
            format!(
                "{}    state: {state}\n{from}    values:\n      db_host: {host}\n",
                emulator.profile(name)
            )
        };
        work.write(
            "d360.yaml",
            &format!(
                "orgs:\n{}{}{}",
                profile("prod", &self.prod, Some("staging"), "prod.internal"),
                profile("staging", &self.staging, Some("dev"), "stg.internal"),
                profile("dev", &self.dev, None, "dev.internal"),
            ),
        );
    }
}

fn d360(work: &Work) -> Command {
    let mut command = bin();
    command
        .current_dir(work.path())
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p");
    command
}

fn apply(work: &Work, org: &str, code: i32) -> crate::support::Ran {
    expect(d360(work).args(["apply", "--org", org, "--auto-approve"]), code)
}

/// `git` in `dir`; false when git is missing or fails.
fn git(dir: &Path, arguments: &[&str]) -> bool {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(arguments)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn head(dir: &Path) -> String {
    let output = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `d360 status --format json`'s orgs, by name.
fn status(work: &Work, extra: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    let ran = expect(d360(work).args(["status", "--format", "json"]).args(extra), 0);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).expect("status JSON");
    assert_eq!(report["formatVersion"], 1, "{ran:?}");
    report["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|org| (org["org"].as_str().unwrap().to_owned(), org.clone()))
        .collect()
}

fn digest_of(orgs: &serde_json::Map<String, serde_json::Value>, org: &str) -> String {
    orgs[org]["converged"]["digest"].as_str().unwrap_or_default().to_owned()
}

/// `sha256:` and its first 12 hex digits, as messages show it.
fn short(digest: &str) -> &str {
    &digest["sha256:".len().."sha256:".len() + 12]
}

#[test]
fn prod_waits_for_staging_which_waits_for_dev() {
    let orgs = Orgs::start();
    let work = Work::new();
    orgs.write_config(&work, "{ backend: local }");
    work.write("manifests/db.yaml", DB);
    work.write(".gitignore", ".d360/\n");
    let in_git = git(work.path(), &["init", "-q"])
        && git(work.path(), &["add", "."])
        && git(work.path(), &["commit", "-qm", "first"]);
    if !in_git {
        eprintln!("git is not available: commits are not asserted");
    }

    // Nothing converged anywhere: prod is refused before it is even logged in to.
    let refused = apply(&work, "prod", 1);
    assert!(
        refused
            .stderr
            .contains("`prod` promotes from `staging`, which has never converged"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--skip-promotion-check"), "{refused:?}");
    assert!(refused.stderr.contains("d360 apply --org staging"), "{refused:?}");
    assert_eq!(orgs.prod_requests(), 0, "prod was not contacted");
    apply(&work, "staging", 1);

    let dev = apply(&work, "dev", 0);
    assert!(
        dev.stderr.contains("State records `dev` converged to manifests"),
        "{dev:?}"
    );
    let staging = apply(&work, "staging", 0);
    assert!(staging.stderr.contains(", as `dev` is."), "{staging:?}");
    apply(&work, "prod", 0);
    assert!(orgs.prod_requests() > 0);

    // Per-org values differ, the files do not: one digest in every org, the commit of HEAD.
    let first = status(&work, &[]);
    assert_eq!(first.keys().cloned().collect::<Vec<_>>(), ["dev", "staging", "prod"]);
    let v1 = digest_of(&first, "dev");
    assert!(v1.starts_with("sha256:") && v1.len() == 71, "{first:?}");
    for org in ["staging", "prod"] {
        assert_eq!(digest_of(&first, org), v1, "{first:?}");
    }
    if in_git {
        let commit = head(work.path());
        for org in ["dev", "staging", "prod"] {
            assert_eq!(first[org]["converged"]["commit"]["id"], commit.as_str(), "{first:?}");
            assert!(first[org]["converged"]["commit"].get("dirty").is_none(), "{first:?}");
        }
    }
    assert_eq!(first["dev"]["promotion"]["standing"], "none");
    assert_eq!(first["staging"]["promotion"]["standing"], "inStep");
    assert_eq!(first["prod"]["promotion"]["standing"], "inStep");
    assert_eq!(first["prod"]["promotion"]["from"], "staging");
    for org in ["dev", "staging", "prod"] {
        assert_eq!(first[org]["drift"]["result"], "read", "{first:?}");
        assert_eq!(first[org]["drift"]["drifted"], false, "{first:?}");
    }
    let table = expect(d360(&work).args(["status"]), 0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{table:?}");
    assert!(
        lines[0].starts_with("ORG") && lines[0].contains("PROMOTION"),
        "{table:?}"
    );
    // `--org all` is promotion order: dev, staging, prod.
    assert!(
        lines[1].starts_with("dev ") && lines[1].ends_with("in sync"),
        "{table:?}"
    );
    assert!(
        lines[2].starts_with("staging ") && lines[2].contains("in step with dev"),
        "{table:?}"
    );
    assert!(
        lines[3].starts_with("prod ") && lines[3].contains("in step with staging"),
        "{table:?}"
    );
    assert!(lines[3].contains(short(&v1)), "{table:?}");
    if in_git {
        assert!(lines[3].contains(&head(work.path())[..7]), "{table:?}");
    }

    // A change: staging may not take it before dev did.
    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Billing DB", "label: Billing DB v2"),
    );
    if in_git {
        assert!(git(work.path(), &["commit", "-qam", "second"]));
    }
    let behind = apply(&work, "staging", 1);
    assert!(
        behind
            .stderr
            .contains("`staging` promotes from `dev`, which has not converged to these manifests"),
        "{behind:?}"
    );
    assert!(behind.stderr.contains(short(&v1)), "dev's digest: {behind:?}");
    if in_git {
        let commit = head(work.path());
        assert!(
            behind.stderr.contains(&format!("(commit {})", &commit[..7])),
            "{behind:?}"
        );
    }
    apply(&work, "dev", 0);
    let second = status(&work, &["--offline"]);
    let v2 = digest_of(&second, "dev");
    assert_ne!(v2, v1);
    assert!(behind.stderr.contains(short(&v2)), "this apply's digest: {behind:?}");
    assert_eq!(second["staging"]["promotion"]["standing"], "behind");
    // prod is where staging is: in step with it, though both are behind dev.
    assert_eq!(second["prod"]["promotion"]["standing"], "inStep");
    assert_eq!(second["prod"]["drift"]["result"], "notRead");
    expect(d360(&work).args(["status", "--offline", "--detailed-exitcode"]), 2);
    let offline = expect(d360(&work).args(["status", "--offline"]), 0);
    assert!(offline.stdout.contains("behind dev"), "{offline:?}");
    assert!(offline.stdout.contains("not read"), "{offline:?}");

    // One plan of every org warns where an apply would be refused: prod's (staging may take
    // what dev has).
    let every = expect(d360(&work).args(["plan", "--org", "all"]), 0);
    assert!(
        every
            .stdout
            .contains("apply will be refused: `prod` promotes from `staging`, which has not converged"),
        "{every:?}"
    );
    assert!(!every.stdout.contains("`staging` promotes from"), "{every:?}");

    // prod checks staging only: dev having the change does not let prod take it.
    let requests = orgs.prod_requests();
    let prod_behind = apply(&work, "prod", 1);
    assert!(
        prod_behind.stderr.contains("`prod` promotes from `staging`"),
        "{prod_behind:?}"
    );
    assert_eq!(orgs.prod_requests(), requests, "prod was not contacted");
    apply(&work, "staging", 0);
    apply(&work, "prod", 0);
    let last = status(&work, &[]);
    for org in ["dev", "staging", "prod"] {
        assert_eq!(digest_of(&last, org), v2, "{last:?}");
    }
    expect(d360(&work).args(["status", "--detailed-exitcode"]), 0);
    // The plan files of every org carry the set, and prod's applies with the check.
    expect(d360(&work).args(["plan", "--org", "all", "--out", "plans"]), 0);
    let saved: serde_json::Value = serde_json::from_str(&work.read("plans/prod.json")).unwrap();
    assert_eq!(saved["manifests"]["set"]["digest"], v2.as_str());
    let from_file = expect(d360(&work).args(["apply", "--org", "prod", "plans/prod.json"]), 0);
    assert!(from_file.stderr.contains(", as `staging` is."), "{from_file:?}");
    // One org, as asked.
    let one = expect(d360(&work).args(["status", "--org", "prod", "--offline"]), 0);
    assert_eq!(one.stdout.lines().count(), 2, "{one:?}");
}

#[test]
fn skipping_targets_and_saved_plans() {
    let orgs = Orgs::start();
    let work = Work::new();
    orgs.write_config(&work, "{ backend: local }");
    work.write("manifests/db.yaml", DB);

    // Skipped: prod goes ahead with staging never applied, and says so.
    let skipped = expect(
        d360(&work).args(["apply", "--org", "prod", "--auto-approve", "--skip-promotion-check"]),
        0,
    );
    assert!(
        skipped.stderr.contains(
            "warning: promotion check skipped (--skip-promotion-check): `staging` was not checked to have converged to these manifests"
        ),
        "{skipped:?}"
    );
    assert!(skipped.stderr.contains("without checking `staging`"), "{skipped:?}");
    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Billing DB", "label: Billing DB v2"),
    );
    let events = expect(
        d360(&work).args([
            "apply",
            "--org",
            "prod",
            "--auto-approve",
            "--skip-promotion-check",
            "--format",
            "json",
        ]),
        0,
    );
    let events: Vec<serde_json::Value> = events
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = events
        .iter()
        .find(|e| e["event"] == "summary")
        .expect("a summary event");
    assert_eq!(
        summary["promotion"],
        serde_json::json!({"check": "skipped", "from": "staging"})
    );
    let converged = events
        .iter()
        .find(|e| e["event"] == "converged")
        .expect("a converged event");
    assert_eq!(converged["org"], "prod");
    assert!(converged["digest"].as_str().unwrap().starts_with("sha256:"));

    // A targeted apply changes objects but does not converge the set.
    expect(d360(&work).args(["apply", "--org", "dev", "--auto-approve"]), 0);
    expect(d360(&work).args(["apply", "--org", "staging", "--auto-approve"]), 0);
    let before = digest_of(&status(&work, &["--offline"]), "staging");
    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Billing DB", "label: Billing DB v3"),
    );
    expect(d360(&work).args(["apply", "--org", "dev", "--auto-approve"]), 0);
    let targeted = expect(
        d360(&work).args([
            "apply",
            "--org",
            "staging",
            "--auto-approve",
            "--target",
            "Connection/Billing_DB",
        ]),
        0,
    );
    assert!(!targeted.stderr.contains("converged to"), "{targeted:?}");
    let after = status(&work, &["--offline"]);
    assert_eq!(digest_of(&after, "staging"), before, "a --target apply records nothing");
    assert_eq!(after["staging"]["promotion"]["standing"], "behind");

    // A saved plan carries the set: applied with the check, and recorded.
    let plan_path = work.path().join("prod.json");
    let planned = expect(d360(&work).args(["plan", "--org", "prod", "--out"]).arg(&plan_path), 0);
    assert!(
        planned
            .stdout
            .contains("apply will be refused: `prod` promotes from `staging`, which has not converged"),
        "{planned:?}"
    );
    let text = std::fs::read_to_string(&plan_path).unwrap();
    // Asked again at apply: today's answer is not kept in the file, where it would go stale.
    assert!(!text.contains("apply will be refused"), "{text}");
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let planned = saved["manifests"]["set"]["digest"].as_str().unwrap().to_owned();
    assert_eq!(planned, digest_of(&after, "dev"));
    let requests = orgs.prod_requests();
    let refused = expect(d360(&work).args(["apply", "--org", "prod"]).arg(&plan_path), 1);
    assert!(refused.stderr.contains("`prod` promotes from `staging`"), "{refused:?}");
    assert_eq!(orgs.prod_requests(), requests, "prod was not contacted");
    expect(d360(&work).args(["apply", "--org", "staging", "--auto-approve"]), 0);
    let applied = expect(d360(&work).args(["apply", "--org", "prod"]).arg(&plan_path), 0);
    assert!(applied.stderr.contains(", as `staging` is."), "{applied:?}");
    assert!(!applied.stdout.contains("apply will be refused"), "{applied:?}");
    let in_step = expect(d360(&work).args(["plan", "--org", "prod"]), 0);
    assert!(!in_step.stdout.contains("apply will be refused"), "{in_step:?}");
    let last = status(&work, &["--offline"]);
    assert_eq!(digest_of(&last, "prod"), planned);
    assert_eq!(last["prod"]["promotion"]["standing"], "inStep");

    // `destroy` is not checked.
    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Billing DB", "label: Billing DB v4"),
    );
    let destroyed = expect(
        d360(&work).args([
            "destroy",
            "--org",
            "prod",
            "--auto-approve",
            "--target",
            "Connection/Billing_DB",
        ]),
        0,
    );
    // It removed an object: prod is no longer at the set it had converged to, so state stops
    // saying so, and an org promoting from prod would be refused.
    assert!(
        destroyed
            .stderr
            .contains("State no longer records `prod` converged to manifests"),
        "{destroyed:?}"
    );
    let gone = status(&work, &["--offline"]);
    assert!(gone["prod"]["converged"].is_null(), "{:?}", gone["prod"]);
}

#[test]
fn promotion_reads_postgresql_state_and_adds_its_column_in_place() {
    let Some(cluster) = Cluster::start() else { return };
    // The header table as builds before promotion made it.
    cluster.sql(
        "CREATE TABLE d360_state_header (
            org TEXT PRIMARY KEY,
            format_version INTEGER NOT NULL,
            serial BIGINT NOT NULL,
            lineage TEXT NOT NULL,
            fingerprint_key TEXT,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );",
    );
    let orgs = Orgs::start();
    let work = Work::new();
    orgs.write_config(&work, "{ backend: postgres, url: { fromEnv: D360_STATE_URL } }");
    work.write("manifests/db.yaml", DB);
    let with_db = |org: &str, code: i32| {
        expect(
            d360(&work)
                .env("D360_STATE_URL", &cluster.url)
                .args(["apply", "--org", org, "--auto-approve"]),
            code,
        )
    };
    with_db("dev", 0);
    with_db("prod", 1);
    with_db("staging", 0);
    with_db("prod", 0);
    let digests = cluster.sql("SELECT org || '=' || (converged->>'digest') FROM d360_state_header ORDER BY org");
    let lines: Vec<&str> = digests.lines().collect();
    assert_eq!(lines.len(), 3, "{digests}");
    let digest = lines[0].trim_start_matches("dev=");
    assert!(digest.starts_with("sha256:"), "{digests}");
    assert_eq!(
        lines,
        [
            format!("dev={digest}"),
            format!("prod={digest}"),
            format!("staging={digest}")
        ]
    );
    // An apply's resource writes keep the record.
    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Billing DB", "label: Billing DB v2"),
    );
    with_db("dev", 0);
    let dev = cluster.sql("SELECT converged->>'digest' FROM d360_state_header WHERE org = 'dev'");
    assert_ne!(dev, digest);
    let report = expect(
        d360(&work)
            .env("D360_STATE_URL", &cluster.url)
            .args(["status", "--offline", "--format", "json"]),
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["orgs"][1]["org"], "staging");
    assert_eq!(report["orgs"][1]["promotion"]["standing"], "behind");
    assert_eq!(report["orgs"][2]["promotion"]["standing"], "inStep");
}

#[test]
fn status_without_profiles_shows_local_and_an_unreadable_org_exits_1() {
    let work = Work::new();
    let local = expect(d360(&work).args(["status", "--offline"]), 0);
    let lines: Vec<&str> = local.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{local:?}");
    let cells: Vec<&str> = lines[1].split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(cells, ["local", "never", "—", "—", "not read"], "{local:?}");

    let emulator = EmulatorProcess::start(&[]);
    work.write(
        "d360.yaml",
        &format!(
            "orgs:\n  broken:\n    instanceUrl: {}\n    auth:\n      jwt: {{ clientId: d360-local, username: admin@local.d360, privateKeyFile: missing.key }}\n    values: {{ db_host: x.internal }}\n",
            emulator.url
        ),
    );
    work.write("manifests/db.yaml", DB.split("---").next().unwrap());
    let broken = expect(
        d360(&work)
            .args(["status", "--format", "json"])
            .env("D360_RETRY_ATTEMPTS", "1"),
        1,
    );
    let report: serde_json::Value = serde_json::from_str(&broken.stdout).expect("status JSON");
    assert_eq!(report["orgs"][0]["org"], "broken");
    assert_eq!(report["orgs"][0]["drift"]["result"], "error", "{broken:?}");
    assert!(
        report["orgs"][0]["drift"]["error"]
            .as_str()
            .unwrap()
            .contains("missing.key"),
        "{broken:?}"
    );
    assert_eq!(report["orgs"][0]["converged"], serde_json::Value::Null);
}

/// `watch`'s `/status` entry for `org`, once `check` holds of it (polled, at most 30 s).
fn watched_until(
    watcher: &super::watch::Watcher,
    org: &str,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let started = std::time::Instant::now();
    loop {
        let (_, body) = watcher.get("/status");
        let status: serde_json::Value = serde_json::from_str(&body).expect("status JSON");
        let entry = status["orgs"]
            .as_array()
            .and_then(|orgs| orgs.iter().find(|o| o["org"] == org))
            .cloned()
            .unwrap_or_default();
        if check(&entry) {
            return entry;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{what}: not seen\n{entry}\n--- stderr\n{}",
            watcher.stderr()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn watch_heals_an_org_only_once_the_one_it_promotes_from_converged() {
    let orgs = Orgs::start();
    let work = Work::new();
    orgs.write_config(&work, "{ backend: local }");
    work.write("manifests/db.yaml", DB);
    let watcher =
        super::watch::Watcher::start(d360(&work).args(["watch", "--org", "staging", "--heal", "--interval", "1s"]));
    // dev never applied: staging's runs detect, and hold the heal back, saying why.
    let held = watched_until(&watcher, "staging", "a run holding the heal", |entry| {
        entry["runs"].as_u64() >= Some(2) && !entry["lastRun"]["healHeld"].is_null()
    });
    let reason = held["lastRun"]["healHeld"].as_str().unwrap_or_default();
    assert!(reason.contains("`staging` promotes from `dev`"), "{held}");
    assert_eq!(held["lastRun"]["result"], "success", "{held}");
    assert!(held["lastRun"]["applied"].is_null(), "{held}");
    assert_eq!(held["lastRun"]["plan"]["summary"]["create"], 2, "{held}");
    assert_eq!(
        watcher.stderr().matches("watch: org `staging`: not healing").count(),
        1,
        "said once while the reason stays:\n{}",
        watcher.stderr()
    );

    // dev converges: staging's next run heals, and state records staging converged too.
    apply(&work, "dev", 0);
    let healed = watched_until(&watcher, "staging", "a heal after dev converged", |entry| {
        entry["lastRun"]["healHeld"].is_null() && entry["lastRun"]["plan"]["summary"]["create"] == 0
    });
    assert_eq!(healed["lastRun"]["result"], "success", "{healed}");
    let stderr = watcher.stderr();
    assert!(stderr.contains("watch: org `staging`: healing again"), "{stderr}");
    assert_eq!(
        stderr
            .matches("watch: org `staging`: state records it converged")
            .count(),
        1,
        "recorded once per set:\n{stderr}"
    );
    drop(watcher);
    let shown = status(&work, &["--org", "staging", "--offline"]);
    assert_eq!(
        digest_of(&shown, "staging"),
        digest_of(&status(&work, &["--org", "dev", "--offline"]), "dev")
    );
    apply(&work, "prod", 0);
}
