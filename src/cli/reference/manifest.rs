//! The manifest reference page, walked from the JSON Schemas of the manifest documents: per
//! kind, a table of its top-level fields, then one table per object type it uses (`$defs`),
//! each field with its type, whether it is required, and its description.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::types::{referenced, type_of};
use super::{GENERATED, cell};

/// The whole page.
pub(super) fn page(schemas: &[(&'static str, Value)]) -> String {
    let mut text = format!("{GENERATED}\n\n# Manifest reference\n\n");
    text.push_str(
        "Every field of every manifest document, from the JSON Schemas in `schemas/` (which \
         `d360 schema` writes and editors use for completion). `validate` checks more than a \
         schema can say (API-name rules, connector parameters, references): see \
         [Manifests](../manifests.md).\n\n",
    );
    // Every document kind, in the registry's order.
    for file in crate::kinds::registry::documents().map(|document| document.schema_file) {
        let Some((_, schema)) = schemas.iter().find(|(name, _)| *name == file) else {
            continue;
        };
        document(&mut text, file, schema);
    }
    text
}

fn document(text: &mut String, file: &str, schema: &Value) {
    let kind = kind_name(schema);
    let _ = write!(text, "## {kind}\n\n");
    if let Some(description) = schema.get("description").and_then(Value::as_str) {
        let _ = write!(text, "{}\n\n", description.trim());
    }
    let _ = write!(text, "Schema: `schemas/{file}`.\n\n");
    let definitions = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    fields(text, schema, &kind, &definitions);
    for (name, definition) in &definitions {
        if definition.get("properties").is_none() {
            continue;
        }
        let _ = write!(text, "### `{name}` ({kind})\n\n");
        if let Some(description) = definition.get("description").and_then(Value::as_str) {
            let _ = write!(text, "{}\n\n", description.trim());
        }
        fields(text, definition, &kind, &definitions);
    }
}

/// `d360 Connection` → `Connection`.
fn kind_name(schema: &Value) -> String {
    let title = schema.get("title").and_then(Value::as_str).unwrap_or("document");
    title.trim_start_matches("d360 ").to_owned()
}

fn fields(text: &mut String, object: &Value, kind: &str, definitions: &Map<String, Value>) {
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    text.push_str("| field | type | required | description |\n|---|---|---|---|\n");
    for (name, property) in properties {
        let description = property
            .get("description")
            .and_then(Value::as_str)
            .or_else(|| referenced(property, definitions).and_then(|target| target.get("description")?.as_str()))
            .unwrap_or("");
        let _ = writeln!(
            text,
            "| `{name}` | {} | {} | {} |",
            cell(&type_of(property, kind, definitions)),
            if required.contains(&name.as_str()) { "yes" } else { "no" },
            cell(description)
        );
    }
    text.push('\n');
}
