//! `/services/data/vNN.0/ssot/connections`: list (per connector type), get, create, replace
//! (`PUT`, 204), patch (204; only for `SalesforceMarketingCloud` and `StreamingApp`, refused
//! for the other families, as Salesforce does), delete and the test actions (answered
//! `{success, errors}` from the catalog), for every connection family. Bodies are checked in
//! `connection_body` and `families`; the rules that span objects (unique names, limits, use by
//! streams) live in `store`. Each operation needs the API version it appeared in.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use serde_json::{Value, json as value};

use super::connection_body::{self, parse, parse_test};
use super::connector_routes::{check_connector_type, unsupported_type};
use super::extract::{CoreCall, QueryPairs, RawBody, Segments};
use super::families;
use super::paging::{Order, Page};
use super::records::{ConnectionDraft, Objects, StoredConnection};
use super::responses::{Reject, json};
use super::shared::Shared;
use d360_wire::connectors::Family;

/// API versions each operation appeared in (reference section 1).
const LIST_SINCE: u32 = 60;
const CREATE_SINCE: u32 = 64;
const REPLACE_SINCE: u32 = 61;
const PATCH_SINCE: u32 = 63;
/// Test actions and metadata browsing appeared in 62.0 (reference: the spec's versions).
const TEST_SINCE: u32 = 62;
const ORDER_FIELDS: [&str; 4] = ["label", "createdDate", "lastModifiedDate", "name"];

fn output(shared: &Shared, objects: &Objects, connection: &StoredConnection) -> Value {
    let in_use = objects
        .connections_in_use()
        .contains(&connection.name.to_ascii_lowercase());
    with_status(
        shared,
        connection,
        families::output(connection, in_use, &shared.base_url),
    )
}

/// The catalog's `status` for the connection's host, in place of `Connected`.
fn with_status(shared: &Shared, connection: &StoredConnection, mut answer: Value) -> Value {
    if let Some(status) = shared.org.catalog.status_of(&connection.params)
        && let Some(object) = answer.as_object_mut()
        && object.contains_key("status")
    {
        object.insert("status".to_owned(), Value::String(status.to_owned()));
    }
    answer
}

/// The field a listing is ordered by; `None` (creation order, the map's own) for the rest.
fn order_key<'a>(connection: &'a StoredConnection, field: &str) -> Option<&'a str> {
    match field {
        "label" => Some(&connection.label),
        "lastModifiedDate" => Some(&connection.last_modified_date),
        "name" => Some(&connection.name),
        _ => None,
    }
}

/// `GET ?connectorType=T[&limit&offset&orderBy&devName&label]`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    query: QueryPairs,
) -> Result<Response, Reject> {
    call.require(LIST_SINCE)?;
    let connector_type = query
        .get("connectorType")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Reject::illegal_query("Required query parameter connectorType is missing"))?;
    check_connector_type(connector_type).map_err(|()| Reject::illegal_query(unsupported_type(connector_type)))?;
    let page = Page::read(&query, 25, 200, shared.listing.offsets)?;
    let order = Order::parse(query.get("orderBy"), &ORDER_FIELDS, "createdDate")?;
    if let Some(number) = shared.listing.creation(&page) {
        create_while_listing(&shared, &call, connector_type, number)?;
    }
    let dev_name = query.get("devName");
    let label = query.get("label");
    let (total, connections) = shared.store.read(|objects| {
        let in_use = objects.connections_in_use();
        let mut matching: Vec<&StoredConnection> = objects
            .connections
            .values()
            .filter(|c| c.connector_type == connector_type)
            .filter(|c| dev_name.is_none_or(|name| c.name.eq_ignore_ascii_case(name)))
            .filter(|c| label.is_none_or(|label| c.label == label))
            .collect();
        // Ids grow with creation and the map is in id order: `createdDate` needs no sort.
        if matching
            .first()
            .is_some_and(|first| order_key(first, order.field).is_some())
        {
            matching.sort_by(|a, b| {
                order_key(a, order.field)
                    .cmp(&order_key(b, order.field))
                    .then_with(|| a.id.cmp(&b.id))
            });
        }
        if order.descending {
            matching.reverse();
        }
        let page_items: Vec<Value> = matching
            .iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|c| {
                with_status(
                    &shared,
                    c,
                    families::output(c, in_use.contains(&c.name.to_ascii_lowercase()), &shared.base_url),
                )
            })
            .collect();
        (matching.len(), page_items)
    });
    let path = format!("{}/ssot/connections", call.base_path());
    let mut pairs = vec![("connectorType", connector_type)];
    for key in ["devName", "label", "orderBy"] {
        if let Some(value) = query.get(key) {
            pairs.push((key, value));
        }
    }
    let mut list = serde_json::Map::new();
    list.insert("connections".to_owned(), Value::Array(connections));
    list.insert("totalSize".to_owned(), value!(total));
    list.insert("currentPageUrl".to_owned(), value!(page.url(&path, &pairs, false)));
    if page.has_next(total) {
        list.insert("nextPageUrl".to_owned(), value!(page.url(&path, &pairs, true)));
    }
    Ok(json(StatusCode::OK, &list))
}

