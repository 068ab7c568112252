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
mod notes;
mod orgs;
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
    for (org, variable) in [
        ("dev", "SF_DEV_CLIENT_ID"),
        ("staging", "SF_STAGING_CLIENT_ID"),
        ("prod", "SF_PROD_CLIENT_ID"),
    ] {
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
            .args(["org", "check", "--org", "qa", "--config"])
            .arg(&path),
        1,
    );
    for org in ["dev", "staging", "prod"] {
        assert!(unknown.stderr.contains(org), "{}", unknown.stderr);
    }
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

/// The orgs' workflow: the plan job for pull requests, one apply job per org for merges, each
/// in its environment and after the org it promotes from; production is the environment with
/// required reviewers.
#[test]
fn the_orgs_workflow_applies_in_promotion_order() {
    let workflow = github::load(&repository().join("examples/ci/github-actions/d360-orgs.yml"));
    let jobs = &workflow["jobs"];
    assert_eq!(jobs["plan"]["if"].as_str(), Some("github.event_name == 'pull_request'"));
    let mut before = None;
    for (job, environment) in [("dev", "dev"), ("staging", "staging"), ("prod", "production")] {
        assert_eq!(github::environment(&jobs[job]).as_deref(), Some(environment), "{job}");
        assert_eq!(jobs[job]["needs"].as_str(), before, "{job}");
        assert_eq!(jobs[job]["if"].as_str(), Some("github.event_name == 'push'"), "{job}");
        before = Some(job);
    }
}

#[test]
fn the_orgs_workflow_runs_as_written() {
    orgs::run_all(&github::Workflow::new("d360-orgs.yml"));
}

/// The orgs' GitLab pipeline: stages plan, dev, staging, prod; prod is started by hand.
#[test]
fn the_orgs_gitlab_pipeline_makes_prod_manual() {
    let file = "examples/ci/gitlab/orgs.gitlab-ci.yml";
    let pipeline = github::load(&repository().join(file));
    let stages: Vec<&str> = pipeline["stages"]
        .as_sequence()
        .expect("stages")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(stages, ["plan", "dev", "staging", "prod"]);
    let mut before: Option<&str> = None;
    for (job, environment) in [("dev", "dev"), ("staging", "staging"), ("prod", "production")] {
        assert_eq!(
            pipeline[job]["environment"]["name"].as_str(),
            Some(environment),
            "{job}"
        );
        let needs: Vec<&str> = pipeline[job]["needs"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .collect();
        assert_eq!(needs, before.into_iter().collect::<Vec<_>>(), "{job}");
        let rules = pipeline[job]["rules"].as_sequence().expect("rules");
        let manual = rules.iter().all(|rule| rule["when"].as_str() == Some("manual"));
        assert_eq!(manual, job == "prod", "{job}: only prod is `when: manual`");
        before = Some(job);
    }
}

#[test]
fn the_orgs_gitlab_pipeline_runs_as_written() {
    orgs::run_all(&gitlab::Gitlab::from_file("ci/gitlab/orgs.gitlab-ci.yml"));
}
