//! `d360 apply [PATHS | PLANFILE]`: plan (or re-check a saved plan), confirm, execute.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::ValueEnum;

use super::plan_output as plan_command;
use super::planning::{self, Selection, parse_duration};
use super::progress::Progress;
use super::session::{self, Session};
use super::usage_error::UsageError;
use super::values::{parse_parallelism, parse_reserve};
use super::{CliError, GlobalArgs, Outcome, manifests};
use crate::api::Concurrency;
use crate::apply;
use crate::apply::{Parallelism, Reserve};
use crate::output;
use crate::plan::{self, Plan, Planned};
use crate::refresh::HttpOrg;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders, or one plan file saved by `d360 plan --out`.
    #[command(flatten)]
    pub(crate) selection: Selection,
    #[command(flatten)]
    pub(crate) execution: Execution,
}

/// How a plan is carried out (shared by `apply` and `destroy`).
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "command-line switches, each its own flag")]
pub(crate) struct Execution {
    /// Do not ask for confirmation (needed when stdin is not a terminal, as in CI).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Requests in flight: `auto` (the default) adapts to how the org answers, growing while
    /// answers are fast and clean and cutting back on 429, 503 or the concurrent-request
    /// limit; a number from 1 to 256 pins it.
    #[arg(long, default_value = "auto", value_parser = parse_parallelism)]
    pub(crate) parallelism: Parallelism,
    /// API requests of the org's daily allowance to leave unspent: a count (`500`) or a share
    /// of the allowance (`10%`, the default). An apply that would eat into it does not start,
    /// and one that reaches it stops starting steps.
    #[arg(long, default_value = "10%", value_parser = parse_reserve)]
    pub(crate) api_reserve: Reserve,
    /// Start even when the estimate says the org's daily API allowance is too small; the apply
    /// still stops starting steps at the reserve, and at a spent allowance.
    #[arg(long)]
    pub(crate) ignore_api_budget: bool,
    /// The most requests `--parallelism auto` keeps in flight.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) max_parallelism: u16,
    /// How long to wait for another apply's state lock: `0`, `30s`, `5m`.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,
    /// Check before starting, as `d360 plan --check` does (a failed check stops the apply
    /// before anything is written); a stream whose connection the apply creates is checked
    /// right before its own create, and a failure fails that step.
    #[arg(long)]
    pub(crate) check: bool,
    /// After writing, test each connection created or changed (`POST
    /// /ssot/connections/{id}/actions/test`) and report the result per resource; a failed test
    /// exits 1 (the connection stays, and state records it).
    #[arg(long)]
    pub(crate) verify: bool,
    /// `text`: the plan, then progress; `json`: one JSON event per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) layout: plan_command::Layout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

impl Execution {
    /// Steps the scheduler keeps started, and the requests the client keeps in flight.
    fn concurrency(&self) -> (usize, Concurrency) {
        match self.parallelism {
            Parallelism::Auto => {
                let max = usize::from(self.max_parallelism);
                (max, Concurrency::Auto { max })
            }
            Parallelism::Fixed(n) => (usize::from(n), Concurrency::Fixed(usize::from(n))),
        }
    }
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
        let plan = load_checked(path)?;
        let desired = plan.actions.iter().filter_map(|action| action.desired.as_deref());
        manifests::fetch_secrets(desired, usize::from(global.aws_parallelism)).await?;
        saved = Some(plan);
        None
    } else {
        let loaded = manifests::load(&args.selection.paths, global.aws_secrets()).await?;
        planning::refuse_empty(&args.selection.paths, &loaded, &options)?;
        Some(loaded)
    };
    let session = session::open(global).await?;
    let result = run_in(
        &args.execution,
        "d360 apply",
        &session,
        saved,
        loaded.as_ref().map(|l| l.resources.as_slice()),
        &options,
    )
    .await;
    session.close().await;
    result
}

