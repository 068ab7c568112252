//! The small commands: `completions`, `man`, `show`, `init`, `fmt`, `validate --format short`.

use super::fleet::write_connection;
use super::support::{EmulatorProcess, Work, bin, expect};

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

#[test]
fn completions_and_man_pages_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = expect(bin().args(["completions", shell]), 0);
        assert!(
            script.stdout.contains("drift") && script.stdout.contains("--prune"),
            "{shell}: {script:?}"
        );
    }
    expect(bin().args(["completions", "tcsh"]), 1);
    let page = expect(bin().arg("man"), 0);
    assert!(
        page.stdout.starts_with(".ie") && page.stdout.contains(".TH d360 1"),
        "{page:?}"
    );
    let work = Work::new();
    expect(bin().current_dir(work.path()).args(["man", "--out", "man"]), 0);
    for page in ["d360.1", "d360-plan.1", "d360-drift.1", "d360-state.1"] {
        assert!(work.path().join("man").join(page).is_file(), "{page}");
    }
}

#[test]
fn show_prints_a_saved_plan_and_warns_when_state_moved_on() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Show_A", "AwsRdsMySql", "A", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["plan", "--out", "plan.json"])), 0);
    let shown = expect(work.d360(&emulator).args(["show", "plan.json"]), 0);
    assert!(
        shown.stdout.contains("+ Connection/Show_A will be created"),
        "{shown:?}"
    );
    assert!(!shown.stderr.contains("stale"), "{shown:?}");
    let json = expect(work.d360(&emulator).args(["show", "plan.json", "--format", "json"]), 0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    assert_eq!(plan["summary"]["create"], 1);
    let markdown = expect(
        work.d360(&emulator).args(["show", "plan.json", "--format", "markdown"]),
        0,
    );
    assert!(markdown.stdout.starts_with("### d360 plan for `env`"), "{markdown:?}");

    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let stale = expect(work.d360(&emulator).args(["show", "plan.json"]), 0);
    assert!(stale.stderr.contains("warning: the plan may be stale"), "{stale:?}");
    let other = expect(work.d360(&emulator).args(["show", "plan.json", "--org", "local"]), 0);
    assert!(other.stderr.contains("made for org `env`"), "{other:?}");
    expect(work.d360(&emulator).args(["show", "missing.json"]), 1);
}

#[test]
fn init_writes_a_starter_that_validates_and_never_overwrites() {
    let work = Work::new();
    let ran = expect(bin().current_dir(work.path()).arg("init"), 0);
    assert!(ran.stderr.contains("wrote ./d360.yaml"), "{ran:?}");
    assert!(work.read(".gitignore").contains(".d360/"));
    let valid = expect(bin().current_dir(work.path()).arg("validate"), 0);
    assert!(valid.stdout.contains("valid:"), "{valid:?}");
    work.write("d360.yaml", "orgs: {}\n# mine\n");
    // Safe to re-run: exit 0, nothing overwritten, and it says what it kept.
    let again = expect(bin().current_dir(work.path()).arg("init"), 0);
    assert!(again.stderr.contains("kept ./d360.yaml (it exists)"), "{again:?}");
    assert!(
        again
            .stderr
            .contains("already holds a d360 project: nothing overwritten"),
        "{again:?}"
    );
    assert_eq!(work.read("d360.yaml"), "orgs: {}\n# mine\n");
    assert_eq!(work.read(".gitignore").matches(".d360/").count(), 1);
    assert_eq!(work.read(".gitignore").matches("\nkeys/\n").count(), 1);
    let planned = expect(
        secrets(bin().current_dir(work.path()).args(["plan", "--org", "local"])),
        0,
    );
    assert!(planned.stdout.contains("+ Connection/Example_RDS_MySQL"), "{planned:?}");
}

#[test]
fn validate_short_prints_one_line_per_problem() {
    let work = Work::new();
    work.write(
        "manifests/bad.yaml",
        "apiVersion: d360/v1\nkind: Connection\nmetadata:\n  name: x y\nspec:\n  connectorType: AwsRdsMySql\n  label: L\n  labl: 3\n",
    );
    let ran = expect(
        bin().current_dir(work.path()).args(["validate", "--format", "short"]),
        1,
    );
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{ran:?}");
    assert!(lines[0].starts_with("manifests/bad.yaml:4:9: error: "), "{ran:?}");
    assert!(
        lines[1].starts_with("manifests/bad.yaml:8:3: error: unknown field `labl`"),
        "{ran:?}"
    );
    let matcher = regex::Regex::new(r"^[^:]+:\d+:\d+: (error|warning): .+$").expect("regex");
    assert!(lines.iter().all(|l| matcher.is_match(l)), "{ran:?}");
}

