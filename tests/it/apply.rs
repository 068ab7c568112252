//! `plan` and `apply` end to end: the real binary against an emulator process.

use super::fleet::{write_connection, write_fleet, write_stream};
use super::support::{EmulatorProcess, Work, expect, run};

fn with_secrets<'a>(command: &'a mut std::process::Command, password: &str) -> &'a mut std::process::Command {
    command.env("RDS_USER", "clinic_reader").env("RDS_PASSWORD", password)
}

#[test]
fn examples_apply_then_plan_shows_no_changes() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::with_examples();
    let applied = expect(work.d360(&emulator).args(["apply", "manifests", "--auto-approve"]), 0);
    assert!(
        applied
            .stdout
            .contains("Plan: 41 to create, 0 to update, 0 to replace, 0 to delete."),
        "{applied:?}"
    );
    assert!(
        applied
            .stdout
            .contains("Apply complete: 41 created, 0 updated, 0 replaced, 0 deleted, 0 failed, 0 skipped"),
        "{applied:?}"
    );
    let plan = expect(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), 0);
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
    let listed = expect(work.d360(&emulator).args(["state", "list"]), 0);
    assert_eq!(listed.stdout.lines().count(), 41, "{listed:?}");
}

#[test]
fn label_parameter_and_secret_changes_each_converge() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_A", "AwsRdsMySql", "First label", "clinic", "");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw-1"),
        0,
    );

    write_connection(&work, "Conn_A", "AwsRdsMySql", "Second label", "clinic", "");
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw-1"),
        2,
    );
    assert!(plan.stdout.contains("~ Connection/Conn_A"), "{plan:?}");
    assert!(
        plan.stdout.contains("First label") && plan.stdout.contains("Second label"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."),
        "{plan:?}"
    );
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw-1"),
        0,
    );
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw-1"),
        0,
    );

    write_connection(&work, "Conn_A", "AwsRdsMySql", "Second label", "clinic_v2", "");
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw-1"),
        2,
    );
    assert!(plan.stdout.contains("parameters.DATABASE"), "{plan:?}");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw-1"),
        0,
    );
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw-1"),
        0,
    );

    let plan = expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--detailed-exitcode"]),
            "pw-2-rotated",
        ),
        2,
    );
    assert!(plan.stdout.contains("(sensitive value changed)"), "{plan:?}");
    assert!(
        !plan.stdout.contains("pw-2-rotated") && !plan.stdout.contains("pw-1"),
        "{plan:?}"
    );
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw-2-rotated"),
        0,
    );
    expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--detailed-exitcode"]),
            "pw-2-rotated",
        ),
        0,
    );
    let state = work.read(".d360/state/env.json");
    assert!(
        !state.contains("pw-2-rotated") && !state.contains("clinic_reader"),
        "{state}"
    );
}

#[test]
fn a_connection_update_needs_its_secrets_at_plan_time() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_A", "AwsRdsMySql", "First", "clinic", "");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );
    write_connection(&work, "Conn_A", "AwsRdsMySql", "Second", "clinic", "");
    let plan = expect(
        work.d360(&emulator)
            .arg("plan")
            .env("RDS_USER", "u")
            .env_remove("RDS_PASSWORD"),
        1,
    );
    assert!(
        plan.stdout.contains("cannot update") && plan.stdout.contains("RDS_PASSWORD"),
        "{plan:?}"
    );
}

#[test]
fn connector_type_change_replaces_through_name_lock_and_flaky_delete() {
    let emulator = EmulatorProcess::start(&["--name-lock", "3", "--flaky-delete"]);
    let work = Work::new();
    write_connection(&work, "Conn_R", "AwsRdsMySql", "Replace me", "clinic", "");
    write_stream(&work, "Stream_R", "Conn_R", "Patients");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );

    write_connection(&work, "Conn_R", "Databricks", "Replace me", "clinic", "");
    // Both managed objects are replaced, each deleted first: the mass-delete guard counts them.
    let guarded = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        1,
    );
    assert!(
        guarded
            .stdout
            .contains("the plan deletes 2 of 2 managed objects (2 of them replaced: deleted, then created anew)"),
        "{guarded:?}"
    );
    let plan = expect(
        with_secrets(
            work.d360(&emulator)
                .args(["plan", "--detailed-exitcode", "--allow-mass-delete"]),
            "pw",
        ),
        2,
    );
    assert!(plan.stdout.contains("-/+ Connection/Conn_R"), "{plan:?}");
    assert!(plan.stdout.contains("-/+ DataStream/Stream_R"), "{plan:?}");
    let applied = expect(
        with_secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--allow-mass-delete"]),
            "pw",
        ),
        0,
    );
    assert!(applied.stdout.contains("2 replaced"), "{applied:?}");
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        0,
    );
}

