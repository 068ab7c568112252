//! What a pipeline runs against: an emulator for each org (`prod` alone, or `dev`, `staging`
//! and `prod` in promotion order), one shared state folder (what `D360_STATE_URL`'s database
//! is to real runners), test values for every secret, the binary under test where the install
//! step would put it, and fresh checkouts of the repository a user would have (`manifests/`,
//! `ci/` copied from `examples/ci/`, `d360.yaml`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::repository;
use crate::support::EmulatorProcess;

/// The label of the example's single connection, which scenarios edit.
pub(crate) const SPIKE_LABEL: &str = "label: AWS RDS MySQL spike_test_clinic";

/// A finished job: its exit code and everything its steps printed.
pub(crate) struct JobRun {
    pub(crate) code: i32,
    pub(crate) log: String,
}

impl std::fmt::Debug for JobRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n{}", self.code, self.log)
    }
}

/// One org of the world: its profile name and the emulator standing for it.
pub(crate) struct Org {
    pub(crate) name: &'static str,
    pub(crate) emulator: EmulatorProcess,
    /// The emulator's request log (`--log-requests`), in `_log`.
    requests: PathBuf,
    _log: TempDir,
}

impl Org {
    fn start(name: &'static str) -> Self {
        let log = tempfile::tempdir().expect("request log folder");
        let requests = log.path().join("requests.jsonl");
        let emulator = EmulatorProcess::start(&["--log-requests", requests.to_str().expect("utf-8 path")]);
        Self {
            name,
            emulator,
            requests,
            _log: log,
        }
    }

    /// `METHOD path` of every write the org was sent so far.
    pub(crate) fn writes(&self) -> Vec<String> {
        crate::support::writes(&self.requests)
    }

