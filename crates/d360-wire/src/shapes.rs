//! The JSON the Salesforce Data 360 Connect REST API speaks, shared by the client and the
//! emulator. Field names follow the reference exactly: input says `parameters`, output says
//! `params`; credentials go in as values and come back masked.
//!
//! Reading is tolerant (unknown fields ignored, a single object accepted where a list is
//! documented and the reverse) because real orgs vary by release; writing is exact.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `{paramName, value}`: one connection parameter or credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    pub param_name: String,
    #[serde(default, deserialize_with = "string_or_scalar")]
    pub value: String,
}

/// The body of `POST /ssot/connections` and `PUT /ssot/connections/{id}` for data connectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInput {
    pub connector_type: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default)]
    pub credentials: Vec<Param>,
    #[serde(default)]
    pub parameters: Vec<Param>,
}

/// A user reference in `createdBy` / `lastModifiedBy`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// A connection as the API returns it (`GET /ssot/connections/{id}` and list entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionOutput {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub label: String,
    pub connector_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Absent in some listings: the client then reads the object by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<Param>>,
    /// Names with masked values: never the secret.
    #[serde(default)]
    pub credentials: Vec<Param>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_date: Option<String>,
    #[serde(default)]
    pub deletable: bool,
    #[serde(default)]
    pub editable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<UserRef>,
}

/// `GET /ssot/connections?connectorType=T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionList {
    #[serde(default)]
    pub connections: Vec<ConnectionOutput>,
    #[serde(default)]
    pub total_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_url: Option<String>,
}

/// One attribute in connector metadata (`connectionAttributes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorAttribute {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub required: bool,
    /// `true` for credentials (write-only, sent under `credentials`).
    #[serde(default)]
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

/// `GET /ssot/connectors/{type}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorMetadata {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub features: Vec<Value>,
    #[serde(default)]
    pub connection_attributes: Vec<ConnectorAttribute>,
    #[serde(default)]
    pub advanced_attributes: Vec<ConnectorAttribute>,
}

/// One entry of `GET /ssot/connectors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorInfo {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_level: Option<String>,
    #[serde(default)]
    pub features: Vec<Value>,
}

/// `GET /ssot/connectors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorList {
    #[serde(default)]
    pub connector_info_list: Vec<ConnectorInfo>,
    #[serde(default)]
    pub total_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_url: Option<String>,
}

/// `connectorInfo` of a data stream: `{connectorType: "DataConnector", connectorDetails: {name}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamConnectorInfo {
    pub connector_type: String,
    pub connector_details: ConnectorDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorDetails {
    pub name: String,
}

/// A DLO field on input: `{name, label, dataType, isPrimaryKey}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DloFieldInput {
    pub name: String,
    #[serde(default)]
    pub label: String,
    pub data_type: String,
    #[serde(default)]
    pub is_primary_key: bool,
}

/// `{name}` in `dataspaceInfo` / `dataSpaceInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataspaceRef {
    pub name: String,
}

/// The DLO part of a data stream create body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DloInput {
    pub name: String,
    pub label: String,
    pub category: String,
    pub data_lake_field_input_representations: Vec<DloFieldInput>,
    pub dataspace_info: Vec<DataspaceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date_time_field_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_modified_field_name: Option<String>,
}

/// `{name, dataType, format}` in `sourceFields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFieldWire {
    pub name: String,
    #[serde(default)]
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// One field mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub source_field_label: String,
    pub target_field_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_field_returntype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformation_formula: Option<String>,
}

/// `refreshConfig.frequency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrequencyWire {
    pub frequency_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_day_of_week: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_day_of_month: Option<u32>,
}

/// `refreshConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshConfig {
    pub refresh_mode: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_one_or_first"
    )]
    pub frequency: Option<FrequencyWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_fetch_immediately: Option<bool>,
}

/// `advancedAttributes` for database sources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedAttributes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// The body of `POST /ssot/data-streams`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamInput {
    pub name: String,
    pub label: String,
    pub datastream_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<String>,
    pub connector_info: StreamConnectorInfo,
    /// Documented as a list holding one DLO.
    #[serde(deserialize_with = "one_or_many")]
    pub data_lake_object_info: Vec<DloInput>,
    #[serde(default)]
    pub source_fields: Vec<SourceFieldWire>,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_config: Option<RefreshConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_attributes: Option<AdvancedAttributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access_mode: Option<String>,
}

