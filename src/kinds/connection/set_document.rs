//! The `ConnectionSet` document: one connection template and where its items come from.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::document::ConnectionSpec;
use crate::kinds::document::{ApiVersion, Metadata, ParamValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ConnectionSetKind {
    ConnectionSet,
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
