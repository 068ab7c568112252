//! Serde shapes that mirror the manifest YAML exactly, and the JSON Schemas derived from them.
//!
//! No validation happens here beyond what serde does (types, unknown fields); `convert`
//! turns these into `model` types and checks everything else. `render` serialises model
//! resources back into these shapes. Every struct denies unknown fields, and the manifest
//! deserializer (`tree_deserializer`) relies on serde's derives reporting them.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use crate::secret::SecretSource;

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

/// Connection direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum MethodSpec {
    Ingress,
    Egress,
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
    pub(crate) method: Option<MethodSpec>,
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

/// Where a set's items come from: exactly one of `fromCsv` and `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ItemSource {
    /// A CSV file with a header row, relative to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) from_csv: Option<String>,
    /// Inline items: maps of column to value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) list: Option<Vec<BTreeMap<String, ParamValue>>>,
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

/// DLO category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum Category {
    Profile,
    /// Needs `eventTimeField`.
    Engagement,
    Other,
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

/// A field's data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum FieldType {
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
pub(crate) struct FieldSpec {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) field_type: FieldType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[expect(non_camel_case_types, clippy::upper_case_acronyms, reason = "the API's own spelling")]
pub(crate) enum RefreshMode {
    UPSERT,
    TOTAL_REPLACE,
    INCREMENTAL,
    REPLACE,
    NEAR_REAL_TIME_INCREMENTAL,
    PARTIAL_UPDATE,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum FrequencyType {
    Daily,
    Hourly,
    Minutely,
    Weekly,
    Monthly,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum Weekday {
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

/// The spelling of each variant of the manifest's word enums, as written in YAML and sent to
/// the org (the variants' own names, which serde uses too; a test checks they agree).
macro_rules! spelled_as_named {
    ($($name:ident { $($variant:ident),* $(,)? })*) => {
        $(
            impl $name {
                #[must_use]
                pub(crate) fn as_str(self) -> &'static str {
                    match self {
                        $($name::$variant => stringify!($variant),)*
                    }
                }

                /// The variant spelled `name`, if there is one.
                #[must_use]
                pub(crate) fn from_name(name: &str) -> Option<Self> {
                    match name {
                        $(stringify!($variant) => Some($name::$variant),)*
                        _ => None,
                    }
                }
            }
        )*
    };
}

spelled_as_named! {
    Category { Profile, Engagement, Other }
    FieldType { Text, Number, Date, DateTime, Boolean, Email, Phone, Url, Percent, Currency }
    RefreshMode { UPSERT, TOTAL_REPLACE, INCREMENTAL, REPLACE, NEAR_REAL_TIME_INCREMENTAL, PARTIAL_UPDATE }
    FrequencyType { Daily, Hourly, Minutely, Weekly, Monthly, None }
    Weekday { Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check<T: Serialize + Copy + PartialEq + std::fmt::Debug>(
        values: &[T],
        as_str: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) {
        for value in values {
            assert_eq!(
                serde_json::to_value(value).expect("a unit variant serialises"),
                serde_json::Value::from(as_str(*value))
            );
            assert_eq!(from_name(as_str(*value)), Some(*value));
        }
        assert_eq!(from_name("not a variant"), None);
    }

    #[test]
    fn variant_spellings_match_serde() {
        use Category as C;
        use FieldType as F;
        use FrequencyType as Q;
        use RefreshMode as R;
        use Weekday as W;
        check(&[C::Profile, C::Engagement, C::Other], C::as_str, C::from_name);
        check(
            &[
                F::Text,
                F::Number,
                F::Date,
                F::DateTime,
                F::Boolean,
                F::Email,
                F::Phone,
                F::Url,
                F::Percent,
                F::Currency,
            ],
            F::as_str,
            F::from_name,
        );
        check(
            &[
                R::UPSERT,
                R::TOTAL_REPLACE,
                R::INCREMENTAL,
                R::REPLACE,
                R::NEAR_REAL_TIME_INCREMENTAL,
                R::PARTIAL_UPDATE,
            ],
            R::as_str,
            R::from_name,
        );
        check(
            &[Q::Daily, Q::Hourly, Q::Minutely, Q::Weekly, Q::Monthly, Q::None],
            Q::as_str,
            Q::from_name,
        );
        check(
            &[
                W::Monday,
                W::Tuesday,
                W::Wednesday,
                W::Thursday,
                W::Friday,
                W::Saturday,
                W::Sunday,
            ],
            W::as_str,
            W::from_name,
        );
    }
}
