//! `plan --check`, `apply --check`, `apply --verify` and status drift, against an emulator whose
//! `catalog:` says which hosts are reachable, which credentials are right, what the sources
//! hold, and which status a host's connections report.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::support::{EMULATOR_BASE_YAML, EmulatorProcess, Work, expect};

/// The clinic database most cases browse.
const CLINIC_HOST: &str = "    - host: clinic-db.example.internal
      credentials: { user: u, password: p }
      STATUS
      databases:
        - name: clinic
          schemas:
            - name: public
              objects:
                - name: patients
                  primaryKeys: [patient_id]
                  fields:
                    - { name: patient_id, type: Text }
                    - { name: full_name, type: Text }
                    - { name: updated_at, type: DateTime }
                    - { name: visits, type: Number }
                - name: appointments
                  fields:
                    - { name: appointment_id, type: Text }
";

fn clinic_yaml(status: Option<&str>) -> String {
    let status = status.map_or(String::new(), |s| format!("status: {s}"));
    format!("{EMULATOR_BASE_YAML}{}", CLINIC_HOST.replace("STATUS", &status))
}

/// Starts an emulator over a data folder holding `yaml`, logging requests to `log`.
fn start(yaml: &str, log: &Path) -> EmulatorProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("emulator.yaml"), yaml).expect("write emulator.yaml");
    EmulatorProcess::start_in(dir, &["--log-requests", log.to_str().expect("utf-8 path")])
}

fn secrets(command: &mut Command) -> &mut Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// Requests logged so far whose path ends with `tail`.
fn logged(log: &Path, tail: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["path"].as_str().is_some_and(|p| p.ends_with(tail)))
        .count()
}

/// A fleet of `count` connections `Fleet_0001`… on hosts `db1`… with database `database`.
fn write_fleet(work: &Work, count: usize, database: &str) {
    super::fleet::write_fleet_on(work, count, "Fleet", database);
}

/// 300 hosts: all reachable with `u`/`p`, except db7 (down) and db42 (another password).
fn fleet_yaml(count: usize) -> String {
    let mut yaml = EMULATOR_BASE_YAML.to_owned();
    for index in 1..=count {
        let host = format!("db{index}.example.internal");
        yaml.push_str(&match index {
            7 => format!("    - {{ host: {host}, reachable: false }}\n"),
            42 => format!("    - {{ host: {host}, credentials: {{ user: u, password: rotated }} }}\n"),
            _ => format!("    - {{ host: {host}, credentials: {{ user: u, password: p }} }}\n"),
        });
    }
    yaml
}

fn plan_json(work: &Work, emulator: &EmulatorProcess, args: &[&str], code: i32) -> Value {
    let ran = expect(
        secrets(work.d360(emulator).args(["plan", "--format", "json"]).args(args)),
        code,
    );
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("plan JSON: {e}: {ran:?}"))
}

