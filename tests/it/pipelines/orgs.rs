//! One repository, three orgs (`dev`; `staging` promoted from dev; `prod` from staging), the
//! same life for the GitHub workflow and the GitLab pipeline: a pull request is planned for
//! every org by one job in one comment; the merge applies dev, then staging, then prod (which
//! waits for an approval or a manual start); a prod job run before staging converged to the
//! same manifests is refused and writes nothing; a pull request with no changes plans "no
//! changes" for all three; a broken manifest fails the plan job.

use std::collections::BTreeMap;
use std::path::Path;

use super::world::{JobRun, World, head};

/// The orgs, in promotion order; also the names of the jobs that apply them.
pub(crate) const ORGS: [&str; 3] = ["dev", "staging", "prod"];

/// What starts a pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A pull (merge) request is opened or updated.
    PullRequest,
    /// A merge to the default branch.
    Merge,
}

/// The jobs an event ran, in order, and those left waiting for a person (a reviewer of a
/// protected environment, a manual start).
pub(crate) struct Run {
    pub(crate) ran: Vec<(String, JobRun)>,
    pub(crate) waiting: Vec<String>,
}

impl Run {
    fn names(&self) -> Vec<&str> {
        self.ran.iter().map(|(name, _)| name.as_str()).collect()
    }
}

/// A pipeline definition for several orgs.
pub(crate) trait Promotion {
    /// Runs the jobs `event` starts for the commit `checkout`, each in a fresh copy of it, in
    /// the order the pipeline gives; a job whose needs did not succeed is not run.
    fn trigger(&self, event: Event, checkout: &Path, world: &World) -> Run;
    /// Runs one job of the merge pipeline by hand for the commit `checkout` (an approval, a
    /// manual start, a re-run), whatever ran before it.
    fn run_job(&self, job: &str, checkout: &Path, world: &World) -> JobRun;
    /// The plan comment's text, each time a job posted it.
    fn comments(&self) -> Vec<String>;
    /// The saved plans the plan job kept: file name → contents.
    fn plans(&self) -> BTreeMap<String, Vec<u8>>;
}

#[track_caller]
fn succeeded(name: &str, run: &JobRun, world: &World) {
    world.assert_no_secret_in(run);
    assert_eq!(run.code, 0, "{name}: {run:?}");
}

/// The last comment posted, after checking exactly `count` were posted in all.
#[track_caller]
fn last_comment(pipeline: &dyn Promotion, count: usize) -> String {
    let comments = pipeline.comments();
    assert_eq!(comments.len(), count, "{comments:#?}");
    comments.last().cloned().unwrap_or_default()
}

