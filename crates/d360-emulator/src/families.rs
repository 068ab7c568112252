//! The connection families other than data connectors, as the spec shapes them: the create
//! body each takes (`IngestApi`: the base fields; `SalesforceDotCom`: `organizationId`;
//! `SalesforceMarketingCloud`: the base fields; `StreamingApp`: `streamingAppType`;
//! `AccountEngagement`: the base fields, since the spec gives it no input shape), the `PATCH`
//! bodies of the two that take one (`SalesforceMarketingCloud`: business units to add and
//! remove; `StreamingApp`: `modules`), and every family's answer shape
//! (`ConnectionRepresentation` by `connectorType`). Data connectors' bodies are read in
//! `connection_body`. No storage here: drafts go to `store`.
//!
//! The emulator's reading of the spec, not the client's: these shapes live here rather than in
//! the wire crate because d360 does not write them.

use serde_json::{Map, Value, json};

use super::extract::json_object;
use super::names::{check_api_name, check_label, name_from_label};
use super::records::{ConnectionDraft, MASK, StoredConnection};
use super::responses::Reject;
use d360_wire::connectors::{self, Family};

const BASE_FIELDS: [&str; 3] = ["connectorType", "label", "name"];
const STREAMING_APP_TYPES: [&str; 3] = ["MobileApp", "ServerApp", "WebApp"];
const STREAMING_APP_SUB_TYPES: [&str; 1] = ["WebApp_GA4"];
const MC_PATCH_FIELDS: [&str; 11] = [
    "connectorType",
    "label",
    "name",
    "addIngestionBusinessUnits",
    "removeIngestionBusinessUnits",
    "addActivationBusinessUnits",
    "removeActivationBusinessUnits",
    "addBusinessUnitsToDataSpaces",
    "removeBusinessUnitsToDataSpaces",
    "createProfileMappings",
    // The spec's own request example says `createProfileBuMappings` (and sends "true").
    "createProfileBuMappings",
];
const STREAMING_PATCH_FIELDS: [&str; 4] = ["connectorType", "label", "name", "modules"];

/// `<label_with_underscores>_<uuid>`, the name the org gives an Ingest API connection.
fn ingest_api_name(label: &str) -> Result<String, Reject> {
    let base = name_from_label(label, "connection")?;
    let suffix = hex::encode(fastrand::u128(..).to_be_bytes());
    let room = d360_wire::ApiName::MAX_LEN - suffix.len() - 1;
    let base: String = base.chars().take(room).collect();
    Ok(format!("{}_{suffix}", base.trim_end_matches('_')))
}

/// The fields a family's create body may hold beyond the base ones.
fn extra_fields(family: Family) -> &'static [&'static str] {
    match family {
        Family::SalesforceDotCom => &["organizationId"],
        Family::StreamingApp => &["streamingAppType", "streamingAppSubType"],
        Family::DataConnector | Family::IngestApi | Family::SalesforceMarketingCloud | Family::AccountEngagement => &[],
    }
}

fn text(object: &Map<String, Value>, key: &str) -> Result<Option<String>, Reject> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(Reject::json_parser(format!(
            "Cannot deserialize the request body: {key} must be a string"
        ))),
    }
}

fn required_text(object: &Map<String, Value>, key: &str) -> Result<String, Reject> {
    text(object, key)?
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Reject::invalid_input(format!("Required field is missing: {key}")))
}

fn one_of(value: &str, allowed: &[&str], key: &str) -> Result<(), Reject> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Reject::invalid_input(format!(
            "Invalid value for {key}: {value}. Use one of: {}",
            allowed.join(", ")
        )))
    }
}