/// Plans (or re-checks a saved plan), confirms and executes, under the state lock.
pub(crate) async fn run_in(
    args: &Execution,
    command: &str,
    session: &Session,
    saved_plan: Option<Plan>,
    desired: Option<&[crate::manifest::Declared]>,
    options: &plan::Options,
) -> Result<Outcome, CliError> {
    let lock = Arc::new(session.store.lock(command, args.lock_timeout).await?);
    let (source, saved) = match (saved_plan, desired) {
        (Some(plan), _) => (apply::Source::Saved(Box::new(plan)), true),
        (None, Some(desired)) => (apply::Source::Desired(desired), false),
        (None, None) => return Err(UsageError::NothingToApply.into()),
    };
    let prepared = apply::prepare(session, source, options).await?;
    let carried = carry_out(args, session, &prepared, saved, None, &lock).await?;
    // The live objects the plan read are no longer needed: the read-back reads its own.
    let Planned { plan, state, live, .. } = prepared;
    drop(live);
    if let Some(report) = &carried.report {
        report_not_kept(&plan, report, &state, session, args.format).await;
    }
    drop(lock);
    Ok(carried.outcome)
}

/// Loads a saved plan and checks it before anything reads the org: its seal (digest, and
/// signature with `D360_PLAN_KEY`), every resource as `d360 validate` would, and the
/// manifests it was made from when they are here.
fn load_checked(path: &std::path::Path) -> Result<Plan, CliError> {
    let key = plan::seal::key_from_env().map_err(plan::PlanFileError::from)?;
    let (plan, sealed) = plan::load_saved(path, key.as_ref())?;
    if sealed == plan::Sealed::SignatureNotChecked {
        output::message(&format!(
            "note: the plan is signed, but {} is not set here, so its signature was not checked (its digest was)",
            plan::seal::KEY_VARIABLE
        ));
    }
    if let Some(note) = apply::check_offline(&plan)? {
        output::message(&note);
    }
    Ok(plan)
}

/// What [`carry_out`] did: the outcome, and the apply's report when it started one.
pub(crate) struct Carried {
    pub(crate) outcome: Outcome,
    pub(crate) report: Option<apply::Report>,
}

/// Prints the plan, then (when it has work and no errors) checks the API budget, confirms
/// unless `saved` or `--auto-approve`, and executes it. The caller holds the state lock.
/// `stop` is the flag that stops new steps; `None` watches Ctrl-C and SIGTERM for it. `lock`
/// is the state lock the caller holds.
pub(crate) async fn carry_out(
    args: &Execution,
    session: &Session,
    prepared: &Planned,
    saved: bool,
    stop: Option<Arc<AtomicBool>>,
    lock: &Arc<crate::state::StateLock>,
) -> Result<Carried, CliError> {
    let done = |outcome| Ok(Carried { outcome, report: None });
    let plan = &prepared.plan;
    match args.format {
        Format::Text => plan_command::print(plan, plan_command::Format::Text, args.layout)?,
        Format::Json => output::data(&serde_json::json!({"event": "plan", "summary": plan.summary, "errors": plan.errors, "warnings": plan.warnings}).to_string()),
    }
    if !plan.errors.is_empty() {
        return done(Outcome::Failure);
    }
    if !plan.has_work() {
        return done(Outcome::Success);
    }
    let stats = session.client.stats();
    let reserve = (stats.api_limit > 0).then(|| args.api_reserve.of(stats.api_limit));
    if let Some(refusal) = apply::api_budget_shortfall(plan, &stats, reserve.unwrap_or(0)) {
        if !args.ignore_api_budget {
            output::message(&format!(
                "error: {refusal}. Wait for the allowance to refill, lower --api-reserve, or pass --ignore-api-budget"
            ));
            return Ok(Carried {
                outcome: Outcome::Failure,
                report: None,
            });
        }
        output::message(&format!("warning: {refusal}; going ahead (--ignore-api-budget)"));
    }
    if !saved && !args.auto_approve && !confirm()? {
        output::message("Apply cancelled.");
        return done(Outcome::Failure);
    }
    let (stop, watcher) = if let Some(stop) = stop {
        (stop, None)
    } else {
        let stop = Arc::new(AtomicBool::new(false));
        (Arc::clone(&stop), Some(tokio::spawn(apply::watch_signals(stop))))
    };
    let progress = match args.format {
        Format::Json => Progress::Json,
        Format::Text => Progress::for_terminal(plan.actions.len()),
    };
    let (steps, requests) = args.concurrency();
    session.client.set_concurrency(requests);
    let executor = apply::Options {
        parallelism: steps,
        stop: Arc::clone(&stop),
        api_floor: reserve,
        check: args.check,
    };
    let work = apply::Work {
        plan,
        live: &prepared.live,
        state: prepared.state.clone(),
        probe: &prepared.probe,
        lock: Arc::clone(lock),
    };
    let report = apply::execute(work, &session.client, Arc::clone(&session.store), &executor, &progress).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    progress.finish();
    let verified = if args.verify && !report.interrupted {
        let recorded = session.store.load().await?;
        apply::verify(plan, &report, &recorded, &session.client).await
    } else {
        Vec::new()
    };
    let mut outcome = finish(plan, &report, args.format);
    if args.verify && !print_verified(&verified, args.format) && outcome == Outcome::Success {
        outcome = Outcome::Failure;
    }
    Ok(Carried {
        outcome,
        report: Some(report),
    })
}

