//! The local state backend: `.d360/state/<org>.json`, its fingerprint key (`.key`, mode
//! 0600) and its lock file (`.lock`, an OS lock plus the holder's details).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::lock::{LockHolder, StateLock};
use super::{Change, State, StateError, journal};

#[derive(Clone)]
pub(crate) struct LocalStore {
    path: PathBuf,
    org: String,
}

fn sibling(path: &Path, extension: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(extension);
    PathBuf::from(name)
}

pub(crate) use d360_wire::files::write_atomic;

impl LocalStore {
    #[must_use]
    pub(crate) fn new(path: PathBuf, org: &str) -> Self {
        Self {
            path,
            org: org.to_owned(),
        }
    }

    #[must_use]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn shown(&self) -> String {
        self.path.display().to_string()
    }

    /// The state file with the journal of an unfinished apply replayed onto it.
    pub(crate) fn load(&self) -> Result<State, StateError> {
        let mut state = match std::fs::read_to_string(&self.path) {
            Ok(text) => State::from_json(&text, &self.shown())?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(State::empty(&self.org)),
            Err(source) => {
                return Err(StateError::Read {
                    path: self.shown(),
                    source,
                });
            }
        };
        journal::replay(&journal::path_for(&self.path), &mut state)?;
        Ok(state)
    }

    /// Persists changes already applied to `state`: a first write creates the state file (so
    /// the journal has a lineage to belong to); later ones append to the journal.
    pub(crate) async fn record(
        &self,
        state: &State,
        first_serial: u64,
        changes: Vec<Change>,
    ) -> Result<(), StateError> {
        if !self.path.exists() {
            return self.save(state);
        }
        let journal = journal::path_for(&self.path);
        let shown = journal.display().to_string();
        let lineage = state.lineage.clone();
        tokio::task::spawn_blocking(move || journal::append(&journal, &lineage, first_serial, &changes))
            .await
            .map_err(std::io::Error::other)
            .and_then(|written| written)
            .map_err(|source| StateError::Write { path: shown, source })
    }

    /// Records the manifest set the org converged to: loads the state (replaying the
    /// journal), sets it and saves, on a blocking thread, so any runtime context may ask
    /// (`watch` runs its orgs on a local set, where `block_in_place` is not allowed).
    pub(crate) async fn converge(&self, converged: Option<super::Converged>) -> Result<(), StateError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut state = store.load()?;
            state.converged = converged;
            store.save(&state)
        })
        .await
        .map_err(|error| StateError::Write {
            path: self.shown(),
            source: std::io::Error::other(error),
        })?
    }

    /// Writes the whole state and removes the journal it now contains.
    pub(crate) fn compact(&self, state: &State) -> Result<(), StateError> {
        self.save(state)
    }

    /// Removes the journal: every change in it is in a state file written since.
    fn drop_journal(&self) -> Result<(), StateError> {
        let journal = journal::path_for(&self.path);
        match std::fs::remove_file(&journal) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StateError::Write {
                path: journal.display().to_string(),
                source,
            }),
        }
    }

    /// Writes the state atomically, streamed as it is serialised (never the whole text in
    /// memory). On the multi-threaded runtime the write and its fsync leave the worker thread
    /// (`block_in_place`), so an apply's request tasks keep running meanwhile.
    pub(crate) fn save(&self, state: &State) -> Result<(), StateError> {
        let write = || {
            d360_wire::files::write_atomic_with(&self.path, false, |out| {
                serde_json::to_writer_pretty(&mut *out, state).map_err(std::io::Error::other)?;
                out.write_all(b"\n")
            })
        };
        let flavor = tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor());
        let written = if matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::MultiThread)) {
            tokio::task::block_in_place(write)
        } else {
            write()
        };
        written.map_err(|source| StateError::Write {
            path: self.shown(),
            source,
        })?;
        // Every writer loaded (and so replayed) the journal first: the file just written holds
        // all of it.
        self.drop_journal()
    }

    /// The fingerprint key if its file exists.
    pub(crate) fn existing_fingerprint_key(&self) -> Result<Option<Vec<u8>>, StateError> {
        let key_path = sibling(&self.path, ".key");
        match std::fs::read_to_string(&key_path) {
            Ok(text) => hex::decode(text.trim()).map(Some).map_err(|e| StateError::Corrupt {
                path: key_path.display().to_string(),
                detail: e.to_string(),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read {
                path: key_path.display().to_string(),
                source,
            }),
        }
    }

    pub(crate) fn fingerprint_key(&self) -> Result<Vec<u8>, StateError> {
        let key_path = sibling(&self.path, ".key");
        if let Some(key) = self.existing_fingerprint_key()? {
            return Ok(key);
        }
        // Written beside, then linked into place: `hard_link` refuses an existing key,
        // so two first runs at once end up with the same key.
        let write_error = |source| StateError::Write {
            path: key_path.display().to_string(),
            source,
        };
        let candidate = sibling(&self.path, &format!(".key.new-{}", std::process::id()));
        write_atomic(&candidate, format!("{}\n", super::random_hex(32)).as_bytes(), true).map_err(write_error)?;
        let linked = std::fs::hard_link(&candidate, &key_path);
        let _ = std::fs::remove_file(&candidate);
        match linked {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(write_error(error)),
        }
        self.fingerprint_key()
    }

    /// Replaces the fingerprint key (mode 0600).
    pub(crate) fn set_fingerprint_key(&self, key: &[u8]) -> Result<(), StateError> {
        let key_path = sibling(&self.path, ".key");
        write_atomic(&key_path, format!("{}\n", hex::encode(key)).as_bytes(), true).map_err(|source| {
            StateError::Write {
                path: key_path.display().to_string(),
                source,
            }
        })
    }

    fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    fn read_holder(file: &mut File) -> Option<LockHolder> {
        use std::io::{Read, Seek};
        let mut text = String::new();
        file.rewind().ok()?;
        file.read_to_string(&mut text).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub(crate) async fn lock(&self, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        Self::lock_at(self.lock_path(), command, timeout).await
    }

    /// The lock `d360 watch` holds for its whole life (`.watch.lock`, beside the state lock,
    /// which its `--heal` runs take as `apply` does); refused at once while another holds it.
    pub(crate) async fn watch_lock(&self, command: &str) -> Result<StateLock, StateError> {
        Self::lock_at(sibling(&self.path, ".watch.lock"), command, Duration::ZERO)
            .await
            .map_err(|error| match error {
                StateError::Locked { holder } => StateError::Watched {
                    state: self.shown(),
                    holder,
                },
                other => other,
            })
    }

    async fn lock_at(path: PathBuf, command: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let write_error = |source| StateError::Write {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(write_error)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        let holder = Self::read_holder(&mut file)
                            .map_or_else(|| "another d360 process".to_owned(), |h| h.to_string());
                        return Err(StateError::Locked { holder });
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(std::fs::TryLockError::Error(source)) => return Err(write_error(source)),
            }
        }
        let holder = LockHolder::current(command);
        let text = serde_json::to_string(&holder).map_err(|e| write_error(std::io::Error::other(e)))?;
        file.set_len(0).map_err(write_error)?;
        {
            use std::io::Seek;
            file.rewind().map_err(write_error)?;
        }
        file.write_all(text.as_bytes()).map_err(write_error)?;
        let _ = file.sync_all();
        let release_file = file.try_clone().map_err(write_error)?;
        Ok(StateLock {
            release: Some(Box::new(move || {
                let _ = release_file.set_len(0);
                let _ = release_file.unlock();
            })),
            hold: super::lock::LockHold::File(Box::new(file)),
        })
    }

    pub(crate) fn unlock(&self) -> Result<Option<LockHolder>, StateError> {
        let path = self.lock_path();
        let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        let holder = Self::read_holder(&mut file);
        match file.try_lock() {
            Ok(()) => {
                // The holder is gone (the OS released its lock): clear what it left behind.
                let _ = file.set_len(0);
                let _ = file.unlock();
                let _ = std::fs::remove_file(&path);
                Ok(holder)
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::LockInUse {
                holder: holder.map_or_else(|| "another d360 process".to_owned(), |h| h.to_string()),
            }),
            Err(std::fs::TryLockError::Error(source)) => Err(StateError::Write {
                path: path.display().to_string(),
                source,
            }),
        }
    }
}
