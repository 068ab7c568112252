//! Serde shapes that mirror the manifest YAML exactly, and the JSON Schemas derived from them.
//!
//! No validation happens here beyond what serde does (types, unknown fields); `convert`
//! turns these into `model` types and checks everything else. `render` serialises model
//! resources back into these shapes. Every struct denies unknown fields, and the manifest
//! deserializer (`tree_deserializer`) relies on serde's derives reporting them. The enums of
//! values (method, category, field type, refresh mode, frequency, day of the week) are
//! `d360_wire::values`, shared with the model and the wire shapes.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use crate::secret::SecretSource;
/// The manifest's word enums are the wire's: one definition each (see `d360_wire::values`).
pub(crate) use d360_wire::values::{Category, FieldType, FrequencyType, Method, RefreshMode, Weekday};

/// `apiVersion: d360/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ApiVersion {
    #[serde(rename = "d360/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ConnectionKind {
    Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ConnectionSetKind {
    ConnectionSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum DataStreamKind {
    DataStream,
}

/// Identity and local labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Metadata {
    /// The object's API name in Salesforce: a letter first, then letters, digits and single
    /// underscores, no trailing underscore, at most 80 characters.
    pub(crate) name: String,
    /// Local labels for `--selector`; never sent to the org.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
}

/// A parameter value: YAML strings, numbers and booleans are all sent as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamValue(pub String);

impl Serialize for ParamValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamVisitor;
        impl Visitor<'_> for ParamVisitor {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ParamValue, E> {
                Ok(ParamValue(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
        }
        deserializer.deserialize_any(ParamVisitor)
    }
}

impl JsonSchema for ParamValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ParamValue".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A parameter value; numbers and booleans are sent as strings.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// Guard rails for destructive changes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct LifecycleSpec {
    /// Refuse any plan that deletes or replaces this object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) prevent_destroy: bool,
    /// Fields (such as `label` or `parameters.DATABASE`) whose drift is ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ignore_changes: Vec<String>,
}

/// The desired state of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConnectionSpec {
    /// Connector type token, cased as the org expects (`AwsRdsMySql`, `SNOWFLAKE`). Immutable.
    pub(crate) connector_type: String,
    /// Display label (at most 80 characters).
    pub(crate) label: String,
    /// `Ingress` (default) or `Egress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<Method>,
    /// Connector parameters; sent as a list of `{paramName, value}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) parameters: BTreeMap<String, ParamValue>,
    /// Write-only credentials, as references.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) credentials: BTreeMap<String, SecretSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lifecycle: Option<LifecycleSpec>,
}

/// `kind: Connection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConnectionDocument {
    pub(crate) api_version: ApiVersion,
    pub(crate) kind: ConnectionKind,
    pub(crate) metadata: Metadata,
    pub(crate) spec: ConnectionSpec,
}

/// Where a set's items come from: exactly one of `fromCsv`, `list` and `fromAwsRds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ItemSource {
    /// A CSV file with a header row, relative to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) from_csv: Option<String>,
    /// Inline items: maps of column to value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) list: Option<Vec<BTreeMap<String, ParamValue>>>,
    /// The databases of AWS RDS (instances and Aurora clusters), listed when the set is
    /// planned; `validate` does not call AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) from_aws_rds: Option<AwsRdsSource>,
}

/// RDS databases as items. Each has the columns `identifier`, `apiName` (`-` made `_`),
/// `host`, `port`, `engine`, `database` (may be empty), `resourceId`, `arn`,
/// `connectorType` (from the engine) and `tag.<Key>` per tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AwsRdsSource {
    /// AWS region (`eu-west-1`); default: `AWS_REGION` or the profile's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    /// Engines to keep (`mysql`, `aurora-mysql`, `postgres`, `aurora-postgresql`,
    /// `sqlserver-*`); default: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) engines: Vec<String>,
    /// Tags a database must carry, with these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) tags: BTreeMap<String, String>,
    /// Shared config profile for credentials (default: `AWS_PROFILE`, then the standard chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<String>,
}

/// The template each item is rendered through; `${item.COLUMN}` is allowed in its strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConnectionTemplate {
    pub(crate) metadata: Metadata,
    pub(crate) spec: ConnectionSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConnectionSetSpec {
    pub(crate) items: ItemSource,
    pub(crate) template: ConnectionTemplate,
}

/// `kind: ConnectionSet`: one template, many connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ConnectionSetDocument {
    pub(crate) api_version: ApiVersion,
    pub(crate) kind: ConnectionSetKind,
    pub(crate) metadata: Metadata,
    pub(crate) spec: ConnectionSetSpec,
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

/// The kinds a manifest document may have.
pub(crate) const DOCUMENT_KINDS: &[&str] = &["Connection", "ConnectionSet", "DataStream"];
