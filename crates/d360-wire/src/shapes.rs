//! The JSON the Salesforce Data 360 Connect REST API speaks, shared by the client and the
//! emulator. Field names follow the reference exactly: input says `parameters`, output says
//! `params`; credentials go in as values and come back masked.
//!
//! Reading is tolerant (unknown fields ignored, a single object accepted where a list is
//! documented and the reverse, the schema's and the examples' field names both accepted)
//! because the published spec's schemas and its own examples disagree (see
//! `tests/contract/README.md`); writing follows the schema. Input and output shapes are
//! separate types where the spec names their fields differently (mappings, source fields,
//! refresh configuration).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::values::{Category, FieldType, FrequencyType, Method, RefreshMode, Reported, Weekday};

/// `{paramName, value}`: one connection parameter or credential. A credential's `value` is
/// the secret itself, so `Debug` never shows a value (of credentials or parameters alike), and
/// every shape holding params (`ConnectionInput`, `ConnectionTestInput`...) inherits that.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    pub param_name: String,
    #[serde(default, deserialize_with = "string_or_scalar")]
    pub value: String,
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Param")
            .field("param_name", &self.param_name)
            .field("value", &"[redacted]")
            .finish()
    }
}

/// The body of `POST /ssot/connections` and `PUT /ssot/connections/{id}` for data connectors.
/// Its credentials hold secret values: `Debug` shows their names only (see [`Param`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInput {
    pub connector_type: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Reported<Method>>,
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
    /// Not required by the spec: empty when the org leaves it out (an id is never empty).
    #[serde(default)]
    pub id: String,
    /// Not required by the spec: empty when the org leaves it out (an API name is never empty).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    pub connector_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Reported<Method>>,
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
    /// How many objects the whole listing holds; `None` when the org did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_size: Option<u64>,
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
    /// `true` for credentials (write-only, sent under `credentials`). The spec's example
    /// calls it `secure`; `secret` is read too.
    #[serde(default, rename = "secure", alias = "secret")]
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// A regular expression the value must contain a match of (the spec's example:
    /// `^[a-zA-Z0-9-_]+$` for `DATABASE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

/// `GET /ssot/connectors/{type}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorMetadata {
    pub name: String,
    #[serde(default)]
    pub label: String,
    /// Not in the schema; the spec's example answers `ingressDescription`.
    #[serde(
        default,
        rename = "ingressDescription",
        alias = "description",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
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
    /// How many objects the whole listing holds; `None` when the org did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page_url: Option<String>,
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
    pub data_type: Reported<FieldType>,
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
    pub category: Reported<Category>,
    pub data_lake_field_input_representations: Vec<DloFieldInput>,
    pub dataspace_info: Vec<DataspaceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date_time_field_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_modified_field_name: Option<String>,
}

/// `{name, dataType, format}` in the `sourceFields` of a create or PATCH body
/// (`DataStreamSourceFieldInputRepresentation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFieldWire {
    pub name: String,
    #[serde(default, alias = "datatype")]
    pub data_type: Reported<FieldType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `{name, datatype, format}` in the `sourceFields` of a data stream the API returns
/// (`DataStreamSourceFieldRepresentation`: note the lower-case `datatype`; `dataType` is read
/// too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFieldOutput {
    pub name: String,
    #[serde(default, rename = "datatype", alias = "dataType")]
    pub data_type: Reported<FieldType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// One field mapping of a create or PATCH body (`DataStreamFieldMappingInputRepresentation`).
/// A formula mapping has no source field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_field_label: String,
    pub target_field_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_field_returntype: Option<Reported<FieldType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformation_formula: Option<String>,
}

/// One field mapping of a data stream the API returns (`DataStreamFieldMappingRepresentation`:
/// `sourceFieldName`, `targetFieldName`, `formula`). The input names are read too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingOutput {
    #[serde(default, alias = "sourceFieldLabel", skip_serializing_if = "Option::is_none")]
    pub source_field_name: Option<String>,
    #[serde(default)]
    pub target_field_name: String,
    #[serde(default, alias = "transformationFormula", skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
}

