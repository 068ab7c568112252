//! The HTTP endpoints of `d360 watch` (axum): `/metrics` (the registry in the Prometheus text
//! format 0.0.4, or OpenMetrics when the `Accept` header asks for it), `/healthz` (200 while the process serves), `/readyz` (200 when
//! every org's last run finished within three intervals, else 503 naming the orgs) and
//! `/status` (the orgs this replica holds, and every org's role and last run, as JSON).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Shared;

/// The OpenMetrics text format, as `prometheus-client` writes it.
const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Prometheus text format, what a reader gets unless it asks for OpenMetrics.
const PROMETHEUS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .with_state(shared)
}

async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let encoded = if wants_openmetrics(&headers) {
        shared.metrics.encode().map(|text| (OPENMETRICS_TYPE, text))
    } else {
        shared.metrics.encode_prometheus().map(|text| (PROMETHEUS_TYPE, text))
    };
    match encoded {
        Ok((content_type, text)) => ([(header::CONTENT_TYPE, content_type)], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode the metrics\n").into_response(),
    }
}

/// Whether the `Accept` header names OpenMetrics with a non-zero quality (Prometheus asks
/// for it first when its scrape config allows it).
fn wants_openmetrics(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|quality| quality.parse::<f64>().ok())
                    .is_some_and(|quality| quality <= 0.0)
            });
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        })
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    let problems = shared.board.not_ready(shared.interval);
    if problems.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready:\n{}\n", problems.join("\n")),
        )
            .into_response()
    }
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let body = serde_json::json!({
        "intervalSeconds": shared.interval.as_secs_f64(),
        "holds": shared.board.holds(),
        "orgs": shared.board.snapshot(),
    });
    axum::Json(body).into_response()
}

/// Serves the endpoints on `listener` until `stop` completes.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared)).with_graceful_shutdown(stop).await
}
