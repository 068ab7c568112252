//! The tables of the PostgreSQL state and the header row every write starts from.
//!
//! `d360_state_header` holds one row per org (format, serial, lineage, fingerprint key, and
//! the manifest set the last converged apply recorded: `converged`, a column added in place to
//! databases made before it, which builds before it leave alone);
//! `d360_state_resources` one row per managed resource (`Kind/name`, the record as JSONB, the
//! serial that last wrote it); `d360_state_changes` one row per change (a put with the record,
//! or a remove), so the history grows with what changed. `d360_lock_holder` names who holds
//! the advisory lock.
//!
//! Databases written before per-resource rows kept the whole document in `d360_state.state`
//! and a copy of it per serial in `d360_state_history`. Reading such an org works as it is;
//! its first write converts it, inside that write's transaction: the header and resource rows
//! are made from the document (lineage, serial and resources) and the row's fingerprint key,
//! and the old row is left as a marker that a d360 from before this layout refuses as "written
//! by a newer d360", so it cannot go on writing a document nobody reads. The old history
//! stays as it was. Reading and writing the rows is `rows`'s.

use serde_json::json;
use tokio_postgres::Transaction;

use super::PostgresStore;
use super::codec::{Header, encode_resources, format_to_db, to_db};
use crate::state::{FORMAT_VERSION, State, StateError};

/// Created once per database; the transaction-scoped advisory lock keeps two d360 processes
/// that start at the same moment from racing on `CREATE TABLE IF NOT EXISTS`.
pub(super) const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(360360360);
CREATE TABLE IF NOT EXISTS d360_state_header (
    org TEXT PRIMARY KEY,
    format_version INTEGER NOT NULL,
    serial BIGINT NOT NULL,
    lineage TEXT NOT NULL,
    fingerprint_key TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS d360_state_resources (
    org TEXT NOT NULL,
    key TEXT NOT NULL,
    managed JSONB NOT NULL,
    serial BIGINT NOT NULL,
    PRIMARY KEY (org, key)
);
CREATE TABLE IF NOT EXISTS d360_state_changes (
    id BIGSERIAL PRIMARY KEY,
    org TEXT NOT NULL,
    serial BIGINT NOT NULL,
    key TEXT NOT NULL,
    change JSONB NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS d360_lock_holder (
    org TEXT PRIMARY KEY,
    holder JSONB NOT NULL
);
-- Only when missing: `CREATE INDEX` and `ALTER TABLE` lock their table (share, exclusive)
-- even when `IF NOT EXISTS` then finds the index or column, and would deadlock with a write
-- in flight on another connection, of this process or another (a reconnect runs this again).
DO $$
BEGIN
    IF to_regclass('d360_state_changes_org_serial') IS NULL THEN
        CREATE INDEX d360_state_changes_org_serial ON d360_state_changes (org, serial);
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND table_name = 'd360_state_header'
          AND column_name = 'converged'
    ) THEN
        ALTER TABLE d360_state_header ADD COLUMN converged JSONB;
    END IF;
END
$$;
COMMIT;";

/// The key of the transaction lock that serialises creating tables and header rows.
const SCHEMA_LOCK: i64 = 360_360_360;

/// The `formatVersion` the marker left in an old-layout row carries: above what any build
/// before this layout reads, so such a build stops instead of writing there.
const MOVED_FORMAT: u32 = 2;

/// ` FOR UPDATE` when the rows read are about to be written.
fn row_lock(for_update: bool) -> &'static str {
    if for_update { " FOR UPDATE" } else { "" }
}

impl PostgresStore {
    fn corrupt(&self, detail: impl Into<String>) -> StateError {
        StateError::Corrupt {
            path: self.describe(),
            detail: detail.into(),
        }
    }

    /// The header row, locked for update when `for_update`.
    pub(super) async fn header(&self, tx: &Transaction<'_>, for_update: bool) -> Result<Option<Header>, StateError> {
        let statement = format!(
            "SELECT format_version, serial, lineage FROM d360_state_header WHERE org = $1{}",
            row_lock(for_update)
        );
        let Some(row) = tx
            .query_opt(&statement, &[&self.org])
            .await
            .map_err(|e| self.failed(&e))?
        else {
            return Ok(None);
        };
        let format_version = u32::try_from(row.get::<_, i32>(0))
            .map_err(|_| self.corrupt(format!("format version {}", row.get::<_, i32>(0))))?;
        if format_version > FORMAT_VERSION {
            return Err(StateError::TooNew {
                path: self.describe(),
                found: format_version,
            });
        }
        let serial = u64::try_from(row.get::<_, i64>(1))
            .map_err(|_| self.corrupt(format!("serial {}", row.get::<_, i64>(1))))?;
        Ok(Some(Header {
            serial,
            lineage: row.get(2),
        }))
    }

