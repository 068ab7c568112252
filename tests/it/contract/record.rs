//! A recording proxy on 127.0.0.1 between the callers (the real `d360` binary and the suite's
//! own reqwest calls) and the emulator process: every request and answer is kept for the
//! checks. Answers have the emulator's base URL rewritten to the proxy's, so the `instance_url`
//! of token answers keeps d360 talking through the proxy.
//!
//! Bodies are kept only under `/services/data/` (the Connect REST API): the OAuth endpoints
//! carry secrets and tokens, and for them only the method, path and status are kept. The header
//! `x-contract-example: 1` marks a request the suite shaped like one of the spec's examples; it
//! is stripped before forwarding.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// The header that marks an example-shaped request.
pub(crate) const EXAMPLE_HEADER: &str = "x-contract-example";

/// One request and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    /// `None`: no body; `Some(Err(text))`: a body that is not JSON.
    pub(crate) request: Option<Result<Value, String>>,
    pub(crate) status: u16,
    pub(crate) response: Option<Result<Value, String>>,
    pub(crate) example_shaped: bool,
}

struct Proxy {
    upstream: String,
    own: Mutex<String>,
    client: reqwest::Client,
    log: Mutex<Vec<Exchange>>,
}

/// A running proxy; dropping the runtime stops it.
pub(crate) struct Recorder {
    pub(crate) url: String,
    proxy: Arc<Proxy>,
    runtime: tokio::runtime::Runtime,
}

fn body_of(bytes: &Bytes) -> Option<Result<Value, String>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(serde_json::from_slice(bytes).map_err(|_| String::from_utf8_lossy(bytes).into_owned()))
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Body::from("unreadable body"))
            .expect("a response");
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let example_shaped = parts.headers.contains_key(EXAMPLE_HEADER);
    let mut outgoing = proxy
        .client
        .request(parts.method.clone(), format!("{}{path_and_query}", proxy.upstream))
        .body(bytes.clone());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" && name.as_str() != EXAMPLE_HEADER {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(format!("proxy: {error}")))
                .expect("a response");
        }
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let answer_bytes = answer.bytes().await.unwrap_or_default();
    let own = proxy.own.lock().expect("proxy url").clone();
    let rewritten = String::from_utf8_lossy(&answer_bytes).replace(&proxy.upstream, &own);
    let rewritten = if std::str::from_utf8(&answer_bytes).is_ok() {
        Bytes::from(rewritten)
    } else {
        answer_bytes.clone()
    };
    let api = parts.uri.path().starts_with("/services/data/");
    proxy.log.lock().expect("log").push(Exchange {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: if api {
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect()
        } else {
            Vec::new()
        },
        request: if api { body_of(&bytes) } else { None },
        status: status.as_u16(),
        response: if api { body_of(&answer_bytes) } else { None },
        example_shaped,
    });
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != HeaderName::from_static("connection") {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(rewritten)).expect("a response")
}

impl Recorder {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) on its own runtime.
    pub(crate) fn start(upstream: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let proxy = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_owned(),
            own: Mutex::new(String::new()),
            client: reqwest::Client::new(),
            log: Mutex::new(Vec::new()),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        proxy.own.lock().expect("proxy url").clone_from(&url);
        let app = Router::new().fallback(forward).with_state(Arc::clone(&proxy));
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, proxy, runtime }
    }

    /// Everything recorded so far.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.proxy.log.lock().expect("log").clone()
    }

    /// Runs a future on the proxy's runtime (the suite's direct calls).
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}
