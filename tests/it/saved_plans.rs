//! Saved plans are checked before they run: their digest, their signature with
//! `D360_PLAN_KEY`, every resource as `validate` checks manifests, and the manifests they were
//! made from when those are here. `show` prints every request apply would send.

use std::process::Command;

use super::fleet::{write_connection, write_stream};
use super::org_snapshot::snapshot;
use super::support::{EmulatorProcess, Work, expect};

const KEY: &str = "a-long-plan-signing-key-0123456789";
const TRAILER: &str = ",\n  \"digest\": \"sha256:";

fn secrets(command: &mut Command) -> &mut Command {
    command.env("RDS_USER", "u").env("RDS_PASSWORD", "p")
}

/// A connection and a stream on it, planned and saved to `plan.json` (signed with `key`).
fn planned(emulator: &EmulatorProcess, key: Option<&str>) -> Work {
    let work = Work::new();
    write_connection(&work, "Saved_Conn", "AwsRdsMySql", "Saved", "clinic", "");
    write_stream(&work, "Saved_Stream", "Saved_Conn", "Saved stream");
    let mut plan = work.d360(emulator);
    secrets(&mut plan).args(["plan", "--out", "plan.json"]);
    if let Some(key) = key {
        plan.env("D360_PLAN_KEY", key);
    }
    let ran = expect(&mut plan, 0);
    assert!(!ran.stderr.contains(KEY) && !ran.stdout.contains(KEY), "{ran:?}");
    assert!(!work.read("plan.json").contains(KEY));
    work
}

/// What an editor without the key can do: recompute the digest of edited content (and drop
/// the signature, which needs the key).
fn reseal(text: &str) -> String {
    let at = text.rfind(TRAILER).expect("a sealed plan");
    let content = &text[..at];
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content.as_bytes());
    format!("{content}{TRAILER}{}\"\n}}\n", hex::encode(digest.as_ref()))
}

fn apply(work: &Work, emulator: &EmulatorProcess, key: Option<&str>, code: i32) -> super::support::Ran {
    let mut command = work.d360(emulator);
    secrets(&mut command).args(["apply", "plan.json"]);
    match key {
        Some(key) => command.env("D360_PLAN_KEY", key),
        None => command.env_remove("D360_PLAN_KEY"),
    };
    let ran = expect(&mut command, code);
    assert!(!ran.stderr.contains(KEY) && !ran.stdout.contains(KEY), "{ran:?}");
    ran
}

