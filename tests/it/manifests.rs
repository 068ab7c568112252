//! `validate`, `render` and `schema` through the real binary: diagnostics under snapshot,
//! examples against the schema, and mutated manifests that must never crash d360.

use std::path::Path;

use super::support::{Work, bin, expect, run};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn examples_validate() {
    let ran = expect(bin().current_dir(repo()).args(["validate", "manifests"]), 0);
    assert_eq!(
        ran.stdout.trim(),
        "valid: 3 files, 22 documents: 21 connections, 20 data streams"
    );
}

#[test]
fn checked_in_schemas_are_fresh() {
    let out = tempfile::tempdir().expect("temp dir");
    expect(bin().args(["schema", "--out"]).arg(out.path()), 0);
    for entry in std::fs::read_dir(out.path()).expect("schemas written") {
        let entry = entry.expect("entry");
        let fresh = std::fs::read_to_string(entry.path()).expect("read schema");
        let checked_in = std::fs::read_to_string(repo().join("schemas").join(entry.file_name())).unwrap_or_else(|_| {
            panic!(
                "schemas/{} is missing: run `d360 schema`",
                entry.file_name().to_string_lossy()
            )
        });
        assert_eq!(
            fresh,
            checked_in,
            "schemas/{} is stale: run `d360 schema`",
            entry.file_name().to_string_lossy()
        );
    }
    expect(bin().current_dir(repo()).args(["schema", "--check"]), 0);
}

#[test]
fn examples_match_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/d360.json")).expect("schema"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut checked = 0;
    for file in ["connections.yaml", "clinic-fleet.yaml", "data-streams.yaml"] {
        let text = std::fs::read_to_string(repo().join("manifests").join(file)).expect("example");
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: serde_json::Value = serde::Deserialize::deserialize(document).expect("YAML");
            let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{file}: {errors:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 22);
    let wrong = serde_json::json!({"apiVersion": "d360/v1", "kind": "Connection", "metadata": {"name": "X"}, "spec": {"connectorType": "AwsRdsMySql", "labl": "typo"}});
    assert!(!validator.is_valid(&wrong), "the schema must refuse unknown fields");
}

#[test]
fn example_configs_match_the_config_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/d360-config.json")).expect("schema"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut configs = Vec::new();
    let mut folders = vec![repo().join("examples")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("examples folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                folders.push(path);
            } else if name.starts_with("d360")
                && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
                && !name.contains("gitlab")
            {
                configs.push(path);
            }
        }
    }
    assert!(!configs.is_empty(), "no example d360.yaml found");
    for path in &configs {
        let value: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).expect("example config")).expect("YAML");
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    let typo = serde_json::json!({"orgs": {"prod": {"instanceUrl": "https://acme.my.salesforce.com", "promoteFrm": "staging",
        "auth": {"clientCredentials": {"clientId": "x", "clientSecret": {"fromEnv": "S"}}}}}});
    assert!(
        !validator.is_valid(&typo),
        "the config schema must refuse unknown fields"
    );
    let good = serde_json::json!({"orgs": {"prod": {"instanceUrl": "https://acme.my.salesforce.com", "promoteFrom": "staging",
        "values": {"db_host": "db.example.com"},
        "auth": {"clientCredentials": {"clientId": "x", "clientSecret": {"fromEnv": "S"}}}}}});
    let errors: Vec<String> = validator.iter_errors(&good).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// One diagnostics case: files to write, and what `validate` must say.
fn diagnose(files: &[(&str, &str)]) -> String {
    let work = Work::new();
    for (path, text) in files {
        work.write(path, text);
    }
    let ran = run(bin()
        .current_dir(work.path())
        .args(["validate", "m"])
        .env_remove("D360_TEST_UNSET"));
    assert_eq!(ran.code, 1, "{ran:?}");
    ran.stderr
}

const GOOD_CONNECTION: &str = "apiVersion: d360/v1
kind: Connection
metadata: { name: Good_One }
spec:
  connectorType: AwsRdsMySql
  label: Good
  parameters: { jdbc_connection_url: 'jdbc:mysql://h:3306', DATABASE: d }
  credentials: { user: { fromEnv: U }, password: { fromEnv: P } }
