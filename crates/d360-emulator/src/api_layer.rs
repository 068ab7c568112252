//! The middleware every request passes: it writes the request log line (`--log-requests`)
//! and, for API requests only (`/services/data/...` and the tenant's `/api/...`), numbers the
//! request (the token clock of `--expire-tokens-every`), waits `--latency`, draws a fault,
//! and adds `Sforce-Limit-Info`. Login endpoints are never delayed or faulted.
//!
//! A `drop` fault fires the connection's [`ConnectionKill`] and never answers: the server
//! closes the socket, so the client sees the connection die mid-request.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::RequestNumber;
use super::faults::Injected;
use super::request_log::{Entry, milliseconds};
use super::responses::Reject;
use super::shared::Shared;
use super::store::timestamp;

/// Closes the connection a request came on without answering it. Each request carries its
/// connection's switch as an extension.
#[derive(Clone)]
pub(crate) struct ConnectionKill(std::sync::Arc<tokio::sync::Notify>);

impl ConnectionKill {
    pub(crate) fn new() -> Self {
        Self(std::sync::Arc::new(tokio::sync::Notify::new()))
    }

    pub(crate) fn fire(&self) {
        self.0.notify_one();
    }

    /// Resolves when [`fire`](Self::fire) is called.
    pub(crate) async fn fired(&self) {
        self.0.notified().await;
    }
}

/// What became of a request.
enum Answer {
    Sent(Response),
    /// Dropped without an answer; the switch is absent only outside the server's own loop.
    Dropped(Option<ConnectionKill>),
}

/// Whether a path is an API request (counted, delayed, faulted).
pub(crate) fn is_api(path: &str) -> bool {
    path.starts_with("/services/data/") || path.starts_with("/api/")
}

/// The middleware.
pub(crate) async fn layer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let api = is_api(&path);
    // Salesforce takes credentials in the query string of the login endpoints: never log it.
    let query = if api {
        request.uri().query().map(str::to_owned)
    } else {
        None
    };
    let answer = if api {
        api_request(&shared, request, next).await
    } else {
        Answer::Sent(next.run(request).await)
    };
    if let Some(log) = &shared.request_log {
        let status = match &answer {
            Answer::Sent(response) => Some(response.status().as_u16()),
            Answer::Dropped(_) => None,
        };
        log.write(&Entry {
            time: timestamp(),
            method: &method,
            path: &path,
            query: query.as_deref(),
            status,
            duration_ms: milliseconds(started.elapsed()),
        });
    }
    match answer {
        Answer::Sent(response) => response,
        Answer::Dropped(Some(kill)) => {
            kill.fire();
            // The connection task drops this future together with the connection.
            std::future::pending().await
        }
        Answer::Dropped(None) => Reject::unknown("a dropped connection outside the server loop").into_response(),
    }
}

/// The request with its object's label cut to `max` characters (`--truncate-labels`).
async fn truncate_label(request: Request, path: &str, max: usize) -> Request {
    let method = request.method().as_str().to_owned();
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Request::from_parts(parts, axum::body::Body::empty());
    };
    match crate::omit::truncated_label(&method, path, &bytes, max) {
        Some(cut) => {
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            Request::from_parts(parts, axum::body::Body::from(cut))
        }
        None => Request::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// The answer without the fields `--omit-field` leaves out, for answers about objects.
async fn omit_fields(shared: &Shared, path: &str, response: Response) -> Response {
    if shared.omitted.is_empty() || !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Reject::unknown("an answer could not be read to leave fields out").into_response();
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(_) => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    if !crate::omit::strip(path, &mut value, &shared.omitted) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(value.to_string()))
}

async fn api_request(shared: &Shared, mut request: Request, next: Next) -> Answer {
    let in_flight = shared.enter();
    let number = shared.next_api_request();
    let limits = shared.limits;
    let used = limits.daily_used.saturating_add(number);
    let usage = |mut response: Response| {
        if let Ok(value) = HeaderValue::from_str(&format!(
            "api-usage={}/{}",
            used.min(limits.daily_limit),
            limits.daily_limit
        )) {
            response.headers_mut().insert("sforce-limit-info", value);
        }
        response
    };
    // A throttling front end answers at once, before the request reaches the org.
    if limits.max_inflight.is_some_and(|max| in_flight.now > max) {
        return Answer::Sent(usage(Reject::too_many_requests().into_response()));
    }
    request.extensions_mut().insert(RequestNumber(number));
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    if used > limits.daily_limit {
        return Answer::Sent(usage(Reject::daily_limit().into_response()));
    }
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let path = request.uri().path().to_owned();
    let request = match shared.truncate_labels {
        Some(max) => truncate_label(request, &path, max).await,
        None => request,
    };
    let response = match shared.injector.draw() {
        None => omit_fields(shared, &path, next.run(request).await).await,
        Some(Injected::Unavailable) => Reject::unavailable().into_response(),
        Some(Injected::ServerError) => Reject::unknown("injected fault").into_response(),
        Some(Injected::TooManyRequests) => Reject::too_many_requests().into_response(),
        Some(Injected::DropBefore) => return Answer::Dropped(kill),
        Some(Injected::DropAfter) => {
            drop(next.run(request).await);
            return Answer::Dropped(kill);
        }
    };
    Answer::Sent(usage(response))
}
