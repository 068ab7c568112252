//! Runs a GitLab CI job as a runner would: `include: local`, `extends:` (deep-merged, later
//! parents win), global then job `variables:` expanded, secrets as masked CI/CD variables (the
//! keys as File variables: paths to 0600 files), `before_script` and `script` in one bash
//! with `set -eo pipefail`, and the `artifacts:` of the jobs a job `needs:`. The install line
//! is replaced by the binary under test. A whole pipeline runs for an event as GitLab runs it:
//! the jobs whose `rules:` match, stage by stage, a `when: manual` job left for a person, the
//! merge request note posted to a stand-in for GitLab's API.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_yaml::{Mapping, Value};

use super::github::load;
use super::notes::NotesApi;
use super::orgs::{Event, Promotion, Run};
use super::scenario::{Pipeline, Stage};
use super::world::{JobRun, World};

/// Top-level keys of `.gitlab-ci.yml` that are not jobs.
const KEYWORDS: [&str; 10] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// The project and merge request the pipelines run for.
const PROJECT_ID: &str = "4242";
const MERGE_REQUEST_IID: &str = "17";

pub(crate) struct Gitlab {
    /// The pipeline file in the checkout (`.gitlab-ci.yml`).
    file: &'static str,
    /// Artifacts each job kept: relative path → contents.
    artifacts: RefCell<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
    notes: NotesApi,
}

impl Gitlab {
    /// The single-org pipeline, the repository's `.gitlab-ci.yml`.
    pub(crate) fn new() -> Self {
        Self::from_file(".gitlab-ci.yml")
    }

    /// The pipeline `file` of the checkout.
    pub(crate) fn from_file(file: &'static str) -> Self {
        Self {
            file,
            artifacts: RefCell::default(),
            notes: NotesApi::start(),
        }
    }

    /// The CI/CD variables of type File: variable → the secret it holds (the job sees a path
    /// to a file with the value). `D360_KEY` is prod's key, `D360_KEY_DEV` dev's, and so on.
    fn file_variables(world: &World) -> Vec<(String, String)> {
        let mut variables = Vec::new();
        for org in &world.orgs {
            let secret = org.secret("PRIVATE_KEY");
            if org.name == "prod" {
                variables.push(("D360_KEY".to_owned(), secret.clone()));
            }
            variables.push((format!("D360_KEY_{}", org.name.to_uppercase()), secret));
        }
        variables
    }

    /// The variables GitLab predefines for `event` (`CI_PIPELINE_SOURCE`...).
    fn predefined(&self, event: Source, checkout: &Path, world: &World) -> BTreeMap<String, String> {
        let mut variables: BTreeMap<String, String> = BTreeMap::from([
            ("CI".into(), "true".into()),
            ("GITLAB_CI".into(), "true".into()),
            ("CI_PROJECT_DIR".into(), checkout.display().to_string()),
            ("CI_PROJECT_ID".into(), PROJECT_ID.into()),
            ("CI_API_V4_URL".into(), self.notes.url.clone()),
            ("CI_DEFAULT_BRANCH".into(), "main".into()),
            ("HOME".into(), world.home().display().to_string()),
            ("PATH".into(), world.path_variable()),
            ("NO_COLOR".into(), "1".into()),
        ]);
        match event {
            Source::MergeRequest => {
                variables.insert("CI_PIPELINE_SOURCE".into(), "merge_request_event".into());
                variables.insert("CI_MERGE_REQUEST_IID".into(), MERGE_REQUEST_IID.into());
            }
            Source::Push => {
                variables.insert("CI_PIPELINE_SOURCE".into(), "push".into());
                variables.insert("CI_COMMIT_BRANCH".into(), "main".into());
            }
            Source::Schedule => {
                variables.insert("CI_PIPELINE_SOURCE".into(), "schedule".into());
                variables.insert("CI_COMMIT_BRANCH".into(), "main".into());
            }
        }
        variables
    }
}

/// What started a pipeline (`CI_PIPELINE_SOURCE`).
#[derive(Clone, Copy, Debug)]
enum Source {
    MergeRequest,
    Push,
    Schedule,
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

/// The pipeline `file` with its `include: local` files merged under it.
fn pipeline(checkout: &Path, file: &str) -> Value {
    let main = load(&checkout.join(file));
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
        let (name, source) = match stage {
            Stage::Plan => ("plan", Source::MergeRequest),
            Stage::Apply => ("apply", Source::Push),
            Stage::Drift => ("drift", Source::Schedule),
        };
        self.execute(name, source, checkout, world)
    }

    fn out_dir(&self) -> &'static str {
        "d360-out"
    }
}

