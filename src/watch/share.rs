//! Replicas share the orgs (PostgreSQL state): each org is reconciled by the one replica that
//! holds its owner lock (the org's session advisory lock, [`crate::state::Store::lead`]),
//! and a replica holds at most its fair share, `ceil(orgs / live replicas)`, of the orgs
//! whose state lives in one database.
//!
//! A [`Pool`] is this replica's view of one database: how many replicas are live there (each
//! holds a presence lock, [`Presence`], counted from `pg_locks`), which orgs some replica
//! owns, and which this one owns or is taking. [`keep`] renews the presence and refreshes the
//! view every poll; the org loops (`schedule`) ask the pool before taking a free org
//! ([`Pool::reserve`]) and after each run whether to give one up ([`Pool::surplus`]), so a
//! replica over its share releases orgs between runs, never during one. A replica that dies
//! loses its sessions, so its presence and its owner locks go at once: at the next look the
//! others count one replica less, their share grows, and their standby loops, woken by the
//! change ([`Pool::changed`]), take its orgs: within a quarter interval and a run.
//!
//! Orgs with local state have no pool: one process watches a local state.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::Shared;
use super::watched::{OrgWatch, pause, standby_poll};
use crate::output;
use crate::state::Presence;

/// The most a replica waits after joining before it takes orgs, so replicas started together
/// see each other first.
const SETTLE: Duration = Duration::from_secs(1);

/// `ceil(orgs / live)`, with at least one replica (this one) live.
#[must_use]
pub(crate) fn fair_share(orgs: usize, live: u64) -> usize {
    let live = usize::try_from(live.max(1)).unwrap_or(usize::MAX);
    orgs.div_ceil(live)
}

/// This replica's view of the replicas and orgs of one state database.
pub(crate) struct Pool {
    orgs: Vec<String>,
    view: RefCell<View>,
    /// Wakes the standby loops when a look finds the replicas or the owned orgs changed.
    changed: Notify,
}

#[derive(Default)]
struct View {
    /// Live replicas as last counted; `None` while they cannot be (no new org is taken then).
    live: Option<u64>,
    /// Orgs some replica (this one too) owned at the last look.
    owned_anywhere: BTreeSet<String>,
    /// Orgs this replica owns or is taking.
    mine: BTreeSet<String>,
}

impl Pool {
    fn new(orgs: Vec<String>) -> Self {
        Self {
            orgs,
            view: RefCell::new(View::default()),
            changed: Notify::new(),
        }
    }

    /// Completes when a look finds the live replicas or the owned orgs changed.
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// This replica's fair share, when the live replicas are known.
    #[must_use]
    pub(crate) fn share(&self) -> Option<usize> {
        self.view.borrow().live.map(|live| fair_share(self.orgs.len(), live))
    }

    /// The live replicas as last counted.
    #[must_use]
    pub(crate) fn live(&self) -> Option<u64> {
        self.view.borrow().live
    }

    /// Whether this replica may try to take `org` now: the live replicas are known, the org
    /// looked free, and this replica holds less than its share. Holds the place when so;
    /// [`Pool::settle`] says how the try went.
    pub(crate) fn reserve(&self, org: &str) -> bool {
        let share = self.share();
        let mut view = self.view.borrow_mut();
        let Some(share) = share else { return false };
        if view.owned_anywhere.contains(org) || view.mine.contains(org) || view.mine.len() >= share {
            return false;
        }
        view.mine.insert(org.to_owned())
    }

    /// Records how a reserved try went.
    pub(crate) fn settle(&self, org: &str, taken: bool) {
        let mut view = self.view.borrow_mut();
        if taken {
            view.owned_anywhere.insert(org.to_owned());
        } else {
            view.mine.remove(org);
        }
    }

    /// Whether this replica, owning `org`, holds more than its share and should give `org`
    /// up; forgets it when so.
    pub(crate) fn surplus(&self, org: &str) -> bool {
        let share = self.share();
        let mut view = self.view.borrow_mut();
        match share {
            Some(share) if view.mine.len() > share => view.mine.remove(org),
            _ => false,
        }
    }

    /// This replica lost `org` (its owner session ended).
    pub(crate) fn lost(&self, org: &str) {
        self.view.borrow_mut().mine.remove(org);
    }

    /// How this replica holds its share, for messages: `2 of its share of 2 (6 orgs, 3 live
    /// replicas)`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let view = self.view.borrow();
        match view.live {
            Some(live) => format!(
                "{} of its share of {} ({} orgs, {live} live replica{})",
                view.mine.len(),
                fair_share(self.orgs.len(), live),
                self.orgs.len(),
                if live == 1 { "" } else { "s" }
            ),
            None => format!("{} orgs; the live replicas cannot be counted", view.mine.len()),
        }
    }
}

/// The pools of the watched orgs: one per state database, over the orgs whose state lives
/// there. Orgs with local state have none.
pub(crate) struct Pools {
    /// Each org's pool.
    pub(crate) of_org: BTreeMap<String, Rc<Pool>>,
    /// Each pool with this replica's presence there, not taken yet.
    pub(crate) presences: Vec<(Presence, Rc<Pool>)>,
}

