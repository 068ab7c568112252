//! `d360 watch PATHS --org NAME [--org NAME...]`: a long-running reconcile. Every interval
//! (with jitter) and for each org, re-read the manifests, read the org, make the plan and the
//! drift report exactly as `plan` and `drift` do, and with `--heal` carry the plan out as
//! `apply` does (under the state lock, the API budget guard and the mass-deletion guard).
//! Orgs run concurrently and independently, each loop a task of its own (a panic in one is
//! counted and that org started again); the scheduling, leader election, metrics and
//! endpoints live in [`crate::watch`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::apply::{self as apply_command, Execution};
use super::plan_output as plan_command;
use super::planning;
use super::session::{self, Session};
use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome, manifests};
use crate::api::RetrySettings;
use crate::apply::{Parallelism, Reserve};
use crate::config::{OrgSelection, StateConfig};
use crate::drift;
use crate::output;
use crate::plan::{self, DeleteLimit};
use crate::state::Store;
use crate::watch::{self, Finding, OrgWatch, Run, Shared};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders, read again before every run (a git checkout that a tool
    /// such as git-sync keeps fresh). Default: ./manifests, else the current folder.
    pub(crate) paths: Vec<PathBuf>,
    /// Time between two runs of an org: `30s`, `5m`, `1h` (jitter adds up to 10%; after a
    /// failure the wait doubles, up to twice this).
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_interval)]
    pub(crate) interval: Duration,
    /// Address of the HTTP endpoints: /metrics, /healthz, /readyz, /status. Port 0 picks a
    /// free one (the first line on stdout says which).
    #[arg(long, default_value = "127.0.0.1:9360", value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// Apply what each run's plan says (creates, updates, replaces; deletes only with
    /// `--prune`), under the state lock, the API budget guard (`--api-reserve`) and the
    /// mass-deletion guard (`--max-delete-fraction`). Without it, watch only detects.
    #[arg(long)]
    pub(crate) heal: bool,
    /// With `--heal`: also delete managed objects no manifest declares any more.
    #[arg(long, requires = "heal")]
    pub(crate) prune: bool,
    /// With `--prune`: the most one run may delete, a share of the managed objects (`0.25`,
    /// `25%`) or a count (`5`). A plan over it is refused (a failed run), never applied.
    #[arg(long, default_value = "0.25", value_name = "SHARE|COUNT", value_parser = planning::parse_delete_limit)]
    pub(crate) max_delete_fraction: DeleteLimit,
    /// With `--heal`: API requests of the org's daily allowance to leave unspent, a count
    /// (`500`) or a share (`10%`). A heal that would eat into it does not start.
    #[arg(long, default_value = "10%", value_name = "COUNT|SHARE", value_parser = super::values::parse_reserve)]
    pub(crate) api_reserve: Reserve,
}

/// `--interval`: a duration of at least 100 ms.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = super::planning::parse_duration(text)?;
    if interval < Duration::from_millis(100) {
        return Err(format!("`{text}` is too short: the interval is at least 100ms"));
    }
    Ok(interval)
}

/// What every run of one org needs.
struct Context {
    org: String,
    selection: OrgSelection,
    paths: Vec<PathBuf>,
    /// What each run fetches from AWS (inventories, secrets).
    aws: manifests::Aws,
    options: plan::Options,
    heal: bool,
    execution: Execution,
    lock_timeout: Duration,
    shared: Arc<Shared>,
    /// The session of the last run, when it can serve the next.
    session: tokio::sync::Mutex<Option<Session>>,
    /// Objects whose unkept write was already logged: each is logged once per process.
    logged_not_kept: std::sync::Mutex<std::collections::BTreeSet<crate::model::ResourceKey>>,
}

/// The orgs `--org` names (at least one: `D360_ORG`, else `local`), each once.
fn org_names(global: &GlobalArgs) -> Result<Vec<String>, CliError> {
    let mut names: Vec<String> = Vec::new();
    for name in &global.org {
        if names.contains(name) {
            return Err(UsageError::OrgTwice { name: name.clone() }.into());
        }
        names.push(name.clone());
    }
    if names.is_empty() {
        names.push("local".to_owned());
    }
    Ok(names)
}

