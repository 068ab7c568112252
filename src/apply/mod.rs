//! Carrying out a plan: a dependency graph run with bounded concurrency, idempotent steps,
//! state written as work finishes, and a clean stop on interrupt.
//!
//! `graph` orders steps (connections before the streams that use them, deletes in reverse, a
//! replace's delete before its create); `perform` does one step against the org; this file
//! schedules steps, skips the dependents of a failure, and feeds finished work through a
//! channel to a state writer, a task of its own that saves atomically and coalesces bursts,
//! so state I/O (fsync) never holds up the org calls; `custody` keeps a step from starting
//! while the lock is lost or finished work is not recorded. `saved` checks a saved plan (its
//! content, its manifests, then the org and state) before it runs; `interrupt` turns Ctrl-C into a clean stop; `budget`
//! compares the plan with the org's daily API allowance. `run` is a whole apply (lock, plan,
//! confirmation, execution, verify, read-back) with typed options, reporting through a
//! [`Reporter`] the command implements.
//!
//! Comes after `plan`; writes `state`.

mod budget;
mod custody;
pub(crate) mod events;
pub(crate) mod graph;
mod interrupt;
mod perform;
mod prepare;
mod readback;
pub(crate) mod render;
mod report;
mod run;
mod saved;
mod verify;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

pub(crate) use budget::{Parallelism, Reserve, shortfall as api_budget_shortfall};
pub(crate) use graph::Step;
pub(crate) use interrupt::{signal as wait_for_signal, watch_signals};
pub(crate) use prepare::{PrepareError, Source, prepare};
pub(crate) use readback::read_back;
pub(crate) use report::{Report, StepOutcome, Tally};
pub(crate) use run::{ApplyOptions, ApplyOutcome, Reporter, Target, carry_out_planned, run};
pub(crate) use saved::{StalePlan, check_content, check_offline, recheck};
pub(crate) use verify::{Verified, verify};

use crate::api::{ApiError, Client};
use crate::kinds::CheckCache;
use crate::plan::{Plan, SecretProbe};
use crate::refresh::LiveSnapshot;
use crate::state::{State, StateError, StateLock, Store};

/// Why one step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{resource}: credential `{credential}`: {source}")]
    Secret {
        resource: String,
        credential: String,
        #[source]
        source: crate::secret::SecretError,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("invalid plan: {0}")]
    Plan(String),
    /// `apply --check` checked the resource right before writing it, and the check failed:
    /// nothing was written for it.
    #[error("{key}: check failed, not created: {}", .problems.join("; "))]
    CheckFailed {
        key: crate::model::ResourceKey,
        problems: Vec<String>,
    },
    #[error(transparent)]
    State(#[from] StateError),
}

/// Watches an apply's progress (a progress bar, plain lines, JSON events).
pub(crate) trait Observer: Send + Sync {
    fn started(&self, plan: &Plan, action: usize, step: Step);
    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome);
    /// No more steps start or finish (a progress bar clears itself).
    fn ended(&self) {}
}

/// How to run.
pub(crate) struct Options {
    /// Steps in flight at most.
    pub(crate) parallelism: usize,
    /// Set when the user interrupts: no new steps start.
    pub(crate) stop: Arc<AtomicBool>,
    /// No new step starts once the org reports this few API requests left today (the
    /// reserve); `None` when the org does not report its allowance. A spent allowance stops
    /// new steps either way.
    pub(crate) api_floor: Option<u64>,
    /// `apply --check`: check the steps the plan could not check (a stream whose connection
    /// this apply creates) right before them.
    pub(crate) check: bool,
}

/// Why no more steps start, when it is the org's API allowance. `in_flight` steps will spend
/// at least one request each before they finish, so they count against what is left.
fn budget_stop(client: &Client, floor: Option<u64>, in_flight: usize) -> Option<String> {
    let stats = client.stats();
    let remaining = stats.api_limit.saturating_sub(stats.api_used);
    if stats.daily_limit_spent || (stats.api_limit > 0 && remaining == 0) {
        return Some(format!(
            "the org's daily API allowance is spent (Sforce-Limit-Info {}/{}; 403 REQUEST_LIMIT_EXCEEDED is not retried)",
            stats.api_used, stats.api_limit
        ));
    }
    match floor {
        Some(floor) if stats.api_limit > 0 && remaining.saturating_sub(in_flight as u64) <= floor => Some(format!(
            "the org has {remaining} API requests left today (Sforce-Limit-Info {}/{}) with {in_flight} steps still running, and --api-reserve keeps {floor}",
            stats.api_used, stats.api_limit
        )),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

/// What an apply works on: the plan, the live objects it was made against (for delete
/// ordering), and the state to record results in.
pub(crate) struct Work<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) live: &'a LiveSnapshot,
    pub(crate) state: State,
    pub(crate) probe: &'a SecretProbe,
    /// The state lock the caller took: no step starts while it is lost.
    pub(crate) lock: Arc<StateLock>,
}

