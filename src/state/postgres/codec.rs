//! How the PostgreSQL state's values are stored in their columns: the header row's fields,
//! serials and the format as integers, records as JSON text. Shared by `layout` (the tables
//! and the header) and `rows` (the resource and history rows); imports neither.

use crate::state::{FORMAT_VERSION, Managed, StateError};

/// The header row: what is not a resource.
pub(super) struct Header {
    pub(super) serial: u64,
    pub(super) lineage: String,
}

/// A serial as the database stores it.
pub(super) fn to_db(serial: u64) -> Result<i64, StateError> {
    i64::try_from(serial).map_err(|_| StateError::Database(format!("serial {serial} does not fit the database")))
}

/// This build's state format as the database stores it.
pub(super) fn format_to_db() -> Result<i32, StateError> {
    i32::try_from(FORMAT_VERSION).map_err(|_| StateError::Database(format!("format {FORMAT_VERSION} does not fit")))
}

/// A value as the JSON text a record column holds.
pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<String, StateError> {
    serde_json::to_string(value).map_err(|e| StateError::Database(format!("cannot encode state: {e}")))
}

/// Encodes resources as parallel arrays of keys and JSON records.
pub(super) fn encode_resources<'a>(
    resources: impl Iterator<Item = &'a Managed>,
) -> Result<(Vec<String>, Vec<String>), StateError> {
    let mut keys = Vec::new();
    let mut records = Vec::new();
    for managed in resources {
        keys.push(managed.key().to_string());
        records.push(encode(managed)?);
    }
    Ok((keys, records))
}
