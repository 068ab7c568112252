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
    pub(super) release: Option<Box<dyn FnOnce() + Send>>,
    /// Keeps the lock's resource (file or connection) alive.
    pub(super) _hold: Box<dyn std::any::Any + Send>,
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}
