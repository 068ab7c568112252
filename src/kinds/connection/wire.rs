//! Connections on the wire: the create / replace body d360 sends, and a live answer in model
//! terms. The normalisation `diff` relies on happens here: parameter order (maps),
//! server-only fields dropped (ids, dates); the status is read apart, never compared.

use crate::model::SmallMap;

use secrecy::ExposeSecret;

use super::spec::Connection;
use crate::kinds::{Credentials, LiveObject, Resource, Unhealthy, Unreported};
use crate::model::Lifecycle;
use d360_wire::shapes::{ConnectionInput, ConnectionOutput, Param};
use d360_wire::values::{Reported, UnknownValue};

/// A live connection in model terms. A field the answer leaves out (the spec requires only
/// `connectorType`) is recorded as not reported, never read as a default: no method is not
/// `Ingress`, no `params` is not "no parameters".
#[must_use]
pub(crate) fn connection_from_wire(output: &ConnectionOutput) -> LiveObject {
    let mut unreported = Unreported::default();
    let name = unreported.text("name", &output.name);
    let label = unreported.text("label", &output.label);
    let method = unreported
        .take("method", output.method.clone())
        .unwrap_or_else(|| Reported::Unknown(String::new()));
    // Only data connectors (the families d360 manages) have parameters; the others answer
    // none, and d360 never compares them.
    let params = if d360_wire::connectors::Family::of(&output.connector_type).is_manageable() {
        unreported.take("parameters", output.params.as_ref())
    } else {
        output.params.as_ref()
    };
    let parameters: SmallMap<String, String> = params
        .into_iter()
        .flatten()
        .map(|p| (p.param_name.clone(), p.value.clone()))
        .collect();
    let connection = Connection {
        name,
        labels: SmallMap::new(),
        connector_type: output.connector_type.clone(),
        label,
        method,
        parameters,
        credentials: SmallMap::new(),
        lifecycle: Lifecycle::default(),
    };
    let credential_names = output.credentials.iter().map(|c| c.param_name.clone()).collect();
    let mut live = LiveObject::new(
        output.id.clone(),
        Resource::Connection(connection),
        credential_names,
        unreported,
    );
    live.unhealthy = output.status.as_deref().and_then(unhealthy);
    live
}

/// A connection status other than `Connected` (`Disconnected`, `Failed`, `NeedsReAuth`, or
/// one d360 does not know), with what to do about it.
fn unhealthy(status: &str) -> Option<Unhealthy> {
    let hint = match status {
        "Connected" => return None,
        "NeedsReAuth" => {
            "the source no longer accepts its credentials: set the new values and re-apply them (`d360 apply`; a connection update sends its credentials again)"
        }
        "Failed" | "Disconnected" => {
            "the org cannot reach the source: check its host and credentials (`d360 plan --check`), then re-apply its credentials"
        }
        _ => {
            "the org reports a status d360 does not know; check the connection in Setup, then re-apply its credentials"
        }
    };
    Some(Unhealthy {
        status: status.to_owned(),
        hint: hint.to_owned(),
    })
}

/// The create / replace body. `credentials` holds resolved values; the body lives only as
/// long as the request. Refused when the method is not one d360 knows (only a connection read
/// from the org can hold one).
pub(crate) fn connection_input(
    connection: &Connection,
    credentials: &Credentials,
) -> Result<ConnectionInput, UnknownValue> {
    Ok(ConnectionInput {
        connector_type: connection.connector_type.clone(),
        label: connection.label.clone(),
        name: Some(connection.name.clone()),
        method: Some(connection.method.to_known()?.into()),
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
    })
}

#[cfg(test)]
mod tests {
    use super::super::spec::Method;
    use super::*;

    fn live_method(method: Option<&str>) -> Reported<Method> {
        let mut answer = serde_json::json!({"id": "0cX", "name": "C", "label": "C", "connectorType": "AwsRdsMySql"});
        if let Some(method) = method {
            answer["method"] = method.into();
        }
        let output: ConnectionOutput = serde_json::from_value(answer).expect("a connection answer");
        match connection_from_wire(&output).resource {
            Resource::Connection(connection) => connection.method,
            Resource::DataStream(_) => panic!("not a connection"),
        }
    }

    #[test]
    fn a_method_d360_does_not_know_is_kept_not_read_as_ingress() {
        assert_eq!(live_method(Some("Egress")), Reported::Known(Method::Egress));
        assert_eq!(
            live_method(None),
            Reported::Unknown(String::new()),
            "not reported: a placeholder, never compared"
        );
        assert_eq!(
            live_method(Some("Bidirectional")),
            Reported::Unknown("Bidirectional".to_owned())
        );
        let Resource::Connection(mut connection) = connection_from_wire(
            &serde_json::from_value(
                serde_json::json!({"id": "0cX", "name": "C", "connectorType": "AwsRdsMySql", "method": "Bidirectional"}),
            )
            .expect("a connection answer"),
        )
        .resource
        else {
            panic!("not a connection")
        };
        assert!(connection_input(&connection, &Credentials::new()).is_err());
        connection.method = Method::Egress.into();
        let body = connection_input(&connection, &Credentials::new()).expect("a known method");
        assert_eq!(serde_json::to_value(body).expect("encodes")["method"], "Egress");
    }
}
