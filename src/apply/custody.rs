//! Custody of the state during an apply: no step starts unless the state lock is held and
//! every finished step is recorded.
//!
//! Finished steps reach the writer (a task of its own, so state I/O never holds up the org
//! calls) through a channel. When a write fails, the writer marks the custody `behind` and
//! keeps later changes in memory only; the scheduler, which asks [`Custody::ready`] before
//! every step it starts, then starts none, lets the steps in flight finish, and asks the
//! writer to settle: for PostgreSQL, reconnect with backoff, take the lock again if its
//! session ended (refused when another process holds or held it meanwhile), and write what
//! is missing; then steps start again. A local state file that cannot be written stays so:
//! the run stops. Whatever is finished but not recorded is reported per resource, so the
//! summary never claims it is recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::perform::StateChange;
use crate::model::ResourceKey;
use crate::state::{Change, RECONNECT_FIRST_WAIT, RECONNECT_FOR, State, StateError, StateLock, Store};

/// What the scheduler sends the writer.
pub(super) enum ToWriter {
    /// A finished step's change to record.
    Finished(StateChange),
    /// Make good a failed write (and a lost lock) before more steps start; answers whether
    /// steps may start again, or why not.
    Settle(oneshot::Sender<Result<(), String>>),
}

/// The store, the lock, and whether the store is behind what the org has.
pub(super) struct Custody {
    pub(super) store: Arc<Store>,
    pub(super) lock: Arc<StateLock>,
    behind: AtomicBool,
}

impl Custody {
    pub(super) fn new(store: Arc<Store>, lock: Arc<StateLock>) -> Self {
        Self {
            store,
            lock,
            behind: AtomicBool::new(false),
        }
    }

    /// Whether a step may start now: the lock is held and every finished step is recorded.
    /// No round trip: a PostgreSQL restart ends the lock's session, which shows at once.
    pub(super) fn ready(&self) -> bool {
        !self.behind.load(Ordering::SeqCst) && !self.lock.is_lost()
    }
}

/// What the writer leaves behind.
pub(super) struct Written {
    /// The first write that failed, or why the run could not go on.
    pub(super) error: Option<String>,
    /// Resources whose finished steps the state does not record.
    pub(super) unrecorded: Vec<ResourceKey>,
}

/// The writer's memory of what the store holds.
struct Ledger {
    state: State,
    /// The serial the store is known to hold.
    recorded: u64,
    /// The serial the write that failed would have left (its commit may have landed).
    attempted: u64,
    unrecorded: Vec<ResourceKey>,
    /// Why the run cannot go on, once settling failed: no more writes are tried.
    lost: Option<String>,
    first_error: Option<String>,
}

/// Records state changes as they arrive, once per burst (a journal append for local state),
/// and compacts at the end.
pub(super) async fn write_state(
    custody: Arc<Custody>,
    state: State,
    mut receiver: mpsc::UnboundedReceiver<ToWriter>,
) -> Written {
    let mut ledger = Ledger {
        recorded: state.serial,
        attempted: state.serial,
        state,
        unrecorded: Vec::new(),
        lost: None,
        first_error: None,
    };
    let mut wrote = false;
    while let Some(message) = receiver.recv().await {
        let mut burst = Vec::new();
        let mut settles = Vec::new();
        let mut take = |message| match message {
            ToWriter::Finished(change) => burst.push(change),
            ToWriter::Settle(reply) => settles.push(reply),
        };
        take(message);
        while let Ok(more) = receiver.try_recv() {
            take(more);
        }
        if !burst.is_empty() {
            wrote = true;
            record(&custody, &mut ledger, burst).await;
        }
        for reply in settles {
            let answer = settle(&custody, &mut ledger).await;
            // The scheduler waits for the answer; it is gone only if the apply was dropped.
            let _ = reply.send(answer);
        }
    }
    // A last try for what is not recorded: the database may be back, a full disk freed.
    if !ledger.unrecorded.is_empty() && ledger.lost.is_none() {
        let _ = settle(&custody, &mut ledger).await;
    }
    if wrote
        && ledger.unrecorded.is_empty()
        && let Err(error) = custody.store.compact(&ledger.state)
    {
        tracing::error!(%error, "cannot save state");
        ledger.first_error.get_or_insert(error.to_string());
    }
    Written {
        error: ledger.lost.or(ledger.first_error),
        unrecorded: ledger.unrecorded,
    }
}

/// Records one burst, or, while the store is behind, keeps it in memory.
async fn record(custody: &Custody, ledger: &mut Ledger, burst: Vec<StateChange>) {
    let changes: Vec<Change> = burst.into_iter().map(|change| resolve(&ledger.state, change)).collect();
    let keys: Vec<ResourceKey> = changes
        .iter()
        .map(|change| match change {
            Change::Put(managed) => managed.key(),
            Change::Remove(key) => key.clone(),
        })
        .collect();
    if custody.behind.load(Ordering::SeqCst) || ledger.lost.is_some() {
        for change in &changes {
            ledger.state.apply(change);
        }
        ledger.state.serial += changes.len() as u64;
        ledger.unrecorded.extend(keys);
        return;
    }
    match custody.store.record(&mut ledger.state, changes).await {
        Ok(()) => ledger.recorded = ledger.state.serial,
        Err(error) => {
            tracing::error!(%error, "cannot save state; no more steps start until it is saved");
            custody.behind.store(true, Ordering::SeqCst);
            ledger.attempted = ledger.state.serial;
            ledger.first_error.get_or_insert(error.to_string());
            ledger.unrecorded.extend(keys);
        }
    }
}

/// Makes the store hold everything finished, under the lock, trying again with backoff
/// while PostgreSQL is unreachable; a local file gets one more whole write.
async fn settle(custody: &Custody, ledger: &mut Ledger) -> Result<(), String> {
    if let Some(reason) = &ledger.lost {
        return Err(reason.clone());
    }
    let behind = custody.behind.load(Ordering::SeqCst);
    if !behind && !custody.lock.is_lost() {
        return Ok(());
    }
    let started = Instant::now();
    let mut attempt = 0u32;
    let result = loop {
        let tried = async {
            custody.store.relock(&custody.lock).await?;
            if behind {
                custody
                    .store
                    .catch_up(&ledger.state, ledger.recorded, ledger.attempted)
                    .await?;
            }
            Ok::<(), StateError>(())
        }
        .await;
        match tried {
            Err(StateError::Unreachable(text)) if custody.store.recovers() && started.elapsed() < RECONNECT_FOR => {
                tracing::warn!(error = %text, "state database unreachable; no step starts until it is back");
                let wait = RECONNECT_FIRST_WAIT.saturating_mul(2u32.saturating_pow(attempt.min(5)));
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => break other,
        }
    };
    match result {
        Ok(()) => {
            if behind {
                tracing::info!(
                    resources = ledger.unrecorded.len(),
                    "state saved again; steps start again"
                );
            }
            ledger.recorded = ledger.state.serial;
            ledger.unrecorded.clear();
            // Made good: everything finished is recorded, so the run is not incomplete for it.
            ledger.first_error = None;
            custody.behind.store(false, Ordering::SeqCst);
            Ok(())
        }
        Err(error) => {
            let reason = match (&error, custody.store.recovers()) {
                (StateError::Unreachable(_), true) => {
                    format!("{error}, still after {}s of trying", RECONNECT_FOR.as_secs())
                }
                _ => error.to_string(),
            };
            tracing::error!(%reason, "state cannot be saved; no more steps start");
            ledger.lost = Some(reason.clone());
            Err(reason)
        }
    }
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
