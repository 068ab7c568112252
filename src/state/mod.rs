//! What d360 remembers about an org that the org cannot tell it: which resources it manages,
//! their record ids, a digest of the spec last applied, and keyed fingerprints of the
//! secrets it sent. Never a secret value.
//!
//! One state per org, in a backend: a local JSON file (written atomically: temp file, fsync,
//! rename) with an OS file lock beside it, or PostgreSQL (`postgres`). `plan` reads it;
//! `apply` and `import` lock it for their whole run and write it as work finishes.

mod journal;
pub(crate) mod local;
mod lock;
mod ownership;
mod postgres;
pub(crate) mod repair;

use crate::model::SmallMap;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) use local::write_atomic;
pub(crate) use lock::{Leadership, LockHolder, StateLock};
pub(crate) use postgres::Presence;

/// How long the PostgreSQL backend keeps trying to reach the database again after losing its
/// connection (a restart takes a few seconds), with backoff from [`RECONNECT_FIRST_WAIT`].
pub(crate) const RECONNECT_FOR: Duration = Duration::from_secs(60);
/// The first wait before reconnecting; it doubles up to 5 seconds.
pub(crate) const RECONNECT_FIRST_WAIT: Duration = Duration::from_millis(200);

use crate::config::StateConfig;
use crate::model::{Kind, Listing, ResourceKey, SetVersion};

/// The state file format this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Problems with state. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StateError {
    #[error("cannot read state `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write state `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "state `{path}` is not valid: {detail}; restore it from a backup, or move it away to rebuild state from the org (d360 adopts live objects by name)"
    )]
    Corrupt { path: String, detail: String },
    #[error(
        "state `{path}` was written by a newer d360 (format {found}, this build reads {FORMAT_VERSION}); upgrade d360"
    )]
    TooNew { path: String, found: u32 },
    #[error(
        "state is locked by {holder}; wait for it to finish, use --lock-timeout, or run `d360 state unlock` if that process is gone"
    )]
    Locked { holder: String },
    #[error(
        "state `{state}` is already watched by {holder}: only one `d360 watch` runs on a local state; stop that one, or keep state in PostgreSQL to run replicas that share the orgs"
    )]
    Watched { state: String, holder: String },
    #[error("the lock is held by a running process ({holder}); not removing it")]
    LockInUse { holder: String },
    #[error("state database: {0}")]
    Database(String),
    /// The connection to the state database is gone or cannot be made: worth retrying.
    #[error("state database unreachable: {0}")]
    Unreachable(String),
    /// The state lock's session ended and the lock could not be taken again as it was.
    #[error("lost the state lock: {0}")]
    LockLost(String),
    #[error("cannot resolve the state database URL: {0}")]
    Url(#[source] crate::secret::SecretError),
}

/// One managed resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Managed {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) id: String,
    /// The scope of the listing that finds it again (a connection's connector type).
    #[serde(rename = "connectorType", default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
    /// SHA-256 prefix of the comparable fields last applied.
    pub(crate) spec_digest: String,
    /// Credential name to keyed fingerprint (HMAC-SHA256) of the value last sent.
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub(crate) secrets: SmallMap<String, String>,
    /// `lifecycle.preventDestroy` when last applied, so pruning respects it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) prevent_destroy: bool,
    pub(crate) updated: String,
    /// Fields the org did not keep when they were last written (read back after the apply):
    /// not proposed again while the manifest (`spec_digest`) and the live value stay the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_kept: Vec<NotKept>,
}

/// A field the org changed or dropped right after d360 wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotKept {
    /// The field path (`label`, `parameters.DATABASE`).
    pub(crate) field: String,
    /// What was sent (absent: nothing was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sent: Option<serde_json::Value>,
    /// What the org answered right after (absent: it dropped the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reads: Option<serde_json::Value>,
}

