//! Benchmark: AWS discovery and secret reads against moto (an AWS imitation on 127.0.0.1),
//! through the release binary: 1,000 RDS instances listed (requests = pages of 100) and
//! 1,000 Secrets Manager secrets fetched, with `--aws-parallelism 1` and the default 16.
//! Figures come from d360's own `-v` log lines (requests, retries, elapsed), one run each.
//!
//! Run: `cargo bench --bench aws` (needs `pip install 'moto[server]'`; prints a skip notice
//! without it).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COUNT: usize = 1_000;

fn python() -> String {
    std::env::var("D360_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// The value of `name=` in the log line that contains `message`.
fn field(log: &str, message: &str, name: &str) -> u64 {
    let line = log
        .lines()
        .find(|line| line.contains(message))
        .unwrap_or_else(|| panic!("no `{message}` line in:\n{log}"));
    let pattern = regex::Regex::new(&format!(r"\b{name}=(\d+)")).unwrap();
    pattern.captures(line).unwrap()[1].parse().unwrap()
}

fn main() {
    let importable = Command::new(python())
        .args(["-c", "import moto.server, boto3"])
        .status()
        .is_ok_and(|status| status.success());
    if !importable {
        println!("aws bench skipped: moto is not installed (pip install 'moto[server]')");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut moto = Command::new(python())
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let instances: Vec<serde_json::Value> = (0..COUNT)
        .map(|i| serde_json::json!({ "id": format!("db-{i:04}"), "engine": "mysql", "dbname": "clinic", "tags": { "data360": "ingest" } }))
        .collect();
    let secrets: Vec<serde_json::Value> = (0..COUNT)
        .map(|i| serde_json::json!({ "id": format!("rds/db-{i:04}"), "value": serde_json::json!({ "username": "u", "password": format!("p{i}") }).to_string() }))
        .collect();
    let seeding = Instant::now();
    let mut seed = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/seed.py"))
        .arg(&url)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    seed.stdin
        .take()
        .unwrap()
        .write_all(
            serde_json::json!({ "instances": instances, "secrets": secrets })
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    assert!(seed.wait().unwrap().success(), "seeding failed");
    println!(
        "seeded {COUNT} instances and {COUNT} secrets in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("fleet.yaml"),
        "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromAwsRds: { region: us-east-1, engines: [mysql], tags: { data360: ingest } } }\n  template:\n    metadata: { name: \"RDS_${item.apiName}\" }\n    spec:\n      connectorType: \"${item.connectorType}\"\n      label: \"RDS ${item.identifier}\"\n      parameters: { jdbc_connection_url: \"jdbc:mysql://${item.host}:${item.port}\", DATABASE: \"${item.database}\" }\n      credentials:\n        user: { fromAwsSecret: { id: \"rds/${item.identifier}\", key: username } }\n        password: { fromAwsSecret: { id: \"rds/${item.identifier}\", key: password } }\n",
    )
    .unwrap();
    let d360 = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_d360"))
            .current_dir(work.path())
            .env("AWS_ENDPOINT_URL", &url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .args(["-v", "--org", "local"])
            .args(args)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "d360 {args:?} failed:\n{log}");
        log
    };

    let log = d360(&["render", "fleet.yaml", "--format", "json"]);
    let pages = field(&log, "listed AWS RDS databases", "pages");
    let requests = field(&log, "listed AWS RDS databases", "requests");
    let listed = field(&log, "listed AWS RDS databases", "listed");
    let elapsed = field(&log, "listed AWS RDS databases", "elapsed_ms");
    // Instances: ceil(1000 / 100) pages; clusters: one (empty) page.
    let ideal = COUNT.div_ceil(100) + 1;
    println!(
        "discovery: {listed} databases, {pages} pages, {requests} requests (ideal {ideal}: {:.2} x), {elapsed} ms",
        requests as f64 / ideal as f64
    );

    for parallelism in ["1", "16"] {
        let log = d360(&["--aws-parallelism", parallelism, "plan", "fleet.yaml"]);
        let secrets = field(&log, "fetched AWS secrets", "secrets");
        let requests = field(&log, "fetched AWS secrets", "requests");
        let retries = field(&log, "fetched AWS secrets", "retries");
        let elapsed = field(&log, "fetched AWS secrets", "elapsed_ms");
        println!(
            "secrets, --aws-parallelism {parallelism}: {secrets} secrets for {} credentials, {requests} requests ({:.2} per secret), {retries} retries, {elapsed} ms",
            2 * COUNT,
            requests as f64 / secrets as f64
        );
    }
    let _ = moto.kill();
    let _ = moto.wait();
}
