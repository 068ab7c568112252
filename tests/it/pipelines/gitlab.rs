//! Runs a GitLab CI job as a runner would: `include: local`, `extends:` (deep-merged, later
//! parents win), global then job `variables:` expanded, secrets as masked CI/CD variables (the
//! key as a File variable: a path to a 0600 file), `before_script` and `script` in one bash
//! with `set -eo pipefail`, and the `artifacts:` of the jobs a job `needs:`. The install line
//! is replaced by the binary under test.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_yaml::{Mapping, Value};

use super::github::load;
use super::scenario::{Pipeline, Stage};
use super::world::{JobRun, World};

/// Secrets set as CI/CD variables of type File: the job sees a path to their value.
const FILE_VARIABLES: [(&str, &str); 1] = [("D360_KEY", "SF_PROD_PRIVATE_KEY")];

pub(crate) struct Gitlab {
    /// Artifacts each job kept: relative path → contents.
    artifacts: RefCell<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
}

impl Gitlab {
    pub(crate) fn new() -> Self {
        Self {
            artifacts: RefCell::default(),
        }
    }
}

/// `over` merged onto `base`: mappings key by key, anything else replaced.
fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            let mut merged = base.clone();
            for (key, value) in over {
                let combined = merged.get(key).map_or_else(|| value.clone(), |old| merge(old, value));
                merged.insert(key.clone(), combined);
            }
            Value::Mapping(merged)
        }
        _ => over.clone(),
    }
}

/// The pipeline with its `include: local` files merged under it.
fn pipeline(checkout: &Path) -> Value {
    let main = load(&checkout.join(".gitlab-ci.yml"));
    let mut merged = Value::Mapping(Mapping::new());
    for include in main["include"].as_sequence().into_iter().flatten() {
        let local = include["local"].as_str().expect("only `include: local` here");
        let file = checkout.join(local.trim_start_matches('/'));
        assert!(file.is_file(), "include {local}: no such file in the checkout");
        merged = merge(&merged, &load(&file));
    }
    merge(&merged, &main)
}

/// A job with its `extends:` resolved.
fn job(pipeline: &Value, name: &str) -> Value {
    let own = &pipeline[name];
    assert!(own.is_mapping(), "no job `{name}`");
    let parents: Vec<&str> = match &own["extends"] {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut resolved = Value::Mapping(Mapping::new());
    for parent in parents {
        resolved = merge(&resolved, &job(pipeline, parent));
    }
    let mut resolved = merge(&resolved, own);
    if let Value::Mapping(map) = &mut resolved {
        map.remove("extends");
    }
    resolved
}

/// `$NAME` and `${NAME}` replaced from `known` (unknown names become empty, as in GitLab).
fn expand(text: &str, known: &BTreeMap<String, String>) -> String {
    let pattern = regex::Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?").expect("regex");
    pattern
        .replace_all(text, |c: &regex::Captures<'_>| {
            known.get(&c[1]).cloned().unwrap_or_default()
        })
        .into_owned()
}

fn lines(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|line| line.as_str().expect("script lines are strings").to_owned())
        .collect()
}

impl Pipeline for Gitlab {
    fn run(&self, stage: Stage, checkout: &Path, world: &World) -> JobRun {
        let name = match stage {
            Stage::Plan => "plan",
            Stage::Apply => "apply",
            Stage::Drift => "drift",
        };
        let pipeline = pipeline(checkout);
        let job = job(&pipeline, name);
        assert!(
            !job["image"].as_str().unwrap_or_default().starts_with("rust"),
            "no compile per job"
        );

        let secrets_dir = tempfile::tempdir().expect("variables folder");
        let mut variables: BTreeMap<String, String> = BTreeMap::from([
            ("CI".into(), "true".into()),
            ("GITLAB_CI".into(), "true".into()),
            ("CI_PROJECT_DIR".into(), checkout.display().to_string()),
            ("CI_DEFAULT_BRANCH".into(), "main".into()),
            ("HOME".into(), world.home().display().to_string()),
            ("PATH".into(), world.path_variable()),
            ("NO_COLOR".into(), "1".into()),
        ]);
        for (name, value) in &world.secrets {
            variables.insert((*name).to_owned(), value.clone());
        }
        for (variable, secret) in FILE_VARIABLES {
            let path = secrets_dir.path().join(variable);
            std::fs::write(&path, &world.secrets[secret]).expect("file variable");
            variables.insert(variable.to_owned(), path.display().to_string());
        }
        for scope in [&pipeline["variables"], &job["variables"]] {
            for (key, value) in scope.as_mapping().into_iter().flatten() {
                let value = expand(value.as_str().expect("variables are strings"), &variables);
                variables.insert(key.as_str().expect("a name").to_owned(), value);
            }
        }
        let version = variables.get("D360_VERSION").cloned().unwrap_or_default();
        let cache_key = expand(job["cache"]["key"].as_str().unwrap_or_default(), &variables);
        assert!(
            !version.is_empty() && cache_key.contains(&version),
            "the cache is keyed on the pinned version"
        );

        for needed in job["needs"].as_sequence().into_iter().flatten() {
            let needed = needed.as_str().expect("a job name");
            let kept = self.artifacts.borrow().get(needed).cloned();
            for (path, contents) in kept.unwrap_or_else(|| panic!("`{needed}` kept no artifacts")) {
                let target = checkout.join(path);
                std::fs::create_dir_all(target.parent().expect("a folder")).expect("artifact folder");
                std::fs::write(target, contents).expect("restore artifact");
            }
        }

        let mut script = String::from("set -eo pipefail\n");
        for line in lines(&job["before_script"]).into_iter().chain(lines(&job["script"])) {
            if line.contains("install-d360.sh") {
                assert!(
                    checkout.join("ci/install-d360.sh").is_file(),
                    "the install script is in ci/"
                );
                script.push_str("# install replaced by the binary under test\n");
            } else {
                script.push_str(&line);
                script.push('\n');
            }
        }
        let script_file = secrets_dir.path().join("job.sh");
        std::fs::write(&script_file, script).expect("job script");
        let output = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .arg(&script_file)
            .current_dir(checkout)
            .env_clear()
            .envs(&variables)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run bash");
        let code = output.status.code().unwrap_or(-1);

        let artifacts = &job["artifacts"];
        let always = artifacts["when"].as_str() == Some("always");
        let mut kept = BTreeMap::new();
        if code == 0 || always {
            for path in artifacts["paths"].as_sequence().into_iter().flatten() {
                let path = expand(path.as_str().expect("a path"), &variables);
                let contents = std::fs::read(checkout.join(&path)).unwrap_or_else(|e| panic!("artifact {path}: {e}"));
                kept.insert(path, contents);
            }
            if let Some(report) = artifacts["reports"]["junit"].as_str() {
                let report = expand(report, &variables);
                assert!(checkout.join(&report).is_file(), "no JUnit report {report}");
            }
        }
        self.artifacts.borrow_mut().insert(name.to_owned(), kept);
        JobRun {
            code,
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    fn out_dir(&self) -> &'static str {
        "d360-out"
    }
}
