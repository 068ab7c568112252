//! `/services/data/vNN.0/ssot/data-streams`: list (limit 1 to 200), get by id or API name
//! (the detailed form, `DataStreamDetailedRepresentation`), create and `PATCH` (answered with
//! the short `DataStreamRepresentation`), delete (keeping the data lake object unless asked)
//! and run (reference section 6). Bodies may carry `dataLakeObjectInfo` and
//! `refreshConfig.frequency` as a list (the schema) or one object (the spec's examples).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::data_stream_body::{
    check_dlo, check_refresh, dlo_output, mappings_output, refresh_output, source_fields_output, stream_type,
};
use super::extract::{CoreCall, QueryPairs, RawBody, Segments, json_object, require_fields, typed};
use super::names::{check_api_name, check_label, name_from_label};
use super::paging::{Order, Page};
use super::records::stream_connection;
use super::responses::{Reject, json};
use super::shared::Shared;
use d360_wire::shapes::{
    DataStreamInput, DataStreamList, DataStreamOutput, DataStreamPatch, DataStreamSummary, DloFieldOutput,
};

const SINCE: u32 = 60;
/// The spec's `orderBy` values for listing data streams.
const ORDER_FIELDS: [&str; 5] = [
    "Id",
    "DataConnectorId",
    "DataConnectorType",
    "DataSourceId",
    "DeveloperName",
];

/// The value a listing is ordered by: the emulator keeps no connector record id, so
/// `DataConnectorId` orders by the connection's API name, which is as unique.
fn order_key<'a>(stream: &'a DataStreamOutput, field: &str) -> Option<&'a str> {
    let connector = stream.connector_info.as_ref();
    match field {
        "Id" => Some(&stream.id),
        "DataConnectorId" => connector.map(|c| c.connector_details.name.as_str()),
        "DataConnectorType" => connector.map(|c| c.connector_type.as_str()),
        "DataSourceId" => stream.data_source.as_deref(),
        _ => Some(&stream.name),
    }
}
const CREATE_FIELDS: [&str; 13] = [
    "name",
    "label",
    "datastreamType",
    "datasource",
    "connectorInfo",
    "dataLakeObjectInfo",
    "existingDataLakeObjectInfo",
    "sourceFields",
    "mappings",
    "refreshConfig",
    "advancedAttributes",
    "dataAccessMode",
    "currencyIsoCodeInfo",
];
const PATCH_FIELDS: [&str; 7] = [
    "label",
    "datastreamType",
    "connectorPatchInfo",
    "dataLakeObjectInfo",
    "mappings",
    "refreshConfig",
    "sourceFields",
];

/// `GET ?limit=1..200&offset&orderBy&connectionName`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    query: QueryPairs,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    let page = Page::read(&query, 10, 200, shared.listing.offsets)?;
    let order = Order::parse(query.get("orderBy"), &ORDER_FIELDS, "DeveloperName")?;
    let connection = query.get("connectionName");
    let (total, streams) = shared.store.read(|objects| {
        let mut matching: Vec<&DataStreamOutput> = objects
            .data_streams
            .values()
            .filter(|s| connection.is_none_or(|c| stream_connection(s).is_some_and(|n| n.eq_ignore_ascii_case(c))))
            .collect();
        matching.sort_by(|a, b| {
            order_key(a, order.field)
                .cmp(&order_key(b, order.field))
                .then_with(|| a.id.cmp(&b.id))
        });
        if order.descending {
            matching.reverse();
        }
        (
            matching.len(),
            matching
                .into_iter()
                .skip(page.offset)
                .take(page.limit)
                .cloned()
                .collect::<Vec<_>>(),
        )
    });
    let path = format!("{}/ssot/data-streams", call.base_path());
    let pairs: Vec<(&str, &str)> = ["connectionName", "orderBy"]
        .into_iter()
        .filter_map(|key| query.get(key).map(|value| (key, value)))
        .collect();
    let list = DataStreamList {
        data_streams: streams,
        total_size: Some(total as u64),
        current_page_url: Some(page.url(&path, &pairs, false)),
        next_page_url: page.has_next(total).then(|| page.url(&path, &pairs, true)),
    };
    Ok(json(StatusCode::OK, &list))
}

/// `GET /{idOrName}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    shared
        .store
        .read(|o| o.data_stream(&id).cloned())
        .map(|s| json(StatusCode::OK, &s))
        .ok_or_else(Reject::not_found)
}

/// `POST` (200 with the stream).
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    let object = json_object(&body, &CREATE_FIELDS)?;
    require_fields(
        &object,
        &["name", "label", "datastreamType", "connectorInfo", "dataLakeObjectInfo"],
    )?;
    let mut input: DataStreamInput = typed(object)?;
    check_label(&input.label, "data stream")?;
    check_currency(input.currency_iso_code_info.as_ref())?;
    let name = if input.name.is_empty() {
        name_from_label(&input.label, "data stream")?
    } else {
        input.name.clone()
    };
    check_api_name(&name, "data stream")?;
    let [dlo] = input.data_lake_object_info.as_slice() else {
        return Err(Reject::invalid_input(
            "dataLakeObjectInfo must hold exactly one data lake object",
        ));
    };
    check_dlo(dlo, &shared.org.dataspaces)?;
    let dlo = dlo_output(dlo);
    check_refresh(input.refresh_config.as_mut())?;
    let data_stream_type = stream_type(&input.datastream_type)?;
    if input.connector_info.connector_details.name.is_empty() {
        return Err(Reject::invalid_input(
            "Required field is missing: connectorInfo.connectorDetails.name",
        ));
    }
    let stream = DataStreamOutput {
        id: String::new(),
        name,
        label: input.label.clone(),
        record_id: None,
        status: Some("Active".to_owned()),
        data_stream_type: Some(data_stream_type),
        data_source: input.datasource.clone(),
        connector_info: Some(input.connector_info.clone()),
        data_lake_object_info: Some(dlo),
        refresh_config: input.refresh_config.as_ref().map(refresh_output),
        source_fields: source_fields_output(&input.source_fields),
        mappings: mappings_output(&input.mappings),
        advanced_attributes: input.advanced_attributes.clone(),
        data_access_mode: input.data_access_mode.clone(),
        last_run_status: None,
        last_refresh_date: None,
        total_records: Some(0),
        created_date: None,
        last_modified_date: None,
        created_by: None,
        last_modified_by: None,
    };
    let actor = shared.actor(&call.session);
    let created = shared.store.create_data_stream(stream, &actor)?;
    Ok(json(StatusCode::OK, &DataStreamSummary::from(&created)))
}

