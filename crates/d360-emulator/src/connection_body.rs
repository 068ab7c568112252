//! Reading connection bodies as the org checks them: the create / replace body
//! (`{connectorType, label, name?, method, credentials, parameters}`) and the partial `PATCH`
//! body, with Salesforce's error codes. For connector types in the shared connector table,
//! required parameters and credentials must be present and unknown ones are refused; other
//! types take any names. No storage here: `connection_routes` hands the result to `store`.

use std::collections::HashSet;

use super::connector_routes::{check_connector_type, unsupported_type};
use super::extract::{json_object, require_fields, typed};
use super::names::{check_api_name, check_label, name_from_label};
use super::responses::Reject;
use super::store::{ConnectionDraft, StoredConnection};
use d360_wire::connectors::{self, Attribute};
use d360_wire::shapes::{ConnectionInput, Param};

const FIELDS: &[&str] = &[
    "connectorType",
    "label",
    "name",
    "method",
    "credentials",
    "parameters",
    "organizationId",
    "description",
];
const PATCH_FIELDS: &[&str] = &["label", "credentials", "parameters", "description"];
/// The connector type whose names the server rewrites to `<label>_<uuid>`.
const RENAMED_TYPE: &str = "IngestApi";

/// A create or replace body: the draft, and whether the body named the connection itself.
pub(crate) struct ConnectionBody {
    pub draft: ConnectionDraft,
    pub name_given: bool,
}

/// Parses and checks a create / replace / test body.
pub(crate) fn parse(body: &[u8]) -> Result<ConnectionBody, Reject> {
    let object = json_object(body, FIELDS)?;
    require_fields(&object, &["connectorType", "label"])?;
    let input: ConnectionInput = typed(object)?;
    check_connector_type(&input.connector_type)
        .map_err(|()| Reject::invalid_input(unsupported_type(&input.connector_type)))?;
    check_label(&input.label, "connection")?;
    let name_given = input.name.as_deref().is_some_and(|name| !name.is_empty());
    let name = if input.connector_type == RENAMED_TYPE {
        ingest_api_name(&input.label)?
    } else {
        match input.name.filter(|name| !name.is_empty()) {
            Some(name) => name,
            None => name_from_label(&input.label, "connection")?,
        }
    };
    check_api_name(&name, "connection")?;
    let known = connectors::find(&input.connector_type);
    let method = match (input.method, known) {
        (Some(method), Some(known)) if !known.methods.contains(&method.as_str()) => {
            return Err(Reject::invalid_input(format!(
                "The method {method} isn't supported for connector type {}. Use one of: {}",
                known.name,
                known.methods.join(", ")
            )));
        }
        (Some(method), _) if method != "Ingress" && method != "Egress" => {
            return Err(Reject::invalid_input(format!(
                "Invalid method: {method}. Use Ingress or Egress"
            )));
        }
        (Some(method), _) => Some(method),
        (None, Some(known)) => known.methods.first().map(|method| (*method).to_owned()),
        (None, None) => None,
    };
    check_params(&input.parameters, "parameter")?;
    check_params(&input.credentials, "credential")?;
    if let Some(known) = known {
        check_against(&input.parameters, known.parameters, "parameter", known.name)?;
        check_against(&input.credentials, known.credentials, "credential", known.name)?;
    }
    Ok(ConnectionBody {
        draft: ConnectionDraft {
            name,
            label: input.label,
            connector_type: input.connector_type,
            method,
            params: input.parameters,
            credentials: input.credentials,
        },
        name_given,
    })
}

/// A `PATCH` body: a new label and parameters or credentials to set, by name.
pub(crate) struct ConnectionPatch {
    pub label: Option<String>,
    pub parameters: Vec<Param>,
    pub credentials: Vec<Param>,
}