#[test]
fn state_mv_rekeys_a_record_and_refuses_clashes() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Mv_A", "AwsRdsMySql", "A", "clinic", "");
    write_connection(&work, "Mv_B", "AwsRdsMySql", "B", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let before = expect(
        work.d360(&emulator).args(["state", "show", "Mv_A", "--format", "json"]),
        0,
    );
    let before: serde_json::Value = serde_json::from_str(&before.stdout).expect("JSON");

    let clash = expect(work.d360(&emulator).args(["state", "mv", "Mv_A", "Mv_B"]), 1);
    assert!(
        clash.stderr.contains("Connection/Mv_B is already in state"),
        "{clash:?}"
    );
    let kind = expect(work.d360(&emulator).args(["state", "mv", "Mv_A", "DataStream/Mv_C"]), 1);
    assert!(kind.stderr.contains("keeps its kind"), "{kind:?}");
    expect(work.d360(&emulator).args(["state", "mv", "Nobody", "Mv_C"]), 1);

    let moved = expect(work.d360(&emulator).args(["state", "mv", "Connection/Mv_A", "Mv_C"]), 0);
    assert!(
        moved.stderr.contains("Moved Connection/Mv_A to Connection/Mv_C"),
        "{moved:?}"
    );
    let after = expect(
        work.d360(&emulator).args(["state", "show", "Mv_C", "--format", "json"]),
        0,
    );
    let after: serde_json::Value = serde_json::from_str(&after.stdout).expect("JSON");
    assert_eq!(after["id"], before["id"]);
    assert!(after.to_string().contains("Mv_C"), "{after}");
    let listed = expect(work.d360(&emulator).args(["state", "list", "--format", "json"]), 0);
    assert!(listed.stdout.lines().count() > 3, "pretty JSON: {listed:?}");
    expect(work.d360(&emulator).args(["state", "show", "Mv_A"]), 1);
}

#[test]
fn destroy_deletes_managed_objects_with_the_prune_guards() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    for name in ["Gone_A", "Gone_B", "Gone_C"] {
        write_connection(&work, name, "AwsRdsMySql", "D", "clinic", "");
    }
    write_connection(
        &work,
        "Kept_P",
        "AwsRdsMySql",
        "P",
        "clinic",
        "  lifecycle: { preventDestroy: true }\n",
    );
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let other = Work::new();
    write_connection(&other, "Not_Mine", "AwsRdsMySql", "N", "clinic", "");
    expect(secrets(other.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let names = |emulator: &EmulatorProcess| -> Vec<String> {
        let org = super::org_snapshot::snapshot(emulator);
        let mut names: Vec<String> = org["connections"]["AwsRdsMySql"]
            .as_array()
            .expect("connections")
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    };

    expect(work.d360(&emulator).args(["destroy"]), 1);
    let one = expect(
        work.d360(&emulator)
            .args(["destroy", "--target", "Gone_A", "--auto-approve"]),
        0,
    );
    assert!(one.stdout.contains("- Connection/Gone_A"), "{one:?}");
    assert_eq!(names(&emulator), ["Gone_B", "Gone_C", "Kept_P", "Not_Mine"]);

    let refused = expect(work.d360(&emulator).args(["destroy", "--auto-approve"]), 1);
    assert!(
        refused.stdout.contains("the plan deletes 2 of 3 managed objects"),
        "{refused:?}"
    );
    assert_eq!(names(&emulator), ["Gone_B", "Gone_C", "Kept_P", "Not_Mine"]);

    // Its JSON events are apply's, each naming the org.
    let json = expect(
        work.d360(&emulator)
            .args(["destroy", "--target", "Gone_B", "--auto-approve", "--format", "json"]),
        0,
    );
    let events: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON event: {line}: {e}")))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|event| event["event"].as_str()).collect();
    assert_eq!(kinds, ["plan", "started", "finished", "summary"], "{json:?}");
    assert!(events.iter().all(|event| event["org"] == "env"), "{json:?}");
    assert_eq!(events[2]["resource"], "Connection/Gone_B", "{json:?}");
    assert_eq!(names(&emulator), ["Gone_C", "Kept_P", "Not_Mine"]);

    let all = expect(
        work.d360(&emulator)
            .args(["destroy", "--auto-approve", "--allow-mass-delete"]),
        0,
    );
    assert!(
        all.stdout.contains("Connection/Kept_P") && all.stdout.contains("protected, will not be deleted"),
        "{all:?}"
    );
    assert_eq!(names(&emulator), ["Kept_P", "Not_Mine"]);
}

#[test]
fn replace_recreates_an_unchanged_resource() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Rep_A", "AwsRdsMySql", "A", "clinic", "");
    write_connection(&work, "Rep_B", "AwsRdsMySql", "B", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    let id = |work: &Work| {
        let shown = expect(
            work.d360(&emulator)
                .args(["state", "show", "Rep_A", "--format", "json"]),
            0,
        );
        let view: serde_json::Value = serde_json::from_str(&shown.stdout).expect("JSON");
        view["id"].as_str().expect("an id").to_owned()
    };
    let before = id(&work);
    let plan = expect(
        secrets(
            work.d360(&emulator)
                .args(["plan", "--replace", "Rep_A", "--detailed-exitcode"]),
        ),
        2,
    );
    assert!(
        plan.stdout.contains("-/+ Connection/Rep_A")
            && plan.stdout.contains("--replace asks for it")
            && !plan.stdout.contains("Rep_B"),
        "{plan:?}"
    );
    expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--replace", "Connection/Rep_A"]),
        ),
        0,
    );
    assert_ne!(id(&work), before, "a new record");
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
    let refused = expect(secrets(work.d360(&emulator).args(["plan", "--replace", "Nope"])), 1);
    assert!(
        refused
            .stdout
            .contains("--replace `Nope` matches no declared or managed resource"),
        "{refused:?}"
    );
}