";

#[test]
fn diagnostics_name_the_place_and_the_fix() {
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("unknown_field", vec![("m/a.yaml", GOOD_CONNECTION.replace("  label: Good", "  labl: Good"))]),
        ("wrong_type", vec![("m/a.yaml", GOOD_CONNECTION.replace("label: Good", "label: [1, 2]"))]),
        ("missing_parameter", vec![("m/a.yaml", GOOD_CONNECTION.replace(", DATABASE: d", ""))]),
        ("literal_secret", vec![("m/a.yaml", GOOD_CONNECTION.replace("password: { fromEnv: P }", "password: hunter2-literal"))]),
        ("invalid_name", vec![("m/a.yaml", GOOD_CONNECTION.replace("Good_One", "9bad__name"))]),
        ("duplicate_key", vec![("m/a.yaml", GOOD_CONNECTION.replace("  label: Good\n", "  label: Good\n  label: Again\n"))]),
        ("duplicate_document", vec![("m/a.yaml", GOOD_CONNECTION.to_owned()), ("m/b.yaml", GOOD_CONNECTION.to_owned())]),
        ("unset_env", vec![("m/a.yaml", GOOD_CONNECTION.replace("label: Good", "label: \"${env:D360_TEST_UNSET}\""))]),
        ("unknown_kind", vec![("m/a.yaml", GOOD_CONNECTION.replace("kind: Connection", "kind: Conection"))]),
        ("unknown_api_version", vec![("m/a.yaml", GOOD_CONNECTION.replace("d360/v1", "d360/v9"))]),
        (
            "csv_missing",
            vec![("m/set.yaml", "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: nowhere.csv }\n  template:\n    metadata: { name: \"C_${item.key}\" }\n    spec: { connectorType: AwsRdsMySql, label: x, parameters: { jdbc_connection_url: 'jdbc:mysql://h:3306', DATABASE: d }, credentials: { user: { fromEnv: U }, password: { fromEnv: P } } }\n".to_owned())],
        ),
        (
            "csv_value_breaks_a_pattern",
            vec![
                ("m/set.yaml", "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: items.csv }\n  template:\n    metadata: { name: \"C_${item.key}\" }\n    spec: { connectorType: AwsRdsMySql, label: x, parameters: { jdbc_connection_url: \"jdbc:mysql://${item.host}:3306\", DATABASE: \"${item.database}\" }, credentials: { user: { fromEnv: U }, password: { fromEnv: P } } }\n".to_owned()),
                ("m/items.csv", "key,host,database\na,db-a.internal,clinic\nb,db b.internal,clinic\nc,db-c.internal,clinic/2\n".to_owned()),
            ],
        ),
        (
            "csv_column_missing_and_duplicates",
            vec![
                ("m/set.yaml", "apiVersion: d360/v1\nkind: ConnectionSet\nmetadata: { name: fleet }\nspec:\n  items: { fromCsv: items.csv }\n  template:\n    metadata: { name: \"C_${item.key}\" }\n    spec: { connectorType: AwsRdsMySql, label: \"${item.lable}\", parameters: { jdbc_connection_url: 'jdbc:mysql://h:3306', DATABASE: d }, credentials: { user: { fromEnv: U }, password: { fromEnv: P } } }\n".to_owned()),
                ("m/items.csv", "key,label\na,A\na,B\n".to_owned()),
            ],
        ),
    ];
    for (name, files) in cases {
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let stderr = diagnose(&files);
        assert!(
            !stderr.contains("hunter2-literal"),
            "a literal secret was echoed:\n{stderr}"
        );
        insta::assert_snapshot!(format!("diagnostics_{name}"), stderr);
    }
}

#[test]
fn a_stream_on_an_undeclared_connection_is_a_warning_offline() {
    let work = Work::new();
    work.write(
        "m/s.yaml",
        "apiVersion: d360/v1\nkind: DataStream\nmetadata: { name: S }\nspec:\n  label: S\n  connection: Nowhere\n  source: { object: patients }\n  dataLakeObject: { category: Profile, primaryKey: id, dataspace: default }\n  fields: [ { name: id, type: Text } ]\n",
    );
    let ran = expect(bin().current_dir(work.path()).args(["validate", "m"]), 0);
    insta::assert_snapshot!("warning_stream_on_undeclared_connection", ran.stderr);
}

