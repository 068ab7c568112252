//! Metadata browsing of a data connection's source (`POST /ssot/connections/{id}/databases`,
//! `/database-schemas`, `/objects`, `/objects/{resourceName}/fields`,
//! `/objects/{resourceName}/preview`), answered from the catalog in `emulator.yaml`.
//!
//! The connection's parameters name the host (`catalog::Catalog::reach`); an unreachable host
//! or wrong credentials answer 400 with the source's code (`INVALID_CONNECTION`,
//! `INVALID_CREDENTIALS`). The database is `advancedAttributes.databaseName` (or `database`),
//! else the connection's `DATABASE` parameter; the schema `schemaName` (or `schema`), else every
//! schema of the database. Families other than data connectors have no source to browse.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::catalog::{self, Host, Object};
use super::extract::{CoreCall, RawBody, Segments, json_object, typed};
use super::records::StoredConnection;
use super::responses::{Reject, json as answer};
use super::shared::Shared;
use d360_wire::connectors::Family;
use d360_wire::shapes::{
    BrowseInput, ConnectionField, ConnectionFieldList, ConnectionObject, ConnectionObjectList, DatabaseList,
    DatabaseSchemaList, Preview, PreviewInput, PreviewRecord,
};

/// `databases` and `database-schemas` appeared in 63.0, the others in 62.0.
const DATABASES_SINCE: u32 = 63;
const OBJECTS_SINCE: u32 = 62;
const PREVIEW_DEFAULT_LIMIT: usize = 100;
const PREVIEW_MAX_LIMIT: usize = 1000;

/// The connection (a data connector) and the catalog host it reaches.
fn source(shared: &Shared, id: &str) -> Result<(StoredConnection, Option<Host>), Reject> {
    let connection = shared
        .store
        .read(|objects| objects.connections.get(id).cloned())
        .ok_or_else(Reject::not_found)?;
    if Family::of(&connection.connector_type) != Family::DataConnector {
        return Err(Reject::invalid_input(format!(
            "Metadata browsing isn't supported for connector type {}",
            connection.connector_type
        )));
    }
    let host = shared
        .org
        .catalog
        .reach(&connection.params, &connection.credentials)
        .map_err(|unreachable| Reject::source(unreachable.code, unreachable.message))?
        .cloned();
    Ok((connection, host))
}

fn body_or_empty(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, Reject> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Map::new())
    } else {
        json_object(body, allowed)
    }
}

fn attribute<'a>(attributes: &'a BTreeMap<String, String>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|name| attributes.get(*name))
        .map(String::as_str)
        .filter(|value| !value.is_empty())
}

fn database_name(connection: &StoredConnection, attributes: &BTreeMap<String, String>) -> Option<String> {
    attribute(attributes, &["databaseName", "database"])
        .map(str::to_owned)
        .or_else(|| {
            connection
                .params
                .iter()
                .find(|p| p.param_name.eq_ignore_ascii_case("DATABASE"))
                .map(|p| p.value.clone())
        })
}

/// The objects a call can see: `(schema, object)` of the database (and schema) asked for.
fn objects_in<'a>(
    host: Option<&'a Host>,
    connection: &StoredConnection,
    attributes: &BTreeMap<String, String>,
) -> Result<Vec<(&'a str, &'a str, &'a Object)>, Reject> {
    let Some(host) = host else {
        return Ok(Vec::new());
    };
    let Some(name) = database_name(connection, attributes) else {
        return Err(Reject::invalid_input(
            "Required field is missing: advancedAttributes.databaseName",
        ));
    };
    let database = host
        .database(&name)
        .ok_or_else(|| Reject::invalid_input(format!("The database {name} doesn't exist")))?;
    let schema = attribute(attributes, &["schemaName", "schema"]);
    if let Some(schema) = schema
        && !database.schemas.iter().any(|s| s.name.eq_ignore_ascii_case(schema))
    {
        return Err(Reject::invalid_input(format!("The schema {schema} doesn't exist")));
    }
    Ok(database
        .schemas
        .iter()
        .filter(|s| schema.is_none_or(|wanted| s.name.eq_ignore_ascii_case(wanted)))
        .flat_map(|s| {
            s.objects
                .iter()
                .map(move |o| (database.name.as_str(), s.name.as_str(), o))
        })
        .collect())
}