/// A create (or `PUT`) body of a family other than data connectors.
pub(crate) fn parse_create(family: Family, body: &[u8]) -> Result<(ConnectionDraft, bool), Reject> {
    let allowed: Vec<&str> = BASE_FIELDS.iter().chain(extra_fields(family)).copied().collect();
    let object = json_object(body, &allowed)?;
    let connector_type = required_text(&object, "connectorType")?;
    let label = required_text(&object, "label")?;
    check_label(&label, "connection")?;
    let given = text(&object, "name")?.filter(|name| !name.is_empty());
    let name_given = given.is_some();
    let name = match (family, given) {
        (Family::IngestApi, _) => ingest_api_name(&label)?,
        (_, Some(name)) => name,
        (_, None) => name_from_label(&label, "connection")?,
    };
    check_api_name(&name, "connection")?;
    let mut extra = Map::new();
    match family {
        Family::SalesforceDotCom => {
            let organization = required_text(&object, "organizationId")?;
            if !organization.starts_with("00D") || !matches!(organization.len(), 15 | 18) {
                return Err(Reject::invalid_input(format!(
                    "Invalid organizationId: {organization}. Use the 15- or 18-character id of a Salesforce org"
                )));
            }
            extra.insert("organizationId".to_owned(), Value::String(organization));
        }
        Family::StreamingApp => {
            let app_type = required_text(&object, "streamingAppType")?;
            one_of(&app_type, &STREAMING_APP_TYPES, "streamingAppType")?;
            if let Some(sub_type) = text(&object, "streamingAppSubType")? {
                one_of(&sub_type, &STREAMING_APP_SUB_TYPES, "streamingAppSubType")?;
                extra.insert("streamingAppSubType".to_owned(), Value::String(sub_type));
            }
            extra.insert("streamingAppType".to_owned(), Value::String(app_type));
        }
        Family::DataConnector | Family::IngestApi | Family::SalesforceMarketingCloud | Family::AccountEngagement => {}
    }
    Ok((
        ConnectionDraft {
            name,
            label,
            connector_type,
            method: None,
            params: Vec::new(),
            credentials: Vec::new(),
            extra,
        },
        name_given,
    ))
}

/// Fields the org fills in when it creates a connection of `family` (ids the source gives).
pub(crate) fn created_fields(family: Family, record: &str) -> Map<String, Value> {
    let digits: String = record.chars().filter(char::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(5)..];
    let mut fields = Map::new();
    match family {
        Family::SalesforceMarketingCloud => {
            fields.insert("eid".to_owned(), json!(format!("5240{tail:0>5}")));
            for key in [
                "activationBusinessUnits",
                "ingestionBusinessUnits",
                "businessUnitsToDataSpaces",
            ] {
                fields.insert(key.to_owned(), json!([]));
            }
            fields.insert("createProfileBuMappings".to_owned(), json!(false));
        }
        Family::StreamingApp | Family::AccountEngagement => {
            fields.insert("sourceId".to_owned(), json!(format!("src-{tail:0>5}")));
            fields.insert("modules".to_owned(), json!([]));
        }
        Family::DataConnector | Family::IngestApi | Family::SalesforceDotCom => {}
    }
    fields
}

/// Applies a `PATCH` body to a connection of a patchable family.
pub(crate) fn apply_patch(connection: &mut StoredConnection, body: &[u8], dataspaces: &[String]) -> Result<(), Reject> {
    let family = Family::of(&connection.connector_type);
    let allowed: &[&str] = match family {
        Family::SalesforceMarketingCloud => &MC_PATCH_FIELDS,
        Family::StreamingApp => &STREAMING_PATCH_FIELDS,
        Family::DataConnector | Family::IngestApi | Family::SalesforceDotCom | Family::AccountEngagement => {
            return Err(Reject::invalid_input(format!(
                "PATCH isn't supported for {} connections. Use PUT with the full connection body.",
                connection.connector_type
            )));
        }
    };
    let object = json_object(body, allowed)?;
    if let Some(connector_type) = text(&object, "connectorType")?
        && connector_type != connection.connector_type
    {
        return Err(Reject::invalid_input(
            "The connector type of a connection can't be changed",
        ));
    }
    if let Some(name) = text(&object, "name")?
        && !name.is_empty()
        && !name.eq_ignore_ascii_case(&connection.name)
    {
        return Err(Reject::invalid_input("The API name of a connection can't be changed"));
    }
    if let Some(label) = text(&object, "label")? {
        check_label(&label, "connection")?;
        connection.label = label;
    }
    match family {
        Family::SalesforceMarketingCloud => patch_marketing_cloud(connection, &object, dataspaces),
        _ => patch_streaming_app(connection, &object),
    }
}

fn strings(object: &Map<String, Value>, key: &str) -> Result<Vec<String>, Reject> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
            Reject::json_parser(format!(
                "Cannot deserialize the request body: {key} must be a list of strings"
            ))
        }),
    }
}

fn objects(object: &Map<String, Value>, key: &str) -> Result<Vec<Map<String, Value>>, Reject> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
            Reject::json_parser(format!(
                "Cannot deserialize the request body: {key} must be a list of objects"
            ))
        }),
    }
}

/// Takes the list under `key` out of `extra` (empty when absent); put it back when done.
fn take_list(extra: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match extra.remove(key) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn business_unit(mid: &str) -> Value {
    json!({"id": format!("3kh{mid:0>15}"), "label": format!("Business unit {mid}"), "mid": mid, "name": format!("sfmc_{mid}")})
}

fn check_mid(mid: &str) -> Result<(), Reject> {
    if !mid.is_empty() && mid.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Reject::invalid_input(format!("Invalid business unit MID: {mid}")))
    }
}

