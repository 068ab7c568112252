//! Reading the live org for a plan: list pages per connector type and for data streams, in
//! parallel, never one GET per object (unless a listing lacks a field; see `api`).

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Client};
use crate::manifest::Declared;
use crate::model::{Kind, LiveObject, Resource, ResourceKey};

/// Every live object read, by identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LiveSnapshot {
    pub(crate) objects: BTreeMap<ResourceKey, LiveObject>,
    pub(crate) connector_types: BTreeSet<String>,
    pub(crate) data_streams_listed: bool,
    /// Names found more than once (in two connector types): only the first is used.
    pub(crate) conflicts: Vec<String>,
    /// Connector types the org refused to list (type → its message): not offered there.
    #[serde(default)]
    pub(crate) unsupported_types: BTreeMap<String, String>,
}

impl LiveSnapshot {
    #[must_use]
    pub(crate) fn get(&self, key: &ResourceKey) -> Option<&LiveObject> {
        self.objects.get(key)
    }

    fn insert(&mut self, object: LiveObject) {
        let key = object.key();
        match self.objects.entry(key) {
            std::collections::btree_map::Entry::Occupied(taken) => self.conflicts.push(taken.key().to_string()),
            std::collections::btree_map::Entry::Vacant(free) => {
                free.insert(object);
            }
        }
    }
}

/// Reads every connection of `connector_types` and, when `streams`, every data stream.
pub(crate) async fn read(
    client: &Client,
    connector_types: &BTreeSet<String>,
    streams: bool,
) -> Result<LiveSnapshot, ApiError> {
    let connection_lists = futures::future::join_all(
        connector_types
            .iter()
            .map(|t| async move { (t.clone(), client.list_connections(t).await) }),
    );
    let stream_list = async {
        if streams {
            client.list_data_streams().await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (connections, streams_found) = futures::join!(connection_lists, stream_list);
    let streams_found = streams_found?;
    let mut snapshot = LiveSnapshot {
        connector_types: connector_types.clone(),
        data_streams_listed: streams,
        ..LiveSnapshot::default()
    };
    for (connector_type, listed) in connections {
        match listed {
            Ok(objects) => objects.into_iter().for_each(|object| snapshot.insert(object)),
            // Salesforce answers an unknown (or wrongly cased) type with 400
            // ILLEGAL_QUERY_PARAMETER_VALUE: a plan error, not a failed read.
            Err(error) if error.status() == Some(400) && error.code() == Some("ILLEGAL_QUERY_PARAMETER_VALUE") => {
                let message = match &error {
                    ApiError::Status { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                snapshot.unsupported_types.insert(connector_type, message);
            }
            Err(error) => return Err(error),
        }
    }
    for object in streams_found.into_iter().flatten() {
        snapshot.insert(object);
    }
    Ok(snapshot)
}

/// The connector types and kinds to read: those declared plus those of managed objects.
#[must_use]
pub(crate) fn kinds_in_play(desired: &[Declared], state: &crate::state::State) -> (BTreeSet<String>, bool) {
    let mut types = BTreeSet::new();
    let mut streams = false;
    for declared in desired {
        match &declared.resource {
            Resource::Connection(connection) => {
                types.insert(connection.connector_type.clone());
            }
            Resource::DataStream(_) => streams = true,
        }
    }
    for managed in state.resources.values() {
        match managed.kind {
            Kind::Connection => {
                if let Some(connector_type) = &managed.connector_type {
                    types.insert(connector_type.clone());
                }
            }
            Kind::DataStream => streams = true,
        }
    }
    (types, streams)
}

/// Checks declared connections against the org's connector metadata: unknown types, and
/// unknown or missing parameters and credentials. Returns error messages.
pub(crate) async fn check_connector_types(client: &Client, desired: &[Declared]) -> Result<Vec<String>, ApiError> {
    let mut by_type: BTreeMap<&str, Vec<&Declared>> = BTreeMap::new();
    for declared in desired {
        if let Resource::Connection(connection) = &declared.resource {
            by_type
                .entry(connection.connector_type.as_str())
                .or_default()
                .push(declared);
        }
    }
    let metadata = try_join_all(by_type.keys().map(|t| client.connector_metadata(t))).await?;
    let mut errors = Vec::new();
    for ((connector_type, members), metadata) in by_type.iter().zip(metadata) {
        let Some(metadata) = metadata else {
            errors.push(format!(
                "connector type `{connector_type}` is not available in this org ({} {} it, first at {})",
                members.len(),
                if members.len() == 1 {
                    "connection uses"
                } else {
                    "connections use"
                },
                members[0].origin
            ));
            continue;
        };
        if metadata.connection_attributes.is_empty() {
            continue;
        }
        let parameters: Vec<&d360_wire::shapes::ConnectorAttribute> =
            metadata.connection_attributes.iter().filter(|a| !a.secret).collect();
        let credentials: Vec<&d360_wire::shapes::ConnectorAttribute> =
            metadata.connection_attributes.iter().filter(|a| a.secret).collect();
        for declared in members {
            let Resource::Connection(connection) = &declared.resource else {
                continue;
            };
            let mut problems = Vec::new();
            for name in connection.parameters.keys() {
                if !parameters.iter().any(|a| &a.name == name) {
                    problems.push(format!("unknown parameter `{name}`"));
                }
            }
            for attribute in parameters.iter().filter(|a| a.required) {
                if !connection.parameters.contains_key(&attribute.name) {
                    problems.push(format!("missing required parameter `{}`", attribute.name));
                }
            }
            for name in connection.credentials.keys() {
                if !credentials.iter().any(|a| &a.name == name) {
                    problems.push(format!("unknown credential `{name}`"));
                }
            }
            for attribute in credentials.iter().filter(|a| a.required) {
                if !connection.credentials.contains_key(&attribute.name) {
                    problems.push(format!("missing required credential `{}`", attribute.name));
                }
            }
            if !problems.is_empty() {
                errors.push(format!(
                    "Connection/{} ({}): {} (the org's `{connector_type}` takes: {})",
                    connection.name,
                    declared.origin,
                    problems.join(", "),
                    metadata
                        .connection_attributes
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    Ok(errors)
}
