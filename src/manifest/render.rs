//! Model resources back into manifest documents (`d360 render`, `d360 import`).
//!
//! Credentials render as their references, never values. An org value the manifest enums
//! cannot express is not replaced by a near one: the resource is not rendered, and
//! `to_yaml` says why in its place.

use std::path::Path;

use d360_wire::values::{Reported, Word};

use super::raw::{
    ApiVersion, ConnectionDocument, ConnectionKind, ConnectionSpec, DataLakeObjectSpec, DataStreamDocument,
    DataStreamKind, DataStreamSpec, FieldSpec, LifecycleSpec, Metadata, ParamValue, RefreshSpec, SecretSource,
    SourceSpec,
};
use crate::kinds::{Connection, DataStream, Resource};
use crate::model::Lifecycle;
use crate::secret::SecretRef;

/// An org value that no manifest can express (a category or field type d360 does not know):
/// rendering it as something else would write a manifest that changes the object.
#[derive(Debug)]
struct Unrepresentable {
    what: &'static str,
    value: String,
}

impl std::fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` cannot be written in a manifest", self.what, self.value)
    }
}

/// The known value, as a manifest writes it; never a near one for a value d360 does not know.
fn word<T: Word>(value: &Reported<T>) -> Result<T, Unrepresentable> {
    value.to_known().map_err(|unknown| Unrepresentable {
        what: unknown.what,
        value: unknown.value,
    })
}

fn optional_word<T: Word>(value: Option<&Reported<T>>) -> Result<Option<T>, Unrepresentable> {
    value.map(word).transpose()
}

fn lifecycle(lifecycle: &Lifecycle) -> Option<LifecycleSpec> {
    (lifecycle != &Lifecycle::default()).then(|| LifecycleSpec {
        prevent_destroy: lifecycle.prevent_destroy,
        ignore_changes: lifecycle.ignore_changes.clone(),
    })
}

/// Renders a secret reference; file paths are shown relative to `base` when under it.
#[must_use]
pub(crate) fn secret_source(reference: &SecretRef, base: Option<&Path>) -> SecretSource {
    match reference {
        SecretRef::FromEnv(name) => SecretSource::FromEnv(name.clone()),
        SecretRef::FromFile(path) => {
            let shown = base.and_then(|base| path.strip_prefix(base).ok()).unwrap_or(path);
            SecretSource::FromFile(shown.display().to_string())
        }
        SecretRef::FromAwsSecret(reference) => SecretSource::FromAwsSecret(crate::secret::aws::AwsSecretSource {
            id: reference.id.clone(),
            key: reference.key.clone(),
            region: reference.region.clone(),
        }),
    }
}

/// A connection as a `kind: Connection` document; refused when the org holds a method d360
/// does not know.
fn connection_document(connection: &Connection, base: Option<&Path>) -> Result<ConnectionDocument, Unrepresentable> {
    Ok(ConnectionDocument {
        api_version: ApiVersion::V1,
        kind: ConnectionKind::Connection,
        metadata: Metadata {
            name: connection.name.clone(),
            labels: connection.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
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

/// A data stream as a `kind: DataStream` document; refused when the org holds a value the
/// manifest enums cannot express.
fn data_stream_document(stream: &DataStream) -> Result<DataStreamDocument, Unrepresentable> {
    let dlo = &stream.data_lake_object;
    let default_dlo_name = DataStream::default_dlo_name(&stream.name);
    let fields = stream
        .fields
        .iter()
        .map(|f| {
            Ok(FieldSpec {
                name: f.name.clone(),
                field_type: word(&f.field_type)?,
            })
        })
        .collect::<Result<Vec<_>, Unrepresentable>>()?;
    let refresh = match &stream.refresh {
        None => None,
        Some(refresh) => Some(RefreshSpec {
            mode: Some(word(&refresh.mode)?),
            frequency: optional_word(refresh.frequency.as_ref())?,
            hours: refresh.hours.clone(),
            day_of_week: optional_word(refresh.day_of_week.as_ref())?,
            day_of_month: refresh.day_of_month,
        }),
    };
    Ok(DataStreamDocument {
        api_version: ApiVersion::V1,
        kind: DataStreamKind::DataStream,
        metadata: Metadata {
            name: stream.name.clone(),
            labels: stream.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        },
        spec: DataStreamSpec {
            label: stream.label.clone(),
            connection: stream.connection.clone(),
            source: SourceSpec {
                database: stream.source.database.clone(),
                schema: stream.source.schema.clone(),
                object: stream.source.object.clone(),
            },
            data_lake_object: DataLakeObjectSpec {
                name: (dlo.name != default_dlo_name).then(|| dlo.name.clone()),
                label: dlo.label.clone(),
                category: word(&dlo.category)?,
                primary_key: dlo.primary_key.clone(),
                record_modified_field: dlo.record_modified_field.clone(),
                event_time_field: dlo.event_time_field.clone(),
                dataspace: (dlo.dataspace != "default").then(|| dlo.dataspace.clone()),
            },
            fields,
            refresh,
            lifecycle: lifecycle(&stream.lifecycle),
        },
    })
}

/// A resource's manifest document as a JSON value, or why it has none.
fn try_document_value(resource: &Resource, base: Option<&Path>) -> Result<serde_json::Value, String> {
    let value = match resource {
        Resource::Connection(connection) => {
            serde_json::to_value(connection_document(connection, base).map_err(|error| error.to_string())?)
        }
        Resource::DataStream(stream) => {
            serde_json::to_value(data_stream_document(stream).map_err(|error| error.to_string())?)
        }
    };
    value.map_err(|error| error.to_string())
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
    fn escape(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) if text.contains("${") => *text = text.replace("${", "$${"),
            serde_json::Value::Array(items) => items.iter_mut().for_each(escape),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(escape),
            _ => {}
        }
    }
    let mut value = try_document_value(resource, None)?;
    escape(&mut value);
    serde_yaml::to_string(&value).map_err(|error| error.to_string())
}

/// Resources as a YAML stream of documents, `---` separated.
#[must_use]
pub(crate) fn to_yaml(resources: &[&Resource], base: Option<&Path>) -> String {
    let mut out = String::new();
    for (index, resource) in resources.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        let text = try_document_value(resource, base)
            .and_then(|value| serde_yaml::to_string(&value).map_err(|error| error.to_string()));
        match text {
            Ok(text) => out.push_str(&text),
            Err(reason) => out.push_str(&format!("# cannot render {}: {reason}\n", resource.key())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
