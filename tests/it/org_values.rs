//! One manifest set, several orgs: the `values:` of an org profile in `d360.yaml`, read in
//! manifests as `${org.NAME}`, reach that org's requests and no other's; a value the org does
//! not define is an error at its place, naming the org. A value that is a secret reference
//! reaches a credential only, whole, as `{ fromOrg: NAME }`.

use std::process::Command;

use crate::support::{EMULATOR_BASE_YAML, EmulatorProcess, Work, bin, expect};

/// A connection whose host, label and database differ per org only by values.
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
    DATABASE: ${org.database}
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
";

/// `d360.yaml` with `staging` and `prod`, one per emulator, each with its own values.
fn two_orgs(work: &Work, staging: &EmulatorProcess, prod: &EmulatorProcess) {
    let profile = |name: &str, emulator: &EmulatorProcess, values: &str| {
        format!("{}    values:\n{values}", emulator.profile(name))
    };
    let text = format!(
        "orgs:\n{}{}",
        profile(
            "staging",
            staging,
            "      db_host: stg-db.example.internal\n      database: clinic_stg\n"
        ),
        profile(
            "prod",
            prod,
            "      db_host: prod-db.example.internal\n      database: clinic\n"
        ),
    );
    work.write("d360.yaml", &text);
}

/// `d360` in `work` with the credentials the connection reads, and no `D360_*` org.
fn d360(work: &Work) -> Command {
    let mut command = bin();
    command
        .current_dir(work.path())
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p");
    command
}

/// Everything the emulator recorded of the objects written to it (its journal and snapshot).
fn recorded(emulator: &EmulatorProcess) -> String {
    ["journal.jsonl", "objects.json"]
        .iter()
        .map(|file| std::fs::read_to_string(emulator.dir.path().join(file)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_org_gets_its_own_values() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", DB);

    let rendered = expect(d360(&work).args(["render", "--org", "staging"]), 0);
    assert!(
        rendered
            .stdout
            .contains("jdbc_connection_url: jdbc:mysql://stg-db.example.internal:3306"),
        "{rendered:?}"
    );
    assert!(rendered.stdout.contains("label: Clinic DB staging"), "{rendered:?}");

    for org in ["staging", "prod"] {
        expect(d360(&work).args(["apply", "--org", org, "--auto-approve"]), 0);
    }
    let (in_staging, in_prod) = (recorded(&staging), recorded(&prod));
    for (text, own, other) in [
        (
            &in_staging,
            ["stg-db.example.internal", "clinic_stg", "Clinic DB staging"],
            "prod-db",
        ),
        (
            &in_prod,
            ["prod-db.example.internal", "\"clinic\"", "Clinic DB prod"],
            "stg-db",
        ),
    ] {
        for value in own {
            assert!(text.contains(value), "{value} in\n{text}");
        }
        assert!(!text.contains(other), "{other} must not reach this org:\n{text}");
    }
    // Planned again for each org with its own values: nothing to do.
    for org in ["staging", "prod"] {
        let plan = expect(d360(&work).args(["plan", "--org", org, "--detailed-exitcode"]), 0);
        assert!(plan.stdout.contains("No changes"), "{plan:?}");
    }
}

#[test]
fn a_value_the_org_does_not_define_is_an_error_at_its_place() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write(
        "manifests/db.yaml",
        &DB.replace("DATABASE: ${org.database}", "DATABASE: db_${org.rds_suffix}"),
    );

    let validated = expect(
        d360(&work).args(["validate", "--org", "staging", "--format", "short"]),
        1,
    );
    assert!(
        validated.stdout.contains(
            "manifests/db.yaml:11:18: error: ${org.rds_suffix}: org `staging` defines no value `rds_suffix` (d360.yaml, orgs.staging.values)"
        ),
        "{validated:?}"
    );
    assert!(
        validated
            .stdout
            .contains("define `rds_suffix` under `orgs.staging.values` in d360.yaml"),
        "{validated:?}"
    );

    // `plan` and `apply` refuse before touching the org.
    for command in [
        vec!["plan", "--org", "prod"],
        vec!["apply", "--org", "prod", "--auto-approve"],
    ] {
        let refused = expect(d360(&work).args(&command), 1);
        assert!(
            refused
                .stderr
                .contains("org `prod` defines no value `rds_suffix` (d360.yaml, orgs.prod.values)"),
            "{refused:?}"
        );
    }
    assert!(!recorded(&prod).contains("Clinic_DB"), "nothing was written to prod");

    // The built-in `local` org has its name and no values.
    let local = expect(d360(&work).args(["validate", "--format", "short"]), 1);
    assert!(
        local
            .stdout
            .contains("org `local` defines no value `rds_suffix` (`local` is built in and has no values)"),
        "{local:?}"
    );
    assert!(local.stdout.contains("help: run with `--org NAME`"), "{local:?}");
}

/// An emulator whose catalog knows `host` with the login `u` / `password`.
fn emulator_knowing(host: &str, password: &str) -> EmulatorProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    let yaml =
        format!("{EMULATOR_BASE_YAML}    - {{ host: {host}, credentials: {{ user: u, password: {password} }} }}\n");
    std::fs::write(dir.path().join("emulator.yaml"), yaml).expect("write emulator.yaml");
    EmulatorProcess::start_in(dir, &[])
}

