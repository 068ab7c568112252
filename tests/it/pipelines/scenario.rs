//! The GitOps life of one repository, the same for every pipeline: a pull request with
//! changes and one without, the merge applying the saved plan, a stale plan refused, nightly
//! drift failing only on the classes configured, and a broken manifest failing the plan.

use std::path::Path;

use super::world::{JobRun, SPIKE_LABEL, World};

/// The three GitOps jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Plan,
    Apply,
    Drift,
}

/// A pipeline definition that can run one of its jobs in a checkout.
pub(crate) trait Pipeline {
    /// Runs `stage`'s job in `checkout`, with the artifacts the jobs before it kept.
    fn run(&self, stage: Stage, checkout: &Path, world: &World) -> JobRun;
    /// Where the job's results (plan.md, plan.json, drift.xml) land in the checkout.
    fn out_dir(&self) -> &'static str;
    /// The key file the pipeline writes (where d360.yaml's `privateKeyFile` points).
    fn key_file(&self) -> &'static str {
        "keys/prod.key"
    }
}

fn read(checkout: &Path, file: &str) -> String {
    std::fs::read_to_string(checkout.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[track_caller]
fn succeeded(run: &JobRun, world: &World) {
    world.assert_no_secret_in(run);
    assert_eq!(run.code, 0, "{run:?}");
}

#[track_caller]
fn failed(run: &JobRun, world: &World) {
    world.assert_no_secret_in(run);
    assert_ne!(run.code, 0, "{run:?}");
}

/// Runs the whole life against a fresh emulator.
pub(crate) fn run_all(pipeline: &dyn Pipeline) {
    let world = World::new();
    let out = |file: &str| format!("{}/{file}", pipeline.out_dir());

    // A pull request that creates everything: a plan with changes passes.
    let pr = world.checkout();
    let run = pipeline.run(Stage::Plan, pr.path(), &world);
    succeeded(&run, &world);
    super::world::assert_key_file(pr.path(), pipeline.key_file(), "SF_PROD_PRIVATE_KEY", &world);
    let markdown = read(pr.path(), &out("plan.md"));
    assert!(markdown.contains("AWS_RDS_MySQL_spike_test"), "{markdown}");
    let saved: serde_json::Value = serde_json::from_str(&read(pr.path(), &out("plan.json"))).expect("plan JSON");
    assert!(saved.is_object(), "{saved}");

    // The merge applies that saved plan.
    let merge = world.checkout();
    succeeded(&pipeline.run(Stage::Apply, merge.path(), &world), &world);

    // A pull request that changes nothing: still a plan, still a pass.
    let unchanged = world.checkout();
    succeeded(&pipeline.run(Stage::Plan, unchanged.path(), &world), &world);
    let markdown = read(unchanged.path(), &out("plan.md"));
    assert!(markdown.to_lowercase().contains("no changes"), "{markdown}");
    assert!(unchanged.path().join(out("plan.json")).is_file());

    // Nightly, in sync; then with an object made by hand, which is reported but not failed.
    let nightly = world.checkout();
    succeeded(&pipeline.run(Stage::Drift, nightly.path(), &world), &world);
    junit(&read(nightly.path(), &out("drift.xml")));
    world.change_org(|other| {
        super::super::fleet::write_connection(other, "By_Hand", "AwsRdsMySql", "Made in Setup", "clinic", "");
    });
    let nightly = world.checkout();
    succeeded(&pipeline.run(Stage::Drift, nightly.path(), &world), &world);
    assert!(read(nightly.path(), &out("drift.xml")).contains("By_Hand"));

    // A pull request renames the connection; someone edits it in Setup before the merge:
    // the saved plan is stale and the merge job refuses it.
    let rename = world.checkout_with_label("Spike clinic (renamed in the PR)");
    succeeded(&pipeline.run(Stage::Plan, rename.path(), &world), &world);
    world.change_org(|other| {
        let text = other.read("manifests/connections.yaml");
        other.write(
            "manifests/connections.yaml",
            &text.replace(SPIKE_LABEL, "label: Edited in Setup"),
        );
    });
    // The merge job checks out the merged commit: the pull request's manifests.
    let merge = world.checkout_with_label("Spike clinic (renamed in the PR)");
    let refused = pipeline.run(Stage::Apply, merge.path(), &world);
    failed(&refused, &world);
    assert!(refused.log.contains("stale"), "{refused:?}");

    // That edit is `changed` drift, which the nightly job is configured to fail on.
    let nightly = world.checkout();
    let drifted = pipeline.run(Stage::Drift, nightly.path(), &world);
    failed(&drifted, &world);
    let xml = read(nightly.path(), &out("drift.xml"));
    assert!(junit(&xml) >= 1, "{xml}");

    // A broken manifest fails the pull request's plan.
    let broken = world.checkout();
    std::fs::write(
        broken.path().join("manifests/broken.yaml"),
        "apiVersion: d360/v1\nkind: Connection\nmetadata: { name: Broken }\nspec:\n  connectorType: AwsRdsMySql\n  credentials: { password: hunter2 }\n",
    )
    .expect("write");
    let refused = pipeline.run(Stage::Plan, broken.path(), &world);
    failed(&refused, &world);
    assert!(
        refused.log.contains("a literal secret value is not allowed"),
        "{refused:?}"
    );
}

/// Parses a JUnit report; returns how many test cases failed.
fn junit(xml: &str) -> usize {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not JUnit XML: {e}\n{xml}"));
    let cases: Vec<_> = document.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert!(!cases.is_empty(), "{xml}");
    cases
        .iter()
        .filter(|case| case.children().any(|n| n.has_tag_name("failure")))
        .count()
}
