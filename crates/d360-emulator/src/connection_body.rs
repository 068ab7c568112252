//! Reading connection bodies as the org checks them: the create / replace body of a data
//! connector (`{connectorType, label, name?, method, credentials, parameters}`, the spec's
//! `DataConnectionInputRepresentation`), with Salesforce's error codes, dispatching the other
//! families to `families`; and the test body. For connector types in the shared connector
//! table, required parameters and credentials must be present and unknown ones are refused;
//! other types take any names. No storage here: `connection_routes` hands the result to
//! `store`.

use std::collections::HashSet;

use super::catalog::Catalog;
use super::connector_routes::{check_connector_type, unsupported_type};
use super::extract::{json_object, require_fields, typed};
use super::families;
use super::names::{check_api_name, check_label, name_from_label};
use super::records::{ConnectionDraft, StoredConnection};
use super::responses::Reject;
use d360_wire::connectors::{self, Attribute, Family};
use d360_wire::shapes::{CdpError, ConnectionInput, ConnectionTestInput, ConnectionTestResult, Param};
use d360_wire::values::Reported;

const FIELDS: &[&str] = &["connectorType", "label", "name", "method", "credentials", "parameters"];

/// A create or replace body: the draft, and whether the body named the connection itself.
pub(crate) struct ConnectionBody {
    pub draft: ConnectionDraft,
    pub name_given: bool,
}

/// Parses and checks a create / replace body of any family.
pub(crate) fn parse(body: &[u8]) -> Result<ConnectionBody, Reject> {
    let connector_type = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("connectorType").and_then(|t| t.as_str()).map(str::to_owned));
    if let Some(connector_type) = connector_type {
        check_connector_type(&connector_type).map_err(|()| Reject::invalid_input(unsupported_type(&connector_type)))?;
        let family = Family::of(&connector_type);
        if family != Family::DataConnector {
            let (draft, name_given) = families::parse_create(family, body)?;
            return Ok(ConnectionBody { draft, name_given });
        }
    }
    let object = json_object(body, FIELDS)?;
    require_fields(&object, &["connectorType", "label"])?;
    let input: ConnectionInput = typed(object)?;
    check_connector_type(&input.connector_type)
        .map_err(|()| Reject::invalid_input(unsupported_type(&input.connector_type)))?;
    check_label(&input.label, "connection")?;
    let name_given = input.name.as_deref().is_some_and(|name| !name.is_empty());
    let name = match input.name.filter(|name| !name.is_empty()) {
        Some(name) => name,
        None => name_from_label(&input.label, "connection")?,
    };
    check_api_name(&name, "connection")?;
    let known = connectors::find(&input.connector_type);
    let method = match (input.method, known) {
        (Some(method), Some(known)) if !method.known().is_some_and(|m| known.methods.contains(&m)) => {
            return Err(Reject::invalid_input(format!(
                "The method {method} isn't supported for connector type {}. Use one of: {}",
                known.name,
                known.methods_joined(", ")
            )));
        }
        (Some(method), _) if method.known().is_none() => {
            return Err(Reject::invalid_input(format!(
                "Invalid method: {method}. Use Ingress or Egress"
            )));
        }
        (Some(method), _) => Some(method),
        (None, Some(known)) => known.methods.first().copied().map(Reported::Known),
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
            extra: serde_json::Map::new(),
        },
        name_given,
    })
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

/// The test actions' answer for a connection of `connector_type` with these parameters and
/// credentials: the catalog decides whether the source is reachable and the credentials right
/// (families other than data connectors have no source to reach).
pub(crate) fn test_result(
    catalog: &Catalog,
    connector_type: &str,
    params: &[Param],
    credentials: &[Param],
) -> ConnectionTestResult {
    if Family::of(connector_type) != Family::DataConnector {
        return ConnectionTestResult {
            success: true,
            errors: Vec::new(),
        };
    }
    match catalog.reach(params, credentials) {
        Ok(_) => ConnectionTestResult {
            success: true,
            errors: Vec::new(),
        },
        Err(unreachable) => ConnectionTestResult {
            success: false,
            errors: vec![CdpError {
                error_code: unreachable.code.to_owned(),
                error_message: unreachable.message,
            }],
        },
    }
}

/// Reads a test body (either of the spec's shapes) and checks its connector type. A create
/// body is accepted too (the reference describes the test body as one): its `label` and
/// `name` are ignored.
pub(crate) fn parse_test(body: &[u8]) -> Result<ConnectionTestInput, Reject> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reject::json_parser("The request body is missing"));
    } else {
        serde_json::from_slice(body).map_err(|error| Reject::json_parser(format!("Malformed JSON: {error}")))?
    };
    if let Some(object) = value.as_object()
        && let Some(unknown) = object.keys().find(|key| {
            !["connectorType", "method", "credentials", "parameters", "label", "name"].contains(&key.as_str())
        })
    {
        return Err(Reject::json_parser(format!(
            "Unrecognized field \"{unknown}\", not marked as ignorable"
        )));
    }
    let input = ConnectionTestInput::read(&value).map_err(|error| Reject::invalid_input(error.0))?;
    check_connector_type(&input.connector_type)
        .map_err(|()| Reject::invalid_input(unsupported_type(&input.connector_type)))?;
    Ok(input)
}

/// The test action on a saved connection.
pub(crate) fn test_saved(catalog: &Catalog, connection: &StoredConnection) -> ConnectionTestResult {
    test_result(
        catalog,
        &connection.connector_type,
        &connection.params,
        &connection.credentials,
    )
}
