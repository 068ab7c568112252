//! `d360 plan`: read live, diff, print the plan; optionally save it for `apply`.

use std::path::PathBuf;

use super::plan_output::{Format, Layout, print};
use super::planning::{self, Selection};
use super::session;
use super::{CliError, GlobalArgs, Outcome, manifests};
use crate::output;
use crate::plan;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Save the plan here (JSON) for `d360 apply FILE`. Holds references, never secret values.
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
    let loaded = manifests::load(&args.selection.paths, global.manifests_to_plan()).await?;
    planning::refuse_empty(&args.selection.paths, &loaded, &options)?;
    let pending = planning::promotion_pending(global, &args.selection.paths, &loaded).await?;
    let session = session::open(global).await?;
    let planned = planning::make(&session, &loaded.resources, &options).await;
    session.close().await;
    let mut planned = planned?;
    planned.plan.warnings.extend(pending);
    print(&planned.plan, args.format, args.layout)?;
    if let Some(path) = &args.out {
        if planned.plan.errors.is_empty() {
            let key = plan::seal::key_from_env().map_err(plan::PlanFileError::from)?;
            let mut saved = planned.plan;
            let paths = manifests::default_paths(&args.selection.paths);
            let set = manifests::set_version(&paths, &loaded);
            saved.manifests =
                Some(plan::ManifestsRecord::of(&paths, &loaded.resources).with_set(set, options.is_partial()));
            plan::save(&saved, path, key.as_ref())?;
            planned.plan = saved;
            output::message(&format!(
                "Saved the plan to {}{}. Apply it with: d360 apply {}",
                path.display(),
                if key.is_some() { ", signed" } else { "" },
                path.display()
            ));
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
