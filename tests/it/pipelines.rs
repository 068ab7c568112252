//! The example CI pipelines and the multi-org `d360.yaml`: they parse, and every d360 command
//! line in them parses with the real CLI.

use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every string in a YAML value.
fn strings(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(text) => out.push(text.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        serde_yaml::Value::Mapping(map) => map.iter().for_each(|(_, v)| strings(v, out)),
        serde_yaml::Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

/// The `d360 ...` command lines in a shell snippet, cut at redirections and operators.
fn command_lines(script: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in script.lines() {
        let Some(start) = line.find("d360 ") else { continue };
        if line[..start].trim_end().ends_with('-') || line[..start].contains("cargo install") {
            continue;
        }
        let mut words = Vec::new();
        for word in line[start..].split_whitespace() {
            if [">", "||", "&&", ";", "|", "2>&1"].contains(&word) || word.starts_with('>') {
                break;
            }
            words.push(word.trim_matches('"').to_owned());
        }
        found.push(words);
    }
    found
}

#[test]
fn example_pipelines_parse_and_their_commands_are_valid() {
    let files = [
        "ci/github-actions/d360-plan.yml",
        "ci/github-actions/d360-apply.yml",
        "ci/github-actions/d360-drift.yml",
        "ci/gitlab/.gitlab-ci.yml",
        "ci/github-actions/d360-release.yml",
        "../action.yml",
    ];
    let mut commands = 0;
    for file in files {
        let text = std::fs::read_to_string(examples().join(file)).expect("example pipeline");
        let value: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"));
        let mut texts = Vec::new();
        strings(&value, &mut texts);
        for script in texts {
            for words in command_lines(&script) {
                if let Err(error) = d360::cli::check_arguments(&words) {
                    panic!("{file}: `{}` does not parse: {error}", words.join(" "));
                }
                commands += 1;
            }
        }
    }
    assert!(commands >= 8, "only {commands} d360 commands found");
}

#[test]
fn the_multi_org_config_resolves_each_org() {
    let path = examples().join("d360.yaml");
    // Resolution gets as far as the client id the CI runner provides.
    for (org, variable) in [("dev", "SF_DEV_CLIENT_ID"), ("prod", "SF_PROD_CLIENT_ID")] {
        let ran = crate::support::expect(
            crate::support::bin()
                .args(["org", "check", "--org", org, "--config"])
                .arg(&path)
                .env_remove(variable),
            1,
        );
        assert!(ran.stderr.contains(variable), "{org}: {}", ran.stderr);
    }
    let unknown = crate::support::expect(
        crate::support::bin()
            .args(["org", "check", "--org", "staging", "--config"])
            .arg(&path),
        1,
    );
    assert!(unknown.stderr.contains("dev, prod"), "{}", unknown.stderr);
}
