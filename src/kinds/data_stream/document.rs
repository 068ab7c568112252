//! The `DataStream` document: the manifest shape of a data stream, which `convert` turns into
//! the model and `render` writes back. Its word enums are `d360_wire::values`, shared with the
//! model and the wire shapes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::document::{ApiVersion, LifecycleSpec, Metadata};
pub(crate) use d360_wire::values::{Category, FieldType, FrequencyType, RefreshMode, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum DataStreamKind {
    DataStream,
}

/// The source object read through the connection (sent as `advancedAttributes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SourceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<String>,
    pub(crate) object: String,
}

/// The data lake object the stream writes into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DataLakeObjectSpec {
    /// API name ending in `__dll`; default `<stream name>__dll`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) label: Option<String>,
    /// Immutable.
    pub(crate) category: Category,
    /// One of `fields`. Immutable.
    pub(crate) primary_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) record_modified_field: Option<String>,
    /// Required for `Engagement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) event_time_field: Option<String>,
    /// Default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dataspace: Option<String>,
}

/// A source field, mapped to the DLO field of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FieldSpec {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) field_type: FieldType,
}

/// Refresh schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RefreshSpec {
    /// Default `UPSERT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<RefreshMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) frequency: Option<FrequencyType>,
    /// Hours of the day (0 to 23).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) hours: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) day_of_week: Option<Weekday>,
    /// 1 to 31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) day_of_month: Option<u32>,
}

/// The desired state of a data stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DataStreamSpec {
    pub(crate) label: String,
    /// The API name of a Connection. Immutable.
    pub(crate) connection: String,
    pub(crate) source: SourceSpec,
    pub(crate) data_lake_object: DataLakeObjectSpec,
    pub(crate) fields: Vec<FieldSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh: Option<RefreshSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lifecycle: Option<LifecycleSpec>,
}

/// `kind: DataStream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DataStreamDocument {
    pub(crate) api_version: ApiVersion,
    pub(crate) kind: DataStreamKind,
    pub(crate) metadata: Metadata,
    pub(crate) spec: DataStreamSpec,
}