fn errors(plan: &Value) -> Vec<String> {
    plan["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e.as_str().expect("text").to_owned())
        .collect()
}

#[test]
fn a_fleet_check_finds_exactly_the_unreachable_host_and_the_wrong_password() {
    const COUNT: usize = 300;
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let emulator = start(&fleet_yaml(COUNT), &log);
    let work = Work::new();
    write_fleet(&work, COUNT, "fleet");

    // Without --check, no test is sent.
    let plain = plan_json(&work, &emulator, &[], 0);
    assert_eq!(plain["api"]["checks"], 0);
    assert_eq!(logged(&log, "/actions/test"), 0);

    let checked = plan_json(&work, &emulator, &["--check"], 1);
    let expected = [
        "Connection/Fleet_0007: check failed: INVALID_CONNECTION: Could not connect to the URL provided: host db7.example.internal is unreachable",
        "Connection/Fleet_0042: check failed: INVALID_CREDENTIALS: User credentials are invalid",
    ];
    assert_eq!(errors(&checked), expected);
    assert_eq!(logged(&log, "/actions/test"), COUNT, "one test per new connection");
    assert_eq!(checked["api"]["checks"], COUNT as u64, "{}", checked["api"]);
    let api = &checked["api"];
    assert_eq!(
        api["total"].as_u64(),
        Some(api["reads"].as_u64().expect("reads") + COUNT as u64 + COUNT as u64),
        "reads, checks and creates: {api}"
    );
    let text = expect(secrets(work.d360(&emulator).args(["plan", "--check"])), 1);
    assert!(!text.stdout.contains("rotated") && !text.stderr.contains("rotated"));

    // Created without checking, then changed: the changed ones are tested with the new body.
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    write_fleet(&work, COUNT, "fleet_v2");
    let before = logged(&log, "/actions/test");
    let changed = plan_json(&work, &emulator, &["--check"], 1);
    assert_eq!(changed["summary"]["update"], COUNT as u64);
    assert_eq!(errors(&changed), expected);
    assert_eq!(logged(&log, "/actions/test") - before, COUNT);

    // A label change reaches nothing new: nothing to test.
    write_fleet(&work, COUNT, "fleet");
    let before = logged(&log, "/actions/test");
    let unchanged = plan_json(&work, &emulator, &["--check"], 0);
    assert_eq!(unchanged["summary"]["update"], 0);
    assert_eq!(logged(&log, "/actions/test"), before);
}

const CONNECTION: &str = "\
apiVersion: d360/v1
kind: Connection
metadata: { name: Clinic_Main }
spec:
  connectorType: AwsRdsMySql
  label: Clinic main
  parameters:
    jdbc_connection_url: jdbc:mysql://clinic-db.example.internal:3306
    DATABASE: clinic
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
";

fn write_stream(work: &Work, name: &str, object: &str, fields: &[(&str, &str)]) {
    let mut listed = String::new();
    for (name, kind) in fields {
        listed.push_str(&format!("    - {{ name: {name}, type: {kind} }}\n"));
    }
    let fields = listed;
    work.write(
        &format!("manifests/{name}.yaml"),
        &format!(
            "apiVersion: d360/v1
kind: DataStream
metadata: {{ name: {name} }}
spec:
  label: {name}
  connection: Clinic_Main
  source: {{ database: clinic, schema: public, object: {object} }}
  dataLakeObject: {{ category: Profile, primaryKey: patient_id, dataspace: default }}
  fields:
{fields}"
        ),
    );
}

#[test]
fn misspelt_sources_get_a_did_you_mean_and_streams_on_new_connections_are_checked_on_apply() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let emulator = start(&clinic_yaml(None), &log);
    let work = Work::new();
    work.write("manifests/connection.yaml", CONNECTION);
    write_stream(&work, "Patients_A", "patiens", &[("patient_id", "Text")]);

    // The connection is created by the same plan: the stream cannot be browsed yet.
    let deferred = plan_json(&work, &emulator, &["--check"], 0);
    let warnings = deferred["warnings"].to_string();
    assert!(
        warnings.contains("DataStream/Patients_A: not checked: its connection `Clinic_Main` does not exist yet"),
        "{warnings}"
    );
    assert_eq!(logged(&log, "/objects"), 0);
    let action = deferred["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["name"] == "Patients_A")
        .expect("stream action");
    assert_eq!(action["checkOnApply"], true);

    // apply --check creates the connection, checks the stream right before it, and fails it.
    let applied = expect(
        secrets(work.d360(&emulator).args(["apply", "--check", "--auto-approve"])),
        1,
    );
    assert!(
        applied
            .stderr
            .contains("source object `patiens` does not exist in schema `public` (did you mean `patients`?)")
            || applied.stdout.contains("did you mean `patients`?"),
        "{applied:?}"
    );
    assert!(
        applied
            .stdout
            .contains("1 created, 0 updated, 0 replaced, 0 deleted, 1 failed"),
        "{applied:?}"
    );

    // Now the connection exists: plan --check browses and names the close match.
    let misspelt = plan_json(&work, &emulator, &["--check"], 1);
    assert_eq!(
        errors(&misspelt),
        [
            "DataStream/Patients_A: check failed: source object `patiens` does not exist in schema `public` (did you mean `patients`?)"
        ]
    );

    write_stream(
        &work,
        "Patients_A",
        "patients",
        &[("patient_id", "Text"), ("full_nam", "Text"), ("updated_at", "Date")],
    );
    write_stream(
        &work,
        "Patients_B",
        "patients",
        &[("patient_id", "Text"), ("visits", "Boolean")],
    );
    write_stream(
        &work,
        "Patients_C",
        "patients",
        &[("patient_id", "Text"), ("visits", "Text")],
    );
    let before = logged(&log, "/objects");
    let fields = plan_json(&work, &emulator, &["--check"], 1);
    assert_eq!(
        errors(&fields),
        [
            "DataStream/Patients_A: check failed: source field `full_nam` does not exist in object `patients` (did you mean `full_name`?); field `updated_at` is declared `Date` but the source's is `DateTime`, which it cannot hold",
            "DataStream/Patients_B: check failed: field `visits` is declared `Boolean` but the source's is `Number`, which it cannot hold",
        ]
    );
    // Three streams on one connection, database and schema: one object listing, one field listing.
    assert_eq!(logged(&log, "/objects") - before, 1);
    assert_eq!(logged(&log, "/objects/patients/fields"), 1);
    assert_eq!(
        fields["api"]["checks"], 4,
        "databases, schemas, objects, fields: {}",
        fields["api"]
    );

    std::fs::remove_file(work.path().join("manifests/Patients_B.yaml")).expect("remove");
    write_stream(
        &work,
        "Patients_A",
        "patients",
        &[("patient_id", "Text"), ("full_name", "Text")],
    );
    expect(
        secrets(work.d360(&emulator).args(["apply", "--check", "--auto-approve"])),
        0,
    );
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn a_connection_that_needs_reauthentication_is_drift_in_every_format() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let emulator = start(&clinic_yaml(None), &log);
    let work = Work::new();
    work.write("manifests/connection.yaml", CONNECTION);
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    expect(secrets(work.d360(&emulator).args(["drift"])), 0);

    // The database's password was rotated: the org now reports NeedsReAuth.
    std::fs::write(
        emulator.dir.path().join("emulator.yaml"),
        clinic_yaml(Some("NeedsReAuth")),
    )
    .expect("write emulator.yaml");
    let emulator = emulator.restart(&[]);
    // Not a plan change: status is not a compared field.
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);

    let text = expect(secrets(work.d360(&emulator).args(["drift"])), 2);
    assert!(text.stdout.contains("x Connection/Clinic_Main"), "{text:?}");
    assert!(text.stdout.contains("not working in the org"), "{text:?}");
    assert!(
        text.stdout.contains("the org reports status `NeedsReAuth`") && text.stdout.contains("re-apply"),
        "{text:?}"
    );
    assert!(text.stdout.contains("1 not working in the org; 0 in sync."), "{text:?}");

    let json = expect(secrets(work.d360(&emulator).args(["drift", "--format", "json"])), 2);
    let report: Value = serde_json::from_str(&json.stdout).expect("drift JSON");
    assert_eq!(report["summary"]["unhealthy"], 1);
    assert_eq!(report["items"][0]["status"], "unhealthy");
    assert_eq!(report["items"][0]["orgStatus"], "NeedsReAuth");

    let markdown = expect(secrets(work.d360(&emulator).args(["drift", "--format", "markdown"])), 2);
    assert!(
        markdown
            .stdout
            .contains("<code>Connection/Clinic_Main</code>: not working in the org")
            && markdown.stdout.contains("NeedsReAuth"),
        "{markdown:?}"
    );
    let junit = expect(secrets(work.d360(&emulator).args(["drift", "--format", "junit"])), 2);
    assert!(
        junit.stdout.contains("<failure type=\"Unhealthy\"") && junit.stdout.contains("NeedsReAuth"),
        "{junit:?}"
    );
}