/// `refreshConfig.frequency`. `refreshDayOfMonth` is a list in the schema (input and output);
/// d360 models one day, so it sends a list of at most one and reads a number or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrequencyWire {
    /// Absent in some answers of the spec's examples (`{"hours": [], "refreshDayOfMonth": []}`).
    #[serde(default)]
    pub frequency_type: Reported<FrequencyType>,
    /// The examples answer `[null]` for no hour: nulls are skipped.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "numbers_skipping_nulls"
    )]
    pub hours: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_day_of_week: Option<Reported<Weekday>>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "numbers_skipping_nulls"
    )]
    pub refresh_day_of_month: Vec<u32>,
}

/// `refreshConfig` of a create or PATCH body (`RefreshConfigInputRepresentation`).
/// `frequency` is sent as the schema's list; an object is read too (the spec's own request
/// examples send one).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshConfig {
    /// Absent in one of the spec's request examples (`"refreshConfig": {}`).
    #[serde(default, skip_serializing_if = "Reported::is_empty")]
    pub refresh_mode: Reported<RefreshMode>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_as_list",
        deserialize_with = "optional_one_or_first"
    )]
    pub frequency: Option<FrequencyWire>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "bool_or_text")]
    pub is_acceleration_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_attributes: Option<std::collections::BTreeMap<String, String>>,
}

/// `refreshConfig` of a data stream the API returns (`RefreshConfigRepresentation`):
/// `frequency` is one object there (a list is read too, and a frequency without a type reads
/// as none).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshConfigOutput {
    #[serde(default)]
    pub refresh_mode: Reported<RefreshMode>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_typed_frequency"
    )]
    pub frequency: Option<FrequencyWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_fetch_immediately: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "bool_or_text")]
    pub is_acceleration_enabled: Option<bool>,
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
    /// Required by the schema: a stream without a refresh schedule sends `{}`.
    #[serde(default, serialize_with = "none_as_empty_object")]
    pub refresh_config: Option<RefreshConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_attributes: Option<AdvancedAttributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access_mode: Option<String>,
    /// `{currencyIsoCode: "USD"}` (API 63.0): the currency of the stream's currency fields;
    /// absent means the org's default. The spec types it as an open object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_iso_code_info: Option<Value>,
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
    /// Sent as the schema's list of one, like the create body; an object is read too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_as_list",
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
    pub data_type: Reported<FieldType>,
    #[serde(default)]
    pub is_primary_key: bool,
}

/// The DLO as a data stream GET returns it (a single object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DloOutput {
    /// Empty when the org leaves it out (a DLO's API name is never empty).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub category: Reported<Category>,
    /// The spec's examples repeat these under `fields`, which is ignored (an alias would make
    /// the two a duplicate).
    #[serde(default, alias = "dataLakeFieldInputRepresentations")]
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
    /// Absent in the spec's `get-data-stream-output-example` (which has `recordId`): empty then.
    #[serde(default)]
    pub id: String,
    /// Not required by the spec: empty when the org leaves it out (an API name is never empty).
    #[serde(default)]
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
    pub refresh_config: Option<RefreshConfigOutput>,
    #[serde(default)]
    pub source_fields: Vec<SourceFieldOutput>,
    #[serde(default)]
    pub mappings: Vec<MappingOutput>,
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

/// The answer to `POST /ssot/data-streams` and `PATCH /ssot/data-streams/{name}`
/// (`DataStreamRepresentation`): the asset fields, `recordId`, `status` and the data lake
/// object, not the detailed form a GET answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamSummary {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub record_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "optional_one_or_first")]
    pub data_lake_object_info: Option<DloOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<UserRef>,
}

impl From<&DataStreamOutput> for DataStreamSummary {
    fn from(stream: &DataStreamOutput) -> Self {
        Self {
            id: stream.id.clone(),
            name: stream.name.clone(),
            label: stream.label.clone(),
            record_id: stream.record_id.clone().unwrap_or_else(|| stream.id.clone()),
            status: stream.status.clone().unwrap_or_else(|| "Active".to_owned()),
            data_lake_object_info: stream.data_lake_object_info.clone(),
            created_date: stream.created_date.clone(),
            last_modified_date: stream.last_modified_date.clone(),
            created_by: stream.created_by.clone(),
            last_modified_by: stream.last_modified_by.clone(),
        }
    }
}

/// One `CdpErrorRepresentation`: `{errorCode, errorMessage}` (the spec's example says
/// `message`; both are read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdpError {
    #[serde(default)]
    pub error_code: String,
    #[serde(default, alias = "message")]
    pub error_message: String,
}

