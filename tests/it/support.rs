//! Shared test helpers: the real `d360` binary, an emulator process on 127.0.0.1, and a
//! work folder with manifests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

/// The `d360` binary under test.
pub(crate) fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_d360"));
    command
        .env_remove("D360_ORG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1");
    command
}

/// `d360 emulator` running as its own process; killed on drop.
pub(crate) struct EmulatorProcess {
    child: Child,
    pub(crate) url: String,
    pub(crate) dir: TempDir,
}

impl EmulatorProcess {
    /// Starts an emulator over a fresh data folder with extra flags (`--latency`, `--fault`...).
    pub(crate) fn start(flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, flags)
    }

    /// Starts an emulator over `dir` (restarts keep objects).
    pub(crate) fn start_in(dir: TempDir, flags: &[&str]) -> Self {
        let mut child = bin()
            .args(["emulator", "--addr", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("emulator prints its URL");
        let url = line.trim().rsplit(' ').next().expect("a URL").to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line: {line}");
        Self { child, url, dir }
    }

    /// Stops this emulator and starts another over the same data folder with `flags` (the
    /// objects stay; the port changes).
    pub(crate) fn restart(mut self, flags: &[&str]) -> Self {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        Self::start_in(dir, flags)
    }

    /// The private key of the emulator's `local` app.
    pub(crate) fn key(&self) -> PathBuf {
        self.dir.path().join("local.key")
    }

    /// The start of an org profile `name` in `d360.yaml` (under `orgs:`) for this emulator:
    /// its URL and JWT login with the `local` app; the caller adds state, values and the rest.
    pub(crate) fn profile(&self, name: &str) -> String {
        format!(
            "  {name}:\n    instanceUrl: {}\n    auth:\n      jwt: {{ clientId: d360-local, username: admin@local.d360, privateKeyFile: {} }}\n",
            self.url,
            self.key().display()
        )
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A work folder (the user's repository) with a copy of some manifests.
pub(crate) struct Work {
    pub(crate) dir: TempDir,
}

impl Work {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A work folder holding a copy of the repository's example `manifests/`.
    pub(crate) fn with_examples() -> Self {
        let work = Self::new();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests"),
            &work.path().join("manifests"),
        );
        work
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the work folder.
    pub(crate) fn write(&self, relative: &str, text: &str) {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(path, text).expect("write file");
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).expect("read file")
    }

    /// `d360` in this folder against the emulator as `--org env` (JWT bearer with its key).
    pub(crate) fn d360(&self, emulator: &EmulatorProcess) -> Command {
        let mut command = bin();
        command
            .current_dir(self.path())
            .env("D360_ORG", "env")
            .env("D360_INSTANCE_URL", &emulator.url)
            .env("D360_CLIENT_ID", "d360-local")
            .env("D360_USERNAME", "admin@local.d360")
            .env("D360_PRIVATE_KEY_FILE", emulator.key())
            .env_remove("D360_CLIENT_SECRET")
            .env_remove("D360_PASSWORD")
            .env_remove("D360_STATE_URL");
        command
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

/// `METHOD path` of every create, update and delete of an object in an emulator's request
/// log (`--log-requests`); connection tests and stream runs are not writes.
pub(crate) fn writes(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| {
            entry["path"]
                .as_str()
                .is_some_and(|path| path.contains("/ssot/") && !path.contains("/actions/"))
                && entry["method"]
                    .as_str()
                    .is_some_and(|method| matches!(method, "POST" | "PUT" | "PATCH" | "DELETE"))
        })
        .map(|entry| format!("{} {}", entry["method"], entry["path"]))
        .collect()
}

/// Output of a finished command.
pub(crate) struct Ran {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs a command to the end.
pub(crate) fn run(command: &mut Command) -> Ran {
    let output = command.stdin(Stdio::null()).output().expect("run d360");
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs and asserts the exit code.
#[track_caller]
pub(crate) fn expect(command: &mut Command, code: i32) -> Ran {
    let ran = run(command);
    assert_eq!(ran.code, code, "{ran:?}");
    ran
}

/// Replaces record ids, ports, times and durations so output can be snapshotted.
pub(crate) fn scrub(text: &str) -> String {
    let rules = [
        (r"\b[0-9][A-Za-z0-9]{14,17}\b", "[ID]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[TIME]"),
        (r"\d+\.\d+s\b", "[SECONDS]s"),
        (r#""(stateLineage|lineage)": "[0-9a-f]+""#, r#""$1": "[LINEAGE]""#),
        (r#""fingerprint": "[0-9a-f]+""#, r#""fingerprint": "[FP]""#),
        // Bursts of finished work are saved together, so the serial depends on timing.
        (r#""stateSerial": \d+"#, r#""stateSerial": "[SERIAL]""#),
        (r#""[A-Za-z]+/[A-Za-z0-9_]+": "[0-9a-f]{32}""#, r#""[KEY]": "[FP]""#),
        // The org's API usage counts every request of the test so far.
        (
            r"the org has \d+ of \d+ left today",
            "the org has [LEFT] of [LIMIT] left today",
        ),
        (
            r"\d+ of \d+ API requests left today \(\d+ used\)",
            "[LEFT] of [LIMIT] API requests left today ([USED] used)",
        ),
        (r#""used": \d+"#, r#""used": "[USED]""#),
    ];
    let mut text = text.to_owned();
    for (pattern, replacement) in rules {
        let regex = regex::Regex::new(pattern).expect("valid regex");
        text = regex.replace_all(&text, replacement).into_owned();
    }
    text
}

/// The emulator's first-start configuration (the apps, users and data spaces `d360 emulator`
/// writes), up to its catalog's host list: tests append the hosts they need.
pub(crate) const EMULATOR_BASE_YAML: &str = "\
apps:
  - clientId: d360-local
    clientSecret: d360-local-secret
    certificate: local.crt
    flows: [jwt, clientCredentials, password]
    runAs: admin@local.d360
users:
  - { username: admin@local.d360, password: d360-local-password }
dataspaces: [default]
tokenLifetimeSeconds: 7200
catalog:
  hosts:
";