#[test]
fn apply_verify_tests_what_it_wrote_and_reports_each() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let emulator = start(&clinic_yaml(None), &log);
    let work = Work::new();
    work.write("manifests/connection.yaml", CONNECTION);
    work.write(
        "manifests/stale.yaml",
        &CONNECTION
            .replace("Clinic_Main", "Clinic_Stale")
            .replace("RDS_PASSWORD", "STALE_PASSWORD"),
    );
    let applied = expect(
        secrets(work.d360(&emulator).args(["apply", "--verify", "--auto-approve"])).env("STALE_PASSWORD", "old"),
        1,
    );
    assert!(
        applied
            .stdout
            .contains("verified Connection/Clinic_Main: connection test passed"),
        "{applied:?}"
    );
    assert!(
        applied
            .stdout
            .contains("verified Connection/Clinic_Stale: connection test failed: INVALID_CREDENTIALS: User credentials are invalid"),
        "{applied:?}"
    );
    assert!(applied.stdout.contains("Apply complete: 2 created"), "{applied:?}");
    assert!(applied.stdout.contains("Verify: 1 passed, 1 failed."), "{applied:?}");
    assert!(!applied.stdout.contains("old") || !applied.stdout.contains("\"old\""));
    assert_eq!(logged(&log, "/actions/test"), 2);
    // Both stay and are recorded: nothing left to do.
    expect(
        secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])).env("STALE_PASSWORD", "old"),
        0,
    );
    let json = expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--verify", "--auto-approve", "--format", "json"]),
        )
        .env("STALE_PASSWORD", "p"),
        0,
    );
    assert!(
        json.stdout.contains(r#""event":"verify""#) && json.stdout.contains(r#""result":"passed""#),
        "{json:?}"
    );
    let verify_events: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON event: {line}: {e}")))
        .filter(|event: &serde_json::Value| event["event"] == "verify" || event["event"] == "verifySummary")
        .collect();
    assert!(verify_events.len() >= 2, "{json:?}");
    assert!(verify_events.iter().all(|event| event["org"] == "env"), "{json:?}");
}