fn patch_marketing_cloud(
    connection: &mut StoredConnection,
    object: &Map<String, Value>,
    dataspaces: &[String],
) -> Result<(), Reject> {
    patch_business_units(connection, object)?;
    patch_unit_mappings(connection, object, dataspaces)?;
    for key in ["createProfileMappings", "createProfileBuMappings"] {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(flag)) => {
                connection
                    .extra
                    .insert("createProfileBuMappings".to_owned(), json!(flag));
            }
            Some(Value::String(flag)) if flag == "true" || flag == "false" => {
                connection
                    .extra
                    .insert("createProfileBuMappings".to_owned(), json!(flag == "true"));
            }
            Some(_) => {
                return Err(Reject::json_parser(format!(
                    "Cannot deserialize the request body: {key} must be a boolean"
                )));
            }
        }
    }
    Ok(())
}

/// The ingestion and activation business units a patch adds and removes.
fn patch_business_units(connection: &mut StoredConnection, object: &Map<String, Value>) -> Result<(), Reject> {
    for (list, add, remove) in [
        (
            "ingestionBusinessUnits",
            "addIngestionBusinessUnits",
            "removeIngestionBusinessUnits",
        ),
        (
            "activationBusinessUnits",
            "addActivationBusinessUnits",
            "removeActivationBusinessUnits",
        ),
    ] {
        let added = strings(object, add)?;
        let removed = strings(object, remove)?;
        for mid in added.iter().chain(&removed) {
            check_mid(mid)?;
        }
        let mut units = take_list(&mut connection.extra, list);
        units.retain(|unit| !removed.iter().any(|mid| unit["mid"] == json!(mid)));
        for mid in added {
            if !units.iter().any(|unit| unit["mid"] == json!(mid)) {
                units.push(business_unit(&mid));
            }
        }
        connection.extra.insert(list.to_owned(), Value::Array(units));
    }
    Ok(())
}

/// `(dataspaceName, mid)` pairs of a patch's list `key`.
fn unit_pairs(object: &Map<String, Value>, key: &str) -> Result<Vec<(String, String)>, Reject> {
    objects(object, key)?
        .into_iter()
        .map(|pair| {
            let allowed = ["dataspaceName", "mid", "id", "name", "namespace"];
            if let Some(unknown) = pair.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(Reject::json_parser(format!(
                    "Unrecognized field \"{unknown}\", not marked as ignorable"
                )));
            }
            let dataspace = required_text(&pair, "dataspaceName")?;
            let mid = required_text(&pair, "mid")?;
            check_mid(&mid)?;
            Ok((dataspace, mid))
        })
        .collect()
}

/// The business-unit-to-data-space mappings a patch adds and removes.
fn patch_unit_mappings(
    connection: &mut StoredConnection,
    object: &Map<String, Value>,
    dataspaces: &[String],
) -> Result<(), Reject> {
    let added = unit_pairs(object, "addBusinessUnitsToDataSpaces")?;
    let removed = unit_pairs(object, "removeBusinessUnitsToDataSpaces")?;
    if let Some((dataspace, _)) = added.iter().find(|(d, _)| !dataspaces.contains(d)) {
        return Err(Reject::invalid_input(format!(
            "The data space {dataspace} doesn't exist"
        )));
    }
    let mut mappings = take_list(&mut connection.extra, "businessUnitsToDataSpaces");
    mappings.retain(|m| {
        !removed
            .iter()
            .any(|(d, mid)| m["dataSpaceName"] == json!(d) && m["mid"] == json!(mid))
    });
    for (dataspace, mid) in added {
        if !mappings
            .iter()
            .any(|m| m["dataSpaceName"] == json!(dataspace) && m["mid"] == json!(mid))
        {
            let name = format!("BU_{mid}_{dataspace}");
            mappings.push(json!({
                "dataSpaceName": dataspace,
                "internalOrgId": format!("3kh{mid:0>15}"),
                "internalOrgName": format!("Business unit {mid}"),
                "label": name,
                "mid": mid,
                "name": name,
            }));
        }
    }
    connection
        .extra
        .insert("businessUnitsToDataSpaces".to_owned(), Value::Array(mappings));
    Ok(())
}