/// The pools of `watched`.
pub(crate) fn pools(watched: &[OrgWatch]) -> Pools {
    let mut by_database: BTreeMap<String, Vec<&OrgWatch>> = BTreeMap::new();
    for org in watched {
        if let Some(database) = org.store.database() {
            by_database.entry(database).or_default().push(org);
        }
    }
    let mut of_org = BTreeMap::new();
    let mut presences = Vec::new();
    for members in by_database.into_values() {
        let orgs: Vec<String> = members.iter().map(|m| m.org.clone()).collect();
        let pool = Rc::new(Pool::new(orgs.clone()));
        for org in &orgs {
            of_org.insert(org.clone(), Rc::clone(&pool));
        }
        if let Some(presence) = members[0].store.presence(&orgs) {
            presences.push((presence, pool));
        }
    }
    Pools { of_org, presences }
}

/// Takes the presence and the first look, then waits a moment so replicas that start together
/// count each other before they take orgs.
pub(crate) async fn join(presence: &mut Presence, pool: &Pool, shared: &Shared) {
    refresh(presence, pool, shared).await;
    tokio::time::sleep(standby_poll(shared.interval).min(SETTLE)).await;
    refresh(presence, pool, shared).await;
}

/// Keeps the presence and the pool's view fresh, every standby poll, until `shutdown`.
pub(crate) async fn keep(
    mut presence: Presence,
    pool: Rc<Pool>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    while pause(standby_poll(shared.interval), &mut shutdown).await {
        refresh(&mut presence, &pool, &shared).await;
    }
}

/// One look: renews the presence, counts the live replicas and sees which orgs are owned.
async fn refresh(presence: &mut Presence, pool: &Pool, shared: &Shared) {
    let looked = async {
        if presence.renew().await? {
            tracing::info!(
                orgs = pool.orgs.len(),
                "joined the watch replicas of the state database"
            );
        }
        Ok::<_, crate::state::StateError>((presence.live().await?, presence.owned(&pool.orgs).await?))
    }
    .await;
    let was = pool.live();
    let live = match looked {
        Ok((live, owned)) => {
            let mut view = pool.view.borrow_mut();
            let moved = view.live != Some(live.max(1)) || view.owned_anywhere != owned;
            view.live = Some(live.max(1));
            view.owned_anywhere = owned;
            if moved {
                pool.changed.notify_waiters();
            }
            view.live
        }
        Err(error) => {
            let text = output::chain(&error);
            if was.is_some() {
                output::message(&format!(
                    "watch: cannot count the live replicas ({text}); taking no new org until it can"
                ));
            }
            tracing::warn!(error = %text, "cannot count the live watch replicas");
            pool.view.borrow_mut().live = None;
            None
        }
    };
    if live != was
        && let Some(live) = live
    {
        output::message(&format!(
            "watch: {live} live replica{} share {} org{}: a fair share is {}",
            if live == 1 { "" } else { "s" },
            pool.orgs.len(),
            if pool.orgs.len() == 1 { "" } else { "s" },
            fair_share(pool.orgs.len(), live)
        ));
    }
    for org in &pool.orgs {
        shared.metrics.set_replicas(org, live);
        shared.board.set_share(org, live, pool.share());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fair_share_rounds_up_and_counts_this_replica() {
        assert_eq!(fair_share(6, 3), 2);
        assert_eq!(fair_share(6, 2), 3);
        assert_eq!(fair_share(7, 3), 3);
        assert_eq!(fair_share(1, 2), 1);
        assert_eq!(fair_share(6, 0), 6);
    }

    fn pool_of(orgs: &[&str], live: u64, owned_elsewhere: &[&str]) -> Pool {
        let pool = Pool::new(orgs.iter().map(|o| (*o).to_owned()).collect());
        {
            let mut view = pool.view.borrow_mut();
            view.live = Some(live);
            view.owned_anywhere = owned_elsewhere.iter().map(|o| (*o).to_owned()).collect();
        }
        pool
    }

    #[test]
    fn a_replica_takes_free_orgs_up_to_its_share_and_gives_up_the_surplus() {
        let pool = pool_of(&["a", "b", "c", "d", "e", "f"], 3, &["c"]);
        assert!(pool.reserve("a"));
        assert!(!pool.reserve("a"), "already reserved");
        assert!(!pool.reserve("c"), "owned by another replica");
        assert!(pool.reserve("b"));
        assert!(!pool.reserve("d"), "the share of 2 is reached");
        pool.settle("a", true);
        pool.settle("b", false);
        assert!(pool.reserve("d"), "b was not taken: room for one more");
        pool.settle("d", true);
        assert!(!pool.surplus("a"), "at its share");
        // The two other replicas die: the share is all six; then three more join.
        pool.view.borrow_mut().live = Some(1);
        assert!(pool.reserve("e"));
        pool.settle("e", true);
        pool.view.borrow_mut().live = Some(6);
        assert!(pool.surplus("a"), "3 held, a share of 1");
        assert!(pool.surplus("d"));
        assert!(!pool.surplus("e"), "at its share again");
        assert_eq!(pool.describe(), "1 of its share of 1 (6 orgs, 6 live replicas)");
        pool.view.borrow_mut().live = None;
        assert!(!pool.reserve("f"), "no new org while the replicas cannot be counted");
        assert!(!pool.surplus("e"));
    }
}