#[test]
fn prevent_destroy_blocks_a_replace() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    let guard = "  lifecycle: { preventDestroy: true }\n";
    write_connection(&work, "Conn_P", "AwsRdsMySql", "Keep", "clinic", guard);
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );
    write_connection(&work, "Conn_P", "Databricks", "Keep", "clinic", guard);
    let plan = expect(with_secrets(work.d360(&emulator).arg("plan"), "pw"), 1);
    assert!(plan.stdout.contains("preventDestroy"), "{plan:?}");
    let before = super::org_snapshot::snapshot(&emulator);
    let applied = expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        1,
    );
    assert!(!applied.stdout.contains("Apply complete"), "{applied:?}");
    // The protected connection is still there, exactly as it was.
    let after = super::org_snapshot::snapshot(&emulator);
    assert_eq!(after, before);
    assert_eq!(after["connections"]["AwsRdsMySql"][0]["name"], "Conn_P", "{after}");
}

#[test]
fn prune_deletes_only_when_asked_and_respects_prevent_destroy() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_Keep", "AwsRdsMySql", "Keep", "clinic", "");
    write_connection(&work, "Conn_Gone", "AwsRdsMySql", "Gone", "clinic", "");
    write_connection(
        &work,
        "Conn_Guarded",
        "AwsRdsMySql",
        "Guarded",
        "clinic",
        "  lifecycle: { preventDestroy: true }\n",
    );
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );

    std::fs::remove_file(work.path().join("manifests/Conn_Gone.yaml")).expect("remove manifest");
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        0,
    );
    assert!(
        plan.stdout.contains("No longer declared") && plan.stdout.contains("Connection/Conn_Gone"),
        "{plan:?}"
    );
    let plan = expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--prune", "--detailed-exitcode"]),
            "pw",
        ),
        2,
    );
    assert!(plan.stdout.contains("- Connection/Conn_Gone"), "{plan:?}");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--prune", "--auto-approve"]), "pw"),
        0,
    );
    expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--prune", "--detailed-exitcode"]),
            "pw",
        ),
        0,
    );

    // preventDestroy outlives the manifest: the prune plan keeps the object, and says so.
    std::fs::remove_file(work.path().join("manifests/Conn_Guarded.yaml")).expect("remove manifest");
    let plan = expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--prune", "--detailed-exitcode"]),
            "pw",
        ),
        0,
    );
    assert!(
        plan.stdout.contains("Connection/Conn_Guarded") && plan.stdout.contains("protected, will not be deleted"),
        "{plan:?}"
    );
    assert!(
        !plan.stdout.contains("will be deleted") && !plan.stdout.contains("error"),
        "{plan:?}"
    );
}

#[test]
fn a_prune_from_an_empty_folder_is_refused_and_changes_nothing() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    for name in ["Conn_E1", "Conn_E2", "Conn_E3", "Conn_E4"] {
        write_connection(&work, name, "AwsRdsMySql", "Kept", "clinic", "");
    }
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );
    std::fs::create_dir_all(work.path().join("empty")).expect("an empty folder");
    let before = super::org_snapshot::snapshot(&emulator);

    for command in [
        vec!["plan", "--prune", "empty"],
        vec!["apply", "--prune", "--auto-approve", "empty"],
        vec!["drift", "empty"],
    ] {
        let refused = expect(with_secrets(work.d360(&emulator).args(&command), "pw"), 1);
        assert!(
            refused
                .stderr
                .contains("no resource is declared in `empty` (0 manifest files read)")
                && refused.stderr.contains("--allow-empty"),
            "{command:?}: {refused:?}"
        );
    }
    // Allowed empty, the prune is a mass deletion: still refused, and the plan says why.
    let refused = expect(
        with_secrets(
            work.d360(&emulator)
                .args(["apply", "--prune", "--auto-approve", "--allow-empty", "empty"]),
            "pw",
        ),
        1,
    );
    assert!(
        refused.stdout.contains("the plan deletes 4 of 4 managed objects")
            && refused.stdout.contains("--allow-mass-delete"),
        "{refused:?}"
    );
    // Dropping one manifest is within the default quarter.
    std::fs::remove_file(work.path().join("manifests/Conn_E4.yaml")).expect("remove manifest");
    expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--prune", "--detailed-exitcode"]),
            "pw",
        ),
        2,
    );
    assert_eq!(
        super::org_snapshot::snapshot(&emulator),
        before,
        "a refused plan changes nothing"
    );

    expect(
        with_secrets(
            work.d360(&emulator).args([
                "apply",
                "--prune",
                "--auto-approve",
                "--allow-empty",
                "--allow-mass-delete",
                "empty",
            ]),
            "pw",
        ),
        0,
    );
    let after = super::org_snapshot::snapshot(&emulator);
    assert_eq!(after["connections"]["AwsRdsMySql"], serde_json::json!([]), "{after}");
}

