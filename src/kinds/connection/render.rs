//! A connection back into its `kind: Connection` document (`d360 render`, `d360 import`).

use std::path::Path;

use super::Connection;
use super::document::{ConnectionDocument, ConnectionKind, ConnectionSpec};
use crate::kinds::document::{ApiVersion, Metadata, ParamValue, Unrepresentable, lifecycle, secret_source, word};

/// A connection as a `kind: Connection` document; refused when the org holds a method d360
/// does not know.
pub(crate) fn document(connection: &Connection, base: Option<&Path>) -> Result<ConnectionDocument, Unrepresentable> {
    Ok(ConnectionDocument {
        api_version: ApiVersion::V1,
        kind: ConnectionKind::Connection,
        metadata: Metadata {
            name: connection.name.clone(),
            labels: connection.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            orgs: None,
        },
        spec: ConnectionSpec {
            connector_type: connection.connector_type.clone(),
            label: connection.label.clone(),
            method: Some(word(&connection.method)?),
            parameters: connection
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), ParamValue(v.clone())))
                .collect(),
            credentials: connection
                .credentials
                .iter()
                .map(|(k, v)| (k.clone(), secret_source(v, base)))
                .collect(),
            lifecycle: lifecycle(&connection.lifecycle),
        },
    })
}
