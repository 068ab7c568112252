//! The PostgreSQL state backend: a header row per org (serial, lineage, fingerprint key), one
//! row per managed resource, and a change history with one row per change, so persisting an
//! apply's progress costs what changed, not the whole state (`layout` owns the tables and the
//! conversion of databases written before per-resource rows; `rows` reads and writes them).
//! A session advisory lock is held on its own connection for the whole of `apply` and
//! `import` (released by the server when that session ends, so a killed d360 leaves no lock
//! behind).
//!
//! The URL comes from a secret reference and is never printed: messages show
//! `postgres://host:port/db` only. TLS follows the URL's `sslmode` (`prefer`, the default,
//! tries TLS first; `require` insists on it; `disable` never uses it), and certificates are
//! always verified against the platform's roots, as for the org.

mod codec;
mod layout;
mod presence;
mod rows;

use std::str::FromStr;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::lock::{Leadership, LockHold, LockHolder, StateLock};
use super::{Change, State, StateError};

pub(crate) use presence::Presence;

/// State in a PostgreSQL database.
pub(crate) struct PostgresStore {
    config: Config,
    /// Behind a lock because a transaction needs the client to itself.
    client: Mutex<Client>,
    org: String,
    shown: String,
}

fn database_error(shown: &str, error: &tokio_postgres::Error) -> StateError {
    // The driver's messages never contain the password.
    let mut text = error.to_string();
    let source = std::error::Error::source(error);
    if let Some(source) = source {
        text.push_str(&format!(": {source}"));
    }
    // A closed connection, a socket error, or the server shutting the session down (a
    // restart): the database may well answer again.
    let lost = error.is_closed()
        || source.is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
        || error
            .code()
            .is_some_and(|code| code.code().starts_with("57P") || code.code().starts_with("08"));
    if lost {
        StateError::Unreachable(format!("{shown}: {text}"))
    } else {
        StateError::Database(format!("{shown}: {text}"))
    }
}

