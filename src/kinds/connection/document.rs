//! The `Connection` document: the manifest shape of a connection, which `convert` turns into
//! the model and `render` writes back.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::document::{ApiVersion, LifecycleSpec, Metadata, ParamValue, SecretSource};
pub(crate) use d360_wire::values::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) enum ConnectionKind {
    Connection,
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
