//! Every example pipeline validates against the published schema for its kind (vendored under
//! `tests/schemas/ci/`, see its SOURCE.md), and the validator rejects what GitLab rejects.

use std::path::Path;

use super::repository;

/// Which published schema a file follows.
#[derive(Clone, Copy, Debug)]
enum Kind {
    GithubWorkflow,
    GithubAction,
    GitlabCi,
}

impl Kind {
    fn schema_file(self) -> &'static str {
        match self {
            Self::GithubWorkflow => "github-workflow.json",
            Self::GithubAction => "github-action.json",
            Self::GitlabCi => "gitlab-ci.json",
        }
    }
}

/// The validator for `kind`, built from the vendored schema (draft-07, no remote `$ref`s).
fn validator(kind: Kind) -> jsonschema::Validator {
    let path = repository().join("tests/schemas/ci").join(kind.schema_file());
    let text = std::fs::read_to_string(&path).expect("vendored schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", kind.schema_file()))
}

/// What the schema says is wrong with `document`, one line per error.
fn errors(kind: Kind, document: &serde_yaml::Value) -> Vec<String> {
    let instance = serde_json::to_value(document).expect("YAML as JSON");
    validator(kind)
        .iter_errors(&instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn load(path: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

#[test]
fn every_pipeline_file_validates_against_its_published_schema() {
    let files = [
        ("examples/ci/github-actions/d360-plan.yml", Kind::GithubWorkflow),
        ("examples/ci/github-actions/d360-apply.yml", Kind::GithubWorkflow),
        ("examples/ci/github-actions/d360-drift.yml", Kind::GithubWorkflow),
        ("examples/ci/github-actions/d360-with-action.yml", Kind::GithubWorkflow),
        ("examples/ci/github-actions/d360-release.yml", Kind::GithubWorkflow),
        ("examples/ci/github-actions/d360-orgs.yml", Kind::GithubWorkflow),
        ("action.yml", Kind::GithubAction),
        ("examples/ci/gitlab/.gitlab-ci.yml", Kind::GitlabCi),
        ("examples/ci/gitlab/d360.gitlab-ci.yml", Kind::GitlabCi),
        ("examples/ci/gitlab/orgs.gitlab-ci.yml", Kind::GitlabCi),
    ];
    let mut problems = Vec::new();
    for (file, kind) in files {
        for error in errors(kind, &load(&repository().join(file))) {
            problems.push(format!("{file}: {error}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_example_pipeline_is_checked() {
    let mut found = Vec::new();
    for folder in ["examples/ci/github-actions", "examples/ci/gitlab"] {
        for entry in std::fs::read_dir(repository().join(folder)).expect("examples folder") {
            found.push(format!(
                "{folder}/{}",
                entry.expect("entry").file_name().to_string_lossy()
            ));
        }
    }
    found.sort();
    let source = include_str!("schemas.rs");
    let unchecked: Vec<&String> = found
        .iter()
        .filter(|file| !source.contains(&format!("\"{file}\"")))
        .collect();
    assert!(unchecked.is_empty(), "pipelines with no schema check: {unchecked:?}");
}

/// The schema is strict where GitLab is: the old example's `variables:` under `default:` is
/// refused, while the same variables at the top level pass.
#[test]
fn the_gitlab_schema_rejects_variables_under_default() {
    let broken: serde_yaml::Value = serde_yaml::from_str(
        "default:\n  image: rust:1\n  variables:\n    D360_ORG: prod\nplan:\n  script: [d360 plan]\n",
    )
    .expect("YAML");
    let found = errors(Kind::GitlabCi, &broken);
    assert!(found.iter().any(|e| e.starts_with("/default")), "{found:?}");

    let fixed: serde_yaml::Value =
        serde_yaml::from_str("default:\n  image: rust:1\nvariables:\n  D360_ORG: prod\nplan:\n  script: [d360 plan]\n")
            .expect("YAML");
    assert_eq!(errors(Kind::GitlabCi, &fixed), Vec::<String>::new());
}

/// The workflow and action schemas catch the mistakes that matter here: a step with both
/// `run` and `uses`, a composite `run` step without `shell`.
#[test]
fn the_github_schemas_reject_malformed_steps() {
    let workflow: serde_yaml::Value = serde_yaml::from_str(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        run: echo\n",
    )
    .expect("YAML");
    assert!(!errors(Kind::GithubWorkflow, &workflow).is_empty());
    let action: serde_yaml::Value =
        serde_yaml::from_str("name: a\ndescription: b\nruns:\n  using: composite\n  steps:\n    - run: echo\n")
            .expect("YAML");
    assert!(!errors(Kind::GithubAction, &action).is_empty());
}
