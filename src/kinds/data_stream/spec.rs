//! The `DataStream` kind: a stream that ingests one source object through a connection into a
//! data lake object (DLO).

use crate::model::SmallMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use d360_wire::values::{Category, FieldType, FrequencyType, RefreshMode, Reported, Weekday};

use crate::model::{FieldPath, FieldPaths, Fields, Kind, Lifecycle, ResourceKey, ResourceSpec};
use crate::secret::SecretRef;

/// The source object a stream reads (sent as `advancedAttributes`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<String>,
    pub(crate) object: String,
}

/// The data lake object a stream writes into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataLakeObject {
    /// API name, ending in `__dll`.
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) label: Option<String>,
    /// `Profile`, `Engagement` or `Other` when declared; the org may report others.
    pub(crate) category: Reported<Category>,
    pub(crate) primary_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) record_modified_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) event_time_field: Option<String>,
    pub(crate) dataspace: String,
}

/// One source field, mapped one to one onto a DLO field of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceField {
    pub(crate) name: String,
    /// Always known when declared; the org may report other types.
    #[serde(rename = "type")]
    pub(crate) field_type: Reported<FieldType>,
}

/// When and how the stream refreshes. Declared values are always known; read ones are as the
/// org answers them (a mode it leaves out reads as the empty unknown value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Refresh {
    pub(crate) mode: Reported<RefreshMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) frequency: Option<Reported<FrequencyType>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) hours: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) day_of_week: Option<Reported<Weekday>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) day_of_month: Option<u32>,
}

/// A data stream as declared or as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DataStream {
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub(crate) labels: SmallMap<String, String>,
    pub(crate) label: String,
    /// The API name of the connection the stream reads through.
    pub(crate) connection: String,
    pub(crate) source: SourceObject,
    pub(crate) data_lake_object: DataLakeObject,
    pub(crate) fields: Vec<SourceField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh: Option<Refresh>,
    #[serde(default)]
    pub(crate) lifecycle: Lifecycle,
    /// Always empty: data streams have no write-only values.
    #[serde(skip)]
    pub(crate) no_secrets: SmallMap<String, SecretRef>,
}

impl DataStream {
    /// The default DLO name for a stream: `<stream name>__dll`.
    #[must_use]
    pub(crate) fn default_dlo_name(stream_name: &str) -> String {
        format!("{stream_name}__dll")
    }

    /// A minimal valid stream for tests.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn example(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            labels: crate::model::SmallMap::new(),
            label: name.to_owned(),
            connection: "Example_Connection".to_owned(),
            source: SourceObject {
                database: None,
                schema: None,
                object: "patients".to_owned(),
            },
            data_lake_object: DataLakeObject {
                name: Self::default_dlo_name(name),
                label: None,
                category: Category::Profile.into(),
                primary_key: "id".to_owned(),
                record_modified_field: None,
                event_time_field: None,
                dataspace: "default".to_owned(),
            },
            fields: vec![SourceField {
                name: "id".to_owned(),
                field_type: FieldType::Text.into(),
            }],
            refresh: None,
            lifecycle: Lifecycle::default(),
            no_secrets: crate::model::SmallMap::new(),
        }
    }
}

fn optional(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.to_owned()))
}

impl ResourceSpec for DataStream {
    const FIELDS: FieldPaths = FieldPaths(&[
        FieldPath::plain("label"),
        FieldPath::plain("connection").immutable(),
        FieldPath::plain("source").immutable(),
        FieldPath::plain("dataLakeObject"),
        FieldPath::plain("dataLakeObject.name").immutable().not_ignorable(),
        FieldPath::plain("dataLakeObject.category").immutable().not_ignorable(),
        FieldPath::plain("dataLakeObject.primaryKey")
            .immutable()
            .not_ignorable(),
        FieldPath::plain("dataLakeObject.dataspace").immutable().not_ignorable(),
        // Only the declared fields can change in place (source and connection force a
        // replace); a new label or schedule reads nothing new.
        FieldPath::plain("fields").replaced_whole().checked_on_update(),
        FieldPath::plain("refresh"),
    ]);

    fn name(&self) -> &str {
        &self.name
    }

    fn fields(&self) -> Fields {
        let mut fields = Fields::new();
        let dlo = &self.data_lake_object;
        fields.insert("label".into(), self.label.clone().into());
        fields.insert("connection".into(), self.connection.clone().into());
        fields.insert("source.database".into(), optional(self.source.database.as_deref()));
        fields.insert("source.schema".into(), optional(self.source.schema.as_deref()));
        fields.insert("source.object".into(), self.source.object.clone().into());
        fields.insert("dataLakeObject.name".into(), dlo.name.clone().into());
        fields.insert("dataLakeObject.label".into(), optional(dlo.label.as_deref()));
        fields.insert("dataLakeObject.category".into(), dlo.category.as_str().into());
        fields.insert("dataLakeObject.primaryKey".into(), dlo.primary_key.clone().into());
        fields.insert(
            "dataLakeObject.recordModifiedField".into(),
            optional(dlo.record_modified_field.as_deref()),
        );
        fields.insert(
            "dataLakeObject.eventTimeField".into(),
            optional(dlo.event_time_field.as_deref()),
        );
        fields.insert("dataLakeObject.dataspace".into(), dlo.dataspace.clone().into());
        for field in &self.fields {
            fields.insert(format!("fields.{}", field.name), field.field_type.as_str().into());
        }
        match &self.refresh {
            Some(refresh) => {
                fields.insert("refresh.mode".into(), refresh.mode.as_str().into());
                fields.insert(
                    "refresh.frequency".into(),
                    optional(refresh.frequency.as_ref().map(Reported::as_str)),
                );
                let hours = if refresh.hours.is_empty() {
                    Value::Null
                } else {
                    Value::from(refresh.hours.clone())
                };
                fields.insert("refresh.hours".into(), hours);
                fields.insert(
                    "refresh.dayOfWeek".into(),
                    optional(refresh.day_of_week.as_ref().map(Reported::as_str)),
                );
                fields.insert(
                    "refresh.dayOfMonth".into(),
                    refresh.day_of_month.map_or(Value::Null, Value::from),
                );
            }
            None => {
                for name in ["mode", "frequency", "hours", "dayOfWeek", "dayOfMonth"] {
                    fields.insert(format!("refresh.{name}"), Value::Null);
                }
            }
        }
        fields
    }

    fn depends_on(&self) -> Vec<ResourceKey> {
        vec![ResourceKey::new(Kind::Connection, self.connection.clone())]
    }

    fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    fn secrets(&self) -> &SmallMap<String, SecretRef> {
        &self.no_secrets
    }

    fn labels(&self) -> &SmallMap<String, String> {
        &self.labels
    }
}
