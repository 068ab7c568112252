//! The org's objects (connections, data streams, kept data lake objects) and the rules that
//! must hold atomically across them: unique names, recently deleted names still taken
//! (`--name-lock`), the connection limit, no deleting a connection a stream uses, and the first
//! delete of each object failing (`--flaky-delete`).
//!
//! Every change is appended to `journal.jsonl` before it is applied in memory (one line, one
//! write, under the store's lock); on start and on shutdown the journal is folded into
//! `objects.json`, written atomically (temporary file, fsync, rename). Credential values are
//! stored (the emulator is the org) but never leave through the API's answers
//! (`families::output`). The records themselves are `records`'s.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::journal::{open_journal, read_snapshot, replay, write_snapshot};
use super::records::{Change, ConnectionDraft, Objects, StoredConnection, fold, stream_connection};
use super::responses::Reject;
use super::{EmulatorError, ids};
use d360_wire::shapes::{DataStreamOutput, UserRef};

/// File name of the compacted objects.
pub(crate) const SNAPSHOT_FILE: &str = "objects.json";
/// File name of the append-only change log.
pub(crate) const JOURNAL_FILE: &str = "journal.jsonl";
/// Rules that are options of the emulator rather than facts of the org.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quirks {
    pub name_lock: Duration,
    pub flaky_delete: bool,
    pub max_connections: Option<usize>,
}

struct Inner {
    objects: Objects,
    journal: File,
    /// Folded names of deleted connections, taken until the instant given.
    name_locks: HashMap<String, Instant>,
    /// Ids whose first delete already failed (`--flaky-delete`).
    failed_deletes: HashSet<String>,
}

/// The objects, their journal, and the rules that guard them.
pub(crate) struct Store {
    inner: Mutex<Inner>,
    snapshot_path: PathBuf,
    journal_path: PathBuf,
    quirks: Quirks,
}

