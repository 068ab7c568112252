//! JSON Schemas (draft 2020-12) of the manifest documents, generated from each kind's document types (through the registry of kinds),
//! and the convention every d360 schema file follows (`$id` under [`SCHEMA_BASE`], a title).
//! Schemas of other outputs (the drift report) are added by the `schema` command.

use schemars::{JsonSchema, schema_for};

use crate::kinds::registry;

/// The base of every schema `$id`.
pub(crate) const SCHEMA_BASE: &str = "https://d360.dev/schemas";

/// The schema of `T` as the file `file`, with its `$id` and `title`.
pub(crate) fn with_id<T: JsonSchema>(file: &str, title: &str) -> Result<serde_json::Value, serde_json::Error> {
    identified(&schema_for!(T), file, title)
}

/// `schema` as the file `file`, with its `$id` and `title`.
fn identified(schema: &schemars::Schema, file: &str, title: &str) -> Result<serde_json::Value, serde_json::Error> {
    // Serialised rather than converted: serialising puts the keywords in schemars' order.
    let mut schema = serde_json::to_value(schema)?;
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

/// Every manifest schema file: name and content, one per document kind of the registry. The
/// last accepts any d360 document.
pub(crate) fn all() -> Result<Vec<(&'static str, serde_json::Value)>, serde_json::Error> {
    let mut files = Vec::new();
    for document in registry::documents() {
        let schema = identified(
            &(document.schema)(),
            document.schema_file,
            &format!("d360 {}", document.name),
        )?;
        files.push((document.name, document.schema_file, schema));
    }
    let names: Vec<&str> = files.iter().map(|(name, _, _)| *name).collect();
    let choice = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, others)) => format!("{} or {last}", others.join(", ")),
        None => String::new(),
    };
    let conditions: Vec<serde_json::Value> = names
        .iter()
        .map(|name| {
            serde_json::json!({
                "if": { "properties": { "kind": { "const": name } } },
                "then": { "$ref": format!("#/$defs/{name}") }
            })
        })
        .collect();
    let definitions: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(name, _, schema)| ((*name).to_owned(), embedded(schema)))
        .collect();
    // Self-contained: the kinds are embedded (each keeps its `$id`, so its own `#/$defs/…`
    // references resolve inside it) and nothing needs fetching from the network.
    let any = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{SCHEMA_BASE}/d360.json"),
        "title": "Any d360 manifest document",
        "description": format!("A d360/v1 document: {choice}, chosen by `kind`."),
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": { "kind": { "enum": names } },
        "allOf": conditions,
        "$defs": definitions
    });
    let mut all: Vec<(&'static str, serde_json::Value)> =
        files.into_iter().map(|(_, file, schema)| (file, schema)).collect();
    all.push(("d360.json", any));
    Ok(all)
}

/// A schema as the pretty JSON text written to disk.
#[must_use]
pub(crate) fn to_text(schema: &serde_json::Value) -> String {
    // `{:#}` is serde_json's pretty printer (two-space indent), and cannot fail on a `Value`.
    format!("{schema:#}\n")
}