/// The README's walkthrough: the examples pass `plan --check` against the emulator's default
/// catalog, an unreachable host fails it, and `apply --check` checks every stream right
/// before creating it.
#[test]
fn the_examples_pass_the_check_and_an_unreachable_clinic_fails_it() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::with_examples();
    let first = plan_json(&work, &emulator, &["--check"], 0);
    assert_eq!(first["api"]["checks"], 21, "one test per connection: {}", first["api"]);
    let deferred = first["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w.as_str().is_some_and(|w| w.contains("not checked")))
        .count();
    assert_eq!(deferred, 20, "{}", first["warnings"]);

    let config = emulator.dir.path().join("emulator.yaml");
    let yaml = std::fs::read_to_string(&config).expect("emulator.yaml");
    let down = yaml.replace(
        "- { host: denver-clinic.db.example.internal,",
        "- { host: denver-clinic.db.example.internal, reachable: false,",
    );
    assert_ne!(down, yaml, "the default catalog lists the example clinics");
    std::fs::write(&config, &down).expect("write emulator.yaml");
    let emulator = emulator.restart(&[]);
    let failing = plan_json(&work, &emulator, &["--check"], 1);
    assert_eq!(
        errors(&failing),
        [
            "Connection/AWS_RDS_c02: check failed: INVALID_CONNECTION: Could not connect to the URL provided: host denver-clinic.db.example.internal is unreachable"
        ]
    );

    std::fs::write(&config, &yaml).expect("write emulator.yaml");
    let emulator = emulator.restart(&[]);
    let applied = expect(work.d360(&emulator).args(["apply", "--check", "--auto-approve"]), 0);
    assert!(applied.stdout.contains("Apply complete: 41 created"), "{applied:?}");
    expect(work.d360(&emulator).args(["plan", "--check", "--detailed-exitcode"]), 0);

    // A misspelt object on a stream whose connection exists gets the did-you-mean.
    let streams = work.read("manifests/data-streams.yaml");
    work.write(
        "manifests/data-streams.yaml",
        &streams.replace(
            "source: { database: clinic_c03, object: patients }",
            "source: { database: clinic_c03, object: patiens }",
        ),
    );
    let misspelt = plan_json(&work, &emulator, &["--check"], 1);
    assert_eq!(
        errors(&misspelt),
        [
            "DataStream/Clinic_c03_Patients: check failed: source object `patiens` does not exist in database `clinic_c03` (did you mean `patients`?)"
        ]
    );
}
