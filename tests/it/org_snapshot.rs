//! What an emulator process holds, read over its API: every connection of the connector
//! types tests use and every data stream, as the org answers them. Two snapshots are equal
//! exactly when the org did not change (ids, dates and all).

use serde_json::Value;

use super::support::EmulatorProcess;

/// Connector types the tests create connections of.
const CONNECTOR_TYPES: [&str; 4] = ["AwsRdsMySql", "AwsRdsPostgres", "AwsRdsSqlServer", "Databricks"];

/// Every connection (per connector type, all pages) and data stream `emulator` holds.
pub(crate) fn snapshot(emulator: &EmulatorProcess) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(read(&emulator.url))
}

/// An access token of the emulator's default app, by the client credentials flow.
pub(crate) async fn login(http: &reqwest::Client, url: &str) -> String {
    let answer: Value = http
        .post(format!("{url}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "d360-local"),
            ("client_secret", "d360-local-secret"),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    answer["access_token"].as_str().expect("an access token").to_owned()
}

async fn read(url: &str) -> Value {
    let http = reqwest::Client::new();
    let token = login(&http, url).await;
    let get = |path: String| {
        let request = http
            .get(format!("{url}/services/data/v66.0/{path}"))
            .bearer_auth(&token);
        async move {
            request
                .send()
                .await
                .expect("list")
                .json::<Value>()
                .await
                .expect("list JSON")
        }
    };
    let mut connections = serde_json::Map::new();
    for connector_type in CONNECTOR_TYPES {
        let page = get(format!("ssot/connections?connectorType={connector_type}&limit=200")).await;
        assert!(page["nextPageUrl"].is_null(), "tests hold fewer than one page");
        connections.insert(connector_type.to_owned(), page["connections"].clone());
    }
    let streams = get("ssot/data-streams?limit=200".to_owned()).await;
    serde_json::json!({ "connections": connections, "dataStreams": streams["dataStreams"] })
}
