//! Serde shapes that mirror the manifest YAML exactly, and the JSON Schemas derived from them.
//!
//! No validation happens here beyond what serde does (types, unknown fields); `convert`
//! turns these into `model` types and checks everything else. `render` serialises model
//! resources back into these shapes.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `apiVersion: d360/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "d360/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConnectionKind {
    Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConnectionSetKind {
    ConnectionSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DataStreamKind {
    DataStream,
}

/// Identity and local labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// The object's API name in Salesforce: a letter first, then letters, digits and single
    /// underscores, no trailing underscore, at most 80 characters.
    pub name: String,
    /// Local labels for `--selector`; never sent to the org.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A parameter value: YAML strings, numbers and booleans are all sent as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue(pub String);

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

/// Where a secret comes from: `{ fromEnv: NAME }` or `{ fromFile: path }`. A literal value
/// is refused, and the refusal never repeats the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    FromEnv(String),
    FromFile(String),
}

/// The message serde reports for a literal secret; `convert` recognises it to add a hint.
pub const LITERAL_SECRET: &str = "a literal secret value is not allowed here";

impl Serialize for SecretSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            SecretSource::FromEnv(name) => map.serialize_entry("fromEnv", name)?,
            SecretSource::FromFile(path) => map.serialize_entry("fromFile", path)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;
        impl SecretVisitor {
            fn literal<E: de::Error>() -> E {
                E::custom(LITERAL_SECRET)
            }
        }
        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = SecretSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`{ fromEnv: NAME }` or `{ fromFile: path }`")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<SecretSource, A::Error> {
                Err(Self::literal())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretSource, A::Error> {
                let mut found: Option<SecretSource> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value: String = map.next_value()?;
                    let source = match key.as_str() {
                        "fromEnv" => SecretSource::FromEnv(value),
                        "fromFile" => SecretSource::FromFile(value),
                        other => {
                            return Err(de::Error::unknown_field(other, &["fromEnv", "fromFile"]));
                        }
                    };
                    if found.is_some() {
                        return Err(de::Error::custom("give exactly one of `fromEnv` and `fromFile`"));
                    }
                    found = Some(source);
                }
                found.ok_or_else(|| de::Error::custom("give one of `fromEnv` and `fromFile`"))
            }
        }
        deserializer.deserialize_any(SecretVisitor)
    }
}

impl JsonSchema for SecretSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretSource".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A reference to a secret value; literal values are refused.",
            "oneOf": [
                {
                    "type": "object",
                    "properties": { "fromEnv": { "type": "string", "description": "Environment variable holding the value." } },
                    "required": ["fromEnv"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "fromFile": { "type": "string", "description": "File holding the value, relative to the manifest." } },
                    "required": ["fromFile"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// Guard rails for destructive changes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LifecycleSpec {
    /// Refuse any plan that deletes or replaces this object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// Fields (such as `label` or `parameters.DATABASE`) whose drift is ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_changes: Vec<String>,
}

/// Connection direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum MethodSpec {
    Ingress,
    Egress,
}

/// The desired state of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionSpec {
    /// Connector type token, cased as the org expects (`AwsRdsMySql`, `SNOWFLAKE`). Immutable.
    pub connector_type: String,
    /// Display label (at most 80 characters).
    pub label: String,
    /// `Ingress` (default) or `Egress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<MethodSpec>,
    /// Connector parameters; sent as a list of `{paramName, value}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, ParamValue>,
    /// Write-only credentials, as references.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, SecretSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleSpec>,
}

/// `kind: Connection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionDocument {
    pub api_version: ApiVersion,
    pub kind: ConnectionKind,
    pub metadata: Metadata,
    pub spec: ConnectionSpec,
}

/// Where a set's items come from: exactly one of `fromCsv` and `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ItemSource {
    /// A CSV file with a header row, relative to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_csv: Option<String>,
    /// Inline items: maps of column to value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<Vec<BTreeMap<String, ParamValue>>>,
}

/// The template each item is rendered through; `${item.COLUMN}` is allowed in its strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionTemplate {
    pub metadata: Metadata,
    pub spec: ConnectionSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionSetSpec {
    pub items: ItemSource,
    pub template: ConnectionTemplate,
}

/// `kind: ConnectionSet`: one template, many connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionSetDocument {
    pub api_version: ApiVersion,
    pub kind: ConnectionSetKind,
    pub metadata: Metadata,
    pub spec: ConnectionSetSpec,
}

/// The source object read through the connection (sent as `advancedAttributes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub object: String,
}

/// DLO category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Category {
    Profile,
    /// Needs `eventTimeField`.
    Engagement,
    Other,
}

/// The data lake object the stream writes into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataLakeObjectSpec {
    /// API name ending in `__dll`; default `<stream name>__dll`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Immutable.
    pub category: Category,
    /// One of `fields`. Immutable.
    pub primary_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_modified_field: Option<String>,
    /// Required for `Engagement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time_field: Option<String>,
    /// Default `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataspace: Option<String>,
}

/// A field's data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FieldType {
    Text,
    Number,
    Date,
    DateTime,
    Boolean,
    Email,
    Phone,
    Url,
    Percent,
    Currency,
}

/// A source field, mapped to the DLO field of the same name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[expect(non_camel_case_types, reason = "the API's own spelling")]
pub enum RefreshMode {
    UPSERT,
    TOTAL_REPLACE,
    INCREMENTAL,
    REPLACE,
    NEAR_REAL_TIME_INCREMENTAL,
    PARTIAL_UPDATE,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FrequencyType {
    Daily,
    Hourly,
    Minutely,
    Weekly,
    Monthly,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Refresh schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshSpec {
    /// Default `UPSERT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RefreshMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<FrequencyType>,
    /// Hours of the day (0 to 23).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<Weekday>,
    /// 1 to 31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<u32>,
}

/// The desired state of a data stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataStreamSpec {
    pub label: String,
    /// The API name of a Connection. Immutable.
    pub connection: String,
    pub source: SourceSpec,
    pub data_lake_object: DataLakeObjectSpec,
    pub fields: Vec<FieldSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleSpec>,
}

/// `kind: DataStream`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataStreamDocument {
    pub api_version: ApiVersion,
    pub kind: DataStreamKind,
    pub metadata: Metadata,
    pub spec: DataStreamSpec,
}

/// The kinds a manifest document may have.
pub const DOCUMENT_KINDS: &[&str] = &["Connection", "ConnectionSet", "DataStream"];