#[test]
fn a_credential_takes_each_orgs_own_reference() {
    let staging = emulator_knowing("stg-db.example.internal", "stg-secret-value");
    let prod = emulator_knowing("prod-db.example.internal", "prod-secret-value");
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    let config = work
        .read("d360.yaml")
        .replace(
            "database: clinic_stg\n",
            "database: clinic_stg\n      db_password: { fromEnv: STG_DB_PASSWORD }\n",
        )
        .replace(
            "database: clinic\n",
            "database: clinic\n      db_password: { fromFile: prod-db-password }\n",
        );
    work.write("d360.yaml", &config);
    work.write("prod-db-password", "prod-secret-value");
    work.write(
        "manifests/db.yaml",
        &DB.replace(
            "password: { fromEnv: RDS_PASSWORD }",
            "password: { fromOrg: db_password }",
        ),
    );
    let with_secrets = |command: &mut Command| {
        command
            .env("STG_DB_PASSWORD", "stg-secret-value")
            .env_remove("RDS_PASSWORD");
    };

    // `plan --check` tests each connection with the body it would send: the emulator's
    // catalog accepts only that org's password.
    for org in ["staging", "prod"] {
        let mut command = d360(&work);
        with_secrets(&mut command);
        let out = work.path().join(format!("{org}.plan.json"));
        let plan = expect(
            command
                .args(["plan", "--org", org, "--check", "--detailed-exitcode", "--out"])
                .arg(&out),
            2,
        );
        assert!(!plan.stdout.contains("secret-value"), "{plan:?}");
        let saved = std::fs::read_to_string(&out).expect("saved plan");
        assert!(
            !saved.contains("secret-value"),
            "a plan file holds references only:\n{saved}"
        );
        let mut command = d360(&work);
        with_secrets(&mut command);
        expect(command.args(["apply", "--org", org, "--auto-approve"]), 0);
    }
    // Staging's variable holding prod's password: staging's check fails, naming the org's answer.
    let mut command = d360(&work);
    command.env("STG_DB_PASSWORD", "prod-secret-value");
    let wrong = expect(
        command.args(["plan", "--org", "staging", "--check", "--replace", "Clinic_DB"]),
        1,
    );
    assert!(
        wrong.stdout.contains("User credentials are invalid") || wrong.stderr.contains("User credentials are invalid"),
        "{wrong:?}"
    );
    assert!(!format!("{wrong:?}").contains("secret-value"), "{wrong:?}");
}

