//! The org's objects (connections, data streams, kept data lake objects) and the rules that
//! must hold atomically across them: unique names, recently deleted names still taken
//! (`--name-lock`), the connection limit, no deleting a connection a stream uses, and the first
//! delete of each object failing (`--flaky-delete`).
//!
//! Every change is appended to `journal.jsonl` before it is applied in memory (one line, one
//! write, under the store's lock); on start and on shutdown the journal is folded into
//! `objects.json`, written atomically (temporary file, fsync, rename). Credential values are
//! stored (the emulator is the org) but never leave through [`StoredConnection::to_output`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::journal::{open_journal, read_snapshot, replay, write_snapshot};
use super::responses::Reject;
use super::{EmulatorError, families, ids};
use d360_wire::connectors::Family;
use d360_wire::shapes::{DataStreamOutput, Param, UserRef};
use d360_wire::values::{Method, Reported};

/// File name of the compacted objects.
pub(crate) const SNAPSHOT_FILE: &str = "objects.json";
/// File name of the append-only change log.
pub(crate) const JOURNAL_FILE: &str = "journal.jsonl";
/// What every credential value reads as.
pub(crate) const MASK: &str = "********";

/// A connection as the org keeps it, secrets included.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredConnection {
    pub id: String,
    pub name: String,
    pub label: String,
    pub connector_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Reported<Method>>,
    pub params: Vec<Param>,
    /// Real values: written to disk, never answered.
    pub credentials: Vec<Param>,
    pub created_date: String,
    pub last_modified_date: String,
    pub created_by: UserRef,
    pub last_modified_by: UserRef,
    /// The fields of families other than data connectors (`organizationId`,
    /// `streamingAppType`, `modules`, business units...), as they are answered.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl StoredConnection {
    /// The API's view, shaped by the connection's family (data connectors: `params`,
    /// credential names with masked values). `tenant` is the tenant-specific endpoint.
    pub(crate) fn to_output(&self, in_use: bool, tenant: &str) -> serde_json::Value {
        families::output(self, in_use, tenant)
    }
}

/// What a create or replace of a connection sets.
pub(crate) struct ConnectionDraft {
    pub name: String,
    pub label: String,
    pub connector_type: String,
    pub method: Option<Reported<Method>>,
    pub params: Vec<Param>,
    pub credentials: Vec<Param>,
    /// Family fields the body gave (see [`StoredConnection::extra`]).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One journal line.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub(crate) enum Change {
    PutConnection { connection: Box<StoredConnection> },
    DeleteConnection { id: String },
    PutDataStream { data_stream: Box<DataStreamOutput> },
    DeleteDataStream { id: String, keep_data_lake_object: bool },
}

/// Everything the org holds, and indexes by lower-cased name.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Objects {
    #[serde(default)]
    pub(crate) format: u32,
    #[serde(default)]
    next_record: u64,
    #[serde(default)]
    pub connections: BTreeMap<String, StoredConnection>,
    #[serde(default)]
    pub data_streams: BTreeMap<String, DataStreamOutput>,
    /// Data lake objects kept after their stream was deleted.
    #[serde(default)]
    pub kept_data_lake_object_names: BTreeSet<String>,
    #[serde(skip)]
    connection_names: HashMap<String, String>,
    #[serde(skip)]
    data_stream_names: HashMap<String, String>,
}

fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Objects {
    pub(crate) fn apply(&mut self, change: Change) {
        match change {
            Change::PutConnection { connection } => {
                self.bump(&connection.id);
                if let Some(old) = self.connections.get(&connection.id) {
                    self.connection_names.remove(&fold(&old.name));
                }
                self.connection_names
                    .insert(fold(&connection.name), connection.id.clone());
                self.connections.insert(connection.id.clone(), *connection);
            }
            Change::DeleteConnection { id } => {
                if let Some(old) = self.connections.remove(&id) {
                    self.connection_names.remove(&fold(&old.name));
                }
            }
            Change::PutDataStream { data_stream } => {
                self.bump(&data_stream.id);
                if let Some(old) = self.data_streams.get(&data_stream.id) {
                    self.data_stream_names.remove(&fold(&old.name));
                }
                if let Some(dlo) = &data_stream.data_lake_object_info {
                    self.kept_data_lake_object_names.remove(&dlo.name);
                }
                self.data_stream_names
                    .insert(fold(&data_stream.name), data_stream.id.clone());
                self.data_streams.insert(data_stream.id.clone(), *data_stream);
            }
            Change::DeleteDataStream {
                id,
                keep_data_lake_object,
            } => {
                if let Some(old) = self.data_streams.remove(&id) {
                    self.data_stream_names.remove(&fold(&old.name));
                    if let (true, Some(dlo)) = (keep_data_lake_object, old.data_lake_object_info) {
                        self.kept_data_lake_object_names.insert(dlo.name);
                    }
                }
            }
        }
    }

    fn bump(&mut self, id: &str) {
        if let Some(number) = ids::record_number(id) {
            self.next_record = self.next_record.max(number + 1);
        }
    }

    fn rebuild_indexes(&mut self) {
        self.connection_names = self
            .connections
            .values()
            .map(|c| (fold(&c.name), c.id.clone()))
            .collect();
        self.data_stream_names = self
            .data_streams
            .values()
            .map(|s| (fold(&s.name), s.id.clone()))
            .collect();
        let highest = self
            .connections
            .keys()
            .chain(self.data_streams.keys())
            .filter_map(|id| ids::record_number(id))
            .max();
        if let Some(highest) = highest {
            self.next_record = self.next_record.max(highest + 1);
        }
        self.next_record = self.next_record.max(1);
    }

    fn allocate(&self, prefix: &str) -> String {
        ids::record_id(prefix, self.next_record)
    }

    /// The connection with this name (case-insensitive).
    pub(crate) fn connection_named(&self, name: &str) -> Option<&StoredConnection> {
        self.connection_names
            .get(&fold(name))
            .and_then(|id| self.connections.get(id))
    }

    /// The data stream with this id or name.
    pub(crate) fn data_stream(&self, id_or_name: &str) -> Option<&DataStreamOutput> {
        self.data_streams.get(id_or_name).or_else(|| {
            self.data_stream_names
                .get(&fold(id_or_name))
                .and_then(|id| self.data_streams.get(id))
        })
    }

    /// Names (folded) of connections some data stream uses.
    pub(crate) fn connections_in_use(&self) -> HashSet<String> {
        self.data_streams
            .values()
            .filter_map(stream_connection)
            .map(fold)
            .collect()
    }

    fn streams_using(&self, connection_name: &str) -> Vec<String> {
        self.data_streams
            .values()
            .filter(|stream| stream_connection(stream).is_some_and(|name| name.eq_ignore_ascii_case(connection_name)))
            .map(|stream| stream.name.clone())
            .collect()
    }

    fn data_lake_object_taken(&self, name: &str, except_stream: Option<&str>) -> bool {
        self.data_streams.values().any(|stream| {
            Some(stream.id.as_str()) != except_stream
                && stream
                    .data_lake_object_info
                    .as_ref()
                    .is_some_and(|dlo| dlo.name.eq_ignore_ascii_case(name))
        })
    }
}

/// The name of the connection a data stream reads from.
pub(crate) fn stream_connection(stream: &DataStreamOutput) -> Option<&str> {
    stream
        .connector_info
        .as_ref()
        .map(|info| info.connector_details.name.as_str())
}

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
    pub(crate) fn create_connection(
        &self,
        draft: ConnectionDraft,
        actor: &UserRef,
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
        let mut extra = families::created_fields(Family::of(&draft.connector_type), &id);
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