impl NotKept {
    /// `label (sent "A", reads "B")`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let show = |value: Option<&serde_json::Value>| value.map_or_else(|| "nothing".to_owned(), ToString::to_string);
        format!(
            "{} (sent {}, reads {})",
            self.field,
            show(self.sent.as_ref()),
            show(self.reads.as_ref())
        )
    }
}

impl Managed {
    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind, self.name.clone())
    }

    /// The listing that finds it in the org.
    #[must_use]
    pub(crate) fn listing(&self) -> Listing {
        Listing {
            kind: self.kind,
            scope: self.scope.clone(),
        }
    }
}

/// One change to the managed resources, as a finished apply step records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Change {
    Put(Managed),
    Remove(ResourceKey),
}

/// The whole state of one org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    pub(crate) format_version: u32,
    /// Random id of this state's history; a state from another lineage is another org's.
    pub(crate) lineage: String,
    /// Increases with every write.
    pub(crate) serial: u64,
    pub(crate) org: String,
    /// Keyed by identity (written `Kind/name`).
    #[serde(default)]
    pub(crate) resources: BTreeMap<ResourceKey, Managed>,
    /// The manifest set the last converged apply left the org at (see [`Converged`]). Optional
    /// and defaulted, so states written before it read, and builds before it read this one
    /// (they ignore it): the format version stays 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) converged: Option<Converged>,
}

/// What an apply that converged the whole manifest set recorded: an apply that finished with
/// no error and was not limited to part of the set (`--target`, `--exclude`, `--selector`),
/// including one with nothing to do. `apply` of an org whose profile says `promoteFrom`
/// compares its own manifest set with this record of the other org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Converged {
    /// The digest (and git commit) of the manifest set as written.
    #[serde(flatten)]
    pub(crate) set: SetVersion,
    /// When the apply finished (RFC 3339, UTC).
    pub(crate) at: String,
    /// The d360 that applied it.
    pub(crate) d360_version: String,
}