/// The answer of both connection test actions (`ConnectionTestActionRepresentation`). Read
/// `success`: the spec's `clean-success` example carries one empty error even on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTestResult {
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<CdpError>,
}

/// `{paramName, value}` in a test body, or the example's `{name, value}`. Not `Debug`: the
/// value may be a credential.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestParam {
    #[serde(alias = "name")]
    param_name: String,
    #[serde(default, deserialize_with = "string_or_scalar")]
    value: String,
}

/// The body of `POST /ssot/connections/actions/test` (`ConnectionTestInputRepresentation`):
/// `{connectorType, method, credentials: [...], parameters: [...]}`. The spec's example
/// nests them instead (`credentials: {attributes: [{name, value}], parameters: {attributes}}`);
/// [`ConnectionTestInput::read`] accepts both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTestInput {
    pub connector_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Reported<Method>>,
    pub credentials: Vec<Param>,
    pub parameters: Vec<Param>,
}

/// Why a test body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TestInputError(pub String);

impl ConnectionTestInput {
    /// Reads either shape (see the type's doc).
    pub fn read(body: &Value) -> Result<Self, TestInputError> {
        let object = body
            .as_object()
            .ok_or_else(|| TestInputError("the body must be a JSON object".to_owned()))?;
        let connector_type = match object.get("connectorType") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => return Err(TestInputError("Required field is missing: connectorType".to_owned())),
        };
        let method = object.get("method").and_then(Value::as_str).map(Reported::read);
        let list = |value: Option<&Value>, what: &str| -> Result<Vec<Param>, TestInputError> {
            let items = match value {
                None | Some(Value::Null) => return Ok(Vec::new()),
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Object(nested)) => match nested.get("attributes") {
                    Some(Value::Array(items)) => items.clone(),
                    None => Vec::new(),
                    Some(_) => return Err(TestInputError(format!("{what}.attributes must be a list"))),
                },
                Some(_) => return Err(TestInputError(format!("{what} must be a list"))),
            };
            items
                .into_iter()
                .map(|item| {
                    serde_json::from_value::<TestParam>(item)
                        .map(|p| Param {
                            param_name: p.param_name,
                            value: p.value,
                        })
                        .map_err(|error| TestInputError(format!("{what}: {error}")))
                })
                .collect()
        };
        let credentials = list(object.get("credentials"), "credentials")?;
        let nested_parameters = object
            .get("credentials")
            .and_then(Value::as_object)
            .and_then(|nested| nested.get("parameters"));
        let mut parameters = list(object.get("parameters"), "parameters")?;
        parameters.extend(list(nested_parameters, "credentials.parameters")?);
        Ok(Self {
            connector_type,
            method,
            credentials,
            parameters,
        })
    }
}

/// `POST /ssot/connections/{id}/databases` (`ConnectionDatabaseCollectionRepresentation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseList {
    #[serde(default)]
    pub databases: Vec<String>,
}

/// `POST /ssot/connections/{id}/database-schemas`: the schema says `databaseSchemas`, the
/// spec's example `schemas`; both are read, the schema's name is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSchemaList {
    #[serde(default, alias = "schemas")]
    pub database_schemas: Vec<String>,
}

/// The body of the browsing calls (`/database-schemas`, `/objects`, `/fields`):
/// `advancedAttributes` (a map of strings, such as `databaseName`, `schemaName`) and
/// optional `filters`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowseInput {
    #[serde(default)]
    pub advanced_attributes: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
}

/// One object of `POST /ssot/connections/{id}/objects` for a data connector
/// (`ConnectionObjectRepresentation`: `name`, `objectType`, `attributes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionObject {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, Value>,
}

/// `POST /ssot/connections/{id}/objects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionObjectList {
    #[serde(default)]
    pub objects: Vec<ConnectionObject>,
}

