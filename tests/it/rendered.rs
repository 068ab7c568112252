//! Rendered output that users and pipelines read, as snapshots: the apply summary (text and
//! JSON events) and the drift report in every format, including credentials that cannot be
//! compared. Ports, ids, times and durations are scrubbed (`support::scrub`).

use super::drift::drifted_org;
use super::fleet::{write_connection, write_stream};
use super::support::{EmulatorProcess, Ran, Work, expect, scrub};

fn secrets(command: &mut std::process::Command) -> &mut std::process::Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// `scrub`, and what depends on timing in an apply's summary: elapsed time and how many
/// requests were in flight at the peak.
fn scrub_timing(text: &str) -> String {
    let rules = [
        (r#""elapsedSeconds":[0-9.e-]+"#, r#""elapsedSeconds":"[SECONDS]""#),
        (r#""peak":\d+"#, r#""peak":"[PEAK]""#),
        (r"up to \d+ requests? in flight", "up to [PEAK] requests in flight"),
    ];
    let mut text = scrub(text);
    for (pattern, replacement) in rules {
        let regex = regex::Regex::new(pattern).expect("valid regex");
        text = regex.replace_all(&text, replacement).into_owned();
    }
    text
}

/// Exit code, stdout and stderr of one run, scrubbed.
fn shown(ran: &Ran) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        ran.code,
        scrub_timing(&ran.stdout),
        scrub_timing(&ran.stderr)
    )
}

#[test]
fn drift_report_in_every_format() {
    let (emulator, work) = drifted_org();
    for format in ["text", "json", "markdown", "junit"] {
        let ran = expect(secrets(work.d360(&emulator).args(["drift", "--format", format])), 2);
        insta::assert_snapshot!(format!("drift_{format}"), shown(&ran));
    }
}

/// A credential whose reference cannot be read, on an object whose other fields match: the
/// plan warns "not compared" and drift reports the credentials as unverifiable.
#[test]
fn drift_reports_credentials_it_cannot_compare() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Secret_A", "AwsRdsMySql", "Original", "clinic", "");
    write_connection(&work, "Secret_B", "AwsRdsMySql", "Original", "clinic", "");
    expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    // Unverifiable credentials fail only when `--fail-on` lists them.
    for (format, fail_on, code) in [("text", "changed", 0), ("json", "secret-unverified", 2)] {
        let ran = expect(
            work.d360(&emulator)
                .env("RDS_USER", "u")
                .env_remove("RDS_PASSWORD")
                .args(["drift", "--format", format, "--fail-on", fail_on]),
            code,
        );
        insta::assert_snapshot!(format!("drift_secret_not_compared_{format}"), shown(&ran));
    }
    let plan = expect(
        work.d360(&emulator)
            .env("RDS_USER", "u")
            .env_remove("RDS_PASSWORD")
            .args(["plan"]),
        0,
    );
    insta::assert_snapshot!("plan_secret_not_compared", shown(&plan));
}

/// A first apply, then an update: the text summary and the JSON events (one step at a time,
/// so their order is fixed).
#[test]
fn apply_summary_as_text_and_json() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Shown_A", "AwsRdsMySql", "Original", "clinic", "");
    write_stream(&work, "Shown_Stream", "Shown_A", "Patients");
    let created = expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--parallelism", "1"]),
        ),
        0,
    );
    insta::assert_snapshot!("apply_text", shown(&created));

    write_connection(&work, "Shown_A", "AwsRdsMySql", "Renamed", "clinic", "");
    let updated = expect(
        secrets(
            work.d360(&emulator)
                .args(["apply", "--auto-approve", "--parallelism", "1", "--format", "json"]),
        ),
        0,
    );
    insta::assert_snapshot!("apply_json", shown(&updated));

    let again = expect(secrets(work.d360(&emulator).args(["apply", "--auto-approve"])), 0);
    insta::assert_snapshot!("apply_no_changes", shown(&again));
}
