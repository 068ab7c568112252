//! Secret-leak scan: every command at `-vv`, with text and JSON logs, over every login flow;
//! no marker secret, private key line, client secret, password or issued access token may
//! appear in stdout, stderr, or any file d360 or the emulator wrote.

use std::path::Path;
use std::process::Command;

use super::support::{EmulatorProcess, Work, run};

const PASSWORD: &str = "LEAKMARKER-rds-password-7d1f";
const USER: &str = "LEAKMARKER-rds-user-b2c9";
const CLIENT_SECRET: &str = "d360-local-secret";
const USER_PASSWORD: &str = "d360-local-password";

fn manifests(work: &Work, user_file: &Path) {
    work.write(
        "manifests/leak.yaml",
        &format!(
            "apiVersion: d360/v1\nkind: Connection\nmetadata: {{ name: Leak_Check }}\nspec:\n  connectorType: AwsRdsMySql\n  label: Leak check\n  parameters: {{ jdbc_connection_url: 'jdbc:mysql://spike.example.internal:3306', DATABASE: d }}\n  credentials:\n    user: {{ fromFile: {} }}\n    password: {{ fromEnv: LEAK_PASSWORD }}\n",
            user_file.display()
        ),
    );
}

/// Everything a run printed.
struct Seen {
    texts: Vec<(String, String)>,
}

impl Seen {
    fn add(&mut self, what: String, text: String) {
        self.texts.push((what, text));
    }

    fn run(&mut self, label: &str, command: &mut Command) {
        let ran = run(command);
        assert_ne!(ran.code, 101, "{label} panicked: {ran:?}");
        self.add(format!("{label} stdout"), ran.stdout);
        self.add(format!("{label} stderr"), ran.stderr);
    }

    fn add_files(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                self.add_files(&path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                self.add(path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}

#[test]
fn no_secret_or_token_appears_anywhere() {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let request_log = log_dir.path().join("requests.jsonl");
    let emulator = EmulatorProcess::start(&["--log-requests", request_log.to_str().expect("utf-8 path")]);
    let secrets_dir = tempfile::tempdir().expect("temp dir");
    let user_file = secrets_dir.path().join("user.txt");
    std::fs::write(&user_file, USER).expect("write secret");
    let key_text = std::fs::read_to_string(emulator.key()).expect("emulator key");
    let key_lines: Vec<&str> = key_text
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!key_lines.is_empty());

    let work = Work::new();
    manifests(&work, &user_file);
    let mut seen = Seen { texts: Vec::new() };
    let flows: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("jwt", vec![]),
        ("client-credentials", vec![("D360_CLIENT_SECRET", CLIENT_SECRET)]),
        (
            "password",
            vec![("D360_CLIENT_SECRET", CLIENT_SECRET), ("D360_PASSWORD", USER_PASSWORD)],
        ),
    ];
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate"],
        vec!["render", "--format", "json"],
        vec!["org", "check"],
        vec!["org", "check", "--format", "json"],
        vec!["plan", "--out", "plan.json"],
        vec!["plan", "--format", "json"],
        vec!["plan", "--format", "markdown"],
        vec!["plan", "--check"],
        vec!["plan", "--check", "--format", "json"],
        vec!["apply", "--auto-approve"],
        vec!["apply", "--auto-approve", "--format", "json"],
        vec!["apply", "--auto-approve", "--check", "--verify"],
        vec!["drift", "--format", "json"],
        vec!["drift", "--format", "junit", "--out", "drift.xml"],
        vec!["state", "list", "--format", "json"],
        vec!["state", "show", "Connection/Leak_Check"],
        vec![
            "import",
            "--out",
            "imported",
            "--force",
            "--connector-type",
            "AwsRdsMySql",
        ],
    ];
    for (flow, env) in &flows {
        for log_format in ["text", "json"] {
            for args in &commands {
                let mut command = work.d360(&emulator);
                command
                    .env("LEAK_PASSWORD", PASSWORD)
                    .args(["-vv", "--log-format", log_format])
                    .args(args);
                if *flow != "jwt" {
                    command.env_remove("D360_PRIVATE_KEY_FILE");
                }
                for (name, value) in env {
                    command.env(name, value);
                }
                seen.run(&format!("{flow} {log_format} {}", args.join(" ")), &mut command);
            }
        }
    }
    // A wrong key and a wrong secret: the errors must not echo them either.
    let mut wrong = work.d360(&emulator);
    wrong
        .env_remove("D360_PRIVATE_KEY_FILE")
        .env("D360_CLIENT_SECRET", "LEAKMARKER-wrong-secret")
        .args(["-vv", "org", "check"]);
    seen.run("wrong secret", &mut wrong);
    seen.add_files(work.path());
    seen.add_files(log_dir.path());

