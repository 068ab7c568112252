//! Reading and writing the PostgreSQL state's rows: a load assembles the `State` from the
//! header and resource rows in one snapshot; `record` writes an apply's burst of changes (the
//! changed resource rows, one history row per change, the header's serial) in one
//! transaction, so a killed apply loses at most the burst in flight; a full write (`state rm`,
//! `import`, `state migrate`) compares with the stored rows and writes only the difference.
//! The tables are `layout`'s.

use std::collections::BTreeMap;

use tokio_postgres::{IsolationLevel, Transaction};

use super::PostgresStore;
use super::codec::{Header, encode, to_db};
use crate::state::{Change, Converged, FORMAT_VERSION, Managed, State, StateError};

/// Rows to write in one transaction: resource rows to upsert or delete and history rows.
#[derive(Default)]
struct Batch {
    put_keys: Vec<String>,
    put_records: Vec<String>,
    put_serials: Vec<i64>,
    removed: Vec<String>,
    change_serials: Vec<i64>,
    change_keys: Vec<String>,
    changes: Vec<String>,
}

impl Batch {
    /// Adds a history row for `change` and returns the key it is filed under.
    fn log(&mut self, serial: u64, change: &Change) -> Result<String, StateError> {
        let key = match change {
            Change::Put(managed) => managed.key(),
            Change::Remove(key) => key.clone(),
        }
        .to_string();
        self.log_encoded(serial, key.clone(), encode(change)?)?;
        Ok(key)
    }

    fn log_encoded(&mut self, serial: u64, key: String, change: String) -> Result<(), StateError> {
        self.change_serials.push(to_db(serial)?);
        self.change_keys.push(key);
        self.changes.push(change);
        Ok(())
    }

    fn put(&mut self, serial: u64, managed: &Managed) -> Result<(), StateError> {
        self.put_keys.push(managed.key().to_string());
        self.put_records.push(encode(managed)?);
        self.put_serials.push(to_db(serial)?);
        Ok(())
    }
}

impl PostgresStore {
    /// Parses one resource row, checking it is filed under its own key.
    fn decode(&self, key: &str, record: &str) -> Result<Managed, StateError> {
        let managed: Managed = serde_json::from_str(record).map_err(|e| StateError::Corrupt {
            path: self.describe(),
            detail: format!("resource `{key}`: {e}"),
        })?;
        if managed.key().to_string() != key {
            return Err(StateError::Corrupt {
                path: self.describe(),
                detail: format!("resource row `{key}` holds `{}`", managed.key()),
            });
        }
        Ok(managed)
    }