#[test]
fn a_saved_plan_is_refused_after_an_out_of_band_change() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_S", "AwsRdsMySql", "Original", "clinic", "");
    expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );
    write_connection(&work, "Conn_S", "AwsRdsMySql", "Planned", "clinic", "");
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--out", "plan.json"]), "pw"),
        0,
    );
    let saved = work.read("plan.json");
    assert!(!saved.contains("\"pw\"") && saved.contains("RDS_PASSWORD"), "{saved}");

    // Someone else changes the object (another checkout with its own state).
    let other = Work::new();
    write_connection(&other, "Conn_S", "AwsRdsMySql", "Changed by someone else", "clinic", "");
    expect(
        with_secrets(other.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        0,
    );

    let refused = expect(with_secrets(work.d360(&emulator).args(["apply", "plan.json"]), "pw"), 1);
    assert!(
        refused.stderr.contains("Connection/Conn_S changed") && refused.stderr.contains("stale"),
        "{refused:?}"
    );
}

#[test]
fn a_saved_plan_applies_without_asking() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_T", "AwsRdsMySql", "Saved", "clinic", "");
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--out", "plan.json"]), "pw"),
        0,
    );
    expect(with_secrets(work.d360(&emulator).args(["apply", "plan.json"]), "pw"), 0);
    expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        0,
    );
    // Applied once: the state moved on, so the same plan is now refused.
    let again = expect(with_secrets(work.d360(&emulator).args(["apply", "plan.json"]), "pw"), 1);
    assert!(again.stderr.contains("state changed since the plan"), "{again:?}");
}

#[test]
fn apply_without_a_terminal_or_auto_approve_is_an_error() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Conn_Q", "AwsRdsMySql", "Q", "clinic", "");
    let refused = expect(with_secrets(work.d360(&emulator).arg("apply"), "pw"), 1);
    assert!(refused.stderr.contains("--auto-approve"), "{refused:?}");
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        2,
    );
    assert!(plan.stdout.contains("+ Connection/Conn_Q"), "{plan:?}");
}

#[test]
fn a_failed_create_leaves_the_others_done_and_state_true() {
    let emulator = EmulatorProcess::start(&["--max-connections", "3"]);
    let work = Work::new();
    write_fleet(&work, 5, "Fleet");
    let applied = expect(
        with_secrets(work.d360(&emulator).args(["apply", "--auto-approve"]), "pw"),
        1,
    );
    assert!(
        applied.stdout.contains("3 created") && applied.stdout.contains("2 failed"),
        "{applied:?}"
    );
    // The recap at the end names each failure once, with its reason, and the next command.
    let recap = applied
        .stderr
        .split("2 of 5 actions did not finish:")
        .nth(1)
        .unwrap_or_else(|| panic!("no recap: {applied:?}"));
    assert_eq!(recap.matches("\n  Connection/Fleet_").count(), 2, "{applied:?}");
    assert!(recap.contains(": failed: "), "{applied:?}");
    assert!(
        recap.contains("Next: fix the failures above and run `d360 apply` again"),
        "{applied:?}"
    );
    let listed = expect(work.d360(&emulator).args(["state", "list"]), 0);
    assert_eq!(listed.stdout.lines().count(), 3, "{listed:?}");
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"]), "pw"),
        2,
    );
    assert!(plan.stdout.contains("Plan: 2 to create"), "{plan:?}");
}

