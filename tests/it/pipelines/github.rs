//! Runs a GitHub Actions job as a runner would: workflow, job and step `env:` (secrets from
//! the world), each `run:` step with `bash --noprofile --norc -eo pipefail` in the checkout,
//! `$GITHUB_OUTPUT`/`$GITHUB_ENV`/`$GITHUB_PATH` honoured, `if:` conditions evaluated, and the
//! d360 Action's composite steps expanded in place. The install step is replaced by the binary
//! under test; third-party actions are checked for their inputs and not run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use super::expressions::Contexts;
use super::orgs::{Event, Promotion, Run};
use super::repository;
use super::scenario::{Pipeline, Stage};
use super::world::{JobRun, World};

/// Environments with required reviewers (a repository setting, not in the workflow): a job in
/// one waits for an approval, which the test gives by running it.
const PROTECTED_ENVIRONMENTS: [&str; 1] = ["production"];

/// The version the pipelines pin; the install step must ask for it.
const VERSION: &str = "0.1.0";

/// What jobs left behind for later jobs and for people.
#[derive(Default)]
pub(crate) struct Kept {
    /// Uploaded artifacts by name: relative file name → contents.
    pub(crate) artifacts: RefCell<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
    /// The pull request comment's text, each time a job posted it.
    pub(crate) comments: RefCell<Vec<String>>,
}

/// One workflow file and which of its jobs each stage is.
pub(crate) struct Workflows {
    /// `(stage, workflow file in .github/workflows, job)`.
    pub(crate) jobs: [(Stage, &'static str, &'static str); 3],
    pub(crate) out_dir: &'static str,
    kept: Kept,
}

impl Workflows {
    pub(crate) fn new(jobs: [(Stage, &'static str, &'static str); 3], out_dir: &'static str) -> Self {
        Self {
            jobs,
            out_dir,
            kept: Kept::default(),
        }
    }
}

impl Pipeline for Workflows {
    fn run(&self, stage: Stage, checkout: &Path, world: &World) -> JobRun {
        let (_, file, job) = self
            .jobs
            .iter()
            .find(|(s, ..)| *s == stage)
            .expect("a job for the stage");
        let event = match stage {
            Stage::Plan => "pull_request",
            Stage::Apply => "push",
            Stage::Drift => "schedule",
        };
        let workflow = load(&checkout.join(".github/workflows").join(file));
        let mut runner = Runner::new(checkout, world, &self.kept);
        runner.contexts.set("github.event_name", event);
        runner.run_job(&workflow, job)
    }

    fn out_dir(&self) -> &'static str {
        self.out_dir
    }
}

/// A whole workflow run for an event as GitHub runs it: the jobs whose `if:` holds, each after
/// the jobs it `needs:` succeeded, each on a fresh runner (a fresh copy of the commit).
pub(crate) struct Workflow {
    /// The workflow file in `.github/workflows`.
    file: &'static str,
    kept: Kept,
}

impl Workflow {
    pub(crate) fn new(file: &'static str) -> Self {
        Self {
            file,
            kept: Kept::default(),
        }
    }

    fn event_name(event: Event) -> &'static str {
        match event {
            Event::PullRequest => "pull_request",
            Event::Merge => "push",
        }
    }

    fn job(&self, job: &str, event: Event, checkout: &Path, world: &World) -> JobRun {
        let runner_checkout = super::world::copy_of(checkout);
        let workflow = load(&runner_checkout.path().join(".github/workflows").join(self.file));
        let mut runner = Runner::new(runner_checkout.path(), world, &self.kept);
        runner.contexts.set("github.event_name", Self::event_name(event));
        runner.run_job(&workflow, job)
    }
}