/// `PATCH /{idOrName}` (200 with the short form): the DLO's name, category and primary key and
/// the stream's connection cannot change.
pub(crate) async fn patch(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    let object = json_object(&body, &PATCH_FIELDS)?;
    let mut patch: DataStreamPatch = typed(object)?;
    if let Some(label) = &patch.label {
        check_label(label, "data stream")?;
    }
    if let Some(dlo) = &patch.data_lake_object_info {
        check_dlo(dlo, &shared.org.dataspaces)?;
    }
    check_refresh(patch.refresh_config.as_mut())?;
    let data_stream_type = patch.datastream_type.as_deref().map(stream_type).transpose()?;
    let actor = shared.actor(&call.session);
    let updated = shared.store.update_data_stream(&id, Some(&actor), |stream| {
        if let Some(info) = &patch.connector_patch_info {
            let wanted = info.pointer("/connectorDetails/name").and_then(|v| v.as_str());
            if wanted.is_some_and(|w| Some(w) != stream_connection(stream)) {
                return Err(Reject::invalid_input(
                    "The connection of a data stream can't be changed",
                ));
            }
        }
        if let Some(dlo) = &patch.data_lake_object_info {
            if let Some(current) = &stream.data_lake_object_info {
                let key = |fields: &[DloFieldOutput]| fields.iter().find(|f| f.is_primary_key).map(|f| f.name.clone());
                let new = dlo_output(dlo);
                if current.name != new.name
                    || current.category != new.category
                    || key(&current.data_lake_field_info_representation)
                        != key(&new.data_lake_field_info_representation)
                {
                    return Err(Reject::invalid_input(
                        "The data lake object's name, category and primary key can't be changed after it's created",
                    ));
                }
            }
            stream.data_lake_object_info = Some(dlo_output(dlo));
        }
        if let Some(label) = &patch.label {
            stream.label.clone_from(label);
        }
        if let Some(kind) = data_stream_type {
            stream.data_stream_type = Some(kind);
        }
        if let Some(mappings) = &patch.mappings {
            stream.mappings = mappings_output(mappings);
        }
        if let Some(refresh) = &patch.refresh_config {
            stream.refresh_config = Some(refresh_output(refresh));
        }
        if let Some(fields) = &patch.source_fields {
            stream.source_fields = source_fields_output(fields);
        }
        Ok(())
    })?;
    Ok(json(StatusCode::OK, &DataStreamSummary::from(&updated)))
}

/// `DELETE /{idOrName}[?shouldDeleteDataLakeObject=true]` (204).
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    query: QueryPairs,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    let delete_dlo = match query.get("shouldDeleteDataLakeObject") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(Reject::illegal_query(format!(
                "Invalid value for shouldDeleteDataLakeObject: {other}. Use true or false"
            )));
        }
    };
    shared.store.delete_data_stream(&id, delete_dlo)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `currencyIsoCodeInfo`: an object whose `currencyIsoCode`, when given, is an ISO 4217 code.
fn check_currency(info: Option<&serde_json::Value>) -> Result<(), Reject> {
    let Some(info) = info else { return Ok(()) };
    let Some(object) = info.as_object() else {
        return Err(Reject::json_parser(
            "currencyIsoCodeInfo: expected an object such as {\"currencyIsoCode\": \"USD\"}",
        ));
    };
    match object.get("currencyIsoCode") {
        None => Ok(()),
        Some(serde_json::Value::String(code)) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
            Ok(())
        }
        Some(other) => Err(Reject::invalid_input(format!(
            "currencyIsoCodeInfo.currencyIsoCode: {other} is not an ISO 4217 currency code such as \"USD\""
        ))),
    }
}

/// `POST /{idOrName}/actions/run[?interactive=true|false]`.
pub(crate) async fn run(
    State(shared): State<Arc<Shared>>,
    call: CoreCall,
    Segments((_, id)): Segments<(String, String)>,
    query: QueryPairs,
) -> Result<Response, Reject> {
    call.require(SINCE)?;
    // A Boolean query parameter: anything but `true` or `false` is refused, as the org does.
    if let Some(value) = query.get("interactive")
        && !matches!(value, "true" | "false")
    {
        return Err(Reject::illegal_query(format!(
            "Invalid value for the query parameter interactive: '{value}'. Use true or false."
        )));
    }
    let stream = shared.store.update_data_stream(&id, None, |stream| {
        stream.last_run_status = Some("Success".to_owned());
        stream.last_refresh_date = Some(super::store::timestamp());
        Ok(())
    })?;
    Ok(json(
        StatusCode::OK,
        &json!({ "success": true, "errors": [], "jobId": format!("job-{}", stream.id) }),
    ))
}
