//! An org holding exactly the spec's example objects (the Salesforce CRM and Marketing Cloud
//! connections, the SFDC and Marketing Cloud data streams, the example connectors), served on
//! 127.0.0.1 by a small axum app, and d360 run against it: plan and drift read every object
//! without an error and import skips the families it cannot manage.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::spec::Spec;
use super::{STREAM, run};
use crate::support::{Work, bin};

struct Examples {
    doc: Value,
    url: String,
}

impl Examples {
    fn example(&self, name: &str) -> Value {
        self.doc["examples"][name].clone()
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])),
    )
        .into_response()
}

async fn token(State(org): State<Arc<Examples>>) -> Response {
    axum::Json(json!({
        "access_token": "example-org-token",
        "instance_url": org.url,
        "id": format!("{}/id/00DX40000019beX/005X4000001", org.url),
        "token_type": "Bearer",
        "issued_at": "1700000000000",
        "signature": "c2lnbmF0dXJl",
        "scope": "api cdp_api"
    }))
    .into_response()
}

async fn connections(
    State(org): State<Arc<Examples>>,
    Query(query): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let listed = match query.get("connectorType").map(String::as_str) {
        Some("SalesforceDotCom") => org.example("get-salesforcedotcom-connections-response-example"),
        Some("SalesforceMarketingCloud") => org.example("get-salesforcemarketingcloud-connection-response-example"),
        _ => json!({"connections": [], "totalSize": 0}),
    };
    axum::Json(listed).into_response()
}

async fn connection(State(org): State<Arc<Examples>>, Path((_, id)): Path<(String, String)>) -> Response {
    let lists = [
        org.example("get-salesforcedotcom-connections-response-example"),
        org.example("get-salesforcemarketingcloud-connection-response-example"),
    ];
    let single = org.example("get-connection-response-example");
    std::iter::once(single)
        .chain(
            lists
                .iter()
                .flat_map(|l| l["connections"].as_array().cloned().unwrap_or_default()),
        )
        .find(|c| c["id"] == json!(id))
        .map_or_else(not_found, |c| axum::Json(c).into_response())
}

fn all_streams(org: &Examples) -> Vec<Value> {
    [
        "get-sfdc-data-streams-output-example",
        "get-mc-data-streams-output-example",
    ]
    .iter()
    .flat_map(|name| org.example(name)["dataStreams"].as_array().cloned().unwrap_or_default())
    .collect()
}

async fn streams(State(org): State<Arc<Examples>>) -> Response {
    let streams = all_streams(&org);
    axum::Json(json!({"totalSize": streams.len(), "dataStreams": streams})).into_response()
}

async fn stream(State(org): State<Arc<Examples>>, Path((_, name)): Path<(String, String)>) -> Response {
    all_streams(&org)
        .into_iter()
        .find(|s| s["name"] == json!(name))
        .map_or_else(not_found, |s| axum::Json(s).into_response())
}

async fn connectors(State(org): State<Arc<Examples>>) -> Response {
    axum::Json(org.example("get-connector-info-list-response")).into_response()
}

async fn connector(State(org): State<Arc<Examples>>, Path((_, name)): Path<(String, String)>) -> Response {
    let metadata = org.example("get-connector-info-response");
    if metadata["name"] == json!(name) {
        axum::Json(metadata).into_response()
    } else {
        not_found()
    }
}

#[test]
fn an_org_holding_the_spec_examples_plans_drifts_and_imports() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let org = Arc::new(Examples {
        doc: Spec::load().doc,
        url: url.clone(),
    });
    let ssot = |path: &str| format!("/services/data/{{version}}/ssot{path}");
    let app = Router::new()
        .route("/services/oauth2/token", post(token))
        .route(&ssot("/connections"), get(connections))
        .route(&ssot("/connections/{id}"), get(connection))
        .route(&ssot("/data-streams"), get(streams))
        .route(&ssot("/data-streams/{name}"), get(stream))
        .route(&ssot("/connectors"), get(connectors))
        .route(&ssot("/connectors/{type}"), get(connector))
        .fallback(|| async { not_found() })
        .with_state(org);
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let work = Work::new();
    // One manifest stream over a connection of a family d360 can't manage: plan must read it
    // and the examples' streams, whatever their shape.
    work.write(
        "manifests/stream.yaml",
        &STREAM
            .replace("HOURS", "2")
            .replace("Contract_Clinic", "SalesforceDotCom_Home"),
    );
    let d360 = || {
        let mut command = bin();
        command
            .current_dir(work.path())
            .env("D360_ORG", "env")
            .env("D360_INSTANCE_URL", &url)
            .env("D360_CLIENT_ID", "example")
            .env("D360_CLIENT_SECRET", "example-secret")
            .env_remove("D360_PRIVATE_KEY_FILE")
            .env_remove("D360_PRIVATE_KEY")
            .env_remove("D360_USERNAME")
            .env_remove("D360_PASSWORD")
            .env_remove("D360_STATE_URL");
        command
    };
    let plan = run(
        d360().args(["plan", "manifests", "--format", "json"]),
        &[0],
        "plan against the examples",
    );
    assert!(plan.contains("Contract_Patients"), "{plan}");
    let drift = run(d360().args(["drift", "manifests"]), &[2], "drift against the examples");
    for name in ["Account_Home", "sfmc_campaign_524000862"] {
        assert!(drift.contains(name), "{name} is not reported: {drift}");
    }
    let imported = run(
        d360().args([
            "import",
            "--out",
            "imported",
            "--kind",
            "connection",
            "--connector-type",
            "SalesforceDotCom",
            "--connector-type",
            "SalesforceMarketingCloud",
        ]),
        &[0],
        "import from the examples",
    );
    assert!(imported.contains("Skipped 3 objects d360 cannot manage"), "{imported}");
    assert!(imported.contains("Nothing to import"), "{imported}");
}
