//! A JSON Schema type in words for the manifest reference: `string`, ``one of `A`, `B` ``,
//! `list of X`, `map of X`, an inline object's keys, or a link to an object type's table.

use serde_json::{Map, Value};

/// The definition a property points to with `$ref` (directly or as the non-null `anyOf` arm).
pub(super) fn referenced<'a>(property: &Value, definitions: &'a Map<String, Value>) -> Option<&'a Value> {
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
pub(super) fn type_of(schema: &Value, kind: &str, definitions: &Map<String, Value>) -> String {
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
fn anchor(heading: &str) -> String {
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
