//! `/services/data/vNN.0/ssot/connections`: list (per connector type), get, create, replace
//! (`PUT`), patch (only for the families that document it; refused for data connectors, as
//! Salesforce does), delete and the test actions (reference section 4). Bodies are checked in
//! `connection_body`; the rules that span objects (unique names, limits, use by streams) live
//! in `store`. Each operation needs the API version it appeared in.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::connection_body::{self, merge, parse, parse_patch};
use super::connector_routes::{check_connector_type, unsupported_type};
use super::extract::{CoreCall, QueryPairs, RawBody, Segments};
use super::paging::{Order, Page};
use super::responses::{Reject, json};
use super::shared::Shared;
use super::store::{Objects, StoredConnection};
use d360_wire::shapes::{ConnectionList, ConnectionOutput};

/// API versions each operation appeared in (reference section 1).
const LIST_SINCE: u32 = 60;
const CREATE_SINCE: u32 = 64;
const REPLACE_SINCE: u32 = 61;
const PATCH_SINCE: u32 = 63;
/// The only families that take `PATCH`.
const PATCHABLE: [&str; 2] = ["SalesforceMarketingCloud", "StreamingApp"];
const ORDER_FIELDS: [&str; 4] = ["label", "createdDate", "lastModifiedDate", "name"];

fn output(objects: &Objects, connection: &StoredConnection) -> ConnectionOutput {
    let in_use = objects
        .connections_in_use()
        .contains(&connection.name.to_ascii_lowercase());
    connection.to_output(in_use)
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
    let page = Page::parse(query.get("limit"), query.get("offset"), 25, 200)?;
    let order = Order::parse(query.get("orderBy"), &ORDER_FIELDS, "createdDate")?;
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
        let page_items: Vec<ConnectionOutput> = matching
            .iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|c| c.to_output(in_use.contains(&c.name.to_ascii_lowercase())))
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
    let list = ConnectionList {
        connections,
        total_size: total as u64,
        current_page_url: Some(page.url(&path, &pairs, false)),
        next_page_url: page.has_next(total).then(|| page.url(&path, &pairs, true)),
    };
    Ok(json(StatusCode::OK, &list))
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
        .read(|objects| objects.connections.get(&id).map(|c| output(objects, c)));
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
    let created = shared
        .store
        .create_connection(parsed.draft, &shared.actor(&call.session))?;
    Ok(json(StatusCode::CREATED, &created.to_output(false)))
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
            connection.method = draft.method;
            connection.params = draft.params;
            connection.credentials = draft.credentials;
            Ok(())
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /{id}`: only for the families that document it (200 with the connection).
pub(crate) async fn patch(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(PATCH_SINCE)?;
    let patch = parse_patch(&body)?;
    let updated = shared
        .store
        .update_connection(&id, &shared.actor(&call.session), |connection| {
            if !PATCHABLE.contains(&connection.connector_type.as_str()) {
                return Err(Reject::invalid_input(format!(
                    "PATCH isn't supported for {} connections. Use PUT with the full connection body.",
                    connection.connector_type
                )));
            }
            if let Some(label) = patch.label {
                connection.label = label;
            }
            merge(&mut connection.params, patch.parameters);
            merge(&mut connection.credentials, patch.credentials);
            Ok(())
        })?;
    let answer = shared.store.read(|objects| output(objects, &updated));
    Ok(json(StatusCode::OK, &answer))
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

/// `POST /actions/test` with a create body.
pub(crate) async fn test_new(call: CoreCall, RawBody(body): RawBody) -> Result<Response, Reject> {
    call.require(LIST_SINCE)?;
    let parsed = parse(&body)?;
    Ok(json(StatusCode::OK, &connection_body::test_result(&parsed.draft)))
}

/// `POST /{id}/actions/test`.
pub(crate) async fn test_existing(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
) -> Result<Response, Reject> {
    call.require(LIST_SINCE)?;
    let result = shared
        .store
        .read(|objects| objects.connections.get(&id).map(connection_body::test_saved));
    result
        .map(|result| json(StatusCode::OK, &result))
        .ok_or_else(Reject::not_found)
}
