//! AWS RDS onboarding against moto in server mode (a real AWS imitation over HTTP on
//! 127.0.0.1): a fleet listed from RDS with per-database Secrets Manager secrets converges in
//! one apply, a new tagged database is one create, a database gone from AWS is not pruned
//! without `--prune`, and missing secrets are named clearly. moto is started here and seeded
//! through its own API (`tests/aws/seed.py`, boto3). Skipped with a printed reason
//! when moto is not installed and `CI` is unset; in CI a missing moto is a failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::support::{EmulatorProcess, Work, expect};

/// The Python that runs moto and the seeding script.
fn python() -> String {
    std::env::var("D360_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A moto server on a free loopback port; stopped on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) url: String,
}

impl Moto {
    /// Starts moto, or returns `None` (outside CI) when it is not installed.
    pub(crate) fn start() -> Option<Self> {
        let importable = Command::new(python())
            .args(["-c", "import moto.server, boto3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !importable {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must provide moto[server] (.ci/run installs it)"
            );
            eprintln!("skipping the AWS tests: moto is not installed (pip install 'moto[server]')");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// Seeds moto through its API with `spec` (see `tests/aws/seed.py`).
    pub(crate) fn seed(&self, spec: &serde_json::Value) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/seed.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(&self.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the seeding script");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(spec.to_string().as_bytes()).expect("write the spec");
        }
        let output = child.wait_with_output().expect("seeding finishes");
        assert!(
            output.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Points `command` at this moto with fake credentials, as the SDKs read them.
    pub(crate) fn env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL_RDS")
            .env_remove("AWS_ENDPOINT_URL_SECRETS_MANAGER")
            // Never reach for a real profile or instance metadata from a test.
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The password marker of database `identifier`: distinct per database, scanned for leaks.
pub(crate) fn password_of(identifier: &str) -> String {
    format!("AWSLEAKMARKER-pw-{identifier}")
}

/// The user of database `identifier`.
pub(crate) fn user_of(identifier: &str) -> String {
    format!("AWSLEAKMARKER-user-{identifier}")
}

/// A tagged MySQL instance and its secret, as seed items.
pub(crate) fn tagged(identifier: &str) -> (serde_json::Value, serde_json::Value) {
    (
        serde_json::json!({ "id": identifier, "engine": "mysql", "dbname": "clinic", "tags": { "data360": "ingest", "clinic": identifier } }),
        secret(identifier),
    )
}

/// The JSON secret `rds/<identifier>` with `username` and `password`.
pub(crate) fn secret(identifier: &str) -> serde_json::Value {
    let value = serde_json::json!({ "username": user_of(identifier), "password": password_of(identifier) });
    serde_json::json!({ "id": format!("rds/{identifier}"), "value": value.to_string() })
}

/// The example fleet manifest, as in `examples/aws/aws-fleet.yaml` but in the test's region.
pub(crate) const FLEET: &str = r#"apiVersion: d360/v1
kind: ConnectionSet
metadata:
  name: rds-fleet
spec:
  items:
    fromAwsRds:
      region: us-east-1
      engines: [mysql, aurora-mysql, postgres, aurora-postgresql]
      tags: { data360: ingest }
  template:
    metadata:
      name: "RDS_${item.apiName}"
    spec:
      connectorType: "${item.connectorType}"
      label: "RDS ${item.identifier}"
      parameters:
        jdbc_connection_url: "jdbc:${item.engine}://${item.host}:${item.port}"
        DATABASE: "${item.database}"
      credentials:
        user: { fromAwsSecret: { id: "rds/${item.identifier}", key: username } }
        password: { fromAwsSecret: { id: "rds/${item.identifier}", key: password } }
"#;

/// A template all engines accept: MySQL only, so every item needs the same parameters.
fn fleet_manifest(work: &Work) {
    work.write(
        "manifests/fleet.yaml",
        &FLEET.replace("jdbc:${item.engine}", "jdbc:mysql"),
    );
}

fn d360(work: &Work, emulator: &EmulatorProcess, moto: &Moto) -> Command {
    let mut command = work.d360(emulator);
    moto.env(&mut command);
    command
}

/// Actions of a JSON plan by kind of action (`create`, `delete`, ...).
fn actions(plan_json: &str) -> Vec<(String, String)> {
    let plan: serde_json::Value = serde_json::from_str(plan_json).expect("a JSON plan");
    plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|action| {
            (
                action["action"].as_str().unwrap_or_default().to_owned(),
                action["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn changes(plan_json: &str) -> Vec<(String, String)> {
    actions(plan_json)
        .into_iter()
        .filter(|(action, _)| action != "noop" && action != "no-op")
        .collect()
}

#[test]
fn a_fleet_of_300_from_tags_converges_grows_by_one_and_is_never_pruned_unasked() {
    let Some(moto) = Moto::start() else { return };
    let mut instances = Vec::new();
    let mut secrets = Vec::new();
    for index in 0..299 {
        let (instance, secret) = tagged(&format!("clinic-{index:03}"));
        instances.push(instance);
        secrets.push(secret);
    }
    // One Aurora MySQL cluster and two databases the filter leaves out.
    let clusters = vec![
        serde_json::json!({ "id": "aurora-main", "engine": "aurora-mysql", "dbname": "clinics", "tags": { "data360": "ingest" } }),
    ];
    secrets.push(secret("aurora-main"));
    instances.push(serde_json::json!({ "id": "untagged-1", "engine": "mysql" }));
    instances.push(serde_json::json!({ "id": "reporting-1", "engine": "mysql", "tags": { "data360": "skip" } }));
    moto.seed(&serde_json::json!({ "instances": instances, "clusters": clusters, "secrets": secrets }));

    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    fleet_manifest(&work);

    // validate never calls AWS: it passes with no endpoint and no credentials at all.
    let validated = expect(
        super::support::bin()
            .current_dir(work.path())
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(["validate"]),
        0,
    );
    assert!(
        validated.stderr.contains("AWS RDS") || validated.stdout.contains("AWS RDS"),
        "{validated:?}"
    );

    let rendered = expect(d360(&work, &emulator, &moto).args(["render", "--format", "json"]), 0);
    assert!(
        rendered
            .stderr
            .contains("ConnectionSet `rds-fleet`: 300 items from AWS RDS (region us-east-1"),
        "{rendered:?}"
    );
    assert!(rendered.stderr.contains("tags data360=ingest"), "{rendered:?}");
    let documents: Vec<serde_json::Value> = serde_json::from_str(&rendered.stdout).expect("render JSON");
    assert_eq!(documents.len(), 300);
    let aurora = documents
        .iter()
        .find(|d| d["metadata"]["name"] == "RDS_aurora_main")
        .expect("the cluster is an item");
    assert_eq!(aurora["spec"]["connectorType"], "AwsRdsMySql");
    assert_eq!(
        aurora["spec"]["credentials"]["password"]["fromAwsSecret"]["id"],
        "rds/aurora-main"
    );

    let applied = expect(d360(&work, &emulator, &moto).args(["apply", "--auto-approve"]), 0);
    assert!(applied.stderr.contains("300 items from AWS RDS"), "{applied:?}");
    let plan = expect(
        d360(&work, &emulator, &moto).args(["plan", "--detailed-exitcode", "--format", "json"]),
        0,
    );
    assert!(changes(&plan.stdout).is_empty(), "{plan:?}");
    // The emulator holds what the secrets say, for each database its own.
    let state = work.read(".d360/state/env.json");
    assert!(state.contains("RDS_clinic_042"));

    // A new tagged database is exactly one create.
    let (instance, secret_item) = tagged("clinic-new");
    moto.seed(&serde_json::json!({ "instances": [instance], "secrets": [secret_item] }));
    let plan = expect(
        d360(&work, &emulator, &moto).args(["plan", "--detailed-exitcode", "--format", "json"]),
        2,
    );
    assert_eq!(
        changes(&plan.stdout),
        vec![("create".to_owned(), "RDS_clinic_new".to_owned())],
        "{plan:?}"
    );
    expect(d360(&work, &emulator, &moto).args(["apply", "--auto-approve"]), 0);

    // A database gone from AWS is no longer declared, and stays unless --prune is given.
    moto.seed(&serde_json::json!({ "deleteInstances": ["clinic-007"] }));
    let plan = expect(d360(&work, &emulator, &moto).args(["plan", "--format", "json"]), 0);
    assert!(
        !changes(&plan.stdout).iter().any(|(action, _)| action == "delete"),
        "{plan:?}"
    );
    expect(d360(&work, &emulator, &moto).args(["apply", "--auto-approve"]), 0);
    assert!(work.read(".d360/state/env.json").contains("RDS_clinic_007"));
    let pruning = expect(
        d360(&work, &emulator, &moto).args(["plan", "--prune", "--format", "json"]),
        0,
    );
    assert_eq!(
        changes(&pruning.stdout),
        vec![("delete".to_owned(), "RDS_clinic_007".to_owned())],
        "{pruning:?}"
    );
}

#[test]
fn missing_secrets_name_the_resource_and_secret_and_many_are_counted() {
    let Some(moto) = Moto::start() else { return };
    let instances: Vec<serde_json::Value> = (0..7).map(|index| tagged(&format!("db-{index}")).0).collect();
    // Only db-0 has its secret; db-1 has one without the `password` key; db-2 to db-6 none.
    let partial = serde_json::json!({ "id": "rds/db-1", "value": serde_json::json!({ "username": "u" }).to_string() });
    moto.seed(&serde_json::json!({ "instances": instances, "secrets": [secret("db-0"), partial] }));
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    fleet_manifest(&work);
    let failed = expect(d360(&work, &emulator, &moto).args(["plan"]), 1);
    let lines: Vec<&str> = failed.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert!(
        lines.contains(
            &"error: Connection/RDS_db_1: AWS secret `rds/db-1` has no key `password` (credential `password`)"
        ),
        "{failed:?}"
    );
    let counted = lines
        .iter()
        .find(|l| l.contains("ResourceNotFoundException"))
        .unwrap_or_else(|| panic!("{failed:?}"));
    assert!(
        counted.starts_with("error: 5 resources: AWS secret cannot be read: ResourceNotFoundException"),
        "{counted}"
    );
    assert!(counted.contains("Connection/RDS_db_2 (`rds/db-2`)"), "{counted}");
    assert!(counted.ends_with(" and 2 more"), "{counted}");
    assert!(!failed.stderr.contains("AWSLEAKMARKER"), "{failed:?}");

    // One database missing its secret: one line naming the resource and the secret id.
    let work = Work::new();
    work.write(
        "manifests/fleet.yaml",
        &FLEET
            .replace("jdbc:${item.engine}", "jdbc:mysql")
            .replace("tags: { data360: ingest }", "tags: { clinic: db-3 }"),
    );
    let failed = expect(d360(&work, &emulator, &moto).args(["plan"]), 1);
    let lines: Vec<&str> = failed.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{failed:?}");
    assert!(
        lines[0]
            .starts_with("error: Connection/RDS_db_3: AWS secret `rds/db-3` cannot be read: ResourceNotFoundException"),
        "{failed:?}"
    );
    assert!(lines[0].ends_with("(credentials `password`, `user`)"), "{failed:?}");
}

#[test]
fn without_moto_credentials_or_endpoint_the_error_names_the_inventory() {
    let Some(moto) = Moto::start() else { return };
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    fleet_manifest(&work);
    let mut command = d360(&work, &emulator, &moto);
    command.env("AWS_ENDPOINT_URL", "http://rds.example.com");
    let failed = expect(command.args(["plan"]), 1);
    assert!(
        failed
            .stderr
            .contains("cannot list the AWS RDS databases (region us-east-1"),
        "{failed:?}"
    );
    assert!(
        failed.stderr.contains("plain http is only allowed to loopback"),
        "{failed:?}"
    );
}

#[test]
fn web_identity_credentials_come_from_sts_through_the_standard_chain() {
    let Some(moto) = Moto::start() else { return };
    moto.seed(&serde_json::json!({ "instances": [tagged("wi-1").0] }));
    let work = Work::new();
    fleet_manifest(&work);
    work.write("token", "a-web-identity-token");
    // No keys: the chain reads the token file and asks STS (moto) for a role's credentials,
    // as on GitHub Actions OIDC or a Kubernetes service account.
    let mut command = super::support::bin();
    moto.env(&mut command)
        .current_dir(work.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", work.path().join("token"))
        .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/d360")
        .env("AWS_ROLE_SESSION_NAME", "d360-test")
        .args(["-vvv", "render", "--format", "json"]);
    let rendered = expect(&mut command, 0);
    assert!(rendered.stderr.contains("1 item from AWS RDS"), "{rendered:?}");
    assert!(rendered.stderr.contains("provider=WebIdentityToken"), "{rendered:?}");
    assert!(rendered.stdout.contains("RDS_wi_1"), "{rendered:?}");
}
