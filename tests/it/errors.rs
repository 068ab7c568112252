//! Errors a user can act on: every missing `D360_*` variable at once, OS errors in plain
//! words, each cause once.

use super::fleet::write_connection;
use super::support::{Work, bin, expect};

fn env_org(work: &Work) -> std::process::Command {
    let mut command = bin();
    command.current_dir(work.path()).env("D360_ORG", "env");
    for name in [
        "D360_INSTANCE_URL",
        "D360_LOGIN_URL",
        "D360_CLIENT_ID",
        "D360_USERNAME",
        "D360_PRIVATE_KEY_FILE",
        "D360_PRIVATE_KEY",
        "D360_CLIENT_SECRET",
        "D360_PASSWORD",
        "D360_STATE_URL",
    ] {
        command.env_remove(name);
    }
    command
}

#[test]
fn every_missing_variable_is_reported_at_once() {
    let work = Work::new();
    write_connection(&work, "Err_A", "AwsRdsMySql", "A", "clinic", "");
    let ran = expect(env_org(&work).arg("plan"), 1);
    assert_eq!(
        ran.stderr.trim(),
        "error: --org env: `D360_INSTANCE_URL`, `D360_CLIENT_ID` and `D360_PRIVATE_KEY_FILE` (JWT bearer) or `D360_CLIENT_SECRET` (client credentials) are not set",
        "{ran:?}"
    );
    let ran = expect(env_org(&work).env("D360_PRIVATE_KEY_FILE", "/k").arg("plan"), 1);
    assert!(
        ran.stderr
            .contains("`D360_INSTANCE_URL`, `D360_CLIENT_ID` and `D360_USERNAME` are not set"),
        "{ran:?}"
    );
}

#[test]
fn an_unreadable_key_file_reads_plainly_and_once() {
    let work = Work::new();
    write_connection(&work, "Err_A", "AwsRdsMySql", "A", "clinic", "");
    let ran = expect(
        env_org(&work)
            .env("D360_INSTANCE_URL", "http://127.0.0.1:9")
            .env("D360_CLIENT_ID", "x")
            .env("D360_USERNAME", "u")
            .env("D360_PRIVATE_KEY_FILE", "/nonexistent/d360.key")
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p")
            .arg("plan"),
        1,
    );
    assert!(
        ran.stderr
            .contains("cannot read secret file `/nonexistent/d360.key`: No such file or directory"),
        "{ran:?}"
    );
    assert_eq!(ran.stderr.matches("cannot read secret file").count(), 1, "{ran:?}");
    assert!(!ran.stderr.contains("entity not found"), "{ran:?}");
}
