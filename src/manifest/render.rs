//! Model resources back into manifest documents (`d360 render`, `d360 import`), each through
//! its kind's `render`.
//!
//! Credentials render as their references, never values. An org value the manifest enums
//! cannot express is not replaced by a near one: the resource is not rendered, and
//! `to_yaml` says why in its place.

use std::path::Path;

use crate::kinds::Resource;

/// A resource's manifest document as a JSON value, or why it has none.
fn try_document_value(resource: &Resource, base: Option<&Path>) -> Result<serde_json::Value, String> {
    (crate::kinds::registry::entry(resource.kind()).render)(resource, base)
}

/// A resource as a JSON value of its manifest document. Resources loaded from manifests
/// always have one; JSON `null` stands for one that cannot be rendered (`to_yaml` says why).
#[must_use]
pub(crate) fn document_value(resource: &Resource, base: Option<&Path>) -> serde_json::Value {
    try_document_value(resource, base).unwrap_or(serde_json::Value::Null)
}

/// A resource's manifest document as YAML text that reads back as it is: `${` in string
/// values is written `$${`, so nothing is interpolated on the way back.
pub(crate) fn document_text(resource: &Resource) -> Result<String, String> {
    yaml_text(resource, None)
}

/// Writes every `${` in a string value as `$${` (a literal `${` when read back).
fn escape(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.contains("${") => *text = text.replace("${", "$${"),
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(escape),
        _ => {}
    }
}

/// A resource's manifest document as YAML that reads back as it is.
fn yaml_text(resource: &Resource, base: Option<&Path>) -> Result<String, String> {
    let mut value = try_document_value(resource, base)?;
    escape(&mut value);
    serde_yaml::to_string(&value).map_err(|error| error.to_string())
}

/// Resources as a YAML stream of documents, `---` separated, that reads back as it is (a
/// live label holding `${` is not taken for a variable).
#[must_use]
pub(crate) fn to_yaml(resources: &[&Resource], base: Option<&Path>) -> String {
    let mut out = String::new();
    for (index, resource) in resources.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        match yaml_text(resource, base) {
            Ok(text) => out.push_str(&text),
            Err(reason) => out.push_str(&format!("# cannot render {}: {reason}\n", resource.key())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Connection, DataStream};
    use crate::model::Lifecycle;
    use d360_wire::values::Reported;

    const STREAM: &str = "apiVersion: d360/v1
kind: DataStream
metadata: { name: S }
spec:
  label: S
  connection: C
  source: { object: patients }
  dataLakeObject: { category: Engagement, primaryKey: id, eventTimeField: at }
  fields: [ { name: id, type: Text }, { name: at, type: DateTime } ]
  refresh: { mode: UPSERT, frequency: Daily, hours: [2] }
";

    fn loaded_stream() -> DataStream {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, STREAM).expect("write manifest");
        let loaded = crate::manifest::load(&[path]).expect("loads");
        assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics.render(false));
        match loaded.resources.into_iter().next().map(|d| (*d.resource).clone()) {
            Some(Resource::DataStream(stream)) => *stream,
            other => panic!("not a data stream: {other:?}"),
        }
    }

    #[test]
    fn resources_are_checked_as_their_manifests_would_be() {
        let good = loaded_stream();
        let mut dollar = good.clone();
        dollar.name = "S_Dollar".to_owned();
        dollar.label = "costs ${not.a.variable}".to_owned();
        let mut bad_name = good.clone();
        bad_name.name = "not valid!".to_owned();
        let resources = [
            Resource::DataStream(Box::new(good.clone())),
            Resource::DataStream(Box::new(dollar)),
            Resource::DataStream(Box::new(bad_name)),
        ];
        let problems = crate::manifest::check_resources(&resources.iter().collect::<Vec<_>>());
        // `${` in a value reads back as written (escaped), not as a variable.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0.name, "not valid!");
        assert!(problems[0].1.contains("metadata.name"), "{problems:?}");

        let twice = [
            Resource::DataStream(Box::new(good.clone())),
            Resource::DataStream(Box::new(good)),
        ];
        let problems = crate::manifest::check_resources(&twice.iter().collect::<Vec<_>>());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].1, "is in the plan twice");
    }

    #[test]
    fn imported_yaml_reads_back_as_it_is_with_a_dollar_brace_in_a_value() {
        let mut stream = loaded_stream();
        stream.label = "costs ${not.a.variable}".to_owned();
        let resource = Resource::DataStream(Box::new(stream));
        let text = to_yaml(&[&resource], None);
        assert!(text.contains("costs $${not.a.variable}"), "{text}");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("imported.yaml");
        std::fs::write(&path, &text).expect("write");
        let loaded = crate::manifest::load(&[path]).expect("loads");
        assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics.render(false));
        assert_eq!(*loaded.resources[0].resource, resource);
    }

    #[test]
    fn a_loaded_stream_renders_back_to_its_manifest_values() {
        let stream = Resource::DataStream(Box::new(loaded_stream()));
        let text = to_yaml(&[&stream], None);
        for expected in [
            "category: Engagement",
            "type: DateTime",
            "mode: UPSERT",
            "frequency: Daily",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }

    #[track_caller]
    fn refused(edit: fn(&mut DataStream), reason: &str) {
        let mut stream = loaded_stream();
        edit(&mut stream);
        let resource = Resource::DataStream(Box::new(stream));
        assert_eq!(
            to_yaml(&[&resource], None),
            format!("# cannot render DataStream/S: {reason}\n")
        );
        assert_eq!(document_value(&resource, None), serde_json::Value::Null);
    }

    #[test]
    fn org_values_a_manifest_cannot_express_are_not_replaced_by_near_ones() {
        refused(
            |s| s.data_lake_object.category = Reported::read("Telemetry"),
            "data lake object category `Telemetry` cannot be written in a manifest",
        );
        refused(
            |s| s.fields[1].field_type = Reported::read("Geo"),
            "field type `Geo` cannot be written in a manifest",
        );
        refused(
            |s| {
                if let Some(refresh) = &mut s.refresh {
                    refresh.mode = Reported::read("SNAPSHOT");
                }
            },
            "refresh mode `SNAPSHOT` cannot be written in a manifest",
        );
        refused(
            |s| {
                if let Some(refresh) = &mut s.refresh {
                    refresh.frequency = Some(Reported::read("HOURLY"));
                }
            },
            "refresh frequency `HOURLY` cannot be written in a manifest",
        );
    }

    #[test]
    fn a_method_d360_does_not_know_is_not_rendered() {
        let connection = Connection {
            name: "C".to_owned(),
            labels: crate::model::SmallMap::new(),
            connector_type: "AwsRdsMySql".to_owned(),
            label: "C".to_owned(),
            method: Reported::read("Bidirectional"),
            parameters: crate::model::SmallMap::new(),
            credentials: crate::model::SmallMap::new(),
            lifecycle: Lifecycle::default(),
        };
        let resource = Resource::Connection(connection);
        assert_eq!(
            to_yaml(&[&resource], None),
            "# cannot render Connection/C: method `Bidirectional` cannot be written in a manifest\n"
        );
    }
}
