//! The plan fixture suite: `tests/fixtures/<case>/` holds `before/` (applied first), an
//! optional `outside/` (applied by a second checkout with its own state: changes made
//! outside this state), `after/` (planned) and optional `args`. The plan in text, JSON and
//! markdown is snapshotted beside the case.

use std::path::{Path, PathBuf};

use super::support::{EmulatorProcess, Work, expect, run, scrub};

const SECRET_VALUES: [&str; 3] = ["first-password", "rotated-password", "clinic_reader"];

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(case)
}

fn copy_phase(case: &Path, phase: &str, work: &Work, to: &str) -> bool {
    let from = case.join(phase);
    if !from.is_dir() {
        return false;
    }
    for entry in std::fs::read_dir(&from).expect("read fixture") {
        let entry = entry.expect("entry");
        let text = std::fs::read_to_string(entry.path()).expect("read fixture file");
        work.write(&format!("{to}/{}", entry.file_name().to_string_lossy()), &text);
    }
    true
}

fn assert_no_secrets(what: &str, text: &str) {
    for secret in SECRET_VALUES {
        assert!(
            !text.contains(secret),
            "{what} shows the secret value `{secret}`:\n{text}"
        );
    }
}

fn check_case(case: &str) {
    let dir = fixture(case);
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    if copy_phase(&dir, "before", &work, "before") {
        expect(work.d360(&emulator).args(["apply", "before", "--auto-approve"]), 0);
    }
    if dir.join("outside").is_dir() {
        let other = Work::new();
        copy_phase(&dir, "before", &other, "before");
        copy_phase(&dir, "outside", &other, "outside");
        expect(other.d360(&emulator).args(["apply", "before", "--auto-approve"]), 0);
        expect(
            other
                .d360(&emulator)
                .args(["apply", "outside", "--prune", "--auto-approve"]),
            0,
        );
    }
    copy_phase(&dir, "after", &work, "after");
    let args: Vec<String> = std::fs::read_to_string(dir.join("args"))
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut outputs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let ran = run(work
            .d360(&emulator)
            .args([
                "plan",
                "after",
                "--detailed-exitcode",
                "--format",
                format,
                "--out",
                "plan.json",
            ])
            .args(&args));
        assert!(ran.code != 101 && ran.code >= 0, "{ran:?}");
        assert_no_secrets("plan output", &ran.stdout);
        assert_no_secrets("plan messages", &ran.stderr);
        outputs.push((format, format!("exit {}\n{}", ran.code, scrub(&ran.stdout))));
    }
    if let Ok(saved) = std::fs::read_to_string(work.path().join("plan.json")) {
        assert_no_secrets("the saved plan", &saved);
    }
    insta::with_settings!({ snapshot_path => dir.clone(), prepend_module_to_snapshot => false, omit_expression => true }, {
        for (format, text) in outputs {
            insta::assert_snapshot!(format!("plan-{format}"), text);
        }
    });
}

macro_rules! cases {
    ($($name:ident => $case:literal),* $(,)?) => {
        $( #[test] fn $name() { check_case($case); } )*
    };
}

cases! {
    no_changes => "01-no-changes",
    empty_org => "02-empty-org",
    changed_label => "03-changed-label",
    changed_parameter => "04-changed-parameter",
    changed_secret => "05-changed-secret",
    connector_type_replace => "06-connector-type-replace",
    ignore_changes => "07-ignore-changes",
    prevent_destroy_replace => "08-prevent-destroy-replace",
    missing_live => "09-missing-live",
    no_longer_declared => "10-no-longer-declared",
    prune => "11-prune",
    unmanaged_live => "12-unmanaged-live",
    stream_with_new_connection => "13-stream-with-new-connection",
    targeting => "14-targeting",
}
