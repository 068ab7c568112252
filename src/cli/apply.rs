//! `d360 apply [PATHS | PLANFILE]`: plan (or re-check a saved plan), confirm, execute. Reads
//! the manifests or the saved plan, opens the org and runs the apply stage
//! ([`crate::apply::run`]) through [`Execution`].

use super::execution::{Execution, Promotion};
use super::planning::{self, Selection};
use super::session;
use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome, manifests};
use crate::apply::{self, Source};
use crate::output;
use crate::plan::{self, Plan};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders, or one plan file saved by `d360 plan --out`.
    #[command(flatten)]
    pub(crate) selection: Selection,
    #[command(flatten)]
    pub(crate) execution: Execution,
    /// Apply even when the org this one promotes from (`promoteFrom:` in d360.yaml) has not
    /// converged to the same manifests; the summary says the check was skipped.
    #[arg(long)]
    pub(crate) skip_promotion_check: bool,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let saved_path = match args.selection.paths.as_slice() {
        [path] if plan::is_plan_file(path) => Some(path.clone()),
        _ => None,
    };
    if saved_path.is_some()
        && (!args.selection.target.is_empty()
            || !args.selection.selector.is_empty()
            || !args.selection.exclude.is_empty()
            || !args.selection.replace.is_empty()
            || args.selection.prune)
    {
        return Err(UsageError::ShapingASavedPlan.into());
    }
    let mut options = args.selection.options()?;
    options.check = args.execution.check;
    let mut saved = None;
    let loaded = if let Some(path) = &saved_path {
        // A saved plan holds references only: fetch the AWS secrets its actions send.
        let plan = load_checked(path, global.config.as_deref())?;
        let desired = plan.actions.iter().filter_map(|action| action.desired.as_deref());
        manifests::fetch_secrets(desired, usize::from(global.aws_parallelism)).await?;
        saved = Some(plan);
        None
    } else {
        let loaded = manifests::load(&args.selection.paths, global.manifests_to_plan()).await?;
        planning::refuse_empty(&args.selection.paths, &loaded, &options)?;
        Some(loaded)
    };
    // The manifest set this apply takes, and whether it covers all of it.
    let (set, partial) = match (&saved, &loaded) {
        (Some(plan), _) => plan
            .manifests
            .as_ref()
            .map_or((None, false), |record| (record.set.clone(), record.partial)),
        (None, Some(loaded)) => {
            let paths = manifests::default_paths(&args.selection.paths);
            (Some(manifests::set_version(&paths, loaded)), options.is_partial())
        }
        (None, None) => (None, true),
    };
    let selection = match &saved {
        // A saved plan names its org: without --org (or D360_ORG) it is applied there.
        Some(plan) if global.org.is_empty() => session::select_named(&plan.org, global)?,
        _ => session::select(global)?,
    };
    let checked = planning::check_promotion(
        &selection,
        set.as_ref(),
        args.skip_promotion_check,
        global.config.as_deref(),
    )
    .await?;
    let promotion = Promotion {
        checked,
        converge: set.filter(|_| !partial),
        forget: false,
    };
    let session = session::open_selected(selection, crate::api::RetrySettings::from_env()).await?;
    let source = match saved {
        Some(plan) => Source::Saved(Box::new(plan)),
        None => Source::Desired(loaded.as_ref().map_or(&[][..], |loaded| loaded.resources.as_slice())),
    };
    let result = args
        .execution
        .carry_out("d360 apply", &session, source, options, promotion)
        .await;
    session.close().await;
    result
}

/// Loads a saved plan and checks it before anything reads the org: its seal (digest, and
/// signature with `D360_PLAN_KEY`), every resource as `d360 validate` would, and the
/// manifests it was made from when they are here.
fn load_checked(path: &std::path::Path, config: Option<&std::path::Path>) -> Result<Plan, CliError> {
    let key = plan::seal::key_from_env().map_err(plan::PlanFileError::from)?;
    let (plan, sealed) = plan::load_saved(path, key.as_ref())?;
    if sealed == plan::Sealed::SignatureNotChecked {
        output::message(&format!(
            "note: the plan is signed, but {} is not set here, so its signature was not checked (its digest was)",
            plan::seal::KEY_VARIABLE
        ));
    }
    // The manifests are compared as loaded for the plan's own org (its `${org.…}` values).
    let org = crate::config::org_values(Some(&plan.org), config)?;
    if let Some(note) = apply::check_offline(&plan, &org)? {
        output::message(&note);
    }
    Ok(plan)
}
