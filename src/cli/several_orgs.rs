//! A command run on several orgs (`--org` repeated, `--org all`): for each org, concurrently,
//! load the manifests with that org's values, open its session (its own client and rate
//! limiter), run the command's stage on it, close the session, and collect one result per
//! org. An org's failure (its manifests, its login, its read) is that org's result: the other
//! orgs still run. Shared by `plan` and `drift`; not a command itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::session::{self, Session};
use super::{CliError, GlobalArgs, manifests, planning};
use crate::api::RetrySettings;
use crate::manifest::Loaded;
use crate::output;
use crate::plan;

/// What one org gave.
pub(crate) struct OrgRun<T> {
    pub(crate) org: String,
    /// The manifests as loaded for the org and what the stage made of them, or why not.
    pub(crate) result: Result<(Loaded, T), CliError>,
    /// The org's error as shown in its section (empty when it has none).
    pub(crate) message: String,
}

impl<T> OrgRun<T> {
    /// The stage's result, or the error message: what the org's section shows.
    pub(crate) fn outcome(&self) -> Result<&T, &str> {
        match &self.result {
            Ok((_, value)) => Ok(value),
            Err(_) => Err(&self.message),
        }
    }
}

/// Runs `stage` on every org of `orgs` at once, each with the manifests of `paths` loaded
/// with its values; in the order of `orgs`. Manifest warnings are printed to stderr, once for
/// the orgs that share them, and each org's failure too.
pub(crate) async fn run<T>(
    orgs: &[String],
    global: &GlobalArgs,
    paths: &[PathBuf],
    options: &plan::Options,
    stage: impl AsyncFn(&Session, &Loaded) -> Result<T, CliError>,
) -> Vec<OrgRun<T>> {
    let stage = &stage;
    let runs = orgs.iter().map(|org| async move {
        let result = one(org, global, paths, options, stage).await;
        let message = result.as_ref().err().map(super::describe).unwrap_or_default();
        OrgRun {
            org: org.clone(),
            result,
            message,
        }
    });
    let runs = futures::future::join_all(runs).await;
    print_warnings(&runs);
    // Stdout may go to a file (a PR comment, a report): each org's failure is said on stderr
    // too, so a job's log shows why it failed.
    for run in &runs {
        if run.result.is_err() {
            let message = run.message.strip_prefix("error: ").unwrap_or(&run.message);
            output::message(&format!("error: org `{}`: {message}", run.org));
        }
    }
    runs
}

async fn one<T>(
    org: &str,
    global: &GlobalArgs,
    paths: &[PathBuf],
    options: &plan::Options,
    stage: &impl AsyncFn(&Session, &Loaded) -> Result<T, CliError>,
) -> Result<(Loaded, T), CliError> {
    let loaded = manifests::load_for_section(paths, global.manifests_for(Some(org), global.aws_secrets())).await?;
    planning::refuse_empty(paths, &loaded, options)?;
    let session = session::open_selected(session::select_named(org, global)?, RetrySettings::from_env()).await?;
    let value = stage(&session, &loaded).await;
    session.close().await;
    Ok((loaded, value?))
}

/// The manifests' warnings of each org, printed once for the orgs whose warnings read the same.
fn print_warnings<T>(runs: &[OrgRun<T>]) {
    let mut orgs_by_text: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for run in runs {
        if let Ok((loaded, _)) = &run.result
            && !loaded.diagnostics.items.is_empty()
        {
            orgs_by_text
                .entry(loaded.diagnostics.render(output::stderr_color()))
                .or_default()
                .push(&run.org);
        }
    }
    for (text, orgs) in orgs_by_text {
        output::message(&format!("Manifest warnings for {}:", orgs.join(", ")));
        output::message(text.trim_end());
    }
}
