//! What `d360 watch` replicas need of a store to share orgs: which database an org's state
//! lives in (orgs in one database are shared among the replicas present there) and a
//! presence among them ([`Presence`]). Local state has neither: one process watches it.

use super::{Presence, Store};

impl Store {
    /// The PostgreSQL database the state lives in (host, port, database and user); `None`
    /// for local state.
    #[must_use]
    pub(crate) fn database(&self) -> Option<String> {
        match self {
            Store::Local(_) => None,
            Store::Postgres(store) => Some(store.database()),
        }
    }

    /// This replica's presence among the watch replicas of this store's database that watch
    /// `orgs` (taken by [`Presence::renew`]); `None` for local state.
    #[must_use]
    pub(crate) fn presence(&self, orgs: &[String]) -> Option<Presence> {
        match self {
            Store::Local(_) => None,
            Store::Postgres(store) => Some(store.presence(orgs)),
        }
    }
}