#[test]
fn a_secret_value_never_goes_into_text_and_a_plain_one_is_no_credential() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    let config = work.read("d360.yaml").replace(
        "database: clinic_stg\n",
        "database: clinic_stg\n      db_password: { fromEnv: STG_DB_PASSWORD }\n",
    );
    work.write("d360.yaml", &config);

    work.write(
        "manifests/db.yaml",
        &DB.replace("label: Clinic DB ${org.name}", "label: ${org.db_password}"),
    );
    let refused = expect(d360(&work).args(["validate", "--org", "staging"]), 1);
    assert!(
        refused.stderr.contains("manifests/db.yaml:7:10")
            && refused.stderr.contains("`db_password` is a secret reference")
            && refused.stderr.contains("{ fromOrg: db_password }"),
        "{refused:?}"
    );

    work.write(
        "manifests/db.yaml",
        &DB.replace("password: { fromEnv: RDS_PASSWORD }", "password: { fromOrg: db_host }"),
    );
    let plain = expect(d360(&work).args(["validate", "--org", "staging"]), 1);
    assert!(
        plain.stderr.contains("spec.credentials.password.fromOrg")
            && plain.stderr.contains("`db_host` is a plain string"),
        "{plain:?}"
    );
    // Prod defines no `db_password`: the error names prod and what it has.
    work.write(
        "manifests/db.yaml",
        &DB.replace(
            "password: { fromEnv: RDS_PASSWORD }",
            "password: { fromOrg: db_password }",
        ),
    );
    let missing = expect(d360(&work).args(["validate", "--org", "prod"]), 1);
    assert!(
        missing.stderr.contains("org `prod` defines no value `db_password`"),
        "{missing:?}"
    );
    expect(d360(&work).args(["validate", "--org", "staging"]), 0);

    // d360.yaml's own secrets are not org values, and `name` stays reserved.
    work.write(
        "d360.yaml",
        &config.replace("clientId: d360-local,", "clientId: { fromOrg: x },"),
    );
    let own = expect(d360(&work).args(["org", "check", "--org", "staging"]), 1);
    assert!(
        own.stderr
            .contains("`fromOrg` names a value of the org and is for manifests"),
        "{own:?}"
    );
    work.write("d360.yaml", &config.replace("database: clinic_stg", "name: other"));
    let reserved = expect(d360(&work).args(["validate", "--org", "staging"]), 1);
    assert!(reserved.stderr.contains("`values.name` is reserved"), "{reserved:?}");
}

/// `DB` limited to the orgs listed.
fn db_for(orgs: &str) -> String {
    DB.replace("  name: Clinic_DB\n", &format!("  name: Clinic_DB\n  orgs: [{orgs}]\n"))
}

#[test]
fn a_resource_for_prod_only_is_not_created_in_staging() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", &db_for("prod"));
    work.write(
        "manifests/fleet.yaml",
        "apiVersion: d360/v1
kind: ConnectionSet
metadata: { name: fleet }
spec:
  items: { fromCsv: fleet.csv }
  template:
    metadata: { name: \"Fleet_${item.key}\" }
    spec:
      connectorType: AwsRdsMySql
      label: \"Fleet ${item.key}\"
      method: Ingress
      parameters: { jdbc_connection_url: \"jdbc:mysql://${item.key}.${org.db_host}:3306\", DATABASE: clinic }
      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }
",
    );
    work.write(
        "manifests/fleet.csv",
        "key,orgs\nboth,staging;prod\nprodonly,prod\nevery,\n",
    );

    let validated = expect(d360(&work).args(["validate", "--org", "staging"]), 0);
    assert!(
        validated
            .stdout
            .contains("2 connections, 0 data streams (2 more for other orgs only)"),
        "{validated:?}"
    );
    for org in ["staging", "prod"] {
        expect(d360(&work).args(["apply", "--org", org, "--auto-approve"]), 0);
    }
    let (in_staging, in_prod) = (recorded(&staging), recorded(&prod));
    for name in ["Fleet_both", "Fleet_every"] {
        assert!(
            in_staging.contains(name) && in_prod.contains(name),
            "{name} goes to both orgs"
        );
    }
    for name in ["Clinic_DB", "Fleet_prodonly"] {
        assert!(!in_staging.contains(name), "{name} is for prod only:\n{in_staging}");
        assert!(in_prod.contains(name), "{name} is created in prod:\n{in_prod}");
    }
}

#[test]
fn a_managed_object_deselected_for_an_org_is_not_pruned_there() {
    let log = tempfile::NamedTempFile::new().expect("log file");
    let log_path = log.path().to_str().expect("utf-8 path").to_owned();
    let staging = EmulatorProcess::start(&["--log-requests", &log_path]);
    let prod = EmulatorProcess::start(&[]);
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", DB);
    expect(d360(&work).args(["apply", "--org", "staging", "--auto-approve"]), 0);
    let created = crate::support::writes(log.path());
    assert_eq!(created.len(), 1, "{created:?}");

    // Now for prod only: staging keeps the object it manages, and does not call it undeclared.
    work.write("manifests/db.yaml", &db_for("prod"));
    let plan = expect(
        d360(&work).args(["plan", "--org", "staging", "--prune", "--detailed-exitcode"]),
        0,
    );
    assert!(!plan.stdout.contains("no longer declared"), "{plan:?}");
    let applied = expect(
        d360(&work).args(["apply", "--org", "staging", "--prune", "--auto-approve"]),
        0,
    );
    assert_eq!(
        crate::support::writes(log.path()),
        created,
        "nothing deleted: {applied:?}"
    );
    let drift = expect(d360(&work).args(["drift", "--org", "staging"]), 0);
    assert!(!drift.stdout.contains("Clinic_DB"), "{drift:?}");

    // Declared again for every org, it is still managed and in step.
    work.write("manifests/db.yaml", DB);
    expect(d360(&work).args(["plan", "--org", "staging", "--detailed-exitcode"]), 0);
}