    /// The state of a database in the layout before per-resource rows, with its fingerprint
    /// key; `None` when there is no such table or row.
    pub(super) async fn legacy(
        &self,
        tx: &Transaction<'_>,
        for_update: bool,
    ) -> Result<Option<(State, Option<String>)>, StateError> {
        let exists: bool = tx
            .query_one("SELECT to_regclass('d360_state') IS NOT NULL", &[])
            .await
            .map_err(|e| self.failed(&e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let statement = format!(
            "SELECT state::text, fingerprint_key FROM d360_state WHERE org = $1{}",
            row_lock(for_update)
        );
        let Some(row) = tx
            .query_opt(&statement, &[&self.org])
            .await
            .map_err(|e| self.failed(&e))?
        else {
            return Ok(None);
        };
        let state = State::from_json(&row.get::<_, String>(0), &self.describe())?;
        Ok(Some((state, row.get(1))))
    }

    /// The header row locked for this write, made first when missing: from an old-layout row
    /// (converting it, see the module doc) or empty (serial 0, a new lineage).
    pub(super) async fn header_for_write(&self, tx: &Transaction<'_>) -> Result<Header, StateError> {
        if let Some(header) = self.header(tx, true).await? {
            return Ok(header);
        }
        // Two first writes at once: the second waits here, then finds the first one's header.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(|e| self.failed(&e))?;
        if let Some(header) = self.header(tx, true).await? {
            return Ok(header);
        }
        let (header, key) = if let Some((state, key)) = self.legacy(tx, true).await? {
            self.convert(tx, &state).await?;
            let header = Header {
                serial: state.serial,
                lineage: state.lineage,
            };
            (header, key)
        } else {
            let header = Header {
                serial: 0,
                lineage: crate::state::random_hex(16),
            };
            (header, None)
        };
        tx.execute(
            "INSERT INTO d360_state_header (org, format_version, serial, lineage, fingerprint_key)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &self.org,
                &format_to_db()?,
                &to_db(header.serial)?,
                &header.lineage,
                &key,
            ],
        )
        .await
        .map_err(|e| self.failed(&e))?;
        Ok(header)
    }

    /// Writes an old-layout document's resources as rows and leaves the marker in its place.
    async fn convert(&self, tx: &Transaction<'_>, state: &State) -> Result<(), StateError> {
        let serial = to_db(state.serial)?;
        let (keys, records) = encode_resources(state.resources.values())?;
        tx.execute(
            "INSERT INTO d360_state_resources (org, key, managed, serial)
             SELECT $1, key, managed::jsonb, $4 FROM unnest($2::text[], $3::text[]) AS t(key, managed)",
            &[&self.org, &keys, &records, &serial],
        )
        .await
        .map_err(|e| self.failed(&e))?;
        let marker = json!({
            "formatVersion": MOVED_FORMAT,
            "lineage": state.lineage,
            "serial": state.serial,
            "org": state.org,
            "movedTo": "d360_state_header, d360_state_resources",
        });
        tx.execute(
            "UPDATE d360_state SET state = $2::text::jsonb, updated_at = now() WHERE org = $1",
            &[&self.org, &marker.to_string()],
        )
        .await
        .map_err(|e| self.failed(&e))?;
        tracing::info!(
            org = %self.org,
            resources = keys.len(),
            serial = state.serial,
            "converted the state to one row per resource"
        );
        Ok(())
    }

    /// The stored fingerprint key, if the header row has one.
    pub(super) async fn stored_key(&self) -> Result<Option<String>, StateError> {
        let row = self
            .connection()
            .await?
            .query_opt(
                "SELECT fingerprint_key FROM d360_state_header WHERE org = $1",
                &[&self.org],
            )
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(row.and_then(|row| row.get::<_, Option<String>>(0)))
    }

    /// Sets the fingerprint key to `expression` (over the stored one and `$2` = `key`), making
    /// the header row first when missing; returns the key now stored.
    pub(super) async fn update_key(&self, expression: &str, key: &str) -> Result<String, StateError> {
        let mut client = self.connection().await?;
        let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
        self.header_for_write(&tx).await?;
        let statement = format!(
            "UPDATE d360_state_header SET fingerprint_key = {expression} WHERE org = $1 RETURNING fingerprint_key"
        );
        let row = tx
            .query_one(&statement, &[&self.org, &key])
            .await
            .map_err(|e| self.failed(&e))?;
        tx.commit().await.map_err(|e| self.failed(&e))?;
        row.get::<_, Option<String>>(0)
            .ok_or_else(|| self.corrupt("the fingerprint key is missing after it was set"))
    }
}
