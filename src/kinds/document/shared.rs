//! The manifest shapes every kind shares: `apiVersion`, `metadata`, parameter values,
//! `lifecycle` and secret references, with the checks on them (API names, `ignoreChanges`).
//!
//! Like each kind's document types, they mirror the YAML exactly and deny unknown fields; the
//! manifest deserializer (`tree_deserializer`) relies on serde's derives reporting them.

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
    /// The orgs this resource goes to: profile names of `d360.yaml`, or the built-in `local`
    /// and `env` (default: every org). In any other org it is neither created nor pruned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) orgs: Option<Vec<String>>,
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
