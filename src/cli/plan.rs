//! `d360 plan`: read live, diff, print the plan; optionally save it for `apply`. With several
//! orgs (`--org` repeated, `--org all`), one plan per org, made at once, shown together.

use std::path::{Path, PathBuf};

use super::plan_output::{Format, Layout, print, print_several};
use super::planning::{self, Selection};
use super::session::{self, Session};
use super::{CliError, GlobalArgs, OrgChoice, Outcome, manifests, several_orgs};
use crate::manifest::Loaded;
use crate::output;
use crate::plan;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Save the plan here (JSON) for `d360 apply FILE`. Holds references, never secret values.
    /// With several orgs, a folder: `FILE/<org>.json` for each org whose plan has no error.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// `text` for people, `json` for machines (stable, versioned), `markdown` for PR comments.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Exit 2 when there are changes, 0 when none, 1 on error.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Ask the org whether what the plan writes would work: test each connection it creates or
    /// whose parameters or credentials it changes (with the body it would send), and browse
    /// the source of each stream it creates or changes (database, schema, object, fields and
    /// their types). A failure is a plan error on that resource. Costs API requests (counted
    /// in the estimate); without it, plan sends none beyond reading the org.
    #[arg(long)]
    pub(crate) check: bool,
    #[command(flatten)]
    pub(crate) layout: Layout,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let mut options = args.selection.options()?;
    options.check = args.check;
    let orgs = match global.orgs()? {
        OrgChoice::One(_) => return run_one(&args, global, &options).await,
        OrgChoice::Many(orgs) => orgs,
    };
    let paths = &args.selection.paths;
    let mut runs = several_orgs::run(
        &orgs,
        global,
        paths,
        &options,
        async |session: &Session, loaded: &Loaded| {
            let pending = planning::promotion_pending(Some(&session.org), global, paths, loaded).await?;
            let mut planned = planning::make(session, &loaded.resources, &options).await?;
            planned.plan.warnings.extend(pending);
            Ok(planned)
        },
    )
    .await;
    let outcomes: Vec<_> = runs
        .iter()
        .map(|run| plan::several::OrgOutcome {
            org: &run.org,
            outcome: run.outcome().map(|planned| &planned.plan),
        })
        .collect();
    print_several(&outcomes, args.format, args.layout)?;
    let tally = plan::several::tally(&outcomes);
    let outcome = if !tally.failed.is_empty() {
        Outcome::Failure
    } else if args.detailed_exitcode && !tally.changed.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Success
    };
    if let Some(folder) = &args.out {
        std::fs::create_dir_all(folder).map_err(|source| CliError::Write {
            path: folder.display().to_string(),
            source,
        })?;
        for run in &mut runs {
            match &mut run.result {
                Ok((loaded, planned)) if planned.plan.errors.is_empty() => {
                    save(
                        &mut planned.plan,
                        loaded,
                        paths,
                        &folder.join(format!("{}.json", run.org)),
                        options.is_partial(),
                    )?;
                }
                Ok(_) => output::message(&format!("The plan of `{}` has errors; not saved.", run.org)),
                Err(_) => output::message(&format!("`{}` was not planned; no plan saved for it.", run.org)),
            }
        }
    }
    Ok(outcome)
}

/// One org, as `plan` always did.
async fn run_one(args: &Args, global: &GlobalArgs, options: &plan::Options) -> Result<Outcome, CliError> {
    let loaded = manifests::load(&args.selection.paths, global.manifests_to_plan()).await?;
    planning::refuse_empty(&args.selection.paths, &loaded, options)?;
    let pending = planning::promotion_pending(global.single_org()?, global, &args.selection.paths, &loaded).await?;
    let session = session::open(global).await?;
    let planned = planning::make(&session, &loaded.resources, options).await;
    session.close().await;
    let mut planned = planned?;
    planned.plan.warnings.extend(pending);
    print(&planned.plan, args.format, args.layout)?;
    if let Some(path) = &args.out {
        if planned.plan.errors.is_empty() {
            save(
                &mut planned.plan,
                &loaded,
                &args.selection.paths,
                path,
                options.is_partial(),
            )?;
        } else {
            output::message("The plan has errors; not saved.");
        }
    }
    if !planned.plan.errors.is_empty() {
        return Ok(Outcome::Failure);
    }
    if args.detailed_exitcode && planned.plan.has_work() {
        return Ok(Outcome::Changes);
    }
    Ok(Outcome::Success)
}

/// Saves `plan` (made from `loaded`, read from `paths`; `partial` when limited to part of
/// the set) to `path` for `d360 apply`, signed when `D360_PLAN_KEY` is set, and says so. The
/// file carries the manifest set as written, which `apply` checks against the org promoted
/// from and records as converged.
fn save(plan: &mut plan::Plan, loaded: &Loaded, paths: &[PathBuf], path: &Path, partial: bool) -> Result<(), CliError> {
    let key = plan::seal::key_from_env().map_err(plan::PlanFileError::from)?;
    let paths = manifests::default_paths(paths);
    let set = manifests::set_version(&paths, loaded);
    plan.manifests = Some(plan::ManifestsRecord::of(&paths, &loaded.resources).with_set(set, partial));
    // Whether promotion lets the plan apply is asked again when it is applied: a warning of
    // today's answer would go stale in the file.
    let warnings = std::mem::take(&mut plan.warnings);
    let (pending, kept): (Vec<_>, Vec<_>) = warnings
        .into_iter()
        .partition(|warning| matches!(warning, plan::Warning::PromotionPending { .. }));
    plan.warnings = kept;
    let saved = plan::save(plan, path, key.as_ref());
    plan.warnings.extend(pending);
    saved?;
    output::message(&format!(
        "Saved the plan to {}{}. Apply it with: d360 apply {}",
        path.display(),
        if key.is_some() { ", signed" } else { "" },
        path.display()
    ));
    Ok(())
}