#[test]
fn render_shows_references_not_values() {
    let ran = expect(
        bin()
            .current_dir(repo())
            .args(["render", "manifests", "--format", "json"])
            .env("NOT_USED", "x"),
        0,
    );
    let value: serde_json::Value = serde_json::from_str(&ran.stdout).expect("render JSON");
    let text = value.to_string();
    assert!(text.contains("demo-secrets/rds-password.txt"), "{text}");
    let demo_password =
        std::fs::read_to_string(repo().join("manifests/demo-secrets/rds-password.txt")).expect("demo secret");
    assert!(!text.contains(demo_password.trim()), "render printed a secret value");
}

/// Deterministic mutations of the examples: truncations, deleted and duplicated lines, and
/// characters swapped for YAML's special ones.
fn mutants() -> Vec<(String, String)> {
    let mut rng = fastrand::Rng::with_seed(360);
    let specials = [
        ":", "-", "{", "}", "[", "]", "'", "\"", "\t", "#", "&", "*", "!", "|", ">", "%", "@", "`", "${", "${item.",
        "\u{feff}", "é",
    ];
    let mut out = Vec::new();
    for file in ["connections.yaml", "clinic-fleet.yaml", "data-streams.yaml"] {
        let text = std::fs::read_to_string(repo().join("manifests").join(file)).expect("example");
        let lines: Vec<&str> = text.lines().collect();
        for _ in 0..35 {
            let cut = rng.usize(0..text.len());
            let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            out.push((file.to_owned(), text[..cut].to_owned()));
        }
        for _ in 0..35 {
            let mut copy: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            let index = rng.usize(0..copy.len());
            match rng.u8(0..3) {
                0 => {
                    copy.remove(index);
                }
                1 => copy.insert(index, copy[index].clone()),
                _ => {
                    let line = &copy[index];
                    let at = (0..=rng.usize(0..=line.len()))
                        .rev()
                        .find(|i| line.is_char_boundary(*i))
                        .unwrap_or(0);
                    let special = specials[rng.usize(0..specials.len())];
                    copy[index] = format!("{}{special}{}", &line[..at], &line[at..]);
                }
            }
            out.push((file.to_owned(), copy.join("\n")));
        }
    }
    out
}

#[test]
fn mutated_examples_never_crash_validate() {
    let mutants = mutants();
    assert!(mutants.len() >= 200);
    let work = Work::new();
    std::fs::create_dir_all(work.path().join("inventory")).expect("folder");
    std::fs::copy(
        repo().join("manifests/inventory/clinics.csv"),
        work.path().join("inventory/clinics.csv"),
    )
    .expect("csv");
    let mut count = 0;
    for (index, (file, text)) in mutants.iter().enumerate() {
        let path = work.path().join(format!("{index:03}-{file}"));
        std::fs::write(&path, text).expect("write mutant");
        let ran = run(bin().current_dir(work.path()).arg("validate").arg(&path));
        assert!(
            ran.code == 0 || ran.code == 1,
            "mutant {index} of {file} crashed: {ran:?}\n--- input\n{text}"
        );
        assert!(!ran.stderr.contains("panicked"), "mutant {index}: {ran:?}");
        std::fs::remove_file(&path).expect("remove mutant");
        count += 1;
    }
    // And the whole CSV-driven set with a damaged inventory.
    for (index, csv) in [
        "key,host\n",
        "",
        "key,host,database\nc01,h\n",
        "\u{feff}key,host,database\nc01,h,d\n",
        "key;host;database\nc01;h;d\n",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(work.path().join("inventory/clinics.csv"), csv).expect("write csv");
        std::fs::copy(
            repo().join("manifests/clinic-fleet.yaml"),
            work.path().join("fleet.yaml"),
        )
        .expect("copy");
        let ran = run(bin().current_dir(work.path()).args(["validate", "fleet.yaml"]));
        assert!(ran.code == 0 || ran.code == 1, "csv case {index}: {ran:?}");
        count += 1;
    }
    assert!(count >= 200, "only {count} mutants");
}
