//! `d360 org check` for each login flow and for each setup mistake an admin makes in Setup,
//! configured in the emulator's `emulator.yaml`; the messages are under snapshot. Also: a key
//! pair made by `d360 auth keygen` logs in, and retries under faults add up.

use super::fleet::write_fleet;
use super::support::{EmulatorProcess, Work, bin, expect, run, scrub};

/// An `emulator.yaml` for the app `d360-ci`, with its certificate made by `auth keygen`.
struct Org {
    flows: &'static str,
    run_as: bool,
    pre_authorized: Option<&'static str>,
    scopes: Option<&'static str>,
    user_dataspaces: Option<&'static str>,
}

impl Default for Org {
    fn default() -> Self {
        Self {
            flows: "[jwt, clientCredentials, password]",
            run_as: true,
            pre_authorized: None,
            scopes: None,
            user_dataspaces: None,
        }
    }
}

impl Org {
    fn start(&self) -> (EmulatorProcess, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        expect(bin().args(["auth", "keygen", "--out"]).arg(dir.path()), 0);
        let mut app = format!(
            "  - clientId: d360-ci\n    clientSecret: ci-secret-value\n    certificate: d360.crt\n    flows: {}\n",
            self.flows
        );
        if self.run_as {
            app.push_str("    runAs: ci@example.com\n");
        }
        if let Some(users) = self.pre_authorized {
            app.push_str(&format!("    preAuthorizedUsers: {users}\n"));
        }
        if let Some(scopes) = self.scopes {
            app.push_str(&format!("    scopes: {scopes}\n"));
        }
        let user_spaces = self
            .user_dataspaces
            .map(|d| format!(", dataspaces: {d}"))
            .unwrap_or_default();
        let yaml = format!(
            "apps:\n{app}users:\n  - {{ username: ci@example.com, password: ci-user-password{user_spaces} }}\ndataspaces: [default, other]\ntokenLifetimeSeconds: 3600\n"
        );
        std::fs::write(dir.path().join("emulator.yaml"), yaml).expect("write emulator.yaml");
        let key = dir.path().join("d360.key");
        (EmulatorProcess::start_in(dir, &[]), key)
    }
}

fn check(emulator: &EmulatorProcess, key: &std::path::Path, env: &[(&str, &str)], remove_key: bool) -> String {
    let work = Work::new();
    let mut command = work.d360(emulator);
    command
        .env("D360_CLIENT_ID", "d360-ci")
        .env("D360_USERNAME", "ci@example.com")
        .env("D360_PRIVATE_KEY_FILE", key);
    if remove_key {
        command.env_remove("D360_PRIVATE_KEY_FILE");
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.args(["org", "check"]);
    let ran = run(&mut command);
    assert!(ran.code == 0 || ran.code == 1, "{ran:?}");
    assert!(
        !ran.stdout.contains("ci-secret-value") && !ran.stderr.contains("ci-user-password"),
        "{ran:?}"
    );
    scrub(&format!("exit {}\n{}{}", ran.code, ran.stdout, ran.stderr)).replace(
        &emulator.url.replace("127.0.0.1", "localhost"),
        "http://localhost:[PORT]",
    )
}

#[test]
fn each_flow_logs_in_with_a_keygen_key() {
    let (emulator, key) = Org::default().start();
    insta::assert_snapshot!("org_check_jwt", check(&emulator, &key, &[], false));
    insta::assert_snapshot!(
        "org_check_client_credentials",
        check(&emulator, &key, &[("D360_CLIENT_SECRET", "ci-secret-value")], true)
    );
    insta::assert_snapshot!(
        "org_check_password",
        check(
            &emulator,
            &key,
            &[
                ("D360_CLIENT_SECRET", "ci-secret-value"),
                ("D360_PASSWORD", "ci-user-password")
            ],
            true
        )
    );
}

#[test]
fn setup_mistakes_are_diagnosed() {
    let (emulator, _) = Org::default().start();
    let other = tempfile::tempdir().expect("temp dir");
    expect(bin().args(["auth", "keygen", "--out"]).arg(other.path()), 0);
    insta::assert_snapshot!(
        "org_check_certificate_mismatch",
        check(&emulator, &other.path().join("d360.key"), &[], false)
    );
    let key = emulator.dir.path().join("d360.key");
    insta::assert_snapshot!(
        "org_check_wrong_secret",
        check(&emulator, &key, &[("D360_CLIENT_SECRET", "not-the-secret")], true)
    );
    let wrong_audience = emulator.url.replace("127.0.0.1", "localhost");
    insta::assert_snapshot!(
        "org_check_wrong_login_url",
        check(&emulator, &key, &[("D360_LOGIN_URL", &wrong_audience)], false)
    );

    let (emulator, key) = Org {
        pre_authorized: Some("[]"),
        ..Org::default()
    }
    .start();
    insta::assert_snapshot!("org_check_not_pre_authorized", check(&emulator, &key, &[], false));

    let (emulator, key) = Org {
        flows: "[jwt, password]",
        ..Org::default()
    }
    .start();
    insta::assert_snapshot!(
        "org_check_client_credentials_not_enabled",
        check(&emulator, &key, &[("D360_CLIENT_SECRET", "ci-secret-value")], true)
    );

    let (emulator, key) = Org {
        run_as: false,
        ..Org::default()
    }
    .start();
    insta::assert_snapshot!(
        "org_check_no_run_as_user",
        check(&emulator, &key, &[("D360_CLIENT_SECRET", "ci-secret-value")], true)
    );

    let (emulator, key) = Org {
        scopes: Some("[api]"),
        ..Org::default()
    }
    .start();
    insta::assert_snapshot!("org_check_missing_cdp_scopes", check(&emulator, &key, &[], false));

    let (emulator, key) = Org {
        user_dataspaces: Some("[other]"),
        ..Org::default()
    }
    .start();
    insta::assert_snapshot!("org_check_no_dataspace_access", check(&emulator, &key, &[], false));
}

#[test]
fn retries_match_the_faults_the_org_injected() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log = log_dir.path().join("requests.jsonl");
    let log_flag = log.to_str().expect("utf-8 path").to_owned();
    let emulator = EmulatorProcess::start(&[
        "--fault",
        "503=0.2",
        "--fault",
        "429=0.1",
        "--seed",
        "7",
        "--log-requests",
        &log_flag,
    ]);
    let work = Work::new();
    write_fleet(&work, 40, "Retry");
    let ran = expect(
        work.d360(&emulator)
            .args(["apply", "--auto-approve", "--format", "json"])
            .env("RDS_USER", "u")
            .env("RDS_PASSWORD", "p"),
        0,
    );
    let summary: serde_json::Value = ran
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["event"] == "summary")
        .expect("a summary event");
    let text = std::fs::read_to_string(&log).expect("request log");
    let faulted = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| matches!(l["status"].as_u64(), Some(503 | 429)))
        .count() as u64;
    assert!(faulted > 0, "the seed injected no faults");
    assert_eq!(
        summary["retries"].as_u64(),
        Some(faulted),
        "every faulted answer is retried exactly once: {summary}"
    );
    assert_eq!(summary["tally"]["created"].as_u64(), Some(40));
}