/// Checks that `comment` has a row in the summary table and one collapsible section for each
/// org, and returns each org's section (its text up to the next org's).
#[track_caller]
fn sections(comment: &str) -> BTreeMap<&'static str, String> {
    let mut starts: Vec<(usize, &'static str)> = ORGS
        .iter()
        .map(|org| {
            assert!(
                comment.contains(&format!("| `{org}` |")),
                "no summary row for `{org}`:\n{comment}"
            );
            // A section is open when the org's plan failed.
            let heading = regex::Regex::new(&format!("<details( open)?><summary><b>{org}</b>")).expect("regex");
            let found: Vec<_> = heading.find_iter(comment).collect();
            assert_eq!(found.len(), 1, "one section for `{org}`:\n{comment}");
            (found[0].start(), *org)
        })
        .collect();
    starts.sort_unstable();
    let ends = starts.iter().skip(1).map(|(at, _)| *at).chain([comment.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|((start, org), end)| (*org, comment[*start..end].to_owned()))
        .collect()
}

/// Runs the life against three fresh emulators.
pub(crate) fn run_all(pipeline: &dyn Promotion) {
    let world = World::with_orgs(&ORGS);
    let spike = "AWS_RDS_MySQL_spike_test";

    // A pull request that creates everything: one job plans the three orgs, one comment.
    let pr = world.checkout();
    let run = pipeline.trigger(Event::PullRequest, pr.path(), &world);
    assert_eq!(run.names(), ["plan"], "one job plans every org");
    assert!(run.waiting.is_empty());
    succeeded("plan", &run.ran[0].1, &world);
    let comment = last_comment(pipeline, 1);
    // The example manifests: 21 connections and 20 data streams, new in every org.
    for (org, section) in sections(&comment) {
        assert!(section.contains("41 to create"), "{org}: {section}");
    }
    let plans = pipeline.plans();
    let names: Vec<&str> = plans.keys().map(String::as_str).collect();
    assert_eq!(names, ["dev.json", "prod.json", "staging.json"], "a saved plan per org");
    for (name, contents) in &plans {
        let plan: serde_json::Value = serde_json::from_slice(contents).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.is_object(), "{name}: {plan}");
    }
    for org in &world.orgs {
        assert_eq!(org.writes(), Vec::<String>::new(), "planning wrote to {}", org.name);
    }

    // The merge applies dev, then staging; prod waits for a person, then applies.
    let merged = world.checkout();
    let run = pipeline.trigger(Event::Merge, merged.path(), &world);
    assert_eq!(run.names(), ["dev", "staging"], "promotion order");
    for (name, job) in &run.ran {
        succeeded(name, job, &world);
    }
    assert_eq!(run.waiting, ["prod"], "prod waits for an approval or a manual start");
    for org in ["dev", "staging"] {
        assert!(world.org(org).objects().contains(spike), "{org} has the objects");
    }
    assert_eq!(
        world.org("prod").writes(),
        Vec::<String>::new(),
        "prod before its approval"
    );
    succeeded("prod", &pipeline.run_job("prod", merged.path(), &world), &world);
    for org in &world.orgs {
        let objects = org.objects();
        for name in [spike, "AWS_RDS_c20", "Clinic_c20_Patients"] {
            assert!(objects.contains(name), "{}: no {name}", org.name);
        }
    }

    // A pull request with no changes: every org plans "no changes", and the job passes.
    let unchanged = world.checkout();
    let run = pipeline.trigger(Event::PullRequest, unchanged.path(), &world);
    succeeded("plan", &run.ran[0].1, &world);
    let comment = last_comment(pipeline, 2);
    for (org, section) in sections(&comment) {
        assert!(section.to_lowercase().contains("no changes"), "{org}: {section}");
    }

    // A pull request renames the connection and merges; dev applies, and then the prod job is
    // run before staging's: refused before any write, naming staging.
    let label = "Spike clinic (renamed in the PR)";
    let renamed = world.checkout_with_label(label);
    let before = world.org("prod").writes();
    succeeded("dev", &pipeline.run_job("dev", renamed.path(), &world), &world);
    let refused = pipeline.run_job("prod", renamed.path(), &world);
    world.assert_no_secret_in(&refused);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.log.contains("staging"),
        "the refusal names staging: {refused:?}"
    );
    assert!(refused.log.contains("--skip-promotion-check"), "{refused:?}");
    // Both commits: the one this job would apply, the one staging converged to.
    for commit in [head(renamed.path()), head(merged.path())] {
        assert!(
            refused.log.contains(&format!("commit {}", &commit[..7])),
            "the refusal names {commit}: {refused:?}"
        );
    }
    assert_eq!(world.org("prod").writes(), before, "the refused job wrote to prod");
    assert!(!world.org("prod").objects().contains(label));

    // In order, staging then prod, the change reaches prod.
    succeeded("staging", &pipeline.run_job("staging", renamed.path(), &world), &world);
    succeeded("prod", &pipeline.run_job("prod", renamed.path(), &world), &world);
    for org in &world.orgs {
        assert!(org.objects().contains(label), "{} has the new label", org.name);
    }

    // A broken manifest fails the pull request's plan job (exit 1 is not "changes"), after
    // the comment says why in every org's section (and the job's log too).
    let broken = world.checkout();
    std::fs::write(
        broken.path().join("manifests/broken.yaml"),
        "apiVersion: d360/v1\nkind: Connection\nmetadata: { name: Broken }\nspec:\n  connectorType: AwsRdsMySql\n  credentials: { password: hunter2 }\n",
    )
    .expect("write");
    let run = pipeline.trigger(Event::PullRequest, broken.path(), &world);
    assert_eq!(run.names(), ["plan"]);
    let failed = &run.ran[0].1;
    world.assert_no_secret_in(failed);
    assert_eq!(failed.code, 1, "{failed:?}");
    let why = "a literal secret value is not allowed";
    assert!(failed.log.contains(why), "{failed:?}");
    let comment = last_comment(pipeline, 3);
    for (org, section) in sections(&comment) {
        assert!(section.contains(why), "{org}: {section}");
    }
}
