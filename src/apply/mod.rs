//! Carrying out a plan: a dependency graph run with bounded concurrency, idempotent steps,
//! state written as work finishes, and a clean stop on interrupt.
//!
//! `graph` orders steps (connections before the streams that use them, deletes in reverse, a
//! replace's delete before its create); `perform` does one step against the org; this file
//! schedules steps, skips the dependents of a failure, and feeds finished work through a
//! channel to a state writer, a task of its own that saves atomically and coalesces bursts,
//! so state I/O (fsync) never holds up the org calls. `saved` re-checks a saved plan against
//! the org and state before it runs; `interrupt` turns Ctrl-C into a clean stop; `budget`
//! compares the plan with the org's daily API allowance.
//!
//! Comes after `plan`; writes `state`.

mod budget;
pub(crate) mod graph;
mod interrupt;
mod perform;
mod readback;
mod report;
mod saved;
mod verify;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

pub(crate) use budget::shortfall as api_budget_shortfall;
pub(crate) use graph::Step;
pub(crate) use interrupt::{signal as wait_for_signal, watch_signals};
pub(crate) use perform::StateChange;
pub(crate) use readback::read_back;
pub(crate) use report::{Report, StepOutcome, Tally};
pub(crate) use saved::{StalePlan, recheck};
pub(crate) use verify::{Verified, verify};

use crate::api::{ApiError, Client};
use crate::kinds::CheckCache;
use crate::plan::{Plan, SecretProbe};
use crate::refresh::LiveSnapshot;
use crate::state::{Change, State, StateError, Store};

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
    let (sender, receiver) = mpsc::unbounded_channel::<StateChange>();
    let cache = CheckCache::default();
    let context = perform::Context {
        client,
        probe: work.probe,
        now: crate::state::now_rfc3339,
        checks: options.check.then_some(perform::StepChecks { plan, cache: &cache }),
    };
    let writer = tokio::spawn(write_state(store, work.state, receiver));
    let (outcomes, stopped) = schedule(plan, &nodes, &context, options, observer, sender).await;
    let state_error = match writer.await {
        Ok(first_error) => first_error.map(|e| e.to_string()),
        Err(error) => Some(format!("the state writer stopped: {error}")),
    };
    Report {
        outcomes,
        interrupted: options.stop.load(Ordering::SeqCst),
        stopped,
        // Retries of the whole command: reading the org for the plan included.
        retries: client.stats().retries,
        concurrency: client.concurrency(),
        elapsed: started.elapsed(),
        state_error,
    }
}

async fn schedule(
    plan: &Plan,
    nodes: &[graph::Node],
    context: &perform::Context<'_>,
    options: &Options,
    observer: &dyn Observer,
    sender: mpsc::UnboundedSender<StateChange>,
) -> (Vec<(usize, Step, StepOutcome)>, Option<String>) {
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
    loop {
        while running.len() < parallelism && !options.stop.load(Ordering::SeqCst) && stopped.is_none() {
            if !ready.is_empty() {
                stopped = budget_stop(context.client, options.api_floor, running.len());
                if stopped.is_some() {
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
        let Some((index, result)) = running.next().await else {
            break;
        };
        let node = &nodes[index];
        let outcome = match result {
            Ok(finished) => {
                states[index] = NodeState::Done;
                if sender.send(finished.change).is_err() {
                    tracing::error!("the state writer stopped; this step is done in the org but not recorded");
                }
                for &child in &children[index] {
                    waiting_for[child] -= 1;
                    if waiting_for[child] == 0 && states[child] == NodeState::Waiting {
                        ready.insert(child);
                    }
                }
                StepOutcome::Done { note: finished.note }
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
    (outcomes, stopped)
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

/// Records state changes as they arrive, once per burst (a journal append for local state),
/// and compacts at the end; returns the first failed write.
async fn write_state(
    store: Arc<Store>,
    mut state: State,
    mut receiver: mpsc::UnboundedReceiver<StateChange>,
) -> Option<StateError> {
    let mut first_error = None;
    let mut recorded = false;
    while let Some(change) = receiver.recv().await {
        recorded = true;
        let mut burst = vec![resolve(&state, change)];
        while let Ok(more) = receiver.try_recv() {
            burst.push(resolve(&state, more));
        }
        if let Err(error) = store.record(&mut state, burst).await {
            tracing::error!(%error, "cannot save state");
            first_error.get_or_insert(error);
        }
    }
    if recorded && let Err(error) = store.compact(&state) {
        tracing::error!(%error, "cannot save state");
        first_error.get_or_insert(error);
    }
    first_error
}

/// The state change a finished step makes, given the state before it.
fn resolve(state: &State, change: StateChange) -> Change {
    match change {
        StateChange::Put {
            mut managed,
            keep_secrets,
        } => {
            if keep_secrets && let Some(previous) = state.get(&managed.key()) {
                managed.secrets.clone_from(&previous.secrets);
            }
            Change::Put(managed)
        }
        StateChange::Remove(key) => Change::Remove(key),
    }
}
