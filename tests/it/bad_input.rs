//! Bad input never crashes d360 and never changes the org: mutated `d360.yaml` files, saved
//! plan files and state files (seeded mutations, run through the real binary).

use serde_json::Value;

use super::fleet::write_connection;
use super::org_snapshot;
use super::support::{EmulatorProcess, Work, expect, run};

/// Seeded mutations of `text`: truncations, deleted bytes, flipped characters, inserted
/// punctuation.
fn mutants(text: &str, count: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let specials = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "null", "-1", "1e999", "\u{0}", "é", "\n",
    ];
    (0..count)
        .map(|_| {
            let at = rng.usize(0..text.len().max(1));
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (at + rng.usize(1..8)).min(text.len());
            let end = (end..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            match rng.u8(0..3) {
                0 => text[..at].to_owned(),
                1 => format!("{}{}", &text[..at], &text[end..]),
                _ => format!(
                    "{}{}{}",
                    &text[..at],
                    specials[rng.usize(0..specials.len())],
                    &text[at..]
                ),
            }
        })
        .collect()
}

#[test]
fn mutated_config_files_fail_cleanly() {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/d360.yaml"))
        .expect("example");
    let work = Work::new();
    for (index, mutant) in mutants(&text, 60, 1).into_iter().enumerate() {
        work.write("d360.yaml", &mutant);
        let ran = run(super::support::bin()
            .current_dir(work.path())
            .args(["--org", "prod", "state", "list"])
            .env("SF_PROD_CLIENT_ID", "x"));
        assert!(
            ran.code == 0 || ran.code == 1,
            "mutant {index} crashed: {ran:?}\n{mutant}"
        );
        assert!(!ran.stderr.contains("panicked"), "mutant {index}: {ran:?}");
    }
}

#[test]
fn mutated_plan_and_state_files_never_change_the_org() {
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    write_connection(&work, "Bad_Input", "AwsRdsMySql", "Bad input", "clinic", "");
    let secrets = |command: &mut std::process::Command| {
        command.env("RDS_USER", "u").env("RDS_PASSWORD", "p");
    };
    let mut plan = work.d360(&emulator);
    plan.args(["plan", "--out", "plan.json"]);
    secrets(&mut plan);
    expect(&mut plan, 0);
    let saved = work.read("plan.json");
    let empty = org_snapshot::snapshot(&emulator);
    let mut applied = 0;
    for (index, mutant) in mutants(&saved, 60, 2).into_iter().enumerate() {
        work.write("bad-plan.json", &mutant);
        let mut apply = work.d360(&emulator);
        apply.args(["apply", "bad-plan.json"]);
        secrets(&mut apply);
        let ran = run(&mut apply);
        assert!(ran.code == 0 || ran.code == 1, "plan mutant {index} crashed: {ran:?}");
        if ran.code == 1 {
            assert_eq!(
                org_snapshot::snapshot(&emulator),
                empty,
                "refused plan mutant {index} changed the org"
            );
            continue;
        }
        // A mutation that kept the plan valid (a changed label, say) applies its one create:
        // check that, then start over from the empty org.
        applied += 1;
        let after = org_snapshot::snapshot(&emulator);
        let created: usize = after["connections"].as_object().map_or(0, |by_type| {
            by_type.values().filter_map(Value::as_array).map(Vec::len).sum()
        });
        assert_eq!(
            created, 1,
            "plan mutant {index} applied more than its one create: {after}"
        );
        let mut prune = work.d360(&emulator);
        prune.args([
            "apply",
            "--auto-approve",
            "--prune",
            "--allow-empty",
            "--allow-mass-delete",
            "nothing",
        ]);
        std::fs::create_dir_all(work.path().join("nothing")).expect("an empty folder");
        secrets(&mut prune);
        expect(&mut prune, 0);
        assert_eq!(
            org_snapshot::snapshot(&emulator),
            empty,
            "cleaning up after plan mutant {index}"
        );
    }
    assert!(applied < 60, "no mutant was refused");

    // A broken state file: plan and apply refuse, the org is untouched.
    let mut apply = work.d360(&emulator);
    apply.args(["apply", "--auto-approve", "manifests"]);
    secrets(&mut apply);
    expect(&mut apply, 0);
    let state = work.read(".d360/state/env.json");
    let before = org_snapshot::snapshot(&emulator);
    for (index, mutant) in mutants(&state, 40, 3).into_iter().enumerate() {
        work.write(".d360/state/env.json", &mutant);
        let mut plan = work.d360(&emulator);
        plan.args(["plan", "manifests"]);
        secrets(&mut plan);
        let ran = run(&mut plan);
        assert!(ran.code == 0 || ran.code == 1, "state mutant {index} crashed: {ran:?}");
        assert!(!ran.stderr.contains("panicked"), "state mutant {index}: {ran:?}");
        assert_eq!(
            org_snapshot::snapshot(&emulator),
            before,
            "state mutant {index} changed the org"
        );
    }
}
