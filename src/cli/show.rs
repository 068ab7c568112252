//! `d360 show PLANFILE`: print a plan saved by `plan --out` (text, JSON or markdown), and warn
//! when it looks stale: made for another org, or against state that has changed since.
//! Reads the state of the selected org; never contacts the org itself.

use std::path::PathBuf;

use super::plan::{self as plan_command, Format, Layout};
use super::{CliError, GlobalArgs, Outcome};
use crate::output;
use crate::plan;
use crate::state::Store;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A plan file written by `d360 plan --out FILE`.
    pub(crate) plan: PathBuf,
    /// `text` for people, `json` for machines, `markdown` for PR comments.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) layout: Layout,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let saved = plan::load_saved(&args.plan)?;
    plan_command::print(&saved, args.format, args.layout)?;
    let (org, config) = super::state::selected(global)?;
    if org != saved.org {
        output::message(&format!(
            "warning: the plan was made for org `{}`; --org selects `{org}`, so its state was not compared",
            saved.org
        ));
        return Ok(Outcome::Success);
    }
    let state = Store::open(&config, &org).await?.load().await?;
    // A state never written gets a new lineage each time it is read: only its serial counts.
    let other_lineage = state.serial > 0 && state.lineage != saved.state_lineage;
    if other_lineage || state.serial != saved.state_serial {
        output::message(&format!(
            "warning: the plan may be stale: it was made against state serial {} and the state of `{org}` is now at serial {}{}; `d360 apply {}` re-reads the org and refuses it if the objects changed",
            saved.state_serial,
            state.serial,
            if other_lineage { " of another lineage" } else { "" },
            args.plan.display()
        ));
    }
    Ok(Outcome::Success)
}
