//! `d360 drift`: out-of-band changes show up in every format, with the right exit code.

use super::fleet::{write_connection, write_stream};
use super::support::{EmulatorProcess, Work, expect};

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// Applies A, B, C and D from the main checkout, then a second checkout (its own state)
/// changes A's label, B's parameter, deletes C and creates a hand-made H.
pub(crate) fn drifted_org() -> (EmulatorProcess, Work) {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    for name in ["Drift_A", "Drift_B", "Drift_C"] {
        write_connection(&work, name, "AwsRdsMySql", "Original", "clinic", "");
    }
    write_connection(
        &work,
        "Drift_D",
        "AwsRdsMySql",
        "Original",
        "clinic",
        "  lifecycle: { ignoreChanges: [label] }\n",
    );
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    expect(secrets(work.d360(&emulator).args(["drift", "--format", "text"])), 0);

    let other = Work::new();
    for name in ["Drift_A", "Drift_B", "Drift_C", "Drift_D"] {
        write_connection(&other, name, "AwsRdsMySql", "Original", "clinic", "");
    }
    expect(secrets(other.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    write_connection(&other, "Drift_A", "AwsRdsMySql", "Edited by hand", "clinic", "");
    write_connection(&other, "Drift_B", "AwsRdsMySql", "Original", "clinic_moved", "");
    write_connection(
        &other,
        "Drift_D",
        "AwsRdsMySql",
        "Label changed elsewhere",
        "clinic",
        "",
    );
    std::fs::remove_file(other.path().join("manifests/Drift_C.yaml")).expect("remove");
    write_connection(&other, "Hand_Made", "AwsRdsMySql", "Made in Setup", "clinic", "");
    expect(
        secrets(other.d360(&emulator).args(["apply", "--auto-approve", "--prune"])),
        0,
    );
    (emulator, work)
}

#[test]
fn out_of_band_changes_show_in_every_format() {
    let (emulator, work) = drifted_org();

    let text = expect(secrets(work.d360(&emulator).args(["drift"])), 2);
    assert!(
        text.stdout.contains("~ Connection/Drift_A")
            && text.stdout.contains("~ label: \"Original\" → \"Edited by hand\"")
            && text.stdout.starts_with("Changed fields read declared → live"),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("~ Connection/Drift_B") && text.stdout.contains("parameters.DATABASE"),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("! Connection/Drift_C") && text.stdout.contains("deleted outside"),
        "{text:?}"
    );
    assert!(
        text.stdout.contains("* Connection/Hand_Made") && text.stdout.contains("not managed by d360"),
        "{text:?}"
    );
    assert!(
        !text.stdout.contains("Connection/Drift_D"),
        "ignoreChanges must suppress drift: {text:?}"
    );
    assert!(text.stdout.contains("Drift: 2 changed, 1 missing, 0 with unverifiable credentials, 1 unmanaged, 0 no longer declared; 1 in sync."), "{text:?}");

    let json = expect(secrets(work.d360(&emulator).args(["drift", "--format", "json"])), 2);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("drift JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/drift-report.json"))
            .expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let status = |name: &str| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| i["status"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(status("Drift_A").as_deref(), Some("changed"));
    assert_eq!(status("Drift_B").as_deref(), Some("changed"));
    assert_eq!(status("Drift_C").as_deref(), Some("missing"));
    assert_eq!(status("Hand_Made").as_deref(), Some("unmanaged"));
    assert_eq!(status("Drift_D").as_deref(), Some("inSync"));

    let markdown = expect(secrets(work.d360(&emulator).args(["drift", "--format", "markdown"])), 2);
    for name in ["Drift_A", "Drift_B", "Drift_C", "Hand_Made"] {
        assert!(
            markdown.stdout.contains(&format!("<code>Connection/{name}</code>")),
            "{markdown:?}"
        );
    }

    expect(
        secrets(
            work.d360(&emulator)
                .args(["drift", "--format", "junit", "--out", "drift.xml"]),
        ),
        2,
    );
    let xml = work.read("drift.xml");
    let document = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let cases: Vec<_> = document.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 5, "{xml}");
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .filter_map(|c| c.attribute("name"))
        .collect();
    assert_eq!(failed, vec!["Drift_A", "Drift_B", "Drift_C", "Hand_Made"], "{xml}");
}

#[test]
fn fail_on_decides_which_drift_exits_2() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Kept_A", "AwsRdsMySql", "Original", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    // Someone adds an unrelated connection by hand (here: from a checkout of their own).
    let other = Work::new();
    write_connection(&other, "By_Hand", "AwsRdsMySql", "Made in Setup", "clinic", "");
    expect(secrets(other.d360(&emulator).args(["apply", "--auto-approve"])), 0);

    let default = expect(secrets(work.d360(&emulator).args(["drift"])), 0);
    assert!(
        default.stdout.contains("* Connection/By_Hand")
            && default.stderr.contains("--fail-on lists (changed,missing,unhealthy)"),
        "{default:?}"
    );
    expect(
        secrets(
            work.d360(&emulator)
                .args(["drift", "--fail-on", "changed,missing,unmanaged"]),
        ),
        2,
    );
    expect(
        secrets(work.d360(&emulator).args(["drift", "--fail-on", "unmanaged"])),
        2,
    );

    write_connection(&work, "Kept_A", "AwsRdsMySql", "Renamed in the manifest", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["drift"])), 2);
    expect(
        secrets(work.d360(&emulator).args(["drift", "--fail-on", "unmanaged"])),
        2,
    );
    expect(secrets(work.d360(&emulator).args(["drift", "--fail-on", "missing"])), 0);
    let refused = expect(
        secrets(work.d360(&emulator).args(["drift", "--fail-on", "everything"])),
        1,
    );
    assert!(refused.stderr.contains("invalid value 'everything'"), "{refused:?}");
}

