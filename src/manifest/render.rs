//! Model resources back into manifest documents (`d360 render`, `d360 import`).
//!
//! Credentials render as their references, never values.

use std::path::Path;

use super::raw::{
    ApiVersion, Category, ConnectionDocument, ConnectionKind, ConnectionSpec, DataLakeObjectSpec, DataStreamDocument,
    DataStreamKind, DataStreamSpec, FieldSpec, LifecycleSpec, Metadata, MethodSpec, ParamValue, RefreshSpec,
    SecretSource, SourceSpec,
};
use crate::kinds::{Connection, DataStream, Method, Resource};
use crate::model::Lifecycle;
use crate::secret::SecretRef;

fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
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
    }
}

/// A connection as a `kind: Connection` document.
#[must_use]
pub(crate) fn connection_document(connection: &Connection, base: Option<&Path>) -> ConnectionDocument {
    ConnectionDocument {
        api_version: ApiVersion::V1,
        kind: ConnectionKind::Connection,
        metadata: Metadata {
            name: connection.name.clone(),
            labels: connection.labels.clone(),
        },
        spec: ConnectionSpec {
            connector_type: connection.connector_type.clone(),
            label: connection.label.clone(),
            method: Some(match connection.method {
                Method::Ingress => MethodSpec::Ingress,
                Method::Egress => MethodSpec::Egress,
            }),
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
    }
}

/// A data stream as a `kind: DataStream` document. Values the raw enums cannot hold (a
/// category the org invented) fall back to the closest allowed value.
#[must_use]
pub(crate) fn data_stream_document(stream: &DataStream) -> DataStreamDocument {
    let dlo = &stream.data_lake_object;
    let default_dlo_name = DataStream::default_dlo_name(&stream.name);
    DataStreamDocument {
        api_version: ApiVersion::V1,
        kind: DataStreamKind::DataStream,
        metadata: Metadata {
            name: stream.name.clone(),
            labels: stream.labels.clone(),
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
                category: from_name(&dlo.category).unwrap_or(Category::Other),
                primary_key: dlo.primary_key.clone(),
                record_modified_field: dlo.record_modified_field.clone(),
                event_time_field: dlo.event_time_field.clone(),
                dataspace: (dlo.dataspace != "default").then(|| dlo.dataspace.clone()),
            },
            fields: stream
                .fields
                .iter()
                .filter_map(|f| {
                    Some(FieldSpec {
                        name: f.name.clone(),
                        field_type: from_name(&f.field_type)?,
                    })
                })
                .collect(),
            refresh: stream.refresh.as_ref().map(|refresh| RefreshSpec {
                mode: from_name(&refresh.mode),
                frequency: refresh.frequency.as_deref().and_then(from_name),
                hours: refresh.hours.clone(),
                day_of_week: refresh.day_of_week.as_deref().and_then(from_name),
                day_of_month: refresh.day_of_month,
            }),
            lifecycle: lifecycle(&stream.lifecycle),
        },
    }
}

/// A resource as a JSON value of its manifest document.
#[must_use]
pub(crate) fn document_value(resource: &Resource, base: Option<&Path>) -> serde_json::Value {
    let value = match resource {
        Resource::Connection(connection) => serde_json::to_value(connection_document(connection, base)),
        Resource::DataStream(stream) => serde_json::to_value(data_stream_document(stream)),
    };
    value.unwrap_or(serde_json::Value::Null)
}

/// Resources as a YAML stream of documents, `---` separated.
#[must_use]
pub(crate) fn to_yaml(resources: &[&Resource], base: Option<&Path>) -> String {
    let mut out = String::new();
    for (index, resource) in resources.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        match serde_yaml::to_string(&document_value(resource, base)) {
            Ok(text) => out.push_str(&text),
            Err(error) => out.push_str(&format!("# cannot render {}: {error}\n", resource.key())),
        }
    }
    out
}
