//! Connection tests: `POST /ssot/connections/actions/test` with the body a create or replace
//! would send (before writing, `--check`) and `POST /ssot/connections/{id}/actions/test` on the
//! stored connection (after writing, `--verify`). The body holds credential values: it is sent
//! once, never cached, logged or shown.

use reqwest::Method as HttpMethod;

use super::collection::Connections;
use super::spec::Connection;
use super::wire::connection_input;
use crate::api::{ApiError, Client, Collection};
use crate::kinds::{CheckFailure, CheckOutcome, Credentials, not_encodable};
use d360_wire::connectors::Family;
use d360_wire::shapes::{ConnectionTestInput, ConnectionTestResult};

/// Whether the org can test connections of this type (data connectors reach a source; the
/// other families have none).
fn testable(connection: &Connection) -> bool {
    Family::of(&connection.connector_type) == Family::DataConnector
}

/// Tests the connection as it would be written, with `credentials` resolved.
pub(super) async fn test_before(
    client: &Client,
    connection: &Connection,
    credentials: &Credentials,
) -> Result<Option<CheckOutcome>, ApiError> {
    if !testable(connection) {
        return Ok(None);
    }
    let path = format!("{}/actions/test", Connections::PATH);
    let input =
        connection_input(connection, credentials).map_err(|error| not_encodable(&HttpMethod::POST, &path, &error))?;
    let body = ConnectionTestInput {
        connector_type: input.connector_type,
        method: input.method,
        credentials: input.credentials,
        parameters: input.parameters,
    };
    answered(client.ask::<ConnectionTestResult>(&path, &body).await).map(Some)
}

/// Tests the stored connection `id`.
pub(super) async fn test_stored(
    client: &Client,
    connection: &Connection,
    id: &str,
) -> Result<Option<CheckOutcome>, ApiError> {
    if !testable(connection) {
        return Ok(None);
    }
    let path = format!("{}/{}/actions/test", Connections::PATH, crate::api::encode(id));
    answered(client.ask_bare::<ConnectionTestResult>(&path).await).map(Some)
}

/// A test's answer as an outcome; the org refusing the request (a 400 for a body it cannot
/// read) fails the check too.
fn answered(answer: Result<ConnectionTestResult, ApiError>) -> Result<CheckOutcome, ApiError> {
    match answer {
        Ok(result) if result.success => Ok(CheckOutcome::Passed),
        Ok(result) => {
            let mut failures: Vec<CheckFailure> = result
                .errors
                .into_iter()
                .filter(|e| !e.error_code.is_empty() || !e.error_message.is_empty())
                .map(|e| CheckFailure::Org {
                    code: e.error_code,
                    message: e.error_message,
                })
                .collect();
            if failures.is_empty() {
                failures.push(CheckFailure::Org {
                    code: "UNKNOWN".to_owned(),
                    message: "the connection test failed without saying why".to_owned(),
                });
            }
            Ok(CheckOutcome::Failed(failures))
        }
        Err(error) => match CheckFailure::from_refusal(&error) {
            Some(failure) => Ok(CheckOutcome::Failed(vec![failure])),
            None => Err(error),
        },
    }
}