    /// Everything the emulator holds of the objects written to it (its journal and snapshot).
    pub(crate) fn objects(&self) -> String {
        ["journal.jsonl", "objects.json"]
            .iter()
            .map(|file| std::fs::read_to_string(self.emulator.dir.path().join(file)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The secret holding this org's client id (`SF_PROD_CLIENT_ID`).
    pub(crate) fn secret(&self, what: &str) -> String {
        format!("SF_{}_{what}", self.name.to_uppercase())
    }
}

pub(crate) struct World {
    /// The orgs in promotion order: each `promoteFrom` the one before it.
    pub(crate) orgs: Vec<Org>,
    state: TempDir,
    /// `$HOME` of the runner; `~/.local/bin/d360` is the binary under test.
    home: TempDir,
    /// Each secret the pipelines name, by name.
    pub(crate) secrets: BTreeMap<String, String>,
}

impl World {
    /// One org, `prod`.
    pub(crate) fn new() -> Self {
        Self::with_orgs(&["prod"])
    }

    /// An org per name, in promotion order, each with its own emulator and key.
    pub(crate) fn with_orgs(names: &[&'static str]) -> Self {
        let orgs: Vec<Org> = names.iter().map(|name| Org::start(name)).collect();
        let mut secrets = BTreeMap::from([
            (
                "D360_STATE_URL".to_owned(),
                "postgres://ci:state-password-9f2c@127.0.0.1:1/d360".to_owned(),
            ),
            ("RDS_USER".to_owned(), "rds-user-from-ci".to_owned()),
            ("RDS_PASSWORD".to_owned(), "rds-password-4b7e".to_owned()),
            ("D360_NOTE_TOKEN".to_owned(), "glpat-note-token-7d1a".to_owned()),
        ]);
        for org in &orgs {
            let key = std::fs::read_to_string(org.emulator.key()).expect("the emulator's key");
            secrets.insert(org.secret("CLIENT_ID"), "d360-local".to_owned());
            secrets.insert(org.secret("PRIVATE_KEY"), key.trim_end().to_owned());
        }
        let home = tempfile::tempdir().expect("home");
        let bin = home.path().join(".local/bin");
        std::fs::create_dir_all(&bin).expect("bin folder");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_d360"), bin.join("d360")).expect("link d360");
        Self {
            orgs,
            state: tempfile::tempdir().expect("state"),
            home,
            secrets,
        }
    }

    /// The org named `name`.
    pub(crate) fn org(&self, name: &str) -> &Org {
        self.orgs
            .iter()
            .find(|org| org.name == name)
            .unwrap_or_else(|| panic!("no org `{name}` in this world"))
    }

    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Where the replaced install step puts `d360`.
    pub(crate) fn bin_dir(&self) -> PathBuf {
        self.home.path().join(".local/bin")
    }

    /// `PATH` for a step: the install folder first, then the system's.
    pub(crate) fn path_variable(&self) -> String {
        format!(
            "{}:{}",
            self.bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// A fresh checkout of the user's repository at the default branch.
    pub(crate) fn checkout(&self) -> TempDir {
        let dir = tempfile::tempdir().expect("checkout");
        copy(&repository().join("manifests"), &dir.path().join("manifests"));
        copy(&repository().join("examples/ci"), &dir.path().join("ci"));
        copy(
            &repository().join("examples/ci/gitlab/.gitlab-ci.yml"),
            &dir.path().join(".gitlab-ci.yml"),
        );
        std::fs::create_dir_all(dir.path().join(".github")).expect("create .github");
        copy(
            &repository().join("examples/ci/github-actions"),
            &dir.path().join(".github/workflows"),
        );
        let mut config = String::from("orgs:\n");
        for (index, org) in self.orgs.iter().enumerate() {
            config.push_str(&format!(
                "  {name}:\n    instanceUrl: {url}\n    auth:\n      jwt: {{ clientId: {{ fromEnv: {client} }}, \
                 username: admin@local.d360, privateKeyFile: keys/{name}.key }}\n    state: {{ backend: local, path: {state} }}\n",
                name = org.name,
                url = org.emulator.url,
                client = org.secret("CLIENT_ID"),
                state = self.state.path().join(format!("{}.json", org.name)).display(),
            ));
            if let Some(before) = index.checked_sub(1).map(|before| &self.orgs[before]) {
                config.push_str(&format!("    promoteFrom: {}\n", before.name));
            }
        }
        std::fs::write(dir.path().join("d360.yaml"), config).expect("write d360.yaml");
        git(dir.path(), &["init", "--quiet"]);
        commit(dir.path(), "the default branch");
        dir
    }

    /// A checkout whose pull request renames the example connection.
    pub(crate) fn checkout_with_label(&self, label: &str) -> TempDir {
        let dir = self.checkout();
        let path = dir.path().join("manifests/connections.yaml");
        let text = std::fs::read_to_string(&path).expect("connections.yaml");
        assert!(text.contains(SPIKE_LABEL), "the example connection's label moved");
        std::fs::write(&path, text.replace(SPIKE_LABEL, &format!("label: {label}"))).expect("write");
        commit(dir.path(), &format!("rename the connection: {label}"));
        dir
    }

    /// Someone changes the org by hand (here: from a checkout of their own, with its own
    /// state): `edit` changes the copied manifests before an apply with `--org env`.
    pub(crate) fn change_org(&self, edit: impl FnOnce(&crate::support::Work)) {
        let other = crate::support::Work::with_examples();
        edit(&other);
        crate::support::expect(
            other
                .d360(&self.org("prod").emulator)
                .args(["apply", "--auto-approve"])
                .env("RDS_USER", "u")
                .env("RDS_PASSWORD", "p"),
            0,
        );
    }

    /// Fails the test when a job printed a secret value.
    pub(crate) fn assert_no_secret_in(&self, run: &JobRun) {
        for (name, value) in &self.secrets {
            if name.ends_with("_CLIENT_ID") {
                continue; // an identifier, not a secret
            }
            for line in value
                .lines()
                .filter(|line| line.len() > 8 && !line.starts_with("-----"))
            {
                assert!(!run.log.contains(line), "the job printed {name}:\n{}", run.log);
            }
        }
    }
}

/// Runs `git ARGUMENTS` in `dir` with a fixed identity and date, so that the same files make
/// the same commit in every checkout of a test; returns what it printed.
fn git(dir: &Path, arguments: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(arguments)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Commits everything in the checkout `dir`: what the pipeline's checkout step gives.
fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "--message", message]);
}

/// The commit a checkout is at.
pub(crate) fn head(checkout: &Path) -> String {
    git(checkout, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// A fresh copy of `checkout`: the same commit on another runner.
pub(crate) fn copy_of(checkout: &Path) -> TempDir {
    let dir = tempfile::tempdir().expect("checkout");
    copy(&checkout.join("."), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("cp");
    assert!(status.success(), "copy {}", from.display());
}

/// Checks that the key step made its folder 0700 and the key 0600, holding `secret`.
pub(crate) fn assert_key_file(checkout: &Path, key_file: &str, secret: &str, world: &World) {
    use std::os::unix::fs::PermissionsExt;
    let key = checkout.join(key_file);
    let mode = |path: &Path| std::fs::metadata(path).expect("key file").permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600, "{}", key.display());
    assert_eq!(mode(key.parent().expect("key folder")), 0o700, "{}", key.display());
    let written = std::fs::read_to_string(&key).expect("key");
    assert_eq!(
        written.trim_end(),
        world.secrets[secret],
        "the key file holds the secret"
    );
}
