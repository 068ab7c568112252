//! What the org holds, as the store keeps it: connections with their credential values,
//! data streams, the data lake objects kept after their stream, the indexes by name, and
//! the journal's change lines. Plain data and its bookkeeping: no API shape is made here
//! (a connection's answer is `families::output`), no file is touched (that is `store` and
//! `journal`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::ids;
use d360_wire::shapes::{DataStreamOutput, Param, UserRef};
use d360_wire::values::{Method, Reported};

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

pub(crate) fn fold(name: &str) -> String {
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

    pub(crate) fn bump(&mut self, id: &str) {
        if let Some(number) = ids::record_number(id) {
            self.next_record = self.next_record.max(number + 1);
        }
    }

    pub(crate) fn rebuild_indexes(&mut self) {
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

    pub(crate) fn allocate(&self, prefix: &str) -> String {
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

    pub(crate) fn streams_using(&self, connection_name: &str) -> Vec<String> {
        self.data_streams
            .values()
            .filter(|stream| stream_connection(stream).is_some_and(|name| name.eq_ignore_ascii_case(connection_name)))
            .map(|stream| stream.name.clone())
            .collect()
    }

    pub(crate) fn data_lake_object_taken(&self, name: &str, except_stream: Option<&str>) -> bool {
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
