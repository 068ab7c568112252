//! The Data 360 org served locally: a real axum HTTP server speaking the Salesforce OAuth
//! endpoints and the `ssot` Connect REST API, used by `d360 emulator`, the built-in `local`
//! org, the test suite and the benchmarks.
//!
//! Public surface: [`Options`], [`start`], [`Emulator`], [`LocalLogin`], [`Fault`].
//!
//! Inside, a request flows `server` (accept loop, one hyper connection per socket, able to
//! drop a connection unanswered) -> `api_layer` (request log, and for API requests: numbering,
//! latency, faults, `Sforce-Limit-Info`) -> `router` -> the `*_routes` handlers, which check
//! bodies (`*_body`) and change objects through `store`. The org itself (apps, users, data
//! spaces) comes from `config`; tokens from `auth_routes` and `tokens`.

mod api_layer;
mod auth_routes;
mod browse_routes;
mod catalog;
mod config;
mod connection_body;
mod connection_routes;
mod connector_routes;
mod data_stream_body;
mod data_stream_routes;
mod errors;
mod extract;
mod families;
mod faults;
mod files;
mod ids;
mod journal;
mod jwt;
mod keys;
mod names;
mod omit;
mod paging;
mod query;
mod records;
mod request_log;
mod responses;
mod router;
mod server;
mod shared;
mod store;
mod tenant_routes;
mod tokens;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use errors::EmulatorError;
pub use faults::{Fault, FaultKind};
pub use omit::{OmitField, OmitKind};

/// The daily API request allowance an emulated org has unless told otherwise.
pub const DEFAULT_DAILY_LIMIT: u64 = 15_000;

/// How to run one emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The data directory (`emulator.yaml`, `local.key`, `local.crt`, objects).
    pub data_dir: PathBuf,
    /// Added to every API request.
    pub latency: Duration,
    /// Injected faults (rates per API request).
    pub faults: Vec<Fault>,
    /// All tokens die after every N API requests.
    pub expire_tokens_every: Option<u64>,
    /// Seed for repeatable faults.
    pub seed: Option<u64>,
    /// One JSON line per request appended to this file.
    pub log_requests: Option<PathBuf>,
    /// A created name stays unavailable this long after its delete (`DUPLICATES_DETECTED`).
    pub name_lock: Duration,
    /// Deletes answer 500 once per object, after deleting.
    pub flaky_delete: bool,
    /// The org's connection limit.
    pub max_connections: Option<usize>,
    /// API requests served at once at most; more answer 429 with `Retry-After` at once, as a
    /// front end that throttles does.
    pub max_inflight: Option<usize>,
    /// The org's daily API request allowance (`Sforce-Limit-Info`); past it, API requests
    /// answer 403 `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit exceeded".
    pub daily_limit: u64,
    /// Requests already spent today when the emulator starts.
    pub daily_used: u64,
    /// Fields every answer about objects of a kind leaves out (`--omit-field`).
    pub omit_fields: Vec<OmitField>,
    /// Labels of written objects are kept cut to this many characters (`--truncate-labels`).
    pub truncate_labels: Option<usize>,
    /// List endpoints ignore `offset` (their own `nextPageUrl` carries a page token), as an
    /// org that does not honour it would.
    pub ignore_offset: bool,
    /// The first N requests of a later page of a connection listing each create one
    /// connection first (a copy of the type's first, named `Listed_During_K`).
    pub create_while_listing: u64,
}

impl Options {
    /// Defaults: `127.0.0.1:0`, no latency, no faults.
    #[must_use]
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            expire_tokens_every: None,
            seed: None,
            log_requests: None,
            name_lock: Duration::ZERO,
            flaky_delete: false,
            max_connections: None,
            max_inflight: None,
            daily_limit: DEFAULT_DAILY_LIMIT,
            daily_used: 0,
            omit_fields: Vec::new(),
            truncate_labels: None,
            ignore_offset: false,
            create_while_listing: 0,
        }
    }
}

/// What the built-in `local` org logs in with (JWT bearer flow).
#[derive(Debug, Clone)]
pub struct LocalLogin {
    pub client_id: String,
    pub username: String,
    pub private_key_path: PathBuf,
}

/// A running emulator. Dropping it stops the server (in the background; use
/// [`Emulator::shutdown`] to wait until the objects are flushed).
pub struct Emulator {
    base_url: String,
    login: LocalLogin,
    stop: Option<watch::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The first JWT-enabled app and its run-as user, with the key in the data directory.
    #[must_use]
    pub fn local_login(&self) -> LocalLogin {
        self.login.clone()
    }

    /// Stops accepting, finishes in-flight requests, flushes objects.
    pub async fn shutdown(mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Dropping the sender is the stop signal the server task waits for.
        drop(self.stop.take());
    }
}

/// Starts an emulator in the current tokio runtime.
///
/// # Errors
/// Bad options or configuration, an unusable data directory, or a port in use.
pub async fn start(options: Options) -> Result<Emulator, EmulatorError> {
    if options.expire_tokens_every == Some(0) {
        return Err(EmulatorError::Options(
            "`--expire-tokens-every` must be at least 1".to_owned(),
        ));
    }
    let injector = faults::Injector::new(&options.faults, options.seed).map_err(EmulatorError::Options)?;
    let dir = options.data_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|source| EmulatorError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let lock = server::lock_data_dir(&dir)?;
    keys::ensure_key_pair(&dir)?;
    let org = config::load_or_init(&dir)?;
    let quirks = store::Quirks {
        name_lock: options.name_lock,
        flaky_delete: options.flaky_delete,
        max_connections: options.max_connections,
    };
    let store = store::Store::open(&dir, quirks)?;
    let request_log = options
        .log_requests
        .as_deref()
        .map(request_log::RequestLog::open)
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: options.addr,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| EmulatorError::Bind {
        addr: options.addr,
        source,
    })?;
    let base_url = server::base_url(local);
    let login = local_login(&org, &dir);
    let mut shared = shared::Shared::new(
        base_url.clone(),
        org,
        store,
        tokens::Tokens::new(options.expire_tokens_every),
        injector,
        options.latency,
        request_log,
        shared::Limits {
            max_inflight: options.max_inflight,
            daily_limit: options.daily_limit,
            daily_used: options.daily_used,
        },
        paging::ListingQuirks::new(options.ignore_offset, options.create_while_listing),
    );
    shared.omitted.clone_from(&options.omit_fields);
    shared.truncate_labels = options.truncate_labels;
    let (stop, stopped) = watch::channel(());
    let task = tokio::spawn(server::serve(listener, Arc::new(shared), stopped, lock));
    tracing::info!(url = %base_url, "emulator listening");
    Ok(Emulator {
        base_url,
        login,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The first app with the JWT flow (else the first app) and its run-as user (else the first
/// user), with the key the emulator wrote.
fn local_login(org: &config::Org, dir: &Path) -> LocalLogin {
    let app = org
        .apps
        .iter()
        .find(|app| app.has_flow(config::Flow::Jwt))
        .or_else(|| org.apps.first());
    let user = app.and_then(|app| app.run_as).unwrap_or(0);
    LocalLogin {
        client_id: app.map(|app| app.client_id.clone()).unwrap_or_default(),
        username: org
            .users
            .get(user)
            .map(|user| user.username.clone())
            .unwrap_or_default(),
        private_key_path: dir.join(keys::KEY_FILE),
    }
}
