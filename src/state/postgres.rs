//! The PostgreSQL state backend: one row per org (the state as JSONB, its serial and the
//! fingerprint key), a history table with every serial written, and a session advisory lock
//! held on its own connection for the whole of `apply` and `import` (released by the server
//! when that session ends, so a killed d360 leaves no lock behind).
//!
//! The URL comes from a secret reference and is never printed: messages show
//! `postgres://host:port/db` only. TLS follows the URL's `sslmode` (`prefer`, the default,
//! tries TLS first; `require` insists on it; `disable` never uses it), and certificates are
//! always verified against the platform's roots, as for the org.

use std::str::FromStr;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::lock::{LockHolder, StateLock};
use super::{Change, State, StateError};

/// Created once per database; the transaction-scoped advisory lock keeps two d360 processes
/// that start at the same moment from racing on `CREATE TABLE IF NOT EXISTS`.
const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(360360360);
CREATE TABLE IF NOT EXISTS d360_state (
    org TEXT PRIMARY KEY,
    serial BIGINT NOT NULL,
    lineage TEXT NOT NULL,
    state JSONB NOT NULL,
    fingerprint_key TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS d360_state_history (
    org TEXT NOT NULL,
    serial BIGINT NOT NULL,
    state JSONB NOT NULL,
    written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org, serial)
);
CREATE TABLE IF NOT EXISTS d360_lock_holder (
    org TEXT PRIMARY KEY,
    holder JSONB NOT NULL
);
COMMIT;";

/// State in a PostgreSQL database.
pub(crate) struct PostgresStore {
    config: Config,
    client: Client,
    org: String,
    shown: String,
}

fn database_error(shown: &str, error: &tokio_postgres::Error) -> StateError {
    // The driver's messages never contain the password.
    let mut text = error.to_string();
    if let Some(source) = std::error::Error::source(error) {
        text.push_str(&format!(": {source}"));
    }
    StateError::Database(format!("{shown}: {text}"))
}

/// A TLS connector that verifies the server against the platform's roots.
fn tls(shown: &str) -> Result<MakeRustlsConnect, StateError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(|e| StateError::Database(format!("{shown}: cannot set up TLS: {e}")))?
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Opens a connection and runs it on the current runtime.
async fn open(config: &Config, shown: &str) -> Result<Client, StateError> {
    let (client, connection) = config.connect(tls(shown)?).await.map_err(|e| {
        let mut error = database_error(shown, &e);
        if let StateError::Database(text) = &mut error {
            text.push_str(" (is the database reachable and the URL right? It comes from the org's `state.url`)");
        }
        error
    })?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "state database connection ended");
        }
    });
    Ok(client)
}

/// The advisory lock key of an org.
fn lock_key(org: &str) -> i64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("d360 state lock {org}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest.as_ref()[..8]);
    i64::from_be_bytes(bytes)
}