/// `drift --accept` records only state-only facts (an object matching its manifest, a managed
/// object gone from the org and from the manifests), never a changed field, and never writes
/// to the org.
#[test]
fn accept_records_adoptions_and_forgets_and_nothing_else() {
    let (emulator, work) = drifted_org();
    std::fs::remove_file(work.path().join("manifests/Drift_C.yaml")).expect("remove");
    write_stream(&work, "Drift_D_Stream", "Drift_D", "Patients");
    expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--target", "DataStream/Drift_D_Stream"]),
        ),
        0,
    );
    expect(
        work.d360(&emulator).args(["state", "rm", "DataStream/Drift_D_Stream"]),
        0,
    );

    let before = expect(secrets(work.d360(&emulator).args(["drift", "--format", "json"])), 2);
    assert!(before.stdout.contains("not yet recorded in state"), "{before:?}");

    let accepted = expect(secrets(work.d360(&emulator).args(["drift", "--accept"])), 2);
    assert!(
        accepted.stderr.contains("DataStream/Drift_D_Stream: adopted in state")
            && accepted.stderr.contains("Connection/Drift_C: forgotten in state")
            && accepted.stderr.contains("Accepted into state: 1 adopted, 1 forgotten"),
        "{accepted:?}"
    );
    assert!(
        accepted.stdout.contains("~ label: \"Original\" → \"Edited by hand\""),
        "a changed field is never accepted: {accepted:?}"
    );

    let listed = expect(work.d360(&emulator).args(["state", "list"]), 0);
    assert!(
        listed.stdout.contains("DataStream/Drift_D_Stream") && !listed.stdout.contains("Connection/Drift_C"),
        "{listed:?}"
    );
    let after = expect(secrets(work.d360(&emulator).args(["drift", "--format", "json"])), 2);
    assert!(!after.stdout.contains("not yet recorded in state"), "{after:?}");
    assert!(
        after.stdout.contains("Edited by hand"),
        "the org was not touched: {after:?}"
    );

    let again = expect(secrets(work.d360(&emulator).args(["drift", "--accept"])), 2);
    assert!(again.stderr.contains("Nothing to accept"), "{again:?}");
}