fn state_of(selection: &OrgSelection) -> &StateConfig {
    match selection {
        OrgSelection::Local { state, .. } => state,
        OrgSelection::Remote(profile) => &profile.state,
    }
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let orgs = org_names(global)?;
    let options = plan::Options {
        prune: args.prune,
        delete_limit: args.max_delete_fraction,
        ..plan::Options::default()
    };
    // Refuse a wrong path or a broken manifest now; later runs read the files again.
    let loaded = manifests::load(&args.paths, manifests::Aws::Inventory).await?;
    planning::refuse_empty(&args.paths, &loaded, &options)?;
    let shared = Arc::new(Shared::new(&orgs, args.interval));
    let mut watched = Vec::new();
    for org in &orgs {
        let selection = session::select_named(org, global)?;
        let store = Store::open(state_of(&selection), org).await?;
        // Local state: a second watch is refused here. PostgreSQL: `None` is a standby.
        let leadership = store.lead(watch::COMMAND).await?;
        let context = Arc::new(Context {
            org: org.clone(),
            selection,
            paths: args.paths.clone(),
            aws: global.aws_secrets(),
            options: options.clone(),
            heal: args.heal,
            execution: execution(args.api_reserve),
            lock_timeout: args.interval.min(Duration::from_secs(30)),
            shared: Arc::clone(&shared),
            session: tokio::sync::Mutex::new(None),
            logged_not_kept: std::sync::Mutex::new(std::collections::BTreeSet::new()),
        });
        let tick: watch::Tick = Box::new(move || {
            let context = Arc::clone(&context);
            Box::pin(async move { reconcile(&context).await })
        });
        watched.push(OrgWatch {
            org: org.clone(),
            store,
            leadership,
            tick,
        });
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Listen {
            address: args.listen.to_string(),
            problem: e.to_string(),
        })?;
    let address = listener.local_addr().map_err(|e| CliError::Listen {
        address: args.listen.to_string(),
        problem: e.to_string(),
    })?;
    output::data(&format!(
        "d360 watch: serving http://{address}/metrics (and /healthz, /readyz, /status) for {}",
        orgs.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut server_stopped = stopped.clone();
    let server = tokio::spawn(watch::serve(listener, Arc::clone(&shared), async move {
        let _ = server_stopped.wait_for(|stop| *stop).await;
    }));
    let loops = watch::supervise(watched, Arc::clone(&shared), stopped.clone());
    let signalled = async move {
        crate::apply::wait_for_signal().await;
        output::message("watch: stopping: the runs in flight finish first (a second Ctrl-C or SIGTERM exits at once)");
        let _ = stop.send(true);
        tokio::spawn(async {
            crate::apply::wait_for_signal().await;
            output::message("watch: interrupted again: exiting now");
            std::process::exit(130);
        });
    };
    futures::join!(loops, signalled);
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(Err(error))) => output::message(&format!("watch: the HTTP server failed: {error}")),
        Ok(_) => {}
        Err(_) => output::message("watch: the HTTP server did not stop within 5s; exiting anyway"),
    }
    output::message("watch: stopped");
    Ok(Outcome::Success)
}

/// How a heal is carried out: as `apply --auto-approve --format json`, adaptive concurrency.
fn execution(api_reserve: Reserve) -> Execution {
    Execution {
        auto_approve: true,
        parallelism: Parallelism::Auto,
        api_reserve,
        ignore_api_budget: false,
        max_parallelism: 32,
        lock_timeout: Duration::ZERO,
        check: false,
        verify: false,
        format: apply_command::Format::Json,
        layout: plan_command::Layout {
            compact: true,
            no_compact: false,
        },
    }
}

/// Logs each object whose last write the org did not keep, once per process: the plan does
/// not rewrite it, and `d360_nonconverging_objects` counts it every run.
fn log_not_kept(context: &Context, plan: &plan::Plan) {
    let Ok(mut logged) = context.logged_not_kept.lock() else {
        return;
    };
    for object in &plan.not_kept {
        if logged.insert(object.key()) {
            let text = format!("{}: {}", object.key(), object.describe());
            tracing::warn!(org = %context.org, resource = %object.key(), "{}", object.describe());
            output::message(&format!("watch: org `{}`: warning: {text}", context.org));
        }
    }
}

/// One run of one org; its errors become the run's error text (already free of secrets).
async fn reconcile(context: &Context) -> Run {
    match attempt(context).await {
        Ok(run) => run,
        Err(error) => Run {
            finding: None,
            error: Some(describe(&error)),
            retries: 0,
        },
    }
}

fn describe(error: &CliError) -> String {
    let mut text = output::chain(error);
    if let Some(hint) = error.api().and_then(crate::api::ApiError::hint) {
        text.push_str(&format!(" (hint: {hint})"));
    }
    text
}