#[test]
fn fmt_rewrites_manifests_in_one_layout_and_check_fails_until_then() {
    let work = Work::new();
    let messy = "# Clinics in the north\nspec:\n    connectorType: AwsRdsMySql   # MySQL on RDS\n    label: \"Clinic n1\"\n    parameters:\n        DATABASE: clinic\n        jdbc_connection_url: jdbc:mysql://n1.db.example.com:3306\n    credentials:\n        user: {fromEnv: RDS_USER}\n        password: { fromEnv: RDS_PASSWORD }\nmetadata:\n    name: AWS_RDS_n1\n    labels: {team: north}\nkind: Connection\napiVersion: d360/v1\n";
    work.write("manifests/north.yaml", messy);
    work.write("manifests/anchored.yaml", "x: &a 1\ny: *a\n");
    let rendered = |work: &Work| {
        expect(
            bin()
                .current_dir(work.path())
                .args(["render", "manifests/north.yaml", "--format", "json"]),
            0,
        )
        .stdout
    };
    let before = rendered(&work);

    let check = expect(bin().current_dir(work.path()).args(["fmt", "--check", "--diff"]), 1);
    assert!(
        check.stderr.contains("not formatted: manifests/north.yaml")
            && check
                .stderr
                .contains("manifests/anchored.yaml: uses anchors, aliases or tags")
            && check.stdout.contains("+apiVersion: d360/v1"),
        "{check:?}"
    );
    assert_eq!(work.read("manifests/north.yaml"), messy, "--check writes nothing");

    std::fs::remove_file(work.path().join("manifests/anchored.yaml")).expect("remove");
    let formatted = expect(bin().current_dir(work.path()).arg("fmt"), 0);
    assert!(
        formatted.stderr.contains("formatted manifests/north.yaml"),
        "{formatted:?}"
    );
    let text = work.read("manifests/north.yaml");
    assert!(
        text.starts_with(
            "# Clinics in the north\napiVersion: d360/v1\nkind: Connection\nmetadata:\n  name: AWS_RDS_n1\n"
        ) && text.contains("  connectorType: AwsRdsMySql # MySQL on RDS\n")
            && text.contains("    user: { fromEnv: RDS_USER }\n"),
        "{text}"
    );
    assert_eq!(rendered(&work), before, "the same resources after formatting");
    let clean = expect(bin().current_dir(work.path()).args(["fmt", "--check"]), 0);
    assert!(clean.stderr.contains("1 file read, 0 need formatting."), "{clean:?}");
}

#[test]
fn the_example_manifests_are_formatted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let ran = expect(bin().current_dir(root).args(["fmt", "--check", "manifests"]), 0);
    assert!(ran.stderr.contains("0 need formatting"), "{ran:?}");
}

#[test]
fn plan_and_drift_write_nothing_to_state() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Read_Only", "AwsRdsMySql", "Read only", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 2);
    expect(secrets(work.d360(&emulator).arg("drift")), 2);
    assert!(
        !work.path().join(".d360/state").exists(),
        "a read-only command made {:?}",
        std::fs::read_dir(work.path().join(".d360/state")).map(Iterator::count)
    );
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    assert!(work.path().join(".d360/state/env.json.key").is_file());
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
}