impl Store {
    /// Loads `objects.json`, replays `journal.jsonl` over it and compacts the two.
    pub(crate) fn open(dir: &Path, quirks: Quirks) -> Result<Self, EmulatorError> {
        let snapshot_path = dir.join(SNAPSHOT_FILE);
        let journal_path = dir.join(JOURNAL_FILE);
        let mut objects = read_snapshot(&snapshot_path)?;
        replay(&journal_path, &mut objects)?;
        objects.rebuild_indexes();
        write_snapshot(&snapshot_path, &mut objects)?;
        let journal = open_journal(&journal_path, true)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                objects,
                journal,
                name_locks: HashMap::new(),
                failed_deletes: HashSet::new(),
            }),
            snapshot_path,
            journal_path,
            quirks,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Folds the journal into the snapshot (on shutdown).
    pub(crate) fn compact(&self) -> Result<(), EmulatorError> {
        let mut inner = self.lock();
        write_snapshot(&self.snapshot_path, &mut inner.objects)?;
        inner.journal = open_journal(&self.journal_path, true)?;
        Ok(())
    }

    /// Reads the objects under the lock.
    pub(crate) fn read<R>(&self, read: impl FnOnce(&Objects) -> R) -> R {
        read(&self.lock().objects)
    }

    /// Creates a connection: the name must be free (and not locked after a delete), and the
    /// org below its connection limit.
    /// Creates a connection from `draft`, with the fields its family sets on create
    /// (`created_fields`, given the new record id).
    pub(crate) fn create_connection(
        &self,
        draft: ConnectionDraft,
        actor: &UserRef,
        created_fields: impl FnOnce(&str) -> serde_json::Map<String, serde_json::Value>,
    ) -> Result<StoredConnection, Reject> {
        let mut inner = self.lock();
        let duplicate = || {
            Reject::duplicate(format!(
                "A data connector with the provided name: {} already exists",
                draft.name
            ))
        };
        if inner.objects.connection_named(&draft.name).is_some() {
            return Err(duplicate());
        }
        let folded = fold(&draft.name);
        let now_instant = Instant::now();
        inner.name_locks.retain(|_, until| *until > now_instant);
        if inner.name_locks.contains_key(&folded) {
            return Err(duplicate());
        }
        if let Some(max) = self.quirks.max_connections
            && inner.objects.connections.len() >= max
        {
            return Err(Reject::limit_exceeded(format!(
                "You've reached the maximum number of connections ({max}) for this org"
            )));
        }
        let now = timestamp();
        let id = inner.objects.allocate(ids::CONNECTION_PREFIX);
        let mut extra = created_fields(&id);
        extra.extend(draft.extra);
        let connection = StoredConnection {
            id,
            name: draft.name,
            label: draft.label,
            connector_type: draft.connector_type,
            method: draft.method,
            params: draft.params,
            credentials: draft.credentials,
            created_date: now.clone(),
            last_modified_date: now,
            created_by: actor.clone(),
            last_modified_by: actor.clone(),
            extra,
        };
        inner.commit(Change::PutConnection {
            connection: Box::new(connection.clone()),
        })?;
        Ok(connection)
    }

    /// Changes a connection in place; `change` may refuse.
    pub(crate) fn update_connection(
        &self,
        id: &str,
        actor: &UserRef,
        change: impl FnOnce(&mut StoredConnection) -> Result<(), Reject>,
    ) -> Result<StoredConnection, Reject> {
        let mut inner = self.lock();
        let mut connection = inner
            .objects
            .connections
            .get(id)
            .cloned()
            .ok_or_else(Reject::not_found)?;
        change(&mut connection)?;
        connection.last_modified_date = timestamp();
        connection.last_modified_by = actor.clone();
        inner.commit(Change::PutConnection {
            connection: Box::new(connection.clone()),
        })?;
        Ok(connection)
    }

    /// Deletes a connection no data stream uses.
    pub(crate) fn delete_connection(&self, id: &str) -> Result<(), Reject> {
        let mut inner = self.lock();
        let name = inner
            .objects
            .connections
            .get(id)
            .map(|c| c.name.clone())
            .ok_or_else(Reject::not_found)?;
        let users = inner.objects.streams_using(&name);
        if !users.is_empty() {
            return Err(Reject::delete_failed(format!(
                "This connection can't be deleted because it's used by these data streams: {}",
                users.join(", ")
            )));
        }
        if self.quirks.flaky_delete && inner.failed_deletes.insert(id.to_owned()) {
            return Err(Reject::unknown("flaky delete"));
        }
        inner.commit(Change::DeleteConnection { id: id.to_owned() })?;
        inner.failed_deletes.remove(id);
        if !self.quirks.name_lock.is_zero() {
            inner
                .name_locks
                .insert(fold(&name), Instant::now() + self.quirks.name_lock);
        }
        Ok(())
    }

    /// Creates a data stream from `stream` (id and dates are filled in here): its name and
    /// data lake object must be free and its connection must exist.
    pub(crate) fn create_data_stream(
        &self,
        mut stream: DataStreamOutput,
        actor: &UserRef,
    ) -> Result<DataStreamOutput, Reject> {
        let mut inner = self.lock();
        if inner.objects.data_stream(&stream.name).is_some() {
            return Err(Reject::duplicate(format!(
                "A data stream with the provided name: {} already exists",
                stream.name
            )));
        }
        if let Some(connection) = stream_connection(&stream)
            && inner.objects.connection_named(connection).is_none()
        {
            return Err(Reject::invalid_input(format!(
                "The connection {connection} doesn't exist"
            )));
        }
        if let Some(dlo) = &stream.data_lake_object_info
            && inner.objects.data_lake_object_taken(&dlo.name, None)
        {
            return Err(Reject::duplicate(format!(
                "A data lake object with the provided name: {} already exists",
                dlo.name
            )));
        }
        let now = timestamp();
        stream.id = inner.objects.allocate(ids::DATA_STREAM_PREFIX);
        stream.record_id = Some(stream.id.clone());
        stream.created_date = Some(now.clone());
        stream.last_modified_date = Some(now);
        stream.created_by = Some(actor.clone());
        stream.last_modified_by = Some(actor.clone());
        inner.commit(Change::PutDataStream {
            data_stream: Box::new(stream.clone()),
        })?;
        Ok(stream)
    }

    /// Changes a data stream (by id or name) in place; `change` may refuse.
    pub(crate) fn update_data_stream(
        &self,
        id_or_name: &str,
        actor: Option<&UserRef>,
        change: impl FnOnce(&mut DataStreamOutput) -> Result<(), Reject>,
    ) -> Result<DataStreamOutput, Reject> {
        let mut inner = self.lock();
        let mut stream = inner
            .objects
            .data_stream(id_or_name)
            .cloned()
            .ok_or_else(Reject::not_found)?;
        change(&mut stream)?;
        if let Some(actor) = actor {
            stream.last_modified_date = Some(timestamp());
            stream.last_modified_by = Some(actor.clone());
        }
        inner.commit(Change::PutDataStream {
            data_stream: Box::new(stream.clone()),
        })?;
        Ok(stream)
    }

    /// Deletes a data stream (by id or name), keeping its data lake object unless asked.
    pub(crate) fn delete_data_stream(&self, id_or_name: &str, delete_data_lake_object: bool) -> Result<(), Reject> {
        let mut inner = self.lock();
        let id = inner
            .objects
            .data_stream(id_or_name)
            .map(|s| s.id.clone())
            .ok_or_else(Reject::not_found)?;
        if self.quirks.flaky_delete && inner.failed_deletes.insert(id.clone()) {
            return Err(Reject::unknown("flaky delete"));
        }
        inner.commit(Change::DeleteDataStream {
            id: id.clone(),
            keep_data_lake_object: !delete_data_lake_object,
        })?;
        inner.failed_deletes.remove(&id);
        Ok(())
    }
}

impl Inner {
    /// Journals `change`, then applies it. A change that cannot be journaled is not applied.
    fn commit(&mut self, change: Change) -> Result<(), Reject> {
        let mut line = serde_json::to_vec(&change).map_err(|error| Reject::unknown(&error.to_string()))?;
        line.push(b'\n');
        self.journal
            .write_all(&line)
            .map_err(|error| Reject::unknown(&format!("journal: {error}")))?;
        self.objects.apply(change);
        Ok(())
    }
}

/// Now, as Salesforce writes dates: `2024-05-01T12:34:56.000Z`.
pub(crate) fn timestamp() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}
