//! Who holds a state lock, and the guard that releases it.

use serde::{Deserialize, Serialize};

/// The holder of a lock: enough to find it and decide whether it is still alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LockHolder {
    pub(crate) pid: u32,
    pub(crate) host: String,
    pub(crate) since: String,
    pub(crate) command: String,
}

impl LockHolder {
    #[must_use]
    pub(crate) fn current(command: &str) -> Self {
        Self {
            pid: std::process::id(),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            since: super::now_rfc3339(),
            command: command.to_owned(),
        }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pid {} on {}, since {})",
            self.command, self.pid, self.host, self.since
        )
    }
}

/// A held lock; released when dropped (or when the process dies: the OS releases file locks
/// and Postgres releases session advisory locks).
pub(crate) struct StateLock {
    pub(super) release: Option<Box<dyn FnOnce() + Send + Sync>>,
    pub(super) hold: LockHold,
}

/// What keeps a state lock held.
pub(super) enum LockHold {
    /// An open file with an OS lock on it: held until dropped (never read, only kept).
    File(#[expect(dead_code, reason = "kept open to hold its lock")] Box<dyn std::any::Any + Send + Sync>),
    /// A PostgreSQL session holding an advisory lock: held while the session lives (a
    /// database restart ends it). Replaced by [`super::Store::relock`] on a new session.
    Session {
        client: Box<tokio::sync::Mutex<tokio_postgres::Client>>,
        /// Who this process said it is when it took the lock (the `d360_lock_holder` row).
        holder: LockHolder,
    },
}

impl StateLock {
    /// Whether the lock may be gone: its PostgreSQL session ended (or is being replaced).
    /// A file lock is never lost. Cheap: no round trip to the server.
    #[must_use]
    pub(crate) fn is_lost(&self) -> bool {
        match &self.hold {
            LockHold::File(_) => false,
            LockHold::Session { client, .. } => client.try_lock().map_or(true, |client| client.is_closed()),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// The right to reconcile an org in `d360 watch` ([`super::Store::lead`]): a file lock for
/// local state, a PostgreSQL session holding an advisory lock otherwise. Given up when
/// dropped, and by the OS or the server when the process dies.
pub(crate) struct Leadership {
    hold: Hold,
}

enum Hold {
    /// Held until dropped; in a mutex only to be `Sync` (nothing locks it).
    File {
        _held: std::sync::Mutex<StateLock>,
    },
    Session(tokio_postgres::Client),
}

impl Leadership {
    pub(super) fn file(lock: StateLock) -> Self {
        Self {
            hold: Hold::File {
                _held: std::sync::Mutex::new(lock),
            },
        }
    }

    pub(super) fn session(client: tokio_postgres::Client) -> Self {
        Self {
            hold: Hold::Session(client),
        }
    }

    /// Whether it is still held: a file lock is until dropped; a session only while its
    /// connection answers (a database restart ends it, and the lock with it).
    pub(crate) async fn alive(&self) -> bool {
        match &self.hold {
            Hold::File { .. } => true,
            Hold::Session(client) => !client.is_closed() && client.simple_query("SELECT 1").await.is_ok(),
        }
    }
}