pub(crate) fn parse_patch(body: &[u8]) -> Result<ConnectionPatch, Reject> {
    let mut object = json_object(body, PATCH_FIELDS)?;
    let label = match object.remove("label") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(label)) => Some(label),
        Some(_) => {
            return Err(Reject::json_parser(
                "Cannot deserialize the request body: label must be a string",
            ));
        }
    };
    if let Some(label) = &label {
        check_label(label, "connection")?;
    }
    let list = |object: &mut serde_json::Map<String, serde_json::Value>, key: &str| -> Result<Vec<Param>, Reject> {
        match object.remove(key) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(value) => serde_json::from_value(value)
                .map_err(|error| Reject::json_parser(format!("Cannot deserialize the request body: {error}"))),
        }
    };
    let parameters = list(&mut object, "parameters")?;
    let credentials = list(&mut object, "credentials")?;
    check_params(&parameters, "parameter")?;
    check_params(&credentials, "credential")?;
    Ok(ConnectionPatch {
        label,
        parameters,
        credentials,
    })
}

/// Sets each patched value by name, adding the names not there yet.
pub(crate) fn merge(current: &mut Vec<Param>, patch: Vec<Param>) {
    for param in patch {
        match current.iter_mut().find(|known| known.param_name == param.param_name) {
            Some(known) => known.value = param.value,
            None => current.push(param),
        }
    }
}

/// Names are present and unique.
fn check_params(params: &[Param], what: &str) -> Result<(), Reject> {
    let mut seen = HashSet::new();
    for param in params {
        if param.param_name.trim().is_empty() {
            return Err(Reject::invalid_input(format!("Every {what} needs a paramName")));
        }
        if !seen.insert(param.param_name.as_str()) {
            return Err(Reject::invalid_input(format!("Duplicate {what}: {}", param.param_name)));
        }
    }
    Ok(())
}

/// Against a known type's attributes: required ones present and non-empty, no unknown ones.
fn check_against(params: &[Param], attributes: &[Attribute], what: &str, connector_type: &str) -> Result<(), Reject> {
    if let Some(unknown) = params
        .iter()
        .find(|param| attributes.iter().all(|a| a.name != param.param_name))
    {
        return Err(Reject::invalid_input(format!(
            "Unknown {what} for connector type {connector_type}: {}",
            unknown.param_name
        )));
    }
    let given = |name: &str| {
        params
            .iter()
            .any(|param| param.param_name == name && !param.value.is_empty())
    };
    match attributes
        .iter()
        .find(|attribute| attribute.required && !given(attribute.name))
    {
        Some(missing) => Err(Reject::invalid_input(format!(
            "Required {what} is missing: {}",
            missing.name
        ))),
        None => Ok(()),
    }
}

/// `<label_with_underscores>_<uuid>`, the name the org gives an Ingest API connection.
fn ingest_api_name(label: &str) -> Result<String, Reject> {
    let base = name_from_label(label, "connection")?;
    let suffix = hex::encode(fastrand::u128(..).to_be_bytes());
    let room = d360_wire::ApiName::MAX_LEN - suffix.len() - 1;
    let base: String = base.chars().take(room).collect();
    Ok(format!("{}_{suffix}", base.trim_end_matches('_')))
}

/// Whether a connection with these parameters can reach its source (the test actions): the
/// emulator checks that the JDBC URL of a database type looks like one.
fn test_params(params: &[Param]) -> serde_json::Value {
    let url = params.iter().find(|param| param.param_name == "jdbc_connection_url");
    let reachable = url.is_none_or(|url| url.value.starts_with("jdbc:") && url.value.contains("://"));
    if reachable {
        serde_json::json!({"status": "Success", "message": "Connection test succeeded"})
    } else {
        serde_json::json!({
            "status": "Failed",
            "message": "Connection test failed: the JDBC connection URL is not a valid jdbc:<driver>://host:port URL",
        })
    }
}

/// The test action on a create body.
pub(crate) fn test_result(draft: &ConnectionDraft) -> serde_json::Value {
    test_params(&draft.params)
}

/// The test action on a saved connection.
pub(crate) fn test_saved(connection: &StoredConnection) -> serde_json::Value {
    test_params(&connection.params)
}
