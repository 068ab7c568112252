//! The Data 360 tenant endpoints a user calls to check a tenant token: `POST /api/v2/query`
//! (the `SELECT 1` sanity query) and `GET /api/v1/metadata`. Errors use the tenant's
//! `{errorCode, errorMessage}` shape.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::extract::{RawBody, TenantCall};
use super::responses::{Reject, json};
use super::shared::Shared;

/// `POST /api/v2/query` with `{"sql": "SELECT 1"}`.
pub(crate) async fn query(call: TenantCall, RawBody(body): RawBody) -> Result<Response, Reject> {
    let request: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        Reject::tenant(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            format!("Malformed JSON: {e}"),
        )
    })?;
    let sql = request.get("sql").and_then(|v| v.as_str()).unwrap_or_default();
    let normalised: String = sql
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .to_ascii_uppercase();
    if normalised != "SELECT 1" {
        return Err(Reject::tenant(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "The emulated tenant answers only the sanity query `SELECT 1`",
        ));
    }
    Ok(json(
        StatusCode::OK,
        &json!({
            "data": [[1]],
            "startTime": super::store::timestamp(),
            "endTime": super::store::timestamp(),
            "rowCount": 1,
            "queryId": "emulated-query",
            "done": true,
            "metadata": { "1": { "type": "DECIMAL", "placeInOrder": 0, "typeCode": 3 } },
            "dataspace": call.session.dataspace,
        }),
    ))
}

/// `GET /api/v1/metadata`: the data lake objects of the token's data space.
pub(crate) async fn metadata(State(shared): State<Arc<Shared>>, call: TenantCall) -> Result<Response, Reject> {
    let dataspace = call.session.dataspace.unwrap_or_else(|| "default".to_owned());
    let objects: Vec<serde_json::Value> = shared.store.read(|objects| {
        objects
            .data_streams
            .values()
            .filter_map(|s| s.data_lake_object_info.as_ref())
            .filter(|dlo| dlo.data_space_info.iter().any(|d| d.name == dataspace))
            .map(|dlo| {
                json!({
                    "name": dlo.name,
                    "displayName": dlo.label,
                    "category": dlo.category,
                    "fields": dlo.data_lake_field_info_representation.iter().map(|f| json!({"name": f.name, "displayName": f.label, "type": f.data_type})).collect::<Vec<_>>(),
                })
            })
            .collect()
    });
    Ok(json(StatusCode::OK, &json!({ "metadata": objects })))
}
