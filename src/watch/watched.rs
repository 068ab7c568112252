//! An org as one replica watches it: its state store, the ownership this replica holds of it,
//! and how a run of it is made; and the two waits every org loop shares (the standby's poll,
//! a pause that a shutdown cuts short). Below both the loop (`schedule`) and the sharing of
//! orgs among replicas (`share`).

use std::time::Duration;

use futures::future::LocalBoxFuture;
use tokio::sync::watch;

use super::{COMMAND, Run};
use crate::config::StateConfig;
use crate::state::{Leadership, StateError, Store};

/// One run of an org, as the command makes it. Not `Send`: each org's loop is a task of its
/// own on the command's thread (`supervise`; the work is I/O, and the connections under a
/// run are driven by the runtime's threads).
pub(crate) type Tick = Box<dyn Fn() -> LocalBoxFuture<'static, Run>>;

/// An org to watch.
pub(crate) struct OrgWatch {
    pub(crate) org: String,
    /// The org's state, for its owner lock.
    pub(crate) store: Store,
    /// Ownership taken at start (local state), if any.
    pub(crate) leadership: Option<Leadership>,
    pub(crate) tick: Tick,
}

impl OrgWatch {
    /// Opens the org's state. Local state: takes the watch lock now, so a second watch on it
    /// is refused at start. PostgreSQL: takes nothing yet; the replicas share the orgs, each
    /// taken once this replica has counted the others (`share`).
    pub(crate) async fn open(org: &str, state: &StateConfig, tick: Tick) -> Result<Self, StateError> {
        let store = Store::open(state, org).await?;
        let leadership = match store.database() {
            None => store.lead(COMMAND).await?,
            Some(_) => None,
        };
        Ok(Self {
            org: org.to_owned(),
            store,
            leadership,
            tick,
        })
    }
}

/// How often a standby tries to take the lead.
#[must_use]
pub(crate) fn standby_poll(interval: Duration) -> Duration {
    (interval / 4).max(Duration::from_millis(100))
}

/// Waits `delay`; `false` when the shutdown came first.
pub(crate) async fn pause(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => !*shutdown.borrow(),
        _ = shutdown.changed() => false,
    }
}