impl PostgresStore {
    /// Connects and creates the tables when missing.
    pub(crate) async fn connect(url: &SecretString, org: &str) -> Result<Self, StateError> {
        let config = Config::from_str(url.expose_secret()).map_err(|_| {
            StateError::Database("the state database URL is not a valid postgres:// URL or connection string".into())
        })?;
        let host = config.get_hosts().first().map_or_else(
            || "localhost".into(),
            |h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            },
        );
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let shown = format!("postgres://{host}:{port}/{}", config.get_dbname().unwrap_or("postgres"));
        let client = open(&config, &shown).await?;
        client
            .batch_execute(SCHEMA)
            .await
            .map_err(|e| database_error(&shown, &e))?;
        Ok(Self {
            config,
            client,
            org: org.to_owned(),
            shown,
        })
    }

    #[must_use]
    pub(crate) fn describe(&self) -> String {
        format!("{} (org `{}`)", self.shown, self.org)
    }

    pub(crate) async fn load(&self) -> Result<State, StateError> {
        let row = self
            .client
            .query_opt("SELECT state::text FROM d360_state WHERE org = $1", &[&self.org])
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        match row {
            Some(row) => {
                let text: String = row.get(0);
                State::from_json(&text, &self.describe())
            }
            None => Ok(State::empty(&self.org)),
        }
    }

    /// Persists changes already applied to `state`.
    pub(crate) async fn record(
        &self,
        state: &State,
        _first_serial: u64,
        _changes: &[Change],
    ) -> Result<(), StateError> {
        self.save(state).await
    }

    pub(crate) async fn save(&self, state: &State) -> Result<(), StateError> {
        let text = serde_json::to_string(state).map_err(|e| StateError::Database(e.to_string()))?;
        let serial = i64::try_from(state.serial).unwrap_or(i64::MAX);
        let statement = "
            WITH saved AS (
                INSERT INTO d360_state (org, serial, lineage, state, updated_at)
                VALUES ($1, $2, $3, $4::text::jsonb, now())
                ON CONFLICT (org) DO UPDATE SET serial = EXCLUDED.serial, lineage = EXCLUDED.lineage,
                    state = EXCLUDED.state, updated_at = now()
                RETURNING org
            )
            INSERT INTO d360_state_history (org, serial, state) SELECT org, $2, $4::text::jsonb FROM saved
            ON CONFLICT (org, serial) DO UPDATE SET state = EXCLUDED.state, written_at = now()";
        self.client
            .execute(statement, &[&self.org, &serial, &state.lineage, &text])
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        Ok(())
    }

    pub(crate) async fn fingerprint_key(&self) -> Result<Vec<u8>, StateError> {
        let fresh = super::random_hex(32);
        // Creates the row (empty state) with a key, or keeps the key already there.
        let empty = serde_json::to_string(&State::empty(&self.org)).map_err(|e| StateError::Database(e.to_string()))?;
        let row = self
            .client
            .query_one(
                "INSERT INTO d360_state (org, serial, lineage, state, fingerprint_key)
                 VALUES ($1, 0, '', $2::text::jsonb, $3)
                 ON CONFLICT (org) DO UPDATE SET fingerprint_key = COALESCE(d360_state.fingerprint_key, EXCLUDED.fingerprint_key)
                 RETURNING fingerprint_key",
                &[&self.org, &empty, &fresh],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        let key: String = row.get(0);
        hex::decode(key.trim()).map_err(|e| StateError::Corrupt {
            path: self.describe(),
            detail: e.to_string(),
        })
    }

    /// Sets the fingerprint key (when migrating a state here).
    pub(crate) async fn set_fingerprint_key(&self, key: &[u8]) -> Result<(), StateError> {
        let empty = serde_json::to_string(&State::empty(&self.org)).map_err(|e| StateError::Database(e.to_string()))?;
        self.client
            .execute(
                "INSERT INTO d360_state (org, serial, lineage, state, fingerprint_key) VALUES ($1, 0, '', $2::text::jsonb, $3)
                 ON CONFLICT (org) DO UPDATE SET fingerprint_key = EXCLUDED.fingerprint_key",
                &[&self.org, &empty, &hex::encode(key)],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        Ok(())
    }

    async fn holder(&self) -> Option<LockHolder> {
        let row = self
            .client
            .query_opt("SELECT holder::text FROM d360_lock_holder WHERE org = $1", &[&self.org])
            .await
            .ok()??;
        serde_json::from_str(&row.get::<_, String>(0)).ok()
    }

    /// Takes the session advisory lock on a connection of its own, waiting up to `timeout`.
    pub(crate) async fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let session = open(&self.config, &self.shown).await?;
        let key = lock_key(&self.org);
        let started = Instant::now();
        loop {
            let row = session
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(|e| database_error(&self.shown, &e))?;
            if row.get::<_, bool>(0) {
                break;
            }
            if started.elapsed() >= timeout {
                let holder = self
                    .holder()
                    .await
                    .map_or_else(|| "another d360 process".to_owned(), |h| h.to_string());
                return Err(StateError::Locked { holder });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let holder =
            serde_json::to_string(&LockHolder::current(command)).map_err(|e| StateError::Database(e.to_string()))?;
        session
            .execute(
                "INSERT INTO d360_lock_holder (org, holder) VALUES ($1, $2::text::jsonb)
                 ON CONFLICT (org) DO UPDATE SET holder = EXCLUDED.holder",
                &[&self.org, &holder],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        // Dropping the session's client ends the session, which releases the advisory lock.
        Ok(StateLock {
            release: None,
            _hold: Box::new(session),
        })
    }

    /// Clears a stale holder record; refuses while the lock is held by a live session.
    pub(crate) async fn unlock(&self) -> Result<Option<LockHolder>, StateError> {
        let key = lock_key(&self.org);
        let row = self
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        let holder = self.holder().await;
        if !row.get::<_, bool>(0) {
            return Err(StateError::LockInUse {
                holder: holder.map_or_else(|| "another d360 process".to_owned(), |h| h.to_string()),
            });
        }
        let _ = self
            .client
            .execute("DELETE FROM d360_lock_holder WHERE org = $1", &[&self.org])
            .await;
        let _ = self.client.query_one("SELECT pg_advisory_unlock($1)", &[&key]).await;
        Ok(holder)
    }
}
