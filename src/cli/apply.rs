//! `d360 apply [PATHS | PLANFILE]`: plan (or re-check a saved plan), confirm, execute.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::ValueEnum;

use super::planning::{self, Selection};
use super::progress::Progress;
use super::session::{self, Session};
use super::{CliError, GlobalArgs, Outcome, manifests, plan as plan_command};
use crate::apply::{self, StepOutcome};
use crate::output;
use crate::plan::{self, LiveSnapshot, Plan, SecretProbe};
use crate::state::State;

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

/// What to execute and against what.
struct Prepared {
    plan: Plan,
    state: State,
    live: LiveSnapshot,
    probe: SecretProbe,
    saved: bool,
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
    let prepared = match (saved_path, desired) {
        (Some(path), _) => recheck_saved(session, path).await?,
        (None, Some(desired)) => {
            let planned = planning::make(session, desired, options).await?;
            Prepared {
                plan: planned.plan,
                state: planned.state,
                live: planned.live,
                probe: planned.probe,
                saved: false,
            }
        }
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
    warn_about_api_budget(session, plan);
    if !prepared.saved && !args.auto_approve && !confirm()? {
        output::message("Apply cancelled.");
        return Ok(Outcome::Failure);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch_signals(Arc::clone(&stop)));
    let progress = match args.format {
        Format::Json => Progress::Json,
        Format::Text => Progress::for_terminal(plan.actions.len()),
    };
    let executor = apply::Options {
        parallelism: usize::from(args.parallelism),
        stop: Arc::clone(&stop),
    };
    let stream_connections = planning::stream_connections(&prepared.live);
    let report = apply::execute(
        plan,
        &stream_connections,
        &session.client,
        &prepared.probe,
        &session.store,
        prepared.state,
        &executor,
        &progress,
    )
    .await;
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

/// Warns when the org's daily API allowance (from `Sforce-Limit-Info`) is too small for the
/// plan: at least one request per step, more with retries.
fn warn_about_api_budget(session: &Session, plan: &Plan) {
    let stats = session.client.stats();
    if stats.api_limit == 0 {
        return;
    }
    let remaining = stats.api_limit.saturating_sub(stats.api_used);
    let needed = plan
        .actions
        .iter()
        .map(|a| {
            if a.action == crate::plan::ActionKind::Replace {
                2
            } else {
                1
            }
        })
        .sum::<u64>();
    if needed > remaining {
        output::message(&format!(
            "warning: the org has {remaining} API requests left today (Sforce-Limit-Info {}/{}) and this apply needs at least {needed}; it may stop with REQUEST_LIMIT_EXCEEDED",
            stats.api_used, stats.api_limit
        ));
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

/// First Ctrl-C / SIGTERM: stop starting steps. Second: exit at once.
async fn watch_signals(stop: Arc<AtomicBool>) {
    signal().await;
    stop.store(true, Ordering::SeqCst);
    output::message(
        "Interrupted: no new steps start; waiting for those in flight, then saving state. Press Ctrl-C again to exit at once.",
    );
    signal().await;
    output::message("Interrupted again: exiting now. Run `d360 apply` again to converge.");
    std::process::exit(130);
}

/// Waits for SIGINT or SIGTERM.
pub(crate) async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).ok();
        let term = async {
            match terminate.as_mut() {
                Some(stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Loads a saved plan and refuses it when the org or state moved since it was made.
async fn recheck_saved(session: &Session, path: &std::path::Path) -> Result<Prepared, CliError> {
    let plan = plan::load_saved(path)?;
    if plan.org != session.org {
        return Err(CliError::Usage(format!(
            "the plan was made for org `{}`, not `{}`; use --org {}",
            plan.org, session.org, plan.org
        )));
    }
    let state = session.store.load().await?;
    // An absent state (serial 0) gets a fresh lineage on every read: only written states have one.
    if state.serial != plan.state_serial || (state.serial > 0 && state.lineage != plan.state_lineage) {
        return Err(CliError::Usage(format!(
            "the state changed since the plan was made (serial {} then, {} now): another apply ran. Run `d360 plan` again",
            plan.state_serial, state.serial
        )));
    }
    let types: BTreeSet<String> = plan.connector_types.iter().cloned().collect();
    let live = plan::live::read(&session.client, &types, plan.data_streams_listed).await?;
    let mut changed = Vec::new();
    for (key, fingerprint) in &plan.fingerprints {
        match live.objects.iter().find(|(k, _)| k.to_string() == *key) {
            Some((_, object)) if object.fingerprint == *fingerprint => {}
            Some(_) => changed.push(format!("{key} changed")),
            None => changed.push(format!("{key} was deleted")),
        }
    }
    for key in live.objects.keys() {
        if !plan.fingerprints.contains_key(&key.to_string()) {
            changed.push(format!("{key} appeared"));
        }
    }
    if !changed.is_empty() {
        return Err(CliError::Usage(format!(
            "the org changed since the plan was made ({}); the plan is stale. Run `d360 plan` again",
            changed.join(", ")
        )));
    }
    let probe = SecretProbe {
        key: session.store.fingerprint_key().await?,
    };
    Ok(Prepared {
        plan,
        state,
        live,
        probe,
        saved: true,
    })
}
