//! The example CI pipelines run as written: each validates against its published schema, and
//! its shell steps run in order with bash in a fresh checkout against an emulator, with the
//! secrets it names mapped to test values and its install step replaced by the binary under
//! test. Third-party actions are checked for their inputs, not run.

use std::path::{Path, PathBuf};

mod expressions;
mod github;
mod gitlab;
mod hygiene;
mod install;
mod scenario;
mod schemas;
mod world;

use scenario::Stage;

/// The root of this repository.
pub(crate) fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

#[test]
fn the_multi_org_config_resolves_each_org() {
    let path = repository().join("examples/d360.yaml");
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

#[test]
fn the_github_workflows_run_as_written() {
    scenario::run_all(&github::Workflows::new(
        [
            (Stage::Plan, "d360-plan.yml", "plan"),
            (Stage::Apply, "d360-apply.yml", "apply"),
            (Stage::Drift, "d360-drift.yml", "drift"),
        ],
        ".",
    ));
}

#[test]
fn the_action_runs_as_written() {
    scenario::run_all(&github::Workflows::new(
        [
            (Stage::Plan, "d360-with-action.yml", "plan"),
            (Stage::Apply, "d360-with-action.yml", "apply"),
            (Stage::Drift, "d360-with-action.yml", "drift"),
        ],
        "d360-out",
    ));
}

#[test]
fn the_gitlab_pipeline_runs_as_written() {
    scenario::run_all(&gitlab::Gitlab::new());
}
