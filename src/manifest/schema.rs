//! JSON Schemas (draft 2020-12) of the manifest documents, generated from the `raw` types,
//! and the convention every d360 schema file follows (`$id` under [`SCHEMA_BASE`], a title).
//! Schemas of other outputs (the drift report) are added by the `schema` command.

use schemars::{JsonSchema, schema_for};

use crate::kinds::connection::document::ConnectionDocument;
use crate::kinds::connection::set_document::ConnectionSetDocument;
use crate::kinds::data_stream::document::DataStreamDocument;

/// The base of every schema `$id`.
pub(crate) const SCHEMA_BASE: &str = "https://d360.dev/schemas";

/// The schema of `T` as the file `file`, with its `$id` and `title`.
pub(crate) fn with_id<T: JsonSchema>(file: &str, title: &str) -> Result<serde_json::Value, serde_json::Error> {
    // Serialised rather than converted: serialising puts the keywords in schemars' order.
    let mut schema = serde_json::to_value(schema_for!(T))?;
    if let Some(object) = schema.as_object_mut() {
        object.insert("$id".into(), format!("{SCHEMA_BASE}/{file}").into());
        object.insert("title".into(), title.into());
    }
    Ok(schema)
}

fn embedded(schema: &serde_json::Value) -> serde_json::Value {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    schema
}

/// Every manifest schema file: name and content. The last accepts any d360 document.
pub(crate) fn all() -> Result<Vec<(&'static str, serde_json::Value)>, serde_json::Error> {
    let connection = with_id::<ConnectionDocument>("connection.json", "d360 Connection")?;
    let set = with_id::<ConnectionSetDocument>("connection-set.json", "d360 ConnectionSet")?;
    let stream = with_id::<DataStreamDocument>("data-stream.json", "d360 DataStream")?;
    // Self-contained: the kinds are embedded (each keeps its `$id`, so its own `#/$defs/…`
    // references resolve inside it) and nothing needs fetching from the network.
    let any = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{SCHEMA_BASE}/d360.json"),
        "title": "Any d360 manifest document",
        "description": "A d360/v1 document: Connection, ConnectionSet or DataStream, chosen by `kind`.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": { "kind": { "enum": ["Connection", "ConnectionSet", "DataStream"] } },
        "allOf": [
            { "if": { "properties": { "kind": { "const": "Connection" } } }, "then": { "$ref": "#/$defs/Connection" } },
            { "if": { "properties": { "kind": { "const": "ConnectionSet" } } }, "then": { "$ref": "#/$defs/ConnectionSet" } },
            { "if": { "properties": { "kind": { "const": "DataStream" } } }, "then": { "$ref": "#/$defs/DataStream" } }
        ],
        "$defs": {
            "Connection": embedded(&connection),
            "ConnectionSet": embedded(&set),
            "DataStream": embedded(&stream)
        }
    });
    Ok(vec![
        ("connection.json", connection),
        ("connection-set.json", set),
        ("data-stream.json", stream),
        ("d360.json", any),
    ])
}

/// A schema as the pretty JSON text written to disk.
#[must_use]
pub(crate) fn to_text(schema: &serde_json::Value) -> String {
    // `{:#}` is serde_json's pretty printer (two-space indent), and cannot fail on a `Value`.
    format!("{schema:#}\n")
}