impl Converged {
    /// A record of `set`, converged now by this build.
    #[must_use]
    pub(crate) fn now(set: SetVersion) -> Self {
        Self {
            set,
            at: now_rfc3339(),
            d360_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl State {
    #[must_use]
    pub(crate) fn empty(org: &str) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            lineage: random_hex(16),
            serial: 0,
            org: org.to_owned(),
            resources: BTreeMap::new(),
            converged: None,
        }
    }

    #[must_use]
    pub(crate) fn get(&self, key: &ResourceKey) -> Option<&Managed> {
        self.resources.get(key)
    }

    pub(crate) fn put(&mut self, managed: Managed) {
        self.resources.insert(managed.key(), managed);
    }

    pub(crate) fn remove(&mut self, key: &ResourceKey) -> Option<Managed> {
        self.resources.remove(key)
    }

    /// Applies one recorded change.
    pub(crate) fn apply(&mut self, change: &Change) {
        match change {
            Change::Put(managed) => self.put(managed.clone()),
            Change::Remove(key) => {
                self.remove(key);
            }
        }
    }

    /// Parses state text, refusing newer formats.
    pub(crate) fn from_json(text: &str, path: &str) -> Result<Self, StateError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| StateError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        let found = value
            .get("formatVersion")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32;
        if found > FORMAT_VERSION {
            return Err(StateError::TooNew {
                path: path.to_owned(),
                found,
            });
        }
        serde_json::from_value(value).map_err(|e| StateError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }
}

/// Random bytes as hex (for lineages and keys).
#[must_use]
pub(crate) fn random_hex(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// Random bytes (for keys).
#[must_use]
pub(crate) fn random_bytes(bytes: usize) -> Vec<u8> {
    let mut buffer = vec![0u8; bytes];
    if aws_lc_rs::rand::fill(&mut buffer).is_err() {
        // aws-lc's RNG does not fail in practice; fall back to a time-seeded one rather than panic.
        let mut rng = fastrand::Rng::new();
        for byte in &mut buffer {
            *byte = rng.u8(..);
        }
    }
    buffer
}

/// Current time in RFC 3339.
#[must_use]
pub(crate) fn now_rfc3339() -> String {
    // Written out by hand: `time`'s formatter can fail (years past 9999), this cannot.
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Where state lives and how to lock it.
#[expect(clippy::large_enum_variant, reason = "one store per command")]
pub(crate) enum Store {
    Local(local::LocalStore),
    Postgres(postgres::PostgresStore),
}

impl Store {
    /// Opens the backend for `org`.
    pub(crate) async fn open(config: &StateConfig, org: &str) -> Result<Self, StateError> {
        match config {
            StateConfig::Local { path } => Ok(Store::Local(local::LocalStore::new(path.clone(), org))),
            StateConfig::Postgres { url } => {
                let url = url.resolve().map_err(StateError::Url)?;
                Ok(Store::Postgres(postgres::PostgresStore::connect(&url, org).await?))
            }
        }
    }

    /// Where the state is, for messages.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        match self {
            Store::Local(store) => store.path().display().to_string(),
            Store::Postgres(store) => store.describe(),
        }
    }

    /// The state, or an empty one when none was written yet.
    pub(crate) async fn load(&self) -> Result<State, StateError> {
        match self {
            Store::Local(store) => store.load(),
            Store::Postgres(store) => store.load().await,
        }
    }

    /// Records `changes` (not yet applied to `state`) as an apply makes them: applies them and
    /// persists at a cost that grows with the changes, not with the state (the local backend
    /// appends to its journal; PostgreSQL writes the changed resource rows). Each change
    /// advances the serial by one. [`Store::compact`] ends the run.
    pub(crate) async fn record(&self, state: &mut State, changes: Vec<Change>) -> Result<(), StateError> {
        if changes.is_empty() {
            return Ok(());
        }
        let first_serial = state.serial + 1;
        for change in &changes {
            state.apply(change);
        }
        state.serial += changes.len() as u64;
        match self {
            Store::Local(store) => store.record(state, first_serial, changes).await,
            Store::Postgres(store) => store.record(state, first_serial, &changes).await,
        }
    }

    /// After a failed [`Store::record`] (whose changes `state` already holds): makes the
    /// stored state equal `state`, when the store holds what this run last recorded
    /// (`recorded`) or the serial of the write that failed (`attempted`: its commit may have
    /// landed). Anything else means another process wrote meanwhile: an error. The local
    /// backend writes the whole state file.
    pub(crate) async fn catch_up(&self, state: &State, recorded: u64, attempted: u64) -> Result<(), StateError> {
        match self {
            Store::Local(store) => store.save(state),
            Store::Postgres(store) => store.catch_up(state, recorded, attempted).await,
        }
    }

    /// Whether a failed write may work once the backend is reached again (a PostgreSQL
    /// connection); a local file that cannot be written stays so for this run.
    #[must_use]
    pub(crate) fn recovers(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// Makes sure `lock` is still held: a PostgreSQL lock whose session ended is taken again
    /// on a new session (reconnecting with backoff), unless another process holds it now or
    /// held it meanwhile ([`StateError::LockLost`]). A file lock is never lost.
    pub(crate) async fn relock(&self, lock: &StateLock) -> Result<(), StateError> {
        match self {
            Store::Local(_) => Ok(()),
            Store::Postgres(store) => store.relock(lock).await,
        }
    }

    /// Ends a run of [`Store::record`]: the local backend folds its journal into the state
    /// file; PostgreSQL has nothing to fold.
    pub(crate) fn compact(&self, state: &State) -> Result<(), StateError> {
        match self {
            Store::Local(store) => store.compact(state),
            Store::Postgres(_) => Ok(()),
        }
    }

    /// Records that an apply converged the manifest set (`converged`), or that the org is no
    /// longer at one (`None`: a destroy removed objects), keeping the resources and the serial
    /// as stored: the local backend rewrites its file (after replaying its journal),
    /// PostgreSQL sets one column of the header row. Call it under the lock.
    pub(crate) async fn converge(&self, converged: Option<Converged>) -> Result<(), StateError> {
        match self {
            Store::Local(store) => store.converge(converged).await,
            Store::Postgres(store) => store.converge(converged.as_ref()).await,
        }
    }

    /// Writes the state with its serial increased.
    pub(crate) async fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        match self {
            Store::Local(store) => store.save(state),
            Store::Postgres(store) => store.save(state).await,
        }
    }

    /// The key for secret fingerprints, created on first use.
    pub(crate) async fn fingerprint_key(&self) -> Result<Vec<u8>, StateError> {
        match self {
            Store::Local(store) => store.fingerprint_key(),
            Store::Postgres(store) => store.fingerprint_key().await,
        }
    }

    /// The key for secret fingerprints if one exists; never creates it (read-only commands).
    pub(crate) async fn existing_fingerprint_key(&self) -> Result<Option<Vec<u8>>, StateError> {
        match self {
            Store::Local(store) => store.existing_fingerprint_key(),
            Store::Postgres(store) => store.existing_fingerprint_key().await,
        }
    }

    /// Replaces the key for secret fingerprints (when migrating a state between backends).
    pub(crate) async fn set_fingerprint_key(&self, key: &[u8]) -> Result<(), StateError> {
        match self {
            Store::Local(store) => store.set_fingerprint_key(key),
            Store::Postgres(store) => store.set_fingerprint_key(key).await,
        }
    }

    /// Writes `state` as it is (serial unchanged): for migrations.
    pub(crate) async fn put(&self, state: &State) -> Result<(), StateError> {
        match self {
            Store::Local(store) => store.save(state),
            Store::Postgres(store) => store.save(state).await,
        }
    }

    /// Locks the state for `command`, waiting up to `timeout`.
    pub(crate) async fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        match self {
            Store::Local(store) => store.lock(command, timeout).await,
            Store::Postgres(store) => store.lock(command, timeout).await,
        }
    }