/// One run: the manifests read again, the org through a session kept from the run before
/// when it went well (a remote org keeps its login and what adaptive concurrency learnt), a
/// fresh one otherwise. The `local` org's in-process emulator is started for each run only,
/// so other commands on it are not kept waiting between runs.
async fn attempt(context: &Context) -> Result<Run, CliError> {
    // Manifest errors are reported in full (each problem with its file and line, for
    // `/status`) before AWS is asked anything.
    let checked = manifests::load_quiet(&context.paths)?;
    if checked.diagnostics.has_errors() {
        manifests::print_diagnostics(&checked);
        return Err(CliError::Reported(manifests::failure_detail(&checked)));
    }
    let loaded = manifests::load(&context.paths, context.aws).await?;
    planning::refuse_empty(&context.paths, &loaded, &context.options)?;
    let mut kept = context.session.lock().await;
    let session = if let Some(session) = kept.take() {
        session
    } else {
        let mut session = session::open_selected(context.selection.clone(), RetrySettings::from_env()).await?;
        let shared = Arc::clone(&context.shared);
        let org = context.org.clone();
        session.client.on_answer(Arc::new(move |method, code| {
            shared.metrics.answered(&org, method, code);
        }));
        session
    };
    let retries_before = session.client.stats().retries;
    let mut result = check_and_heal(context, &session, &loaded.resources).await;
    if let Ok(run) = &mut result {
        run.retries = session.client.stats().retries.saturating_sub(retries_before);
    }
    // A failed run starts afresh next time: a new login, and a spent daily allowance (which
    // stops a client for good) tried again.
    let keep = matches!(context.selection, OrgSelection::Remote(_))
        && matches!(&result, Ok(run) if run.succeeded())
        && !session.client.stats().daily_limit_spent;
    if keep {
        *kept = Some(session);
    } else {
        session.close().await;
    }
    result
}

async fn check_and_heal(
    context: &Context,
    session: &Session,
    desired: &[crate::manifest::Declared],
) -> Result<Run, CliError> {
    let mut key_created = false;
    let lock = if context.heal {
        let lock = Arc::new(session.store.lock(watch::COMMAND, context.lock_timeout).await?);
        // Healing records credential fingerprints: the key must exist before planning, which
        // only reads it.
        key_created = session.store.existing_fingerprint_key().await?.is_none();
        session.store.fingerprint_key().await?;
        Some(lock)
    } else {
        None
    };
    let options = plan::Options {
        fingerprint_key_created: key_created,
        ..context.options.clone()
    };
    let planned = planning::make(session, desired, &options).await?;
    let declared: Vec<_> = desired.iter().map(|d| d.resource.key()).collect();
    let report = drift::from_plan(&planned.plan, &declared, &planned.state, &planned.live);
    let plan_errors: Vec<String> = planned.plan.errors.iter().map(ToString::to_string).collect();
    let mut error = (!plan_errors.is_empty()).then(|| {
        format!(
            "the plan has {} error{}: {}",
            plan_errors.len(),
            if plan_errors.len() == 1 { "" } else { "s" },
            plan_errors.join("; ")
        )
    });
    let mut applied = None;
    if let Some(lock) = lock.as_ref().filter(|_| error.is_none() && planned.plan.has_work()) {
        // The run in flight finishes on SIGTERM: this flag is never set.
        let keep_going = Arc::new(AtomicBool::new(false));
        let carried =
            apply_command::carry_out(&context.execution, session, &planned, false, Some(keep_going), lock).await?;
        if let Some(report) = &carried.report {
            apply_command::report_not_kept(&planned.plan, report, &planned.state, session, context.execution.format)
                .await;
            applied = Some(report.tally(&planned.plan));
            if carried.outcome != Outcome::Success {
                let failures: Vec<String> = report
                    .failures(&planned.plan)
                    .into_iter()
                    .map(|(key, reason)| format!("{key}: {reason}"))
                    .collect();
                error = Some(format!(
                    "the heal did not finish: {}{}",
                    report.summary_line(&planned.plan),
                    if failures.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", failures.join("; "))
                    }
                ));
            }
        } else if let Some(refusal) = carried.refused {
            error = Some(format!("the heal did not start: {refusal}"));
        } else if carried.outcome != Outcome::Success {
            error = Some("the heal did not start".to_owned());
        }
    }
    drop(lock);
    log_not_kept(context, &planned.plan);
    let mut nonconverging: Vec<(crate::model::Kind, usize)> = Vec::new();
    for object in &planned.plan.not_kept {
        match nonconverging.iter_mut().find(|(kind, _)| *kind == object.kind) {
            Some((_, count)) => *count += 1,
            None => nonconverging.push((object.kind, 1)),
        }
    }
    let stats = session.client.stats();
    Ok(Run {
        finding: Some(Finding {
            plan: planned.plan.summary,
            plan_line: planned.plan.summary_line(),
            plan_errors,
            applied,
            budget_remaining: (stats.api_limit > 0).then(|| stats.api_limit.saturating_sub(stats.api_used)),
            drift: report,
            nonconverging,
        }),
        error,
        retries: 0,
    })
}