/// The names a job `needs:`.
fn needs(job: &Value) -> Vec<String> {
    match &job["needs"] {
        Value::String(one) => vec![one.clone()],
        Value::Sequence(many) => many.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

/// The name of a job's `environment:` (a name or `{ name, url }`).
pub(crate) fn environment(job: &Value) -> Option<String> {
    match &job["environment"] {
        Value::String(name) => Some(name.clone()),
        Value::Mapping(_) => job["environment"]["name"].as_str().map(str::to_owned),
        _ => None,
    }
}

impl Promotion for Workflow {
    fn trigger(&self, event: Event, checkout: &Path, world: &World) -> Run {
        let workflow = load(&checkout.join(".github/workflows").join(self.file));
        let jobs = workflow["jobs"].as_mapping().expect("jobs");
        let mut contexts = Contexts {
            succeeded: true,
            ..Contexts::default()
        };
        contexts.set("github.event_name", Self::event_name(event));
        // Each job decided: true when it ran and succeeded; false when it failed, was skipped
        // or waits for a person (its dependents do not run).
        let mut decided: BTreeMap<String, bool> = BTreeMap::new();
        let mut run = Run {
            ran: Vec::new(),
            waiting: Vec::new(),
        };
        while decided.len() < jobs.len() {
            let next = jobs.iter().find(|(name, job)| {
                !decided.contains_key(&text(name)) && needs(job).iter().all(|need| decided.contains_key(need))
            });
            let (name, job) = next.expect("a job whose needs are decided (no cycle, no unknown job)");
            let name = text(name);
            let needs_met = needs(job).iter().all(|need| decided[need]);
            if !needs_met || !contexts.condition(job.get("if").and_then(Value::as_str)) {
                decided.insert(name, false);
                continue;
            }
            if environment(job).is_some_and(|env| PROTECTED_ENVIRONMENTS.contains(&env.as_str())) {
                run.waiting.push(name.clone());
                decided.insert(name, false);
                continue;
            }
            let ran = self.job(&name, event, checkout, world);
            decided.insert(name.clone(), ran.code == 0);
            run.ran.push((name, ran));
        }
        run
    }

    fn run_job(&self, job: &str, checkout: &Path, world: &World) -> JobRun {
        self.job(job, Event::Merge, checkout, world)
    }

    fn comments(&self) -> Vec<String> {
        self.kept.comments.borrow().clone()
    }

    fn plans(&self) -> BTreeMap<String, Vec<u8>> {
        self.kept
            .artifacts
            .borrow()
            .get("d360-plans")
            .cloned()
            .unwrap_or_default()
    }
}

pub(crate) fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

/// The `KEY: value` pairs of a mapping (`env:`, `with:`), interpolated.
fn pairs(value: Option<&Value>, contexts: &Contexts) -> Vec<(String, String)> {
    let Some(Value::Mapping(map)) = value else {
        return Vec::new();
    };
    map.iter()
        .map(|(key, value)| (text(key), contexts.interpolate(&text(value))))
        .collect()
}

struct Runner<'a> {
    checkout: &'a Path,
    world: &'a World,
    kept: &'a Kept,
    contexts: Contexts,
    env: BTreeMap<String, String>,
    /// Folders steps added with `$GITHUB_PATH`.
    path: Vec<String>,
    temp: tempfile::TempDir,
    log: String,
    code: i32,
    steps_run: usize,
}

impl<'a> Runner<'a> {
    fn new(checkout: &'a Path, world: &'a World, kept: &'a Kept) -> Self {
        let temp = tempfile::tempdir().expect("runner temp");
        let mut contexts = Contexts {
            succeeded: true,
            ..Contexts::default()
        };
        for (name, value) in &world.secrets {
            contexts.set(&format!("secrets.{name}"), value);
        }
        // The repository variable a user sets once: where releases come from.
        contexts.set("vars.D360_REPOSITORY", "example-owner/d360");
        contexts.set("runner.os", "Linux");
        contexts.set("runner.arch", "X64");
        contexts.set("runner.temp", &temp.path().display().to_string());
        contexts.set("github.action_ref", &format!("v{VERSION}"));
        Self {
            checkout,
            world,
            kept,
            contexts,
            env: BTreeMap::new(),
            path: Vec::new(),
            temp,
            log: String::new(),
            code: 0,
            steps_run: 0,
        }
    }

    fn add_env(&mut self, value: Option<&Value>) {
        for (key, value) in pairs(value, &self.contexts) {
            self.contexts.set(&format!("env.{key}"), &value);
            self.env.insert(key, value);
        }
    }

    fn run_job(mut self, workflow: &Value, job_name: &str) -> JobRun {
        let job = &workflow["jobs"][job_name];
        assert!(job.is_mapping(), "no job `{job_name}`");
        let shell = workflow["defaults"]["run"]["shell"].as_str();
        assert_eq!(
            shell,
            Some("bash"),
            "workflows set `defaults.run.shell: bash` (for pipefail)"
        );
        self.add_env(workflow.get("env"));
        self.add_env(job.get("env"));
        let steps = job["steps"].as_sequence().expect("steps");
        for step in steps {
            self.step(step, None);
        }
        assert!(self.steps_run > 0, "no step ran");
        JobRun {
            code: self.code,
            log: self.log,
        }
    }

    /// Runs one step; `inputs` is set inside the d360 Action.
    fn step(&mut self, step: &Value, inputs: Option<&Contexts>) {
        let mut contexts = inputs.unwrap_or(&self.contexts).clone();
        contexts.succeeded = self.code == 0;
        if !contexts.condition(step.get("if").and_then(Value::as_str)) {
            return;
        }
        let name = step.get("name").map_or_else(|| format!("{:?}", step.get("uses")), text);
        self.log.push_str(&format!("--- step: {name}\n"));
        self.steps_run += 1;
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            let with: BTreeMap<String, String> = pairs(step.get("with"), &contexts).into_iter().collect();
            if uses.starts_with("OWNER/d360@") {
                self.action(&with, step);
            } else {
                self.third_party(uses, &with);
            }
            return;
        }
        let script = step["run"].as_str().expect("a step runs or uses something");
        assert!(
            !script.contains("${{"),
            "`{name}` puts an expression into its script text: use env:"
        );
        let mut env = self.env.clone();
        for (key, value) in pairs(step.get("env"), &contexts) {
            env.insert(key, value);
        }
        if script.contains("install-d360.sh") {
            self.replace_install(&env);
            return;
        }
        let code = self.bash(script, &env);
        if let Some(id) = step.get("id").and_then(Value::as_str) {
            self.read_outputs(id);
        }
        if code != 0 && self.code == 0 {
            self.code = code;
        }
    }

    /// The install step, replaced: its script must exist and be asked for the pinned version;
    /// the binary under test is already in `~/.local/bin`, which the script adds to PATH.
    fn replace_install(&mut self, env: &BTreeMap<String, String>) {
        let script = if env.contains_key("GITHUB_ACTION_PATH") {
            repository().join("examples/ci/install-d360.sh")
        } else {
            self.checkout.join("ci/install-d360.sh")
        };
        assert!(script.is_file(), "{} is missing", script.display());
        let version = env.get("D360_VERSION").map(|v| v.trim_start_matches('v').to_owned());
        assert_eq!(version.as_deref(), Some(VERSION), "the install step pins D360_VERSION");
        self.path.push(self.world.bin_dir().display().to_string());
        self.log.push_str("(install replaced by the binary under test)\n");
    }

    /// The d360 Action (`action.yml`), its composite steps run with these inputs.
    fn action(&mut self, with: &BTreeMap<String, String>, step: &Value) {
        let action = load(&repository().join("action.yml"));
        assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
        let declared = action["inputs"].as_mapping().expect("inputs");
        for key in with.keys() {
            assert!(declared.contains_key(key.as_str()), "the Action has no input `{key}`");
        }
        let mut contexts = self.contexts.clone();
        for (key, input) in declared {
            let key = text(key);
            let default = input.get("default").map(text).unwrap_or_default();
            let value = with
                .get(&key)
                .cloned()
                .unwrap_or_else(|| self.contexts.interpolate(&default));
            contexts.set(&format!("inputs.{key}"), &value);
        }
        let saved_env = self.env.clone();
        self.add_env(step.get("env"));
        self.env
            .insert("GITHUB_ACTION_PATH".into(), repository().display().to_string());
        for inner in action["runs"]["steps"].as_sequence().expect("steps") {
            assert_eq!(
                inner.get("run").map(|_| inner["shell"].as_str()),
                inner.get("run").map(|_| Some("bash")),
                "composite run steps say `shell: bash`"
            );
            let mut scoped = contexts.clone();
            scoped.values.extend(
                self.contexts
                    .values
                    .iter()
                    .filter(|(k, _)| k.starts_with("steps."))
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
            // Outputs of the Action's earlier steps are visible to its later steps.
            self.step(inner, Some(&scoped));
        }
        self.env = saved_env;
    }

    /// A third-party action: its inputs must make sense after the steps before it.
    fn third_party(&mut self, uses: &str, with: &BTreeMap<String, String>) {
        let action = uses.split('@').next().unwrap_or(uses);
        let input = |key: &str| with.get(key).cloned().unwrap_or_else(|| panic!("{uses} needs `{key}`"));
        match action {
            "actions/checkout" => assert!(self.checkout.join("d360.yaml").is_file()),
            "actions/cache" => {
                assert_eq!(input("path"), "~/.cache/d360", "the install script's default cache");
                assert!(input("key").contains(VERSION), "the cache key names the version");
            }
            "marocchino/sticky-pull-request-comment" => {
                let path = self.checkout.join(input("path"));
                let text =
                    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("no {} to comment: {e}", input("path")));
                self.kept.comments.borrow_mut().push(text);
            }
            "mikepenz/action-junit-report" => {
                assert!(self.checkout.join(input("report_paths")).is_file(), "no JUnit report");
            }
            "actions/upload-artifact" => {
                let path = self.checkout.join(input("path"));
                // One file is kept by its name; one folder by the paths of its files in it.
                let files = if path.is_dir() {
                    let mut files = BTreeMap::new();
                    for entry in std::fs::read_dir(&path).expect("artifact folder") {
                        let entry = entry.expect("entry");
                        assert!(
                            entry.path().is_file(),
                            "{}: nested folders are not kept here",
                            entry.path().display()
                        );
                        let contents = std::fs::read(entry.path()).expect("artifact");
                        files.insert(entry.file_name().to_string_lossy().into_owned(), contents);
                    }
                    assert!(!files.is_empty(), "{} is empty: nothing to upload", path.display());
                    files
                } else {
                    assert!(path.is_file(), "no {} to upload", path.display());
                    let file_name = path.file_name().expect("a file").to_string_lossy().into_owned();
                    BTreeMap::from([(file_name, std::fs::read(&path).expect("artifact"))])
                };
                self.kept.artifacts.borrow_mut().insert(input("name"), files);
            }
            "dawidd6/action-download-artifact" | "actions/download-artifact" => {
                if let Some(workflow) = with.get("workflow") {
                    assert!(
                        self.checkout.join(".github/workflows").join(workflow).is_file(),
                        "no {workflow}"
                    );
                }
                let files = self.kept.artifacts.borrow().get(&input("name")).cloned();
                let files = files.unwrap_or_else(|| panic!("no artifact `{}` was uploaded", input("name")));
                let folder = self.checkout.join(with.get("path").map_or(".", String::as_str));
                std::fs::create_dir_all(&folder).expect("artifact folder");
                for (name, contents) in files {
                    std::fs::write(folder.join(name), contents).expect("restore artifact");
                }
            }
            other => panic!("no check for the action `{other}`: add one"),
        }
    }

    fn bash(&mut self, script: &str, env: &BTreeMap<String, String>) -> i32 {
        let temp = self.temp.path();
        for file in ["output", "env", "path", "summary"] {
            std::fs::write(temp.join(file), "").expect("runner file");
        }
        let script_file = temp.join("step.sh");
        std::fs::write(&script_file, script).expect("step script");
        let mut path: Vec<String> = self.path.iter().rev().cloned().collect();
        path.push(std::env::var("PATH").unwrap_or_default());
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(self.checkout)
            .env_clear()
            .envs(env)
            .env("PATH", path.join(":"))
            .env("HOME", self.world.home())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("NO_COLOR", "1")
            .env("GITHUB_WORKSPACE", self.checkout)
            .env("RUNNER_TEMP", temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("GITHUB_OUTPUT", temp.join("output"))
            .env("GITHUB_ENV", temp.join("env"))
            .env("GITHUB_PATH", temp.join("path"))
            .env("GITHUB_STEP_SUMMARY", temp.join("summary"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run bash");
        self.log.push_str(&String::from_utf8_lossy(&output.stdout));
        self.log.push_str(&String::from_utf8_lossy(&output.stderr));
        for line in std::fs::read_to_string(temp.join("path")).expect("path file").lines() {
            self.path.push(line.to_owned());
        }
        for line in std::fs::read_to_string(temp.join("env")).expect("env file").lines() {
            if let Some((key, value)) = line.split_once('=') {
                self.env.insert(key.to_owned(), value.to_owned());
            }
        }
        output.status.code().unwrap_or(-1)
    }

    fn read_outputs(&mut self, id: &str) {
        let text = std::fs::read_to_string(self.temp.path().join("output")).expect("output file");
        for line in text.lines() {
            if let Some((key, value)) = line.split_once('=') {
                self.contexts.set(&format!("steps.{id}.outputs.{key}"), value);
            }
        }
    }
}