#[test]
fn a_second_apply_fails_naming_the_lock_holder() {
    let emulator = EmulatorProcess::start(&["--latency", "300"]);
    let work = Work::new();
    write_fleet(&work, 20, "Fleet");
    let mut first = with_secrets(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--parallelism", "1"]),
        "pw",
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("start the first apply");
    let lock = work.path().join(".d360/state/env.json.lock");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |text| !text.contains("pid")) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the first apply never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = run(with_secrets(
        work.d360(&emulator).args(["apply", "--auto-approve"]),
        "pw",
    ));
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.code, 1, "{second:?}");
    assert!(second.stderr.contains("locked by `d360 apply` (pid"), "{second:?}");
}

#[test]
fn selection_accepts_bare_names_excludes_and_refuses_what_matches_nothing() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    for name in ["Sel_A", "Sel_B", "Sel_C"] {
        write_connection(&work, name, "AwsRdsMySql", "Selected", "clinic", "");
    }
    let plan = expect(
        with_secrets(work.d360(&emulator).args(["plan", "--target", "Sel_B"]), "pw"),
        0,
    );
    assert!(
        plan.stdout.contains("+ Connection/Sel_B") && !plan.stdout.contains("Sel_A"),
        "{plan:?}"
    );
    let plan = expect(
        with_secrets(
            work.d360(&emulator).args(["plan", "--exclude", "Connection/Sel_B"]),
            "pw",
        ),
        0,
    );
    assert!(
        plan.stdout.contains("+ Connection/Sel_A") && !plan.stdout.contains("Sel_B"),
        "{plan:?}"
    );
    for (flag, value, message) in [
        (
            "--selector",
            "team=nobody",
            "--selector `team=nobody` matches no declared resource",
        ),
        (
            "--target",
            "Nobody",
            "--target `Nobody` matches no declared or managed resource",
        ),
        (
            "--exclude",
            "Nobody",
            "--exclude `Nobody` matches no declared or managed resource",
        ),
    ] {
        let refused = expect(
            with_secrets(
                work.d360(&emulator).args(["apply", "--auto-approve", flag, value]),
                "pw",
            ),
            1,
        );
        assert!(refused.stdout.contains(message), "{refused:?}");
    }
    let empty = super::org_snapshot::snapshot(&emulator);
    assert_eq!(
        empty["connections"]["AwsRdsMySql"],
        serde_json::json!([]),
        "nothing applied"
    );
}

#[test]
fn compact_plans_show_one_line_per_resource_and_json_is_unchanged() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_fleet(&work, 4, "Compact");
    let full = expect(with_secrets(work.d360(&emulator).args(["plan"]), "pw"), 0);
    let compact = expect(with_secrets(work.d360(&emulator).args(["plan", "--compact"]), "pw"), 0);
    let resource_lines: Vec<&str> = compact.stdout.lines().filter(|l| l.starts_with("+ ")).collect();
    assert_eq!(resource_lines.len(), 4, "{compact:?}");
    assert!(
        resource_lines
            .iter()
            .all(|l| l.contains("will be created (") && l.ends_with(" fields)")),
        "{compact:?}"
    );
    assert!(
        compact.stdout.lines().count() < full.stdout.lines().count() / 2,
        "{compact:?}\n{full:?}"
    );
    assert!(compact.stdout.contains("Plan: 4 to create"), "{compact:?}");
    let json = |extra: &[&str]| {
        let ran = expect(
            with_secrets(
                work.d360(&emulator).args(["plan", "--format", "json"]).args(extra),
                "pw",
            ),
            0,
        );
        let mut plan: serde_json::Value = serde_json::from_str(&ran.stdout).expect("plan JSON");
        plan["createdAt"] = serde_json::Value::Null;
        plan["api"] = serde_json::Value::Null;
        plan["stateLineage"] = serde_json::Value::Null;
        plan
    };
    assert_eq!(json(&["--compact"]), json(&[]));
    let applied = expect(
        with_secrets(
            work.d360(&emulator).args(["apply", "--auto-approve", "--compact"]),
            "pw",
        ),
        0,
    );
    assert!(
        applied.stdout.lines().filter(|l| l.starts_with("+ ")).count() == 4
            && applied
                .stderr
                .contains("Next: `d360 plan` should now report no changes"),
        "{applied:?}"
    );
}