impl Gitlab {
    /// Runs the job `name` in `checkout` as a runner would for a pipeline started by `source`.
    fn execute(&self, name: &str, source: Source, checkout: &Path, world: &World) -> JobRun {
        let pipeline = pipeline(checkout, self.file);
        let job = job(&pipeline, name);
        assert!(
            !job["image"].as_str().unwrap_or_default().starts_with("rust"),
            "no compile per job"
        );

        let secrets_dir = tempfile::tempdir().expect("variables folder");
        let mut variables = self.predefined(source, checkout, world);
        for (name, value) in &world.secrets {
            variables.insert(name.clone(), value.clone());
        }
        for (variable, secret) in Self::file_variables(world) {
            let path = secrets_dir.path().join(&variable);
            std::fs::write(&path, &world.secrets[&secret]).expect("file variable");
            variables.insert(variable, path.display().to_string());
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
                keep(checkout, path.trim_end_matches('/'), &mut kept);
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
}

/// Keeps the file `path` of `checkout`, or every file under it when it is a folder.
fn keep(checkout: &Path, path: &str, kept: &mut BTreeMap<String, Vec<u8>>) {
    let full = checkout.join(path);
    if full.is_dir() {
        for entry in std::fs::read_dir(&full).expect("artifact folder") {
            let name = entry.expect("entry").file_name();
            keep(checkout, &format!("{path}/{}", name.to_string_lossy()), kept);
        }
    } else {
        let contents = std::fs::read(&full).unwrap_or_else(|e| panic!("artifact {path}: {e}"));
        kept.insert(path.to_owned(), contents);
    }
}

/// Whether a `rules:` `if:` holds: `$A == "text"`, `$A == $B`, `!=`, joined by `&&`. Any
/// other construct fails the test, so a new one is handled on purpose.
fn holds(condition: &str, variables: &BTreeMap<String, String>) -> bool {
    let operand = |token: &str| -> String {
        let token = token.trim();
        if let Some(name) = token.strip_prefix('$') {
            variables.get(name).cloned().unwrap_or_default()
        } else if let Some(text) = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            text.to_owned()
        } else {
            panic!("unsupported operand `{token}` in `{condition}`")
        }
    };
    assert!(
        !condition.contains("||") && !condition.contains('('),
        "unsupported: {condition}"
    );
    condition.split("&&").all(|part| {
        if let Some((left, right)) = part.split_once("!=") {
            operand(left) != operand(right)
        } else if let Some((left, right)) = part.split_once("==") {
            operand(left) == operand(right)
        } else {
            panic!("unsupported condition `{part}` in `{condition}`")
        }
    })
}

/// When a job runs in a pipeline with these variables: the `when:` of its first rule that
/// holds (`on_success` by default), or `None` when it is not in the pipeline.
fn when(job: &Value, variables: &BTreeMap<String, String>) -> Option<String> {
    let Some(rules) = job["rules"].as_sequence() else {
        return Some(job["when"].as_str().unwrap_or("on_success").to_owned());
    };
    rules
        .iter()
        .find(|rule| rule["if"].as_str().is_none_or(|condition| holds(condition, variables)))
        .map(|rule| rule["when"].as_str().unwrap_or("on_success").to_owned())
        .filter(|when| when != "never")
}

/// The jobs of a pipeline, stage by stage (in the order of `stages:`), then as written.
pub(crate) fn jobs_in_order(pipeline: &Value) -> Vec<String> {
    let stages: Vec<&str> = pipeline["stages"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut jobs: Vec<(usize, String)> = pipeline
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(key, _)| key.as_str())
        .filter(|key| !key.starts_with('.') && !KEYWORDS.contains(key))
        .map(|name| {
            let stage = job(pipeline, name)["stage"].as_str().unwrap_or("test").to_owned();
            let at = stages
                .iter()
                .position(|s| *s == stage)
                .unwrap_or_else(|| panic!("`{name}`: no stage `{stage}` in stages:"));
            (at, name.to_owned())
        })
        .collect();
    jobs.sort_by_key(|(at, _)| *at);
    jobs.into_iter().map(|(_, name)| name).collect()
}

impl Promotion for Gitlab {
    fn trigger(&self, event: Event, checkout: &Path, world: &World) -> Run {
        let source = match event {
            Event::PullRequest => Source::MergeRequest,
            Event::Merge => Source::Push,
        };
        let pipeline = pipeline(checkout, self.file);
        let variables = self.predefined(source, checkout, world);
        let mut succeeded: BTreeMap<String, bool> = BTreeMap::new();
        let mut run = Run {
            ran: Vec::new(),
            waiting: Vec::new(),
        };
        for name in jobs_in_order(&pipeline) {
            let job = job(&pipeline, &name);
            let Some(when) = when(&job, &variables) else {
                continue;
            };
            let needs: Vec<String> = job["needs"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            // A job runs when every job before it passed (its stage's) and its needs ran.
            let ready = run.ran.iter().all(|(_, ran)| ran.code == 0)
                && needs.iter().all(|need| succeeded.get(need) == Some(&true));
            if when == "manual" && ready {
                run.waiting.push(name);
                continue;
            }
            if when != "on_success" || !ready {
                continue;
            }
            let fresh = super::world::copy_of(checkout);
            let ran = self.execute(&name, source, fresh.path(), world);
            succeeded.insert(name.clone(), ran.code == 0);
            run.ran.push((name, ran));
        }
        run
    }

    fn run_job(&self, job: &str, checkout: &Path, world: &World) -> JobRun {
        let fresh = super::world::copy_of(checkout);
        self.execute(job, Source::Push, fresh.path(), world)
    }

    fn comments(&self) -> Vec<String> {
        let notes = self.notes.notes();
        for note in &notes {
            assert_eq!(
                note.path,
                format!("/api/v4/projects/{PROJECT_ID}/merge_requests/{MERGE_REQUEST_IID}/notes"),
                "the note goes to the pipeline's merge request"
            );
            assert_eq!(
                note.token.as_deref(),
                Some("glpat-note-token-7d1a"),
                "the note is sent with D360_NOTE_TOKEN"
            );
        }
        notes.into_iter().map(|note| note.body).collect()
    }

    fn plans(&self) -> BTreeMap<String, Vec<u8>> {
        let artifacts = self.artifacts.borrow();
        let kept = artifacts.get("plan").cloned().unwrap_or_default();
        kept.into_iter()
            .filter_map(|(path, contents)| {
                let name = path.strip_prefix("d360-out/plans/")?;
                Some((name.to_owned(), contents))
            })
            .collect()
    }
}
