//! Watch replicas that share a state database: each live replica holds a presence lock, a
//! session advisory lock in the two-key form whose first key names the set of orgs the
//! replicas watch and whose second is the replica's own (random). The live replicas are the
//! holders of that first key in `pg_locks`: a replica that dies loses its session and so its
//! presence, with no heartbeat to expire. The same view tells which orgs' owner locks (the
//! single-key leader locks of [`super::leader_key`]) any session holds, so a replica tries
//! only the orgs that look free.
//!
//! Ownership itself stays the org's own advisory lock ([`super::PostgresStore::lead`]); this
//! module only counts and looks.

use std::collections::BTreeSet;

use tokio_postgres::{Client, Config};

use super::{PostgresStore, database_error, key_of, leader_key, open};
use crate::state::StateError;

/// How many second keys a replica tries before giving up (a clash is one in 2^32).
const PRESENCE_ATTEMPTS: usize = 8;

/// This replica's presence among the watch replicas of one state database: held while its
/// session lives; [`Presence::renew`] makes it (again).
pub(crate) struct Presence {
    client: Option<Client>,
    /// The first key: the set of orgs the replicas share.
    group: i32,
    config: Config,
    shown: String,
}

/// The first presence key of replicas that watch `orgs` (in any order): positive, so it reads
/// the same as `pg_locks.classid`.
fn group_key(orgs: &[String]) -> i32 {
    let mut sorted: Vec<&str> = orgs.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let key = key_of(&format!("d360 watch replicas\n{}", sorted.join("\n")));
    // The low 31 bits: a non-negative `i32`.
    i32::try_from(key & 0x7fff_ffff).unwrap_or_default()
}

impl PostgresStore {
    /// Where the state lives (`postgres://host:port/db` and the user): orgs with the same
    /// database share one presence.
    #[must_use]
    pub(crate) fn database(&self) -> String {
        format!("{} as {}", self.shown, self.config.get_user().unwrap_or_default())
    }

    /// This replica's presence among the replicas that watch `orgs`, not taken yet.
    #[must_use]
    pub(crate) fn presence(&self, orgs: &[String]) -> Presence {
        Presence {
            client: None,
            group: group_key(orgs),
            config: self.config.clone(),
            shown: self.shown.clone(),
        }
    }
}

/// A new session holding a presence lock of `group`.
async fn present(config: &Config, shown: &str, group: i32) -> Result<Client, StateError> {
    let client = open(config, shown).await?;
    for _ in 0..PRESENCE_ATTEMPTS {
        let own = fastrand::i32(..);
        let taken: bool = client
            .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&group, &own])
            .await
            .map_err(|e| database_error(shown, &e))?
            .get(0);
        if taken {
            return Ok(client);
        }
    }
    Err(StateError::Database(format!(
        "{shown}: cannot take a watch presence lock: every key tried is held"
    )))
}

impl Presence {
    /// Takes the presence lock on a connection of its own, or again on a new one when its
    /// session ended (a database restart). `true` when it had to.
    pub(crate) async fn renew(&mut self) -> Result<bool, StateError> {
        if let Some(client) = &self.client
            && !client.is_closed()
            && client.simple_query("SELECT 1").await.is_ok()
        {
            return Ok(false);
        }
        self.client = None;
        self.client = Some(present(&self.config, &self.shown, self.group).await?);
        Ok(true)
    }

    fn session(&self) -> Result<&Client, StateError> {
        self.client
            .as_ref()
            .ok_or_else(|| StateError::Unreachable(format!("{}: no watch presence session", self.shown)))
    }

    /// The live replicas of the group, this one included.
    pub(crate) async fn live(&self) -> Result<u64, StateError> {
        let count: i64 = self
            .session()?
            .query_one(
                "SELECT count(*) FROM pg_locks
                 WHERE locktype = 'advisory' AND objsubid = 2 AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND classid::bigint = $1",
                &[&i64::from(self.group)],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))?
            .get(0);
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Which of `orgs` some session (this replica's or another's) owns now.
    pub(crate) async fn owned(&self, orgs: &[String]) -> Result<BTreeSet<String>, StateError> {
        let keys: Vec<i64> = orgs.iter().map(|org| leader_key(org)).collect();
        let rows = self
            .session()?
            .query(
                "SELECT DISTINCT (classid::bigint << 32) | objid::bigint FROM pg_locks
                 WHERE locktype = 'advisory' AND objsubid = 1 AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND ((classid::bigint << 32) | objid::bigint) = ANY($1)",
                &[&keys],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        let held: BTreeSet<i64> = rows.iter().map(|row| row.get::<_, i64>(0)).collect();
        Ok(orgs
            .iter()
            .filter(|org| held.contains(&leader_key(org)))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_key_names_the_set_of_orgs_in_any_order() {
        let one = group_key(&["prod".to_owned(), "dev".to_owned()]);
        assert_eq!(one, group_key(&["dev".to_owned(), "prod".to_owned(), "dev".to_owned()]));
        assert_ne!(one, group_key(&["dev".to_owned()]));
        assert!(one >= 0);
    }
}