/// One field of `POST /ssot/connections/{id}/objects/{name}/fields`
/// (`BaseConnectionFieldRepresentation`; the example's `isCalculatedField` is read too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionField {
    pub name: String,
    #[serde(default)]
    pub label: String,
    /// One of the spec's field types (`Text`, `Number`, `Date`, `DateTime`, ...).
    #[serde(default, rename = "type")]
    pub field_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default, alias = "isCalculatedField")]
    pub is_calculated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `POST /ssot/connections/{id}/objects/{name}/fields` (`ConnectionFieldCollectionRepresentation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionFieldList {
    #[serde(default)]
    pub advanced_attributes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub fields: Vec<ConnectionField>,
    #[serde(default)]
    pub primary_keys: Vec<String>,
}

/// The body of `POST /ssot/connections/{id}/objects/{name}/preview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewInput {
    #[serde(default)]
    pub advanced_attributes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One record of a preview: `{record: {field: value}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewRecord {
    pub record: serde_json::Map<String, Value>,
}

/// `POST /ssot/connections/{id}/objects/{name}/preview` (`ConnectionPreviewRepresentation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    #[serde(default)]
    pub advanced_attributes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub records: Vec<PreviewRecord>,
}

/// `GET /ssot/data-streams`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStreamList {
    #[serde(default)]
    pub data_streams: Vec<DataStreamOutput>,
    /// How many objects the whole listing holds; `None` when the org did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_size: Option<u64>,
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

#[expect(clippy::ref_option, reason = "serde's serialize_with passes the field by reference")]
fn optional_as_list<S, T>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
    T: Serialize,
{
    match value {
        Some(one) => [one].serialize(serializer),
        None => serializer.serialize_none(),
    }
}

#[expect(clippy::ref_option, reason = "serde's serialize_with passes the field by reference")]
fn none_as_empty_object<S>(value: &Option<RefreshConfig>, serializer: S) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
{
    match value {
        Some(config) => config.serialize(serializer),
        None => RefreshConfig::default().serialize(serializer),
    }
}

fn numbers_skipping_nulls<'de, D>(deserializer: D) -> Result<Vec<u32>, D::Error>
where
    D: Deserializer<'de>,
{
    let number = |value: &Value| -> Result<Option<u32>, D::Error> {
        match value {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("expected a small whole number, found {n}"))),
            other => Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
        }
    };
    match Value::deserialize(deserializer)? {
        Value::Array(items) => Ok(items
            .iter()
            .map(number)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect()),
        other => Ok(number(&other)?.into_iter().collect()),
    }
}

/// `true` or the examples' `"true"`.
fn bool_or_text<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(flag)),
        Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!("expected a boolean, found {other}"))),
    }
}

fn optional_typed_frequency<'de, D>(deserializer: D) -> Result<Option<FrequencyWire>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(optional_one_or_first::<D, FrequencyWire>(deserializer)?.filter(|f| !f.frequency_type.is_empty()))
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
    fn debug_output_never_shows_a_secret() {
        const SECRET: &str = "hunter2-s3cr3t";
        let param = || Param {
            param_name: "password".to_owned(),
            value: SECRET.to_owned(),
        };
        let input = ConnectionInput {
            connector_type: "AwsRdsMySql".to_owned(),
            label: "Orders".to_owned(),
            name: Some("Orders".to_owned()),
            method: Some(Reported::Known(Method::Ingress)),
            credentials: vec![param()],
            parameters: vec![param()],
        };
        let test_input = ConnectionTestInput {
            connector_type: "AwsRdsMySql".to_owned(),
            method: None,
            credentials: vec![param()],
            parameters: Vec::new(),
        };
        let token: TokenResponse = serde_json::from_value(serde_json::json!({
            "access_token": SECRET, "instance_url": "https://example.my.salesforce.com", "signature": "sig"
        }))
        .expect("a token answer");
        let exchange: ExchangeResponse = serde_json::from_value(serde_json::json!({
            "access_token": SECRET, "instance_url": "https://tenant.c360a.salesforce.com"
        }))
        .expect("an exchange answer");
        for shown in [
            format!("{input:?}"),
            format!("{input:#?}"),
            format!("{test_input:?}"),
            format!("{:?}", param()),
            format!("{token:?}"),
            format!("{exchange:?}"),
        ] {
            assert!(!shown.contains(SECRET), "a secret in {shown}");
            assert!(shown.contains("[redacted]"), "nothing redacted in {shown}");
        }
        assert!(format!("{input:?}").contains("password"), "names stay visible");
    }

    #[test]
    fn param_values_accept_numbers() {
        let param: Param =
            serde_json::from_value(serde_json::json!({"paramName": "port", "value": 3306})).expect("number value");
        assert_eq!(param.value, "3306");
    }
}
