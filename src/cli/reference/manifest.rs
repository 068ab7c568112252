//! The manifest reference page, walked from the JSON Schemas of the manifest documents: per
//! kind, a table of its top-level fields, then one table per object type it uses (`$defs`),
//! each field with its type, whether it is required, and its description.

use std::fmt::Write as _;

use serde_json::{Map, Value};

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

/// The definition a property points to with `$ref` (directly or as the non-null `anyOf` arm).
fn referenced<'a>(property: &Value, definitions: &'a Map<String, Value>) -> Option<&'a Value> {
    let reference = property.get("$ref").and_then(Value::as_str).or_else(|| {
        property
            .get("anyOf")?
            .as_array()?
            .iter()
            .find_map(|arm| arm.get("$ref")?.as_str())
    })?;
    definitions.get(reference.trim_start_matches("#/$defs/"))
}

/// A type in words: `string`, ``one of `A`, `B` ``, `list of X`, `map of X`, or a link to the
/// object type's table.
fn type_of(schema: &Value, kind: &str, definitions: &Map<String, Value>) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return match definitions.get(name) {
            Some(definition) if definition.get("properties").is_some() => {
                format!("[`{name}`](#{})", anchor(&format!("{name} ({kind})")))
            }
            Some(definition) => type_of(definition, kind, definitions),
            None => format!("`{name}`"),
        };
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = values.iter().map(|value| format!("`{}`", plain(value))).collect();
        return match words.as_slice() {
            [one] => one.clone(),
            _ => format!("one of {}", words.join(", ")),
        };
    }
    if let Some(value) = schema.get("const") {
        return format!("`{}`", plain(value));
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(arms) = schema.get(combinator).and_then(Value::as_array) {
            let words: Vec<String> = arms
                .iter()
                .filter(|arm| arm.get("type").and_then(Value::as_str) != Some("null"))
                .map(|arm| type_of(arm, kind, definitions))
                .collect();
            return words.join(" or ");
        }
    }
    match schema.get("type") {
        Some(Value::String(name)) if name == "array" => match schema.get("items") {
            Some(items) => format!("list of {}", type_of(items, kind, definitions)),
            None => "list".to_owned(),
        },
        Some(Value::String(name)) if name == "object" => {
            if let Some(values @ Value::Object(_)) = schema.get("additionalProperties") {
                return format!("map of {}", type_of(values, kind, definitions));
            }
            match schema.get("properties").and_then(Value::as_object) {
                // An inline object (one arm of a choice): its keys and their types.
                Some(properties) => {
                    let keys: Vec<String> = properties
                        .iter()
                        .map(|(key, value)| format!("{key}: {}", type_of(value, kind, definitions).replace('`', "")))
                        .collect();
                    format!("`{{ {} }}`", keys.join(", "))
                }
                None => "object".to_owned(),
            }
        }
        Some(Value::String(name)) => name.clone(),
        Some(Value::Array(names)) => {
            let words: Vec<String> = names
                .iter()
                .filter_map(Value::as_str)
                .filter(|name| *name != "null")
                .map(str::to_owned)
                .collect();
            words.join(" or ")
        }
        _ => "any".to_owned(),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The id mdBook gives a heading: lowercase letters, digits, `-` and `_`; spaces become `-`.
pub(super) fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}