fn patch_streaming_app(connection: &mut StoredConnection, object: &Map<String, Value>) -> Result<(), Reject> {
    let modules = objects(object, "modules")?;
    let mut current = take_list(&mut connection.extra, "modules");
    for module in modules {
        let allowed = ["configuration", "isEnabled", "name", "path"];
        if let Some(unknown) = module.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Reject::json_parser(format!(
                "Unrecognized field \"{unknown}\", not marked as ignorable"
            )));
        }
        let name = required_text(&module, "name")?;
        for (key, ok) in [
            (
                "configuration",
                module.get("configuration").is_none_or(Value::is_string),
            ),
            ("path", module.get("path").is_none_or(Value::is_string)),
            ("isEnabled", module.get("isEnabled").is_none_or(Value::is_boolean)),
        ] {
            if !ok {
                return Err(Reject::json_parser(format!(
                    "Cannot deserialize the request body: modules.{key} has the wrong type"
                )));
            }
        }
        match current.iter_mut().find(|m| m["name"] == json!(name)) {
            Some(Value::Object(known)) => known.extend(module),
            _ => current.push(Value::Object(module)),
        }
    }
    connection.extra.insert("modules".to_owned(), Value::Array(current));
    Ok(())
}

/// The answer for one connection, shaped by its family. `tenant` is the tenant-specific
/// endpoint the Ingest API and the streaming families report.
pub(crate) fn output(connection: &StoredConnection, in_use: bool, tenant: &str) -> Value {
    let mut answer = Map::new();
    answer.insert("id".to_owned(), json!(connection.id));
    answer.insert("name".to_owned(), json!(connection.name));
    answer.insert("label".to_owned(), json!(connection.label));
    answer.insert("connectorType".to_owned(), json!(connection.connector_type));
    answer.insert("createdDate".to_owned(), json!(connection.created_date));
    answer.insert("createdBy".to_owned(), json!(connection.created_by));
    answer.insert("lastModifiedDate".to_owned(), json!(connection.last_modified_date));
    answer.insert("lastModifiedBy".to_owned(), json!(connection.last_modified_by));
    let extra = |key: &str| connection.extra.get(key).cloned();
    match Family::of(&connection.connector_type) {
        Family::DataConnector => {
            let label = connectors::find(&connection.connector_type)
                .map_or_else(|| connection.connector_type.clone(), |known| known.label.to_owned());
            answer.insert("connectorLabel".to_owned(), json!(label));
            if let Some(method) = &connection.method {
                answer.insert("method".to_owned(), json!(method));
            }
            answer.insert("params".to_owned(), json!(connection.params));
            let masked: Vec<Value> = connection
                .credentials
                .iter()
                .map(|c| json!({"paramName": c.param_name, "value": MASK}))
                .collect();
            answer.insert("credentials".to_owned(), Value::Array(masked));
            answer.insert("status".to_owned(), json!("Connected"));
            answer.insert("deletable".to_owned(), json!(!in_use));
            answer.insert("editable".to_owned(), json!(true));
        }
        Family::IngestApi => {
            answer.insert("status".to_owned(), json!("Connected"));
            answer.insert("tenantSpecificEndpoint".to_owned(), json!(tenant));
        }
        Family::SalesforceDotCom => {
            let alias = connection
                .name
                .strip_prefix("SalesforceDotCom_")
                .unwrap_or(&connection.name)
                .to_owned();
            answer.insert("dataSource".to_owned(), json!(format!("SalesforceDotCom_{alias}")));
            answer.insert("alias".to_owned(), json!(alias));
            answer.insert("connectionStatus".to_owned(), json!("Active"));
            if let Some(organization) = extra("organizationId") {
                answer.insert("organizationId".to_owned(), organization);
            }
        }
        Family::SalesforceMarketingCloud => {
            for key in [
                "eid",
                "activationBusinessUnits",
                "ingestionBusinessUnits",
                "businessUnitsToDataSpaces",
                "createProfileBuMappings",
            ] {
                if let Some(value) = extra(key) {
                    answer.insert(key.to_owned(), value);
                }
            }
        }
        Family::StreamingApp => {
            for key in ["modules", "sourceId", "streamingAppType", "streamingAppSubType"] {
                if let Some(value) = extra(key) {
                    answer.insert(key.to_owned(), value);
                }
            }
            answer.insert("status".to_owned(), json!("Connected"));
            answer.insert("tenantSpecificEndpoint".to_owned(), json!(tenant));
        }
        Family::AccountEngagement => {
            for key in ["modules", "sourceId"] {
                if let Some(value) = extra(key) {
                    answer.insert(key.to_owned(), value);
                }
            }
            answer.insert("tenantSpecificEndpoint".to_owned(), json!(tenant));
        }
    }
    Value::Object(answer)
}
