//! Connections on the wire: the create / replace body d360 sends, and a live answer in model
//! terms. The normalisation `diff` relies on happens here: parameter order (maps),
//! server-only fields dropped (ids, dates, status).

use std::collections::BTreeMap;

use secrecy::ExposeSecret;

use super::spec::{Connection, Method};
use crate::kinds::{Credentials, LiveObject, Resource};
use crate::model::Lifecycle;
use d360_wire::shapes::{ConnectionInput, ConnectionOutput, Param};

/// A live connection in model terms.
#[must_use]
pub(crate) fn connection_from_wire(output: &ConnectionOutput) -> LiveObject {
    let method = match output.method.as_deref() {
        Some(m) if m.eq_ignore_ascii_case("egress") => Method::Egress,
        _ => Method::Ingress,
    };
    let parameters: BTreeMap<String, String> = output
        .params
        .iter()
        .flatten()
        .map(|p| (p.param_name.clone(), p.value.clone()))
        .collect();
    let connection = Connection {
        name: output.name.clone(),
        labels: BTreeMap::new(),
        connector_type: output.connector_type.clone(),
        label: output.label.clone(),
        method,
        parameters,
        credentials: BTreeMap::new(),
        lifecycle: Lifecycle::default(),
    };
    let credential_names = output.credentials.iter().map(|c| c.param_name.clone()).collect();
    LiveObject::new(output.id.clone(), Resource::Connection(connection), credential_names)
}

/// The create / replace body. `credentials` holds resolved values; the body lives only as
/// long as the request.
#[must_use]
pub(crate) fn connection_input(connection: &Connection, credentials: &Credentials) -> ConnectionInput {
    ConnectionInput {
        connector_type: connection.connector_type.clone(),
        label: connection.label.clone(),
        name: Some(connection.name.clone()),
        method: Some(connection.method.as_str().to_owned()),
        credentials: credentials
            .iter()
            .map(|(name, value)| Param {
                param_name: name.clone(),
                value: value.expose_secret().to_owned(),
            })
            .collect(),
        parameters: connection
            .parameters
            .iter()
            .map(|(name, value)| Param {
                param_name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    }
}
