//! `d360 apply [PATHS | PLANFILE]`: plan (or re-check a saved plan), confirm, execute.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::ValueEnum;

use super::planning::{self, Selection};
use super::progress::Progress;
use super::session::{self, Session};
use super::{CliError, GlobalArgs, Outcome, manifests, plan as plan_command};
use crate::apply::{self, StepOutcome};
use crate::output;
use crate::plan::{self, Plan, Planned, SecretProbe};
use crate::refresh::HttpOrg;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders, or one plan file saved by `d360 plan --out`.
    #[command(flatten)]
    pub(crate) selection: Selection,
    /// Do not ask for confirmation (needed when stdin is not a terminal, as in CI).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Steps in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) parallelism: u16,
    /// How long to wait for another apply's state lock: `0`, `30s`, `5m`.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,
    /// `text`: the plan, then progress; `json`: one JSON event per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Parses `0`, `500ms`, `30s`, `5m`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30s` or `5m`"))?;
    let seconds = |n: u64| Duration::from_secs(n);
    match unit {
        "" | "s" => Ok(seconds(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "m" => Ok(seconds(number.saturating_mul(60))),
        "h" => Ok(seconds(number.saturating_mul(3600))),
        other => Err(format!("unknown unit `{other}` in `{text}`: use ms, s, m or h")),
    }
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let saved_path = match args.selection.paths.as_slice() {
        [path] if plan::is_plan_file(path) => Some(path.clone()),
        _ => None,
    };
    if saved_path.is_some()
        && (!args.selection.target.is_empty() || !args.selection.selector.is_empty() || args.selection.prune)
    {
        return Err(CliError::Usage(
            "--target, --selector and --prune shape a plan; with a saved plan, give them to `d360 plan` instead".into(),
        ));
    }
    let options = args.selection.options()?;
    let loaded = match saved_path {
        Some(_) => None,
        None => Some(manifests::load(&args.selection.paths)?),
    };
    let session = session::open(global).await?;
    let result = run_in(
        &args,
        &session,
        saved_path.as_deref(),
        loaded.as_ref().map(|l| l.resources.as_slice()),
        &options,
    )
    .await;
    session.close().await;
    result
}

async fn run_in(
    args: &Args,
    session: &Session,
    saved_path: Option<&std::path::Path>,
    desired: Option<&[crate::manifest::Declared]>,
    options: &plan::Options,
) -> Result<Outcome, CliError> {
    let lock = session.store.lock("d360 apply", args.lock_timeout).await?;
    let (prepared, saved) = match (saved_path, desired) {
        (Some(path), _) => {
            let plan = plan::load_saved(path)?;
            let org = HttpOrg {
                client: &session.client,
            };
            let (state, live) = apply::recheck(&plan, &session.org, &org, &session.store).await?;
            let probe = SecretProbe {
                key: session.store.fingerprint_key().await?,
            };
            (
                Planned {
                    plan,
                    state,
                    live,
                    probe,
                },
                true,
            )
        }
        (None, Some(desired)) => (planning::make(session, desired, options).await?, false),
        (None, None) => return Err(CliError::Usage("nothing to apply".into())),
    };
    let plan = &prepared.plan;
    match args.format {
        Format::Text => plan_command::print(plan, plan_command::Format::Text)?,
        Format::Json => output::data(&serde_json::json!({"event": "plan", "summary": plan.summary, "errors": plan.errors, "warnings": plan.warnings}).to_string()),
    }
    if !plan.errors.is_empty() {
        return Ok(Outcome::Failure);
    }
    if !plan.has_work() {
        return Ok(Outcome::Success);
    }
    if let Some(warning) = apply::api_budget_shortfall(plan, &session.client.stats()) {
        output::message(&warning);
    }
    if !saved && !args.auto_approve && !confirm()? {
        output::message("Apply cancelled.");
        return Ok(Outcome::Failure);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(apply::watch_signals(Arc::clone(&stop)));
    let progress = match args.format {
        Format::Json => Progress::Json,
        Format::Text => Progress::for_terminal(plan.actions.len()),
    };
    let executor = apply::Options {
        parallelism: usize::from(args.parallelism),
        stop: Arc::clone(&stop),
    };
    let work = apply::Work {
        plan,
        live: &prepared.live,
        state: prepared.state,
        probe: &prepared.probe,
    };
    let report = apply::execute(work, &session.client, Arc::clone(&session.store), &executor, &progress).await;
    watcher.abort();
    progress.finish();
    drop(lock);
    Ok(finish(plan, &report, args.format))
}

fn finish(plan: &Plan, report: &apply::Report, format: Format) -> Outcome {
    let complete = report.complete(plan);
    match format {
        Format::Json => output::data(
            &serde_json::json!({
                "event": "summary",
                "complete": complete,
                "interrupted": report.interrupted,
                "tally": report.tally(plan),
                "retries": report.retries,
                "elapsedSeconds": report.elapsed.as_secs_f64(),
                "stateError": report.state_error,
            })
            .to_string(),
        ),
        Format::Text => {
            if report.interrupted {
                let not_started: Vec<String> = report
                    .outcomes
                    .iter()
                    .filter(|(_, _, o)| *o == StepOutcome::NotStarted)
                    .filter_map(|(a, _, _)| plan.actions.get(*a).map(|a| a.key().to_string()))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !not_started.is_empty() {
                    output::message(&format!("Not started: {}", not_started.join(", ")));
                }
            }
            if let Some(error) = &report.state_error {
                output::message(&format!(
                    "error: {error}. The org has the changes; run `d360 apply` again to record them (d360 adopts them by name)."
                ));
            }
            let paint = output::Paint {
                enabled: output::stdout_color(),
            };
            let line = report.summary_line(plan);
            output::data(&if complete { paint.green(&line) } else { paint.red(&line) });
            if !complete && !report.interrupted {
                output::message(
                    "Fix the failures above and run `d360 apply` again: finished work is recorded and will not be repeated.",
                );
            }
        }
    }
    if report.interrupted {
        Outcome::Interrupted
    } else if complete {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

/// Asks on the terminal; refuses without one.
fn confirm() -> Result<bool, CliError> {
    if !output::stdin_is_terminal() {
        return Err(CliError::Usage("stdin is not a terminal, so there is no one to confirm; pass --auto-approve (as CI does) or apply a saved plan".into()));
    }
    output::message("\nDo you want to perform these actions? Only 'yes' will be accepted.");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}