/// Executes the plan of `work`, writing its state through `store` as steps finish.
pub(crate) async fn execute(
    work: Work<'_>,
    client: &Client,
    store: Arc<Store>,
    options: &Options,
    observer: &dyn Observer,
) -> Report {
    let started = Instant::now();
    let plan = work.plan;
    let nodes = graph::build(&plan.actions, work.live);
    let (sender, receiver) = mpsc::unbounded_channel::<custody::ToWriter>();
    let cache = CheckCache::default();
    let context = perform::Context {
        client,
        probe: work.probe,
        now: crate::state::now_rfc3339,
        checks: options.check.then_some(perform::StepChecks { plan, cache: &cache }),
    };
    let custody = Arc::new(custody::Custody::new(store, work.lock));
    let writer = tokio::spawn(custody::write_state(Arc::clone(&custody), work.state, receiver));
    let scheduled = schedule(plan, &nodes, &context, options, observer, &custody, sender).await;
    let written = match writer.await {
        Ok(written) => written,
        Err(error) => custody::Written {
            error: Some(format!("the state writer stopped: {error}")),
            // Nothing is known to be recorded: every finished step counts as not.
            unrecorded: scheduled
                .outcomes
                .iter()
                .filter(|(_, _, outcome)| matches!(outcome, StepOutcome::Done { .. }))
                .map(|(action, _, _)| plan.actions[*action].key())
                .collect(),
        },
    };
    Report {
        outcomes: scheduled.outcomes,
        interrupted: options.stop.load(Ordering::SeqCst),
        stopped: scheduled.stopped,
        state_stopped: scheduled.state_stopped,
        unrecorded: written.unrecorded.into_iter().collect(),
        // Retries of the whole command: reading the org for the plan included.
        retries: client.stats().retries,
        concurrency: client.concurrency(),
        elapsed: started.elapsed(),
        state_error: written.error,
    }
}

/// What the scheduler did.
struct Scheduled {
    outcomes: Vec<(usize, Step, StepOutcome)>,
    /// Why no more steps started, when the org's API allowance ran low or out.
    stopped: Option<String>,
    /// Why no more steps started, when the state could not be saved or the lock was lost.
    state_stopped: Option<String>,
}

async fn schedule(
    plan: &Plan,
    nodes: &[graph::Node],
    context: &perform::Context<'_>,
    options: &Options,
    observer: &dyn Observer,
    custody: &custody::Custody,
    sender: mpsc::UnboundedSender<custody::ToWriter>,
) -> Scheduled {
    let mut states = vec![NodeState::Waiting; nodes.len()];
    let mut outcomes: Vec<Option<StepOutcome>> = vec![None; nodes.len()];
    // Ready steps in plan order, and how many unfinished steps each one still waits for: a
    // finished step makes its dependents ready without a scan of all steps.
    let children = graph::children(nodes);
    let mut waiting_for: Vec<usize> = nodes.iter().map(|node| node.after.len()).collect();
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| waiting_for[i] == 0).collect();
    let mut running = FuturesUnordered::new();
    let parallelism = options.parallelism.max(1);
    let mut stopped = None;
    let mut state_stopped = None;
    loop {
        let halted = |stopped: &Option<String>, state_stopped: &Option<String>| {
            options.stop.load(Ordering::SeqCst) || stopped.is_some() || state_stopped.is_some()
        };
        while running.len() < parallelism && !halted(&stopped, &state_stopped) {
            if !ready.is_empty() {
                stopped = budget_stop(context.client, options.api_floor, running.len());
                if stopped.is_some() || !custody.ready() {
                    break;
                }
            }
            let Some(index) = ready.pop_first() else {
                break;
            };
            states[index] = NodeState::Running;
            let node = &nodes[index];
            observer.started(plan, node.action, node.step);
            let action = &plan.actions[node.action];
            running.push(async move { (index, perform::perform(context, action, node.step).await) });
        }
        if running.is_empty() && !ready.is_empty() && !halted(&stopped, &state_stopped) && !custody.ready() {
            // Nothing in flight, and the state is behind or the lock lost: settle first.
            let (reply, answer) = tokio::sync::oneshot::channel();
            let settled = if sender.send(custody::ToWriter::Settle(reply)).is_ok() {
                answer
                    .await
                    .unwrap_or_else(|_| Err("the state writer stopped".to_owned()))
            } else {
                Err("the state writer stopped".to_owned())
            };
            if let Err(reason) = settled {
                state_stopped = Some(reason);
            }
            continue;
        }
        let Some((index, result)) = running.next().await else {
            break;
        };
        let node = &nodes[index];
        let outcome = match result {
            Ok(finished_step) => {
                states[index] = NodeState::Done;
                if sender.send(custody::ToWriter::Finished(finished_step.change)).is_err() {
                    tracing::error!("the state writer stopped; this step is done in the org but not recorded");
                }
                for &child in &children[index] {
                    waiting_for[child] -= 1;
                    if waiting_for[child] == 0 && states[child] == NodeState::Waiting {
                        ready.insert(child);
                    }
                }
                StepOutcome::Done {
                    note: finished_step.note,
                }
            }
            Err(error) => {
                states[index] = NodeState::Failed;
                let because = format!("{} failed", plan.actions[node.action].key());
                for dependent in graph::dependents(&children, index) {
                    if states[dependent] == NodeState::Waiting {
                        states[dependent] = NodeState::Skipped;
                        ready.remove(&dependent);
                        let skipped = StepOutcome::Skipped {
                            reason: because.clone(),
                        };
                        observer.finished(plan, nodes[dependent].action, nodes[dependent].step, &skipped);
                        outcomes[dependent] = Some(skipped);
                    }
                }
                StepOutcome::Failed {
                    error: describe(&error),
                }
            }
        };
        observer.finished(plan, node.action, node.step, &outcome);
        outcomes[index] = Some(outcome);
    }
    drop(sender);
    let outcomes = nodes
        .iter()
        .zip(outcomes)
        .map(|(node, outcome)| (node.action, node.step, outcome.unwrap_or(StepOutcome::NotStarted)))
        .collect();
    Scheduled {
        outcomes,
        stopped,
        state_stopped,
    }
}

/// The error text of a failed step, with Salesforce's code and a hint when known.
fn describe(error: &ApplyError) -> String {
    let mut text = crate::output::chain(error);
    if let ApplyError::Api(api) = error
        && let Some(hint) = api.hint()
    {
        text.push_str(&format!(" (hint: {hint})"));
    }
    text
}