/// `filters.filtersByProperty` on `name` (`EqualsOp`, `LikeOp`, `SubstrOp`); filters on other
/// properties (`subType`, `mid`: Marketing Cloud's) do not apply to database objects.
fn name_matches(filters: Option<&Value>, name: &str) -> Result<bool, Reject> {
    let Some(filters) = filters.filter(|f| !f.is_null()) else {
        return Ok(true);
    };
    let by_property = filters
        .get("filtersByProperty")
        .and_then(Value::as_array)
        .ok_or_else(|| Reject::invalid_input("Required field is missing: filters.filtersByProperty"))?;
    for filter in by_property {
        if filter.get("name").and_then(Value::as_str) != Some("name") {
            continue;
        }
        let values: Vec<&str> = filter
            .get("values")
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let matched = match filter.get("filterOperator").and_then(Value::as_str) {
            Some("EqualsOp") => values.iter().any(|v| v.eq_ignore_ascii_case(name)),
            Some("LikeOp" | "SubstrOp") => values.iter().any(|v| lower.contains(&v.to_ascii_lowercase())),
            other => {
                return Err(Reject::invalid_input(format!(
                    "Invalid filterOperator {}: use EqualsOp, LikeOp or SubstrOp",
                    other.unwrap_or("(none)")
                )));
            }
        };
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `POST /{id}/databases`.
pub(crate) async fn databases(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(DATABASES_SINCE)?;
    body_or_empty(&body, &[])?;
    let (_, host) = source(&shared, &id)?;
    let databases = host
        .map(|host| host.databases.iter().map(|d| d.name.clone()).collect())
        .unwrap_or_default();
    Ok(answer(StatusCode::OK, &DatabaseList { databases }))
}

/// `POST /{id}/database-schemas` with `{advancedAttributes: {databaseName}}`.
pub(crate) async fn database_schemas(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(DATABASES_SINCE)?;
    let input: BrowseInput = typed(body_or_empty(&body, &["advancedAttributes"])?)?;
    let (connection, host) = source(&shared, &id)?;
    let database_schemas = match (&host, database_name(&connection, &input.advanced_attributes)) {
        (None, _) => Vec::new(),
        (Some(_), None) => {
            return Err(Reject::invalid_input(
                "Required field is missing: advancedAttributes.databaseName",
            ));
        }
        (Some(host), Some(name)) => host
            .database(&name)
            .ok_or_else(|| Reject::invalid_input(format!("The database {name} doesn't exist")))?
            .schemas
            .iter()
            .map(|s| s.name.clone())
            .collect(),
    };
    Ok(answer(StatusCode::OK, &DatabaseSchemaList { database_schemas }))
}

/// `POST /{id}/objects` with `{advancedAttributes?, filters?}`.
pub(crate) async fn objects(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(OBJECTS_SINCE)?;
    let input: BrowseInput = typed(json_object(&body, &["advancedAttributes", "filters"])?)?;
    let (connection, host) = source(&shared, &id)?;
    let mut objects = Vec::new();
    for (database, schema, object) in objects_in(host.as_ref(), &connection, &input.advanced_attributes)? {
        if name_matches(input.filters.as_ref(), &object.name)? {
            let mut attributes = Map::new();
            attributes.insert("type".to_owned(), json!(object.kind));
            attributes.insert("schema".to_owned(), json!(schema));
            attributes.insert("catalog".to_owned(), json!(database));
            objects.push(ConnectionObject {
                name: object.name.clone(),
                object_type: Some("StructuredData".to_owned()),
                attributes,
            });
        }
    }
    Ok(answer(StatusCode::OK, &ConnectionObjectList { objects }))
}

fn find_object<'a>(
    host: Option<&'a Host>,
    connection: &StoredConnection,
    attributes: &BTreeMap<String, String>,
    name: &str,
) -> Result<&'a Object, Reject> {
    objects_in(host, connection, attributes)?
        .into_iter()
        .map(|(_, _, object)| object)
        .find(|object| object.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| Reject::invalid_input(format!("The object {name} doesn't exist")))
}

/// `POST /{id}/objects/{resourceName}/fields` with `{advancedAttributes, filters?}`.
pub(crate) async fn fields(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id, resource)): Segments<(String, String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(OBJECTS_SINCE)?;
    let object = json_object(&body, &["advancedAttributes", "filters"])?;
    if !object.contains_key("advancedAttributes") {
        return Err(Reject::invalid_input("Required field is missing: advancedAttributes"));
    }
    let input: BrowseInput = typed(object)?;
    let (connection, host) = source(&shared, &id)?;
    let found = find_object(host.as_ref(), &connection, &input.advanced_attributes, &resource)?;
    let fields = found
        .fields
        .iter()
        .map(|field: &catalog::Field| ConnectionField {
            name: field.name.clone(),
            label: field.label.clone().unwrap_or_else(|| field.name.clone()),
            field_type: field.kind.clone(),
            original_type: Some(
                field
                    .original_type
                    .clone()
                    .unwrap_or_else(|| field.kind.to_ascii_uppercase()),
            ),
            is_required: field.required || found.primary_keys.contains(&field.name),
            is_calculated: false,
            creation_type: Some("Standard".to_owned()),
            format: field.format.clone(),
        })
        .collect();
    Ok(answer(
        StatusCode::OK,
        &ConnectionFieldList {
            advanced_attributes: input.advanced_attributes,
            fields,
            primary_keys: found.primary_keys.clone(),
        },
    ))
}

/// `POST /{id}/objects/{resourceName}/preview` with `{advancedAttributes, fields, limit?}`.
pub(crate) async fn preview(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id, resource)): Segments<(String, String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(OBJECTS_SINCE)?;
    let object = json_object(&body, &["advancedAttributes", "fields", "limit"])?;
    for required in ["advancedAttributes", "fields"] {
        if !object.contains_key(required) {
            return Err(Reject::invalid_input(format!("Required field is missing: {required}")));
        }
    }
    let input: PreviewInput = typed(object)?;
    let (connection, host) = source(&shared, &id)?;
    let found = find_object(host.as_ref(), &connection, &input.advanced_attributes, &resource)?;
    if let Some(unknown) = input
        .fields
        .iter()
        .find(|name| found.fields.iter().all(|f| !f.name.eq_ignore_ascii_case(name)))
    {
        return Err(Reject::invalid_input(format!(
            "The object {} has no field {unknown}",
            found.name
        )));
    }
    let limit = input
        .limit
        .map_or(PREVIEW_DEFAULT_LIMIT, |limit| limit as usize)
        .min(PREVIEW_MAX_LIMIT);
    let records = found
        .records
        .iter()
        .take(limit)
        .map(|row| PreviewRecord {
            record: input
                .fields
                .iter()
                .map(|name| (name.clone(), row.get(name).cloned().unwrap_or(Value::Null)))
                .collect(),
        })
        .collect();
    Ok(answer(
        StatusCode::OK,
        &Preview {
            advanced_attributes: input.advanced_attributes,
            records,
        },
    ))
}