/// Reads back what the apply wrote and says which fields the org did not keep (recorded in
/// state so the next plan does not propose them again). A read that fails is a warning: the
/// apply itself is done.
pub(crate) async fn report_not_kept(
    plan: &Plan,
    report: &apply::Report,
    before: &crate::state::State,
    session: &Session,
    format: Format,
) {
    if report.interrupted || report.stopped.is_some() || report.state_error.is_some() {
        return;
    }
    let reader = HttpOrg {
        client: &session.client,
    };
    match apply::read_back(plan, report, before, &reader, &session.store).await {
        Ok(unkept) => {
            for object in unkept {
                match format {
                    Format::Text => output::message(&format!("warning: {}: {}", object.key(), object.describe())),
                    Format::Json => output::data(
                        &serde_json::json!({"event": "notKept", "resource": object.key().to_string(), "fields": object.fields})
                            .to_string(),
                    ),
                }
            }
        }
        Err(error) => output::message(&format!(
            "warning: could not read back what was written, to check the org kept it: {}",
            output::chain(&error)
        )),
    }
}

/// `--verify`: one line (or JSON event) per object tested, then a summary; whether all passed.
fn print_verified(verified: &[apply::Verified], format: Format) -> bool {
    let failed = verified.iter().any(|v| !v.passed());
    match format {
        Format::Json => {
            for event in apply::render::verified_json(verified) {
                output::data(&event.to_string());
            }
        }
        Format::Text => {
            let paint = output::Paint {
                enabled: output::stdout_color(),
            };
            for (line, passed) in apply::render::verified_text(verified) {
                output::data(&if passed { paint.green(&line) } else { paint.red(&line) });
            }
            if failed {
                output::message(
                    "The objects that failed their test exist and are recorded in state; fix the source or the credentials and run `d360 apply` again.",
                );
            }
        }
    }
    !failed
}

fn finish(plan: &Plan, report: &apply::Report, format: Format) -> Outcome {
    let complete = report.complete(plan);
    match format {
        Format::Json => output::data(&apply::render::summary_json(plan, report).to_string()),
        Format::Text => {
            let summary = apply::render::summary_text(plan, report);
            for line in &summary.before {
                output::message(line);
            }
            let paint = output::Paint {
                enabled: output::stdout_color(),
            };
            output::data(&if summary.complete {
                paint.green(&summary.line)
            } else {
                paint.red(&summary.line)
            });
            for line in &summary.after {
                output::message(line);
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
        return Err(UsageError::NoTerminal.into());
    }
    output::message("\nDo you want to perform these actions? Only 'yes' will be accepted.");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::Answer(e.to_string()))?;
    Ok(answer.trim() == "yes")
}
