//! An org that answers with less than the emulator: every field the published spec does not
//! require may be missing from an answer. Such a field is unknown, never a default: the plan
//! stays empty and says what it could not compare, apply sends no write, drift calls it
//! `unverifiable`. Each case applies the example manifests, then restarts the emulator over
//! the same objects with `--omit-field` and checks plan, apply and drift.

use crate::support::{EmulatorProcess, Work, expect, writes};

/// Applies the examples, then plans, applies and checks drift with `omit` left out of every
/// answer. `declared`: whether the manifests declare a value at that path (then the plan
/// must say it was not compared).
#[track_caller]
fn check_omitted(omit: &[&str], declared: bool) {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&[]);
    expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);

    let log = work.path().join("requests.jsonl");
    let mut flags = vec!["--log-requests", log.to_str().expect("utf-8 path")];
    for field in omit {
        flags.extend(["--omit-field", field]);
    }
    let emulator = emulator.restart(&flags);
    let plan = expect(
        work.d360(&emulator)
            .args(["plan", "manifests", "--detailed-exitcode", "--format", "json"]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(json["summary"]["update"], 0, "{omit:?}: {}", plan.stdout);
    assert_eq!(json["summary"]["replace"], 0, "{omit:?}");
    assert_eq!(json["summary"]["create"], 0, "{omit:?}");
    assert_eq!(json["summary"]["delete"], 0, "{omit:?}");
    if declared {
        let not_compared = json["notCompared"].as_array().map_or(0, Vec::len);
        assert!(not_compared > 0, "{omit:?}: no notCompared entry: {}", plan.stdout);
        let text = expect(work.d360(&emulator).args(["plan", "manifests"]), 0);
        assert!(
            text.stdout.contains("not reported by the org: not compared"),
            "{omit:?}: {}",
            text.stdout
        );
        let markdown = expect(
            work.d360(&emulator).args(["plan", "manifests", "--format", "markdown"]),
            0,
        );
        assert!(
            markdown.stdout.contains("not reported by the org: not compared"),
            "{omit:?}"
        );
    }
    let apply = expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    assert_eq!(writes(&log), Vec::<String>::new(), "{omit:?} wrote: {apply:?}");
    let drift = expect(work.d360(&emulator).args(["drift", "manifests", "--format", "json"]), 0);
    let report: serde_json::Value = serde_json::from_str(&drift.stdout).expect("drift JSON");
    assert_eq!(report["summary"]["changed"], 0, "{omit:?}: {}", drift.stdout);
    assert_eq!(report["summary"]["missing"], 0, "{omit:?}");
    if declared {
        assert!(
            report["summary"]["unverifiable"].as_u64().unwrap_or(0) > 0,
            "{omit:?}: {}",
            drift.stdout
        );
    }
}

#[test]
fn connection_answers_without_optional_fields_change_nothing() {
    for field in ["params", "label", "method", "name", "id"] {
        check_omitted(
            &[&format!("connection:{field}")],
            matches!(field, "params" | "label" | "method"),
        );
    }
}

#[test]
fn data_stream_answers_without_optional_fields_change_nothing() {
    for field in [
        "connectorInfo",
        "advancedAttributes",
        "advancedAttributes.object",
        "label",
        "name",
        "id",
        "refreshConfig",
        "refreshConfig.frequency",
        "refreshConfig.refreshMode",
        "refreshConfig.frequency.hours",
        "dataLakeObjectInfo",
        "dataLakeObjectInfo.name",
        "dataLakeObjectInfo.label",
        "dataLakeObjectInfo.category",
        "dataLakeObjectInfo.dataSpaceInfo",
        "dataLakeObjectInfo.recordModifiedFieldName",
        "dataLakeObjectInfo.dataLakeFieldInfoRepresentation",
    ] {
        let declared = !matches!(field, "name" | "id");
        check_omitted(&[&format!("data-stream:{field}")], declared);
    }
    // No field list at all: neither the source fields nor the DLO's.
    check_omitted(
        &[
            "data-stream:sourceFields",
            "data-stream:dataLakeObjectInfo.dataLakeFieldInfoRepresentation",
        ],
        true,
    );
}

#[test]
fn an_answer_without_a_field_is_read_again_by_id() {
    let work = Work::with_examples();
    let emulator = EmulatorProcess::start(&[]);
    expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    let log = work.path().join("requests.jsonl");
    // The org leaves `params` out of its listing: each connection is read again by id (one
    // GET each) before d360 settles for "not compared".
    let emulator = emulator.restart(&[
        "--log-requests",
        log.to_str().expect("utf-8 path"),
        "--omit-field",
        "connection:params",
    ]);
    let plan = expect(work.d360(&emulator).args(["plan", "manifests", "--format", "json"]), 0);
    let reads_by_id = std::fs::read_to_string(&log)
        .expect("request log")
        .lines()
        .filter(|line| line.contains("\"GET\"") && line.contains("/ssot/connections/"))
        .count();
    assert_eq!(reads_by_id, 21, "one read by id per connection: {}", plan.stdout);
}