    /// Tries to become the one `d360 watch` that reconciles this org. Local state: the watch
    /// lock, or [`StateError::Watched`] while another watch holds it. PostgreSQL: a session
    /// advisory lock on a connection of its own, or `None` while another process holds it
    /// (this one is then a standby and tries again later).
    pub(crate) async fn lead(&self, command: &str) -> Result<Option<Leadership>, StateError> {
        match self {
            Store::Local(store) => Ok(Some(Leadership::file(store.watch_lock(command).await?))),
            Store::Postgres(store) => store.lead(command).await,
        }
    }

    /// Removes a stale lock after checking its holder is gone.
    pub(crate) async fn unlock(&self) -> Result<Option<LockHolder>, StateError> {
        match self {
            Store::Local(store) => store.unlock(),
            Store::Postgres(store) => store.unlock().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Commit, SetDigest};

    #[test]
    fn the_converged_record_is_optional_both_ways() {
        // Written before the record existed: reads, with none.
        let old = r#"{"formatVersion":1,"lineage":"ab","serial":3,"org":"prod","resources":{}}"#;
        let state = State::from_json(old, "prod.json").expect("test setup");
        assert_eq!(state.converged, None);
        assert!(!serde_json::to_string(&state).expect("test setup").contains("converged"));
        // Written with it: the same format version, and it reads back as written.
        let mut with = state;
        with.converged = Some(Converged {
            set: SetVersion {
                digest: SetDigest::from_sha256(&[1; 32]),
                commit: Some(Commit {
                    id: "0123456789abcdef0123456789abcdef01234567".to_owned(),
                    dirty: true,
                }),
            },
            at: "2026-12-03T03:00:00Z".to_owned(),
            d360_version: "0.1.0".to_owned(),
        });
        let text = serde_json::to_string(&with).expect("test setup");
        assert!(text.contains(r#""formatVersion":1"#), "{text}");
        assert!(
            text.contains(r#""converged":{"digest":"sha256:0101"#) && text.contains(r#""dirty":true"#),
            "{text}"
        );
        assert_eq!(State::from_json(&text, "prod.json").expect("test setup"), with);
    }
}
