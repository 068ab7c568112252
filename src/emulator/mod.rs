//! The Data 360 org served locally: a real axum HTTP server speaking the Salesforce OAuth
//! endpoints and the `ssot` Connect REST API, used by `d360 emulator`, the built-in `local`
//! org, the test suite and the benchmarks.
//!
//! Public surface: [`Options`], [`start`], [`Emulator`], [`LocalLogin`], [`Fault`].

mod errors;
mod faults;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use errors::EmulatorError;
pub use faults::{Fault, FaultKind};

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

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    base_url: String,
    login: LocalLogin,
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
    pub async fn shutdown(self) {}
}

/// Starts an emulator in the current tokio runtime.
///
/// # Errors
/// Bad options or configuration, an unusable data directory, or a port in use.
pub async fn start(options: Options) -> Result<Emulator, EmulatorError> {
    let _ = options;
    Err(EmulatorError::Server("not built yet".to_owned()))
}