/// Waits before reconnect attempt `attempt` (0-based): doubling from the first wait, at most
/// five seconds.
async fn backoff(attempt: u32) {
    let wait = crate::state::RECONNECT_FIRST_WAIT.saturating_mul(2u32.saturating_pow(attempt.min(8)));
    tokio::time::sleep(wait.min(Duration::from_secs(5))).await;
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
        if let StateError::Database(text) | StateError::Unreachable(text) = &mut error {
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

/// The advisory lock key of an org's state.
fn lock_key(org: &str) -> i64 {
    key_of(&format!("d360 state lock {org}"))
}

/// The advisory lock key of the `d360 watch` leader of an org (not the state lock, which its
/// `--heal` runs take as `apply` does).
fn leader_key(org: &str) -> i64 {
    key_of(&format!("d360 watch leader {org}"))
}

fn key_of(text: &str) -> i64 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
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
            .batch_execute(layout::SCHEMA)
            .await
            .map_err(|e| database_error(&shown, &e))?;
        Ok(Self {
            config,
            client: Mutex::new(client),
            org: org.to_owned(),
            shown,
        })
    }

    #[must_use]
    pub(crate) fn describe(&self) -> String {
        format!("{} (org `{}`)", self.shown, self.org)
    }

    /// The state from the header and resource rows (or, before the first write, from a
    /// database in the layout that kept the whole document in one row).
    pub(crate) async fn load(&self) -> Result<State, StateError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            match self.read().await {
                Err(StateError::Unreachable(text)) if started.elapsed() < crate::state::RECONNECT_FOR => {
                    tracing::warn!(error = %text, "state database unreachable; reconnecting");
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The store's connection, opened again first when it has ended (one attempt: callers that
    /// retry wait between attempts).
    pub(super) async fn connection(&self) -> Result<tokio::sync::MutexGuard<'_, Client>, StateError> {
        let mut client = self.client.lock().await;
        if client.is_closed() {
            *client = open(&self.config, &self.shown).await?;
            tracing::info!(database = %self.shown, "reconnected to the state database");
        }
        Ok(client)
    }

    /// Opens a new connection, trying again with backoff for [`crate::state::RECONNECT_FOR`]
    /// while the database is unreachable.
    async fn open_patiently(&self) -> Result<Client, StateError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            match open(&self.config, &self.shown).await {
                Err(StateError::Unreachable(_)) if started.elapsed() < crate::state::RECONNECT_FOR => {
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Records the manifest set an apply converged to; tried again while the database is
    /// unreachable (it sets one column: safe to repeat).
    pub(crate) async fn converge(&self, converged: Option<&crate::state::Converged>) -> Result<(), StateError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            match self.write_converged(converged).await {
                Err(StateError::Unreachable(text)) if started.elapsed() < crate::state::RECONNECT_FOR => {
                    tracing::warn!(error = %text, "state database unreachable; reconnecting");
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Persists `changes`, already applied to `state`, in one transaction: only their resource
    /// rows, one history row each, and the header's serial.
    pub(crate) async fn record(&self, state: &State, first_serial: u64, changes: &[Change]) -> Result<(), StateError> {
        self.write_changes(state, first_serial, changes).await
    }

    /// Replaces the org's resource rows with `state`'s in one transaction, writing only the
    /// rows that differ and one history row for each. Safe to repeat, so tried again while the database is unreachable.
    pub(crate) async fn save(&self, state: &State) -> Result<(), StateError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            match self.replace(state).await {
                Err(StateError::Unreachable(text)) if started.elapsed() < crate::state::RECONNECT_FOR => {
                    tracing::warn!(error = %text, "state database unreachable; reconnecting");
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The fingerprint key, created (with the header row) on first use.
    pub(crate) async fn fingerprint_key(&self) -> Result<Vec<u8>, StateError> {
        let key = if let Some(key) = self.stored_key().await? {
            key
        } else {
            let fresh = super::random_hex(32);
            self.update_key("COALESCE(fingerprint_key, $2)", &fresh).await?
        };
        self.decode_key(&key)
    }

    /// The fingerprint key if one is stored (in a database of the old layout too, which this
    /// reads without converting).
    pub(crate) async fn existing_fingerprint_key(&self) -> Result<Option<Vec<u8>>, StateError> {
        let mut key = self.stored_key().await?;
        if key.is_none() {
            let mut client = self.connection().await?;
            let tx = client.transaction().await.map_err(|e| self.failed(&e))?;
            key = self.legacy(&tx, false).await?.and_then(|(_, key)| key);
        }
        key.map(|key| self.decode_key(&key)).transpose()
    }

    /// Sets the fingerprint key (when migrating a state here).
    pub(crate) async fn set_fingerprint_key(&self, key: &[u8]) -> Result<(), StateError> {
        self.update_key("$2", &hex::encode(key)).await.map(drop)
    }

    fn decode_key(&self, key: &str) -> Result<Vec<u8>, StateError> {
        hex::decode(key.trim()).map_err(|e| StateError::Corrupt {
            path: self.describe(),
            detail: format!("fingerprint key: {e}"),
        })
    }

    fn failed(&self, error: &tokio_postgres::Error) -> StateError {
        database_error(&self.shown, error)
    }

    async fn holder(&self) -> Option<LockHolder> {
        let row = self
            .connection()
            .await
            .ok()?
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
        let holder = LockHolder::current(command);
        self.write_holder(&session, &holder).await?;
        // Dropping the session's client ends the session, which releases the advisory lock.
        Ok(StateLock {
            release: None,
            hold: LockHold::Session {
                client: Box::new(Mutex::new(session)),
                holder,
            },
        })
    }

    async fn write_holder(&self, session: &Client, holder: &LockHolder) -> Result<(), StateError> {
        let holder = serde_json::to_string(holder).map_err(|e| StateError::Database(e.to_string()))?;
        session
            .execute(
                "INSERT INTO d360_lock_holder (org, holder) VALUES ($1, $2::text::jsonb)
                 ON CONFLICT (org) DO UPDATE SET holder = EXCLUDED.holder",
                &[&self.org, &holder],
            )
            .await
            .map_err(|e| database_error(&self.shown, &e))
            .map(drop)
    }

    /// Takes `lock` again on a new session when its session ended (see [`super::Store::relock`]).
    /// The holder row tells whether another process held the lock meanwhile: each holder
    /// writes its own there when it takes the lock.
    pub(crate) async fn relock(&self, lock: &StateLock) -> Result<(), StateError> {
        let LockHold::Session { client, holder } = &lock.hold else {
            return Ok(());
        };
        let mut session = client.lock().await;
        if !session.is_closed() && session.simple_query("SELECT 1").await.is_ok() {
            return Ok(());
        }
        tracing::warn!(database = %self.shown, "the session holding the state lock ended; taking the lock again");
        let fresh = self.open_patiently().await?;
        let key = lock_key(&self.org);
        let taken: bool = fresh
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| database_error(&self.shown, &e))?
            .get(0);
        let stored = fresh
            .query_opt("SELECT holder::text FROM d360_lock_holder WHERE org = $1", &[&self.org])
            .await
            .map_err(|e| database_error(&self.shown, &e))?
            .and_then(|row| serde_json::from_str::<LockHolder>(&row.get::<_, String>(0)).ok());
        let other = stored
            .as_ref()
            .filter(|stored| *stored != holder)
            .map_or_else(|| "another d360 process".to_owned(), ToString::to_string);
        if !taken {
            return Err(StateError::LockLost(format!(
                "its database session ended, and {other} holds the lock now; this run stops so that two applies never run against one state"
            )));
        }
        if stored.as_ref() != Some(holder) {
            // Dropping `fresh` releases the lock again.
            return Err(StateError::LockLost(format!(
                "its database session ended, and {other} held the lock meanwhile; this run stops: run `d360 plan` again"
            )));
        }
        *session = fresh;
        tracing::info!(database = %self.shown, "holds the state lock again");
        Ok(())
    }

    /// Takes the watch leader's advisory lock on a connection of its own, without waiting:
    /// `None` while another session holds it.
    pub(crate) async fn lead(&self, command: &str) -> Result<Option<Leadership>, StateError> {
        let session = open(&self.config, &self.shown).await?;
        let row = session
            .query_one("SELECT pg_try_advisory_lock($1)", &[&leader_key(&self.org)])
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        if !row.get::<_, bool>(0) {
            return Ok(None);
        }
        tracing::info!(org = %self.org, %command, "took the watch leader lock");
        Ok(Some(Leadership::session(session)))
    }

    /// Clears a stale holder record; refuses while the lock is held by a live session.
    pub(crate) async fn unlock(&self) -> Result<Option<LockHolder>, StateError> {
        let key = lock_key(&self.org);
        let row = self
            .connection()
            .await?
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| database_error(&self.shown, &e))?;
        let holder = self.holder().await;
        if !row.get::<_, bool>(0) {
            return Err(StateError::LockInUse {
                holder: holder.map_or_else(|| "another d360 process".to_owned(), |h| h.to_string()),
            });
        }
        let client = self.connection().await?;
        let _ = client
            .execute("DELETE FROM d360_lock_holder WHERE org = $1", &[&self.org])
            .await;
        let _ = client.query_one("SELECT pg_advisory_unlock($1)", &[&key]).await;
        Ok(holder)
    }
}
