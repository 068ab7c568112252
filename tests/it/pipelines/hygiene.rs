//! Secrets as GitHub and GitLab advise: `${{ secrets.X }}` only as an `env:` value, never in
//! script text; nothing that prints a secret (`set -x`, `echo $SECRET`); no compile per run.

use serde_yaml::Value;

use super::github::load;
use super::repository;

const FILES: [&str; 10] = [
    "examples/ci/github-actions/d360-plan.yml",
    "examples/ci/github-actions/d360-orgs.yml",
    "examples/ci/gitlab/orgs.gitlab-ci.yml",
    "examples/ci/github-actions/d360-apply.yml",
    "examples/ci/github-actions/d360-drift.yml",
    "examples/ci/github-actions/d360-with-action.yml",
    "examples/ci/github-actions/d360-release.yml",
    "action.yml",
    "examples/ci/gitlab/.gitlab-ci.yml",
    "examples/ci/gitlab/d360.gitlab-ci.yml",
];

/// The secret names the pipelines use (GitHub secrets and GitLab CI/CD variables).
const SECRETS: [&str; 14] = [
    "SF_PROD_CLIENT_ID",
    "SF_PROD_PRIVATE_KEY",
    "SF_DEV_CLIENT_ID",
    "SF_DEV_PRIVATE_KEY",
    "SF_STAGING_CLIENT_ID",
    "SF_STAGING_PRIVATE_KEY",
    "D360_KEY_DEV",
    "D360_KEY_STAGING",
    "D360_KEY_PROD",
    "D360_STATE_URL",
    "RDS_USER",
    "RDS_PASSWORD",
    "D360_KEY",
    "D360_NOTE_TOKEN",
];

/// Every string in `value` with the key path it sits under (`jobs.plan.steps.2.run`).
fn strings(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => out.push((path.to_owned(), text.clone())),
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                strings(item, &format!("{path}.{index}"), out);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                strings(item, &format!("{path}.{}", key.as_str().unwrap_or("?")), out);
            }
        }
        _ => {}
    }
}

/// Whether the string at `path` is shell text a runner executes.
fn is_script(path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    parts.last() == Some(&"run")
        || parts
            .iter()
            .any(|p| ["script", "before_script", "after_script"].contains(p))
}

/// `echo`/`printf` of a secret variable.
fn prints_a_secret() -> regex::Regex {
    regex::Regex::new(&format!(r"(echo|printf)[^\n|>]*\$\{{?({})\b", SECRETS.join("|"))).expect("regex")
}

#[test]
fn secrets_reach_steps_through_the_environment_only() {
    let echo = prints_a_secret();
    let mut problems = Vec::new();
    let mut scripts = 0;
    for file in FILES {
        let mut found = Vec::new();
        strings(&load(&repository().join(file)), "", &mut found);
        for (path, text) in found {
            if text.contains("secrets.") && !path.contains(".env.") {
                problems.push(format!("{file} {path}: a secret outside env:"));
            }
            if !is_script(&path) {
                continue;
            }
            scripts += 1;
            if text.contains("${{") || text.contains("$[[") {
                problems.push(format!("{file} {path}: an expression in script text"));
            }
            if text.contains("set -x") || text.contains("set -o xtrace") || text.contains("cargo install") {
                problems.push(format!("{file} {path}: traces or compiles"));
            }
            for line in text.lines() {
                // Writing a secret into its 0600 key file is the one place it may appear.
                if echo.is_match(line) && !line.contains("> keys/") {
                    problems.push(format!("{file} {path}: prints a secret: {line}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(scripts >= 20, "only {scripts} scripts found");
}

/// The checks above catch what the old examples did.
#[test]
fn the_checks_catch_an_interpolated_secret_and_a_trace() {
    let old: Value = serde_yaml::from_str(
        "jobs:\n  a:\n    steps:\n      - run: printf '%s' \"${{ secrets.SF_PROD_PRIVATE_KEY }}\" > keys/prod.key\n      - run: |\n          set -x\n          echo \"$RDS_PASSWORD\"\n",
    )
    .expect("YAML");
    let mut found = Vec::new();
    strings(&old, "", &mut found);
    assert!(
        found
            .iter()
            .any(|(path, text)| text.contains("secrets.") && !path.contains(".env."))
    );
    assert!(
        found
            .iter()
            .any(|(path, text)| is_script(path) && text.contains("set -x"))
    );
    let echo = prints_a_secret();
    assert!(found.iter().any(|(_, text)| text.lines().any(|l| echo.is_match(l))));
}