    let token = regex::Regex::new(r"00D[A-Za-z0-9]{12}!AQ[A-Za-z0-9._\-]{10,}").expect("regex");
    let mut markers: Vec<&str> = vec![PASSWORD, USER, CLIENT_SECRET, USER_PASSWORD, "LEAKMARKER-wrong-secret"];
    markers.extend(key_lines.iter().copied());
    let mut hits = Vec::new();
    for (what, text) in &seen.texts {
        for marker in &markers {
            if text.contains(marker) {
                hits.push(format!("{what}: contains `{marker}`"));
            }
        }
        if let Some(found) = token.find(text) {
            hits.push(format!("{what}: contains an access token `{}…`", &found.as_str()[..20]));
        }
    }
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
    assert!(
        seen.texts
            .iter()
            .any(|(w, t)| w.contains("org check --format json stdout") && t.contains("\"ok\": true")),
        "org check never succeeded"
    );
}

/// The same scan for `fromAwsSecret`: values fetched from Secrets Manager (moto) never
/// appear in any output, log line, plan file or state.
#[test]
fn no_aws_secret_appears_anywhere() {
    use super::aws::{Moto, password_of, tagged, user_of};
    let Some(moto) = Moto::start() else { return };
    let identifiers = ["leak-a", "leak-b"];
    let (instances, secrets): (Vec<_>, Vec<_>) = identifiers.iter().map(|id| tagged(id)).unzip();
    // A database whose secret is missing the password key: the error must not echo the user.
    let partial = "leak-c";
    let mut instances = instances;
    instances.push(
        serde_json::json!({ "id": partial, "engine": "mysql", "dbname": "clinic", "tags": { "clinic": partial } }),
    );
    let mut secrets = secrets;
    secrets.push(serde_json::json!({
        "id": format!("rds/{partial}"),
        "value": serde_json::json!({ "username": user_of(partial) }).to_string(),
    }));
    moto.seed(&serde_json::json!({ "instances": instances, "secrets": secrets }));
    let emulator = EmulatorProcess::start(&[]);
    let work = Work::new();
    work.write(
        "manifests/fleet.yaml",
        &super::aws::FLEET.replace("jdbc:${item.engine}", "jdbc:mysql"),
    );
    work.write(
        "broken/fleet.yaml",
        &super::aws::FLEET
            .replace("jdbc:${item.engine}", "jdbc:mysql")
            .replace("tags: { data360: ingest }", "tags: { clinic: leak-c }"),
    );
    let mut seen = Seen { texts: Vec::new() };
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate"],
        vec!["render", "--format", "json"],
        vec!["plan", "--out", "plan.json"],
        vec!["plan", "--format", "json"],
        vec!["plan", "--format", "markdown"],
        vec!["apply", "--auto-approve"],
        vec!["apply", "plan.json", "--auto-approve"],
        vec!["plan", "--detailed-exitcode"],
        vec!["drift", "--format", "json"],
        vec!["state", "show", "Connection/RDS_leak_a"],
        vec!["plan", "broken"],
    ];
    for log_format in ["text", "json"] {
        for args in &commands {
            let mut command = work.d360(&emulator);
            moto.env(&mut command)
                .args(["-vvv", "--log-format", log_format])
                .args(args);
            seen.run(&format!("{log_format} {}", args.join(" ")), &mut command);
        }
    }
    seen.add_files(work.path());
    let mut markers = Vec::new();
    for id in identifiers.iter().chain([&partial]) {
        markers.push(password_of(id));
        markers.push(user_of(id));
    }
    let mut hits = Vec::new();
    for (what, text) in &seen.texts {
        for marker in &markers {
            if text.contains(marker.as_str()) {
                hits.push(format!("{what}: contains `{marker}`"));
            }
        }
    }
    assert!(hits.is_empty(), "AWS secrets leaked:\n{}", hits.join("\n"));
    // The scan saw real work: the fleet was applied and the broken one refused.
    let state = work.read(".d360/state/env.json");
    assert!(state.contains("RDS_leak_a") && state.contains("RDS_leak_b"), "{state}");
    assert!(
        seen.texts
            .iter()
            .any(|(what, text)| what.ends_with("plan broken stderr") && text.contains("has no key `password`")),
        "the broken fleet was not refused: {:?}",
        seen.texts
            .iter()
            .filter(|(what, _)| what.ends_with("plan broken stderr"))
            .flat_map(|(_, text)| text
                .lines()
                .filter(|line| !line.contains("DEBUG") && !line.contains("TRACE")))
            .collect::<Vec<_>>()
    );
}
