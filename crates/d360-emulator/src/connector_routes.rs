//! `/ssot/connectors` and `/ssot/connectors/{type}`: the connector types this org offers and
//! their metadata, served from the same table manifest validation uses
//! ([`d360_wire::connectors`]), so the two never disagree. Types outside the table
//! are offered with no attributes: their names are not public, and the emulator must not
//! invent them.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::extract::{CoreCall, QueryPairs, Segments};
use super::responses::{Reject, json};
use d360_wire::connectors::{self, Attribute, ConnectorType};
use d360_wire::shapes::{ConnectorAttribute, ConnectorInfo, ConnectorList, ConnectorMetadata};
use d360_wire::values::Method;

/// `Ok` for a connector type token the org knows, with its exact casing.
pub(crate) fn check_connector_type(name: &str) -> Result<(), ()> {
    if connectors::all_names().any(|known| known == name) {
        Ok(())
    } else {
        Err(())
    }
}

/// Salesforce's message for a token it does not know (reference section 4).
pub(crate) fn unsupported_type(name: &str) -> String {
    format!("ConnectorType [{name}] is not supported")
}

/// `(name, label, description)` of every type.
fn every_type() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    connectors::KNOWN
        .iter()
        .map(|known| (known.name, known.label, known.description))
        .chain(connectors::OTHER_NAMES.iter().map(|name| (*name, *name, "")))
}

fn features(methods: &[Method]) -> Vec<serde_json::Value> {
    methods
        .iter()
        .map(|method| json!({"featureType": method.as_str(), "config": {}}))
        .collect()
}

/// `GET /ssot/connectors[?filters=name=T&orderBy=label&fieldGroup=...]`.
pub(crate) async fn list(_call: CoreCall, query: QueryPairs) -> Result<Response, Reject> {
    let wanted = match query.get("filters") {
        None => None,
        Some(filter) => Some(filter.strip_prefix("name=").ok_or_else(|| {
            Reject::illegal_query(format!(
                "Invalid value for filters: {filter}. Use name=<connector type>"
            ))
        })?),
    };
    if let Some(group) = query.get("fieldGroup")
        && !["SMALL", "MEDIUM", "BIG"].contains(&group)
    {
        return Err(Reject::illegal_query(format!(
            "Invalid value for fieldGroup: {group}. Use SMALL, MEDIUM or BIG"
        )));
    }
    let mut infos: Vec<ConnectorInfo> = every_type()
        .filter(|(name, ..)| wanted.is_none_or(|wanted| wanted == *name))
        .map(|(name, label, description)| ConnectorInfo {
            name: name.to_owned(),
            label: label.to_owned(),
            description: (!description.is_empty()).then(|| description.to_owned()),
            icon_url: None,
            release_level: Some("GA".to_owned()),
            features: features(connectors::find(name).map_or(&[Method::Ingress], |known| known.methods)),
        })
        .collect();
    match query.get("orderBy") {
        None | Some("name") => {}
        Some("label") => infos.sort_by(|a, b| a.label.cmp(&b.label)),
        Some(other) => {
            return Err(Reject::illegal_query(format!(
                "Invalid value for orderBy: {other}. Use label or name"
            )));
        }
    }
    let total_size = infos.len() as u64;
    Ok(json(
        StatusCode::OK,
        &ConnectorList {
            connector_info_list: infos,
            total_size: Some(total_size),
            current_page_url: None,
            next_page_url: None,
        },
    ))
}

/// `GET /ssot/connectors/{type}`.
pub(crate) async fn read(_call: CoreCall, Segments((_, name)): Segments<(String, String)>) -> Result<Response, Reject> {
    if check_connector_type(&name).is_err() {
        return Err(Reject::not_found());
    }
    let metadata = match connectors::find(&name) {
        Some(known) => known_metadata(known),
        None => ConnectorMetadata {
            name: name.clone(),
            label: name,
            description: None,
            icon_url: None,
            features: features(&[Method::Ingress]),
            connection_attributes: Vec::new(),
            advanced_attributes: Vec::new(),
        },
    };
    Ok(json(StatusCode::OK, &metadata))
}

fn known_metadata(known: &ConnectorType) -> ConnectorMetadata {
    let attribute = |attribute: &Attribute| ConnectorAttribute {
        name: attribute.name.to_owned(),
        label: attribute.label.to_owned(),
        required: attribute.required,
        secret: attribute.secret,
        data_type: Some(if attribute.secret { "PASSWORD" } else { "STRING" }.to_owned()),
        pattern: attribute.pattern.map(str::to_owned),
        max_length: attribute.max_length,
    };
    let advanced = ["database", "schema", "object"].map(|name| ConnectorAttribute {
        name: name.to_owned(),
        label: name.to_owned(),
        required: name == "object",
        secret: false,
        data_type: Some("STRING".to_owned()),
        pattern: None,
        max_length: None,
    });
    ConnectorMetadata {
        name: known.name.to_owned(),
        label: known.label.to_owned(),
        description: Some(known.description.to_owned()),
        icon_url: None,
        features: features(known.methods),
        connection_attributes: known
            .parameters
            .iter()
            .chain(known.credentials)
            .map(attribute)
            .collect(),
        advanced_attributes: advanced.to_vec(),
    }
}