    /// The state, read in one snapshot.
    pub(super) async fn read(&self) -> Result<State, StateError> {
        let mut client = self.connection().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| self.failed(&e))?;
        let state = match self.header(&tx, false).await? {
            Some(Header { serial, lineage }) => {
                let rows = tx
                    .query(
                        "SELECT key, managed::text FROM d360_state_resources WHERE org = $1",
                        &[&self.org],
                    )
                    .await
                    .map_err(|e| self.failed(&e))?;
                let mut resources = BTreeMap::new();
                for row in rows {
                    let managed = self.decode(row.get(0), row.get(1))?;
                    resources.insert(managed.key(), managed);
                }
                State {
                    format_version: FORMAT_VERSION,
                    lineage,
                    serial,
                    org: self.org.clone(),
                    resources,
                    converged: self.converged_in(&tx).await?,
                }
            }
            None => match self.legacy(&tx, false).await? {
                Some((state, _)) => state,
                None => State::empty(&self.org),
            },
        };
        tx.commit().await.map_err(|e| self.failed(&e))?;
        Ok(state)
    }

    /// Writes a burst of changes (serials `first_serial..`, already applied to `state`).
    pub(super) async fn write_changes(
        &self,
        state: &State,
        first_serial: u64,
        changes: &[Change],
    ) -> Result<(), StateError> {
        let mut batch = Batch::default();
        // A burst can touch a key twice (a replace's delete then create): the row gets the last.
        let mut last: BTreeMap<String, (u64, &Change)> = BTreeMap::new();
        for (offset, change) in changes.iter().enumerate() {
            let serial = first_serial + offset as u64;
            let key = batch.log(serial, change)?;
            last.insert(key, (serial, change));
        }
        for (key, (serial, change)) in last {
            match change {
                Change::Put(managed) => batch.put(serial, managed)?,
                Change::Remove(_) => batch.removed.push(key),
            }
        }
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
        let header = self.header_for_write(&tx).await?;
        let expected = first_serial - 1;
        if header.serial > expected {
            return Err(StateError::Database(format!(
                "{}: the state changed while this run held its lock (stored serial {}, this run continues from {expected}); these steps were not recorded, and the next plan finds their objects by name",
                self.describe(),
                header.serial,
            )));
        }
        if header.serial < expected {
            // An earlier write of this run failed: the rows lack its changes, which `state`
            // holds, so this write catches up with the difference.
            tracing::warn!(
                stored = header.serial,
                expected,
                "state rows behind this run; writing the difference"
            );
            self.replace_in(&tx, state).await?;
        } else {
            self.write_batch(&tx, &batch, state).await?;
        }
        tx.commit().await.map_err(|e| self.failed(&e))
    }

    /// See [`crate::state::Store::catch_up`].
    pub(crate) async fn catch_up(&self, state: &State, recorded: u64, attempted: u64) -> Result<(), StateError> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
        let header = self.header_for_write(&tx).await?;
        if header.lineage != state.lineage || (header.serial != recorded && header.serial != attempted) {
            return Err(StateError::LockLost(format!(
                "{}: the state changed while this run could not reach it (stored serial {}, this run last wrote {recorded}); another process wrote it",
                self.describe(),
                header.serial
            )));
        }
        self.replace_in(&tx, state).await?;
        tx.commit().await.map_err(|e| self.failed(&e))
    }

    /// Makes the org's rows equal `state`'s, writing only what differs; every difference is
    /// a history row at `state`'s serial.
    pub(super) async fn replace(&self, state: &State) -> Result<(), StateError> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
        self.header_for_write(&tx).await?;
        self.replace_in(&tx, state).await?;
        tx.commit().await.map_err(|e| self.failed(&e))
    }

    /// [`Self::replace`] inside `tx`, whose header row is locked.
    async fn replace_in(&self, tx: &Transaction<'_>, state: &State) -> Result<(), StateError> {
        let rows = tx
            .query(
                "SELECT key, managed::text FROM d360_state_resources WHERE org = $1",
                &[&self.org],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        let mut stored: BTreeMap<String, Option<Managed>> = BTreeMap::new();
        for row in rows {
            let key: String = row.get(0);
            // A row that does not parse differs from anything: this write replaces it.
            let managed = self.decode(&key, row.get(1)).ok();
            stored.insert(key, managed);
        }
        let mut batch = Batch::default();
        for managed in state.resources.values() {
            let key = managed.key().to_string();
            if stored.remove(&key).flatten().as_ref() != Some(managed) {
                batch.log(state.serial, &Change::Put(managed.clone()))?;
                batch.put(state.serial, managed)?;
            }
        }
        for key in stored.into_keys() {
            match crate::model::ResourceKey::parse(&key) {
                Some(parsed) => batch.log(state.serial, &Change::Remove(parsed)).map(drop)?,
                // Not a key this build knows: removed all the same, logged under its text.
                None => batch.log_encoded(
                    state.serial,
                    key.clone(),
                    encode(&serde_json::json!({ "remove": key }))?,
                )?,
            }
            batch.removed.push(key);
        }
        self.write_batch(tx, &batch, state).await
    }

    /// Writes `batch` and moves the header to `state`'s serial and lineage.
    async fn write_batch(&self, tx: &Transaction<'_>, batch: &Batch, state: &State) -> Result<(), StateError> {
        if !batch.put_keys.is_empty() {
            tx.execute(
                "INSERT INTO d360_state_resources (org, key, managed, serial)
                 SELECT $1, key, managed::jsonb, serial
                 FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(key, managed, serial)
                 ON CONFLICT (org, key) DO UPDATE SET managed = EXCLUDED.managed, serial = EXCLUDED.serial",
                &[&self.org, &batch.put_keys, &batch.put_records, &batch.put_serials],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        }
        if !batch.removed.is_empty() {
            tx.execute(
                "DELETE FROM d360_state_resources WHERE org = $1 AND key = ANY($2::text[])",
                &[&self.org, &batch.removed],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        }
        if !batch.changes.is_empty() {
            tx.execute(
                "INSERT INTO d360_state_changes (org, serial, key, change)
                 SELECT $1, serial, key, change::jsonb
                 FROM unnest($2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS t(serial, key, change, position)
                 ORDER BY position",
                &[&self.org, &batch.change_serials, &batch.change_keys, &batch.changes],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        }
        let converged = state.converged.as_ref().map(encode).transpose()?;
        tx.execute(
            "UPDATE d360_state_header SET serial = $2, lineage = $3, converged = $4::text::jsonb, updated_at = now() WHERE org = $1",
            &[&self.org, &to_db(state.serial)?, &state.lineage, &converged],
        )
        .await
        .map_err(|e| self.failed(&e))?;
        Ok(())
    }

    /// The header row's record of the last converged apply.
    async fn converged_in(&self, tx: &Transaction<'_>) -> Result<Option<Converged>, StateError> {
        let row = tx
            .query_opt(
                "SELECT converged::text FROM d360_state_header WHERE org = $1",
                &[&self.org],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        let Some(text) = row.and_then(|row| row.get::<_, Option<String>>(0)) else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| StateError::Corrupt {
            path: self.describe(),
            detail: format!("the converged record: {e}"),
        })
    }

    /// Records the manifest set an apply converged to in the header row (made first when
    /// missing); the resources and the serial stay as they are.
    pub(super) async fn write_converged(&self, converged: Option<&Converged>) -> Result<(), StateError> {
        let converged = converged.map(encode).transpose()?;
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
        self.header_for_write(&tx).await?;
        tx.execute(
            "UPDATE d360_state_header SET converged = $2::text::jsonb, updated_at = now() WHERE org = $1",
            &[&self.org, &converged],
        )
        .await
        .map_err(|e| self.failed(&e))?;
        tx.commit().await.map_err(|e| self.failed(&e))
    }
}
