//! `d360 show PLANFILE`: print a plan saved by `plan --out` (text, JSON or markdown) with, in
//! text, every request apply would send (credentials as references), and warn when it looks
//! stale (made for another org, or against state that has changed since) or when apply would
//! refuse it. Checks its seal as apply does. Reads the state of the selected org; never
//! contacts the org itself.

use std::path::PathBuf;

use super::plan_output::{self as plan_command, Format, Layout};
use super::{CliError, GlobalArgs, Outcome};
use crate::output;
use crate::plan;
use crate::plan::Plan;
use crate::state::Store;

/// Every request the plan's creates and updates send, in plan order (a replace sends its
/// create), with credentials as their references: what an edited field would change shows.
fn requests(plan: &Plan) -> String {
    use crate::plan::ActionKind;
    let mut out = String::from("\nRequests apply sends (credentials as references, never values):\n");
    let mut any = false;
    for action in &plan.actions {
        let id = match action.action {
            ActionKind::Create | ActionKind::Replace => None,
            ActionKind::Update => Some(action.id.as_deref().unwrap_or("(no id)")),
            ActionKind::Delete | ActionKind::Adopt | ActionKind::Forget => continue,
        };
        let Some(desired) = &action.desired else { continue };
        any = true;
        let references: crate::kinds::Credentials = desired
            .secrets()
            .iter()
            .map(|(name, reference)| (name.clone(), secrecy::SecretString::from(format!("<{reference}>"))))
            .collect();
        match desired.request(id, &references) {
            Ok(request) => {
                let body = serde_json::to_string_pretty(&request.body).unwrap_or_default();
                out.push_str(&format!(
                    "\n{} {}: {} /{}\n{body}\n",
                    action.action.symbol(),
                    action.key(),
                    request.method,
                    request.path
                ));
            }
            Err(error) => out.push_str(&format!(
                "\n{} {}: cannot be sent: {error}\n",
                action.action.symbol(),
                action.key()
            )),
        }
    }
    if !any {
        out.push_str("(none)\n");
    }
    out.trim_end().to_owned()
}

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
    let key = plan::seal::key_from_env().map_err(plan::PlanFileError::from)?;
    let (saved, sealed) = plan::load_saved(&args.plan, key.as_ref())?;
    plan_command::print(&saved, args.format, args.layout)?;
    if args.format == Format::Text {
        output::data(&requests(&saved));
    }
    if sealed == plan::Sealed::SignatureNotChecked {
        output::message(&format!(
            "note: the plan is signed, but {} is not set here, so its signature was not checked",
            plan::seal::KEY_VARIABLE
        ));
    }
    if let Err(refusal) = crate::apply::check_content(&saved) {
        output::message(&format!("warning: `d360 apply` would refuse this plan: {refusal}"));
    }
    let (org, config) = super::session::select_state(global)?;
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