/// The body of `PATCH /ssot/data-streams/{idOrName}`: every field optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datastream_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_patch_info: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_one_or_first"
    )]
    pub data_lake_object_info: Option<DloInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mappings: Option<Vec<Mapping>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_config: Option<RefreshConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_fields: Option<Vec<SourceFieldWire>>,
}

/// A DLO field on output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DloFieldOutput {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, alias = "type")]
    pub data_type: String,
    #[serde(default)]
    pub is_primary_key: bool,
}

/// The DLO as a data stream GET returns it (a single object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DloOutput {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub category: String,
    #[serde(default, alias = "dataLakeFieldInputRepresentations", alias = "fields")]
    pub data_lake_field_info_representation: Vec<DloFieldOutput>,
    #[serde(default, alias = "dataspaceInfo", deserialize_with = "one_or_many")]
    pub data_space_info: Vec<DataspaceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_modified_field_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date_time_field_name: Option<String>,
}

/// A data stream as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamOutput {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, alias = "datastreamType", skip_serializing_if = "Option::is_none")]
    pub data_stream_type: Option<String>,
    #[serde(default, alias = "datasource", skip_serializing_if = "Option::is_none")]
    pub data_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_info: Option<StreamConnectorInfo>,
    #[serde(default, deserialize_with = "optional_one_or_first")]
    pub data_lake_object_info: Option<DloOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_config: Option<RefreshConfig>,
    #[serde(default)]
    pub source_fields: Vec<SourceFieldWire>,
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_attributes: Option<AdvancedAttributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<UserRef>,
}

/// `GET /ssot/data-streams`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamList {
    #[serde(default)]
    pub data_streams: Vec<DataStreamOutput>,
    #[serde(default)]
    pub total_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_url: Option<String>,
}

/// One entry of a Connect REST error body (the body is a JSON array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorItem {
    pub error_code: String,
    #[serde(default, alias = "errorMessage")]
    pub message: String,
}

/// An OAuth error body: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

/// A token endpoint answer. `access_token` is secret: callers move it into a `SecretString`
/// at once and never log this struct.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub instance_url: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub issued_at: String,
    #[serde(default)]
    pub signature: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("instance_url", &self.instance_url)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The Data 360 token exchange answer (`/services/a360/token`).
#[derive(Clone, Serialize, Deserialize)]
pub struct ExchangeResponse {
    pub access_token: String,
    pub instance_url: String,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub issued_token_type: String,
    #[serde(default)]
    pub expires_in: u64,
}

impl std::fmt::Debug for ExchangeResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeResponse")
            .field("access_token", &"[redacted]")
            .field("instance_url", &self.instance_url)
            .finish_non_exhaustive()
    }
}

/// `GET /services/oauth2/userinfo` (the fields d360 reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub preferred_username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match OneOrMany::<T>::deserialize(deserializer)? {
        OneOrMany::Many(many) => many,
        OneOrMany::One(one) => vec![one],
    })
}

fn optional_one_or_first<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match Option::<OneOrMany<T>>::deserialize(deserializer)? {
        None => None,
        Some(OneOrMany::Many(many)) => many.into_iter().next(),
        Some(OneOrMany::One(one)) => Some(one),
    })
}

fn string_or_scalar<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlo_info_reads_as_object_or_list() {
        let as_list: DataStreamOutput = serde_json::from_value(serde_json::json!({
            "id": "1", "name": "S", "dataLakeObjectInfo": [{"name": "S__dll", "category": "Profile"}]
        }))
        .expect("list form");
        let as_object: DataStreamOutput = serde_json::from_value(serde_json::json!({
            "id": "1", "name": "S", "dataLakeObjectInfo": {"name": "S__dll", "category": "Profile"}
        }))
        .expect("object form");
        assert_eq!(as_list.data_lake_object_info, as_object.data_lake_object_info);
    }

    #[test]
    fn param_values_accept_numbers() {
        let param: Param =
            serde_json::from_value(serde_json::json!({"paramName": "port", "value": 3306})).expect("number value");
        assert_eq!(param.value, "3306");
    }
}