#[test]
fn an_edited_plan_is_refused_by_its_digest_and_a_resealed_one_by_validation() {
    let emulator = EmulatorProcess::start(&[]);
    let work = planned(&emulator, None);
    let saved = work.read("plan.json");
    let empty = snapshot(&emulator);

    // Another JDBC URL: the content no longer matches the digest.
    let edited = saved.replace("db.example.internal:3306", "attacker.example.com:3306");
    assert_ne!(edited, saved);
    work.write("plan.json", &edited);
    let refused = apply(&work, &emulator, None, 1);
    assert!(refused.stderr.contains("does not match its own digest"), "{refused:?}");

    // No digest at all (as an older d360 wrote plans, or cut short of its trailer).
    let at = saved.rfind(TRAILER).expect("trailer");
    work.write("plan.json", &format!("{}\n}}\n", &saved[..at]));
    let refused = apply(&work, &emulator, None, 1);
    assert!(refused.stderr.contains("has no digest"), "{refused:?}");

    // Another format: refused by its version.
    work.write(
        "plan.json",
        &saved.replacen("\"formatVersion\": 1", "\"formatVersion\": 9", 1),
    );
    let refused = apply(&work, &emulator, None, 1);
    assert!(refused.stderr.contains("has format 9"), "{refused:?}");

    // Edited and re-digested: a field name `validate` refuses, and a parameter that looks
    // like a secret, are refused as `validate` refuses them, naming the resource.
    let invalid = reseal(&saved.replace("\"full_name\"", "\"full name!\""));
    work.write("plan.json", &invalid);
    let refused = apply(&work, &emulator, None, 1);
    assert!(
        refused.stderr.contains("`d360 validate` refuses") && refused.stderr.contains("DataStream/Saved_Stream"),
        "{refused:?}"
    );
    // The same where its manifests are absent (another job): validated on its own.
    let elsewhere = Work::new();
    elsewhere.write("plan.json", &invalid);
    let refused = apply(&elsewhere, &emulator, None, 1);
    assert!(refused.stderr.contains("`d360 validate` refuses"), "{refused:?}");
    assert!(refused.stderr.contains("full name!"), "{refused:?}");
    let secret_param = reseal(&saved.replace("\"DATABASE\"", "\"db_password\""));
    work.write("plan.json", &secret_param);
    let refused = apply(&work, &emulator, None, 1);
    assert!(refused.stderr.contains("Connection/Saved_Conn"), "{refused:?}");
    assert_eq!(snapshot(&emulator), empty, "a refused plan changed the org");

    // The untouched plan applies, and the org then matches the manifests.
    work.write("plan.json", &saved);
    apply(&work, &emulator, None, 0);
    expect(secrets(work.d360(&emulator).args(["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn a_plan_is_refused_when_its_manifests_changed_and_applied_with_a_note_where_they_are_absent() {
    let emulator = EmulatorProcess::start(&[]);
    let work = planned(&emulator, None);
    write_connection(&work, "Saved_Conn", "AwsRdsMySql", "Edited since", "clinic", "");
    let refused = apply(&work, &emulator, None, 1);
    assert!(
        refused
            .stderr
            .contains("the plan does not match its manifests (Connection/Saved_Conn differs)"),
        "{refused:?}"
    );
    // A resource the plan does not write changed: still refused, said generally.
    write_connection(&work, "Saved_Conn", "AwsRdsMySql", "Saved", "clinic", "");
    write_connection(&work, "Other_Conn", "AwsRdsMySql", "Other", "clinic", "");
    let refused = apply(&work, &emulator, None, 1);
    assert!(
        refused.stderr.contains("in resources the plan does not write"),
        "{refused:?}"
    );

    // In another job (a checkout without the manifests), nothing to compare: it says so.
    let elsewhere = Work::new();
    elsewhere.write("plan.json", &work.read("plan.json"));
    let applied = apply(&elsewhere, &emulator, None, 0);
    assert!(
        applied.stderr.contains("are not here, so they were not compared"),
        "{applied:?}"
    );
    assert!(applied.stdout.contains("Apply complete: 2 created"), "{applied:?}");
}

#[test]
fn with_a_key_plans_are_signed_and_unsigned_or_wrongly_signed_ones_refused() {
    let emulator = EmulatorProcess::start(&[]);
    let signed = planned(&emulator, Some(KEY));
    let saved = signed.read("plan.json");
    assert!(saved.contains("\"signature\": \"hmac-sha256:"), "{saved}");
    let empty = snapshot(&emulator);

    // Edited and re-digested by someone without the key: the signature is gone.
    signed.write(
        "plan.json",
        &reseal(&saved.replace("db.example.internal", "attacker.example.com")),
    );
    let refused = apply(&signed, &emulator, Some(KEY), 1);
    assert!(
        refused.stderr.contains("is not signed, and D360_PLAN_KEY is set"),
        "{refused:?}"
    );
    // Signed with another key.
    signed.write("plan.json", &saved);
    let refused = apply(&signed, &emulator, Some("another-long-key-that-is-not-it"), 1);
    assert!(refused.stderr.contains("signature that does not match"), "{refused:?}");
    // An unsigned plan where the key is set.
    let unsigned = planned(&emulator, None);
    let refused = apply(&unsigned, &emulator, Some(KEY), 1);
    assert!(refused.stderr.contains("is not signed"), "{refused:?}");
    // A key too short to be one.
    let refused = apply(&signed, &emulator, Some("short"), 1);
    assert!(refused.stderr.contains("shorter than 16 bytes"), "{refused:?}");
    assert_eq!(snapshot(&emulator), empty, "a refused plan changed the org");

    // Without the key, a signed plan is applied with a note that its signature was not checked.
    let applied = apply(&signed, &emulator, None, 0);
    assert!(applied.stderr.contains("its signature was not checked"), "{applied:?}");
    // With the key, a signed plan applies (made again: the state moved on).
    write_connection(&signed, "Saved_Conn", "AwsRdsMySql", "Signed again", "clinic", "");
    let mut plan = signed.d360(&emulator);
    secrets(&mut plan)
        .args(["plan", "--out", "plan.json"])
        .env("D360_PLAN_KEY", KEY);
    expect(&mut plan, 0);
    let applied = apply(&signed, &emulator, Some(KEY), 0);
    assert!(
        applied.stdout.contains("Apply complete: 0 created, 1 updated"),
        "{applied:?}"
    );
}

#[test]
fn show_prints_every_request_apply_sends_so_an_edit_is_visible() {
    let emulator = EmulatorProcess::start(&[]);
    let work = planned(&emulator, None);
    let shown = expect(work.d360(&emulator).args(["show", "plan.json"]), 0);
    for expected in [
        "+ Connection/Saved_Conn: POST /ssot/connections",
        "jdbc:mysql://db.example.internal:3306",
        "\"value\": \"<fromEnv: RDS_PASSWORD>\"",
        "\"value\": \"<fromEnv: RDS_USER>\"",
        "+ DataStream/Saved_Stream: POST /ssot/data-streams",
        "full_name",
    ] {
        assert!(shown.stdout.contains(expected), "{expected} in {shown:?}");
    }
    assert!(
        !shown.stdout.contains("\"p\""),
        "a credential value was shown: {shown:?}"
    );

    // A field edited in `desired` with no diff line and the digest recomputed: show reveals it
    // (and that apply would not run it here, since the manifests differ).
    let edited = reseal(
        &work
            .read("plan.json")
            .replace("db.example.internal:3306", "elsewhere.example.com:3306"),
    );
    work.write("plan.json", &edited);
    let shown = expect(work.d360(&emulator).args(["show", "plan.json"]), 0);
    assert!(
        shown.stdout.contains("jdbc:mysql://elsewhere.example.com:3306"),
        "{shown:?}"
    );
    let refused = apply(&work, &emulator, None, 1);
    assert!(refused.stderr.contains("Connection/Saved_Conn differs"), "{refused:?}");
}
