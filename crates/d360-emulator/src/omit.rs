//! `--omit-field KIND:FIELD`: answers that leave chosen fields out, as a real org may for any
//! field the published spec does not require (`connection:params`,
//! `data-stream:connectorInfo`, `data-stream:dataLakeObjectInfo.category`). Applied to every
//! answer that carries objects of the kind: listings, reads by id or name, create and update
//! answers. A dotted path goes into nested objects, and into each member of a list on the way.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// The kinds whose answers can leave fields out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OmitKind {
    Connection,
    DataStream,
}

impl OmitKind {
    fn name(self) -> &'static str {
        match self {
            OmitKind::Connection => "connection",
            OmitKind::DataStream => "data-stream",
        }
    }

    /// The kind whose objects an API path answers with, and the key of a listing's objects.
    fn of_path(path: &str) -> Option<(OmitKind, &'static str)> {
        let (_, rest) = path.split_once("/ssot/")?;
        if rest.contains("/actions/") {
            return None;
        }
        if rest == "connections" || rest.starts_with("connections/") {
            Some((OmitKind::Connection, "connections"))
        } else if rest == "data-streams" || rest.starts_with("data-streams/") {
            Some((OmitKind::DataStream, "dataStreams"))
        } else {
            None
        }
    }
}

/// One `--omit-field KIND:FIELD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmitField {
    kind: OmitKind,
    path: Vec<String>,
}

impl FromStr for OmitField {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "`{text}` is not KIND:FIELD with KIND `connection` or `data-stream` (e.g. `data-stream:connectorInfo`)"
            )
        };
        let (kind, field) = text.split_once(':').ok_or_else(usage)?;
        let folded: String = kind
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let kind = match folded.as_str() {
            "connection" | "connections" => OmitKind::Connection,
            "datastream" | "datastreams" => OmitKind::DataStream,
            _ => return Err(usage()),
        };
        let path: Vec<String> = field.split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(usage());
        }
        Ok(Self { kind, path })
    }
}

impl fmt::Display for OmitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.name(), self.path.join("."))
    }
}

/// `--truncate-labels N`: a write's top-level `label` cut to `max` characters, as an org
/// that shortens labels keeps them (the answer and later reads show the short one). `None`
/// when the request is not a write of an object or its label is short enough.
pub(crate) fn truncated_label(method: &str, path: &str, body: &[u8], max: usize) -> Option<Vec<u8>> {
    if !matches!(method, "POST" | "PUT" | "PATCH") {
        return None;
    }
    OmitKind::of_path(path)?;
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let label = value.get("label")?.as_str()?;
    if label.chars().count() <= max {
        return None;
    }
    let short: String = label.chars().take(max).collect();
    value["label"] = Value::String(short);
    Some(value.to_string().into_bytes())
}

/// Removes the chosen fields from an answer to a request for `path`; `true` when the answer
/// is one the fields apply to.
pub(crate) fn strip(path: &str, body: &mut Value, omitted: &[OmitField]) -> bool {
    let Some((kind, list_key)) = OmitKind::of_path(path) else {
        return false;
    };
    let chosen: Vec<&OmitField> = omitted.iter().filter(|o| o.kind == kind).collect();
    if chosen.is_empty() {
        return false;
    }
    let objects: Vec<&mut Value> = match body.get_mut(list_key) {
        Some(Value::Array(list)) => list.iter_mut().collect(),
        _ => vec![body],
    };
    for object in objects {
        for omit in &chosen {
            remove(object, &omit.path);
        }
    }
    true
}

fn remove(value: &mut Value, path: &[String]) {
    match value {
        Value::Array(members) => members.iter_mut().for_each(|member| remove(member, path)),
        Value::Object(map) => match path {
            [] => {}
            [last] => {
                map.remove(last);
            }
            [first, rest @ ..] => {
                if let Some(inner) = map.get_mut(first) {
                    remove(inner, rest);
                }
            }
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_fields_leave_listings_single_answers_and_nested_objects() {
        let omitted: Vec<OmitField> = ["data-stream:connectorInfo", "DataStream:dataLakeObjectInfo.category"]
            .iter()
            .map(|t| t.parse().expect("valid"))
            .collect();
        let mut list = serde_json::json!({"dataStreams": [
            {"name": "A", "connectorInfo": {}, "dataLakeObjectInfo": {"name": "A__dll", "category": "Profile"}},
            {"name": "B", "connectorInfo": {}, "dataLakeObjectInfo": [{"name": "B__dll", "category": "Other"}]}
        ], "totalSize": 2});
        assert!(strip("/services/data/v66.0/ssot/data-streams", &mut list, &omitted));
        assert_eq!(
            list,
            serde_json::json!({"dataStreams": [
                {"name": "A", "dataLakeObjectInfo": {"name": "A__dll"}},
                {"name": "B", "dataLakeObjectInfo": [{"name": "B__dll"}]}
            ], "totalSize": 2})
        );
        let mut one = serde_json::json!({"name": "A", "connectorInfo": {}});
        assert!(strip("/services/data/v66.0/ssot/data-streams/A", &mut one, &omitted));
        assert_eq!(one, serde_json::json!({"name": "A"}));
        let mut connection = serde_json::json!({"name": "C", "connectorInfo": {}});
        assert!(!strip(
            "/services/data/v66.0/ssot/connections/0c1",
            &mut connection,
            &omitted
        ));
        assert!(!strip(
            "/services/data/v66.0/ssot/data-streams/A/actions/run",
            &mut one,
            &omitted
        ));
    }

    #[test]
    fn long_labels_of_writes_are_cut() {
        let body = br#"{"label": "Clinic patients", "name": "P"}"#;
        let cut = truncated_label("POST", "/services/data/v66.0/ssot/data-streams", body, 6).expect("cut");
        assert_eq!(
            serde_json::from_slice::<Value>(&cut).expect("json"),
            serde_json::json!({"label": "Clinic", "name": "P"})
        );
        assert!(truncated_label("POST", "/services/data/v66.0/ssot/data-streams", body, 60).is_none());
        assert!(truncated_label("GET", "/services/data/v66.0/ssot/connections", body, 6).is_none());
        assert!(truncated_label("POST", "/services/data/v66.0/ssot/connections/actions/test", body, 6).is_none());
    }

    #[test]
    fn bad_spellings_are_refused() {
        assert!("stream".parse::<OmitField>().is_err());
        assert!("widget:params".parse::<OmitField>().is_err());
        assert!("connection:".parse::<OmitField>().is_err());
        assert_eq!(
            "Connection:params".parse::<OmitField>().map(|o| o.to_string()),
            Ok("connection:params".to_owned())
        );
    }
}
