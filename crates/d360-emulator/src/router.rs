//! Every route the emulated org answers, and what it answers for the rest: an unknown path or
//! API version under `/services/data` is 401 without a live token, else 404 `NOT_FOUND`; a
//! known path with the wrong method is 405 `METHOD_NOT_ALLOWED`; the tenant's `/api/...`
//! answers in its own error shape. `GET /services/data` lists the versions, as Salesforce does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::json;

use super::connector_routes as connectors;
use super::extract::{NEWEST_VERSION, OLDEST_VERSION, bearer, request_number};
use super::responses::{Reject, json};
use super::shared::Shared;
use super::tokens::Audience;
use super::{api_layer, auth_routes, browse_routes as browse, connection_routes as connections};
use super::{data_stream_routes as streams, tenant_routes};

/// The whole application, with its state and middleware.
pub(crate) fn build(shared: Arc<Shared>) -> Router {
    let ssot = |path: &str| format!("/services/data/{{version}}/ssot{path}");
    Router::new()
        .route("/services/oauth2/token", only(post(auth_routes::token), "POST"))
        .route(
            "/services/oauth2/userinfo",
            only(get(auth_routes::userinfo).post(auth_routes::userinfo), "GET, POST"),
        )
        .route(
            "/id/{org}/{user}",
            only(get(auth_routes::identity).post(auth_routes::identity), "GET, POST"),
        )
        .route("/services/a360/token", only(post(auth_routes::exchange), "POST"))
        .route("/services/data", only(get(versions), "GET"))
        .route("/services/data/", only(get(versions), "GET"))
        .route(
            &ssot("/connections"),
            only(get(connections::list).post(connections::create), "GET, POST"),
        )
        .route(
            &ssot("/connections/actions/test"),
            only(post(connections::test_new), "POST"),
        )
        .route(
            &ssot("/connections/{id}"),
            only(
                get(connections::get)
                    .put(connections::replace)
                    .patch(connections::patch)
                    .delete(connections::delete),
                "GET, PUT, PATCH, DELETE",
            ),
        )
        .route(
            &ssot("/connections/{id}/actions/test"),
            only(post(connections::test_existing), "POST"),
        )
        .route(
            &ssot("/connections/{id}/databases"),
            only(post(browse::databases), "POST"),
        )
        .route(
            &ssot("/connections/{id}/database-schemas"),
            only(post(browse::database_schemas), "POST"),
        )
        .route(&ssot("/connections/{id}/objects"), only(post(browse::objects), "POST"))
        .route(
            &ssot("/connections/{id}/objects/{resource}/fields"),
            only(post(browse::fields), "POST"),
        )
        .route(
            &ssot("/connections/{id}/objects/{resource}/preview"),
            only(post(browse::preview), "POST"),
        )
        .route(&ssot("/connectors"), only(get(connectors::list), "GET"))
        .route(&ssot("/connectors/{type}"), only(get(connectors::read), "GET"))
        .route(
            &ssot("/data-streams"),
            only(get(streams::list).post(streams::create), "GET, POST"),
        )
        .route(
            &ssot("/data-streams/{id}"),
            only(
                get(streams::get).patch(streams::patch).delete(streams::delete),
                "GET, PATCH, DELETE",
            ),
        )
        .route(
            &ssot("/data-streams/{id}/actions/run"),
            only(post(streams::run), "POST"),
        )
        .route("/api/v2/query", only(post(tenant_routes::query), "POST"))
        .route("/api/v1/metadata", only(get(tenant_routes::metadata), "GET"))
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), api_layer::layer))
        .with_state(shared)
}

/// A route that answers other methods with 405 naming the ones it has.
fn only(route: MethodRouter<Arc<Shared>>, allowed: &'static str) -> MethodRouter<Arc<Shared>> {
    route.fallback(move |method: Method, uri: Uri| async move {
        let reject = Reject::method_not_allowed(method.as_str(), allowed);
        if uri.path().starts_with("/api/") {
            reject.for_tenant()
        } else {
            reject
        }
    })
}

/// Anything no route matches. Under `/services/data/` the session is checked first, as
/// Salesforce does, so a dead token reads 401 wherever it is sent.
async fn unknown_route(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let path = parts.uri.path();
    if path.starts_with("/api/") {
        return Reject::tenant(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
        .into_response();
    }
    if path.starts_with("/services/data/") {
        let number = request_number(&parts, &shared);
        let live =
            bearer(&parts.headers).is_some_and(|token| shared.tokens.check(token, Audience::Core, number).is_some());
        if !live {
            return Reject::invalid_session().into_response();
        }
    }
    Reject::not_found().into_response()
}

/// `GET /services/data`: the API versions this org serves (no token needed).
async fn versions() -> Response {
    const RELEASES: [&str; 7] = [
        "Spring '24",
        "Summer '24",
        "Winter '25",
        "Spring '25",
        "Summer '25",
        "Winter '26",
        "Spring '26",
    ];
    let listed: Vec<_> = (OLDEST_VERSION..=NEWEST_VERSION)
        .zip(RELEASES)
        .map(|(version, label)| {
            json!({"label": label, "url": format!("/services/data/v{version}.0"), "version": format!("{version}.0")})
        })
        .collect();
    json(StatusCode::OK, &listed)
}