/// What a connection of `connector_type`'s family gets on create, given its record id.
fn created_fields(connector_type: &str) -> impl FnOnce(&str) -> serde_json::Map<String, Value> + use<> {
    let family = Family::of(connector_type);
    move |id| families::created_fields(family, id)
}

/// `--create-while-listing`: a copy of the type's first connection under a new name, made
/// while a client is part way through listing the type.
fn create_while_listing(shared: &Shared, call: &CoreCall, connector_type: &str, number: u64) -> Result<(), Reject> {
    let Some(model) = shared.store.read(|objects| {
        objects
            .connections
            .values()
            .find(|c| c.connector_type == connector_type)
            .cloned()
    }) else {
        return Ok(());
    };
    let draft = ConnectionDraft {
        name: format!("Listed_During_{number}"),
        label: format!("Listed during {number}"),
        connector_type: model.connector_type,
        method: model.method,
        params: model.params,
        credentials: model.credentials,
        extra: serde_json::Map::new(),
    };
    shared
        .store
        .create_connection(draft, &shared.actor(&call.session), created_fields(connector_type))?;
    Ok(())
}

/// `GET /{id}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
) -> Result<Response, Reject> {
    call.require(LIST_SINCE)?;
    let found = shared
        .store
        .read(|objects| objects.connections.get(&id).map(|c| output(&shared, objects, c)));
    found
        .map(|connection| json(StatusCode::OK, &connection))
        .ok_or_else(Reject::not_found)
}

/// `POST` (201 with the connection).
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(CREATE_SINCE)?;
    let parsed = parse(&body)?;
    let fields = created_fields(&parsed.draft.connector_type);
    let created = shared
        .store
        .create_connection(parsed.draft, &shared.actor(&call.session), fields)?;
    Ok(json(
        StatusCode::CREATED,
        &with_status(&shared, &created, families::output(&created, false, &shared.base_url)),
    ))
}

/// `PUT /{id}`: replaces the whole object, credentials included (204). The connector type
/// and the API name stay what they are.
pub(crate) async fn replace(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(REPLACE_SINCE)?;
    let parsed = parse(&body)?;
    let draft = parsed.draft;
    shared
        .store
        .update_connection(&id, &shared.actor(&call.session), |connection| {
            if connection.connector_type != draft.connector_type {
                return Err(Reject::invalid_input(
                    "The connector type of a connection can't be changed",
                ));
            }
            if parsed.name_given && !connection.name.eq_ignore_ascii_case(&draft.name) {
                return Err(Reject::invalid_input("The API name of a connection can't be changed"));
            }
            connection.label = draft.label;
            if Family::of(&connection.connector_type) == Family::DataConnector {
                connection.method = draft.method;
                connection.params = draft.params;
                connection.credentials = draft.credentials;
            }
            connection.extra.extend(draft.extra);
            Ok(())
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /{id}`: only for `SalesforceMarketingCloud` and `StreamingApp` (204, no body).
pub(crate) async fn patch(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(PATCH_SINCE)?;
    shared
        .store
        .update_connection(&id, &shared.actor(&call.session), |connection| {
            families::apply_patch(connection, &body, &shared.org.dataspaces)
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /{id}` (204).
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
) -> Result<Response, Reject> {
    call.require(LIST_SINCE)?;
    shared.store.delete_connection(&id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /actions/test` with a test body (`{connectorType, method, credentials, parameters}`
/// or the spec example's nested form).
pub(crate) async fn test_new(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(TEST_SINCE)?;
    let input = parse_test(&body)?;
    let result = connection_body::test_result(
        &shared.org.catalog,
        &input.connector_type,
        &input.parameters,
        &input.credentials,
    );
    Ok(json(StatusCode::OK, &result))
}

/// `POST /{id}/actions/test` (no body).
pub(crate) async fn test_existing(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
) -> Result<Response, Reject> {
    call.require(TEST_SINCE)?;
    let result = shared.store.read(|objects| {
        objects
            .connections
            .get(&id)
            .map(|connection| connection_body::test_saved(&shared.org.catalog, connection))
    });
    result
        .map(|result| json(StatusCode::OK, &result))
        .ok_or_else(Reject::not_found)
}