#[test]
fn an_org_the_config_does_not_define_is_an_error_at_its_place() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", &db_for("staging, prd"));
    let refused = expect(
        d360(&work).args(["validate", "--org", "staging", "--format", "short"]),
        1,
    );
    assert!(
        refused
            .stdout
            .contains("manifests/db.yaml:5:19: error: org `prd` is not defined in d360.yaml"),
        "{refused:?}"
    );
    assert!(refused.stdout.contains("did you mean `prod`?"), "{refused:?}");

    // The built-in orgs count as defined.
    work.write("manifests/db.yaml", &db_for("local, env, prod"));
    expect(d360(&work).args(["validate", "--org", "prod"]), 0);

    // A set's `orgs` column is checked too, naming its cell.
    work.write("manifests/db.yaml", &db_for("prod"));
    work.write(
        "manifests/fleet.yaml",
        "apiVersion: d360/v1
kind: ConnectionSet
metadata: { name: fleet }
spec:
  items: { fromCsv: fleet.csv }
  template:
    metadata: { name: \"Fleet_${item.key}\" }
    spec:
      connectorType: AwsRdsMySql
      label: \"Fleet ${item.key}\"
      method: Ingress
      parameters: { jdbc_connection_url: \"jdbc:mysql://db:3306\", DATABASE: clinic }
      credentials: { user: { fromEnv: RDS_USER }, password: { fromEnv: RDS_PASSWORD } }
",
    );
    work.write("manifests/fleet.csv", "key,orgs\na,staging\nb,stagign;prod\n");
    let refused = expect(d360(&work).args(["validate", "--org", "prod", "--format", "short"]), 1);
    assert!(
        refused
            .stdout
            .contains("fleet.csv:3:2 (column `orgs`): org `stagign` is not defined in d360.yaml"),
        "{refused:?}"
    );
}

#[test]
fn a_saved_plan_of_org_values_is_checked_against_the_manifests_with_the_plans_org() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", DB);
    expect(d360(&work).args(["plan", "--org", "staging", "--out", "plan.json"]), 0);
    // The manifests are loaded again with staging's values: they match the plan.
    expect(d360(&work).args(["apply", "--org", "staging", "plan.json"]), 0);
    let written = recorded(&staging);
    assert!(written.contains("stg-db.example.internal"), "{written}");
    assert!(!recorded(&prod).contains("Clinic_DB"), "prod untouched");
    // A value changed since the plan was made: the manifests no longer match it.
    expect(d360(&work).args(["plan", "--org", "prod", "--out", "prod.json"]), 0);
    let config = std::fs::read_to_string(work.path().join("d360.yaml")).expect("config");
    work.write(
        "d360.yaml",
        &config.replace("database: clinic\n", "database: clinic_prd2\n"),
    );
    let refused = expect(d360(&work).args(["apply", "--org", "prod", "prod.json"]), 1);
    assert!(refused.stderr.contains("Clinic_DB differs"), "{refused:?}");
    assert!(!recorded(&prod).contains("Clinic_DB"), "nothing was written");
}

#[test]
fn a_missing_value_in_a_parameter_is_one_error_not_also_a_pattern_mismatch() {
    let (staging, prod) = (EmulatorProcess::start(&[]), EmulatorProcess::start(&[]));
    let work = Work::new();
    two_orgs(&work, &staging, &prod);
    work.write("manifests/db.yaml", &DB.replace("${org.database}", "${org.databse}"));
    let refused = expect(d360(&work).args(["validate", "--org", "staging"]), 1);
    assert!(
        refused
            .stderr
            .contains("${org.databse}: org `staging` defines no value `databse`"),
        "{refused:?}"
    );
    assert!(!refused.stderr.contains("does not match the pattern"), "{refused:?}");
    assert!(refused.stderr.contains("1 error and 0 warnings"), "{refused:?}");
}
