//! The accept loop: one hyper HTTP/1 connection per socket, each able to be dropped without
//! an answer (the `drop` faults), and a clean stop that lets in-flight requests finish, then
//! folds the journal into the snapshot and flushes the request log.
//!
//! axum's own `serve` cannot close one connection from inside a handler, hence this loop.
//! Nothing here knows routes or Salesforce; that is `router` and `api_layer`.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::EmulatorError;
use super::api_layer::ConnectionKill;
use super::shared::Shared;

/// File name of the lock that keeps two emulators off one data directory.
const LOCK_FILE: &str = "emulator.lock";
/// How long a stop waits for in-flight requests before cutting them off.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Takes the data directory's lock for as long as the returned file lives.
pub(crate) fn lock_data_dir(dir: &Path) -> Result<File, EmulatorError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| EmulatorError::Write {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(EmulatorError::InUse {
            path: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(EmulatorError::Write { path, source }),
    }
}

/// `http://IP:PORT` of a bound address; a wildcard address reads as loopback.
pub(crate) fn base_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

/// Serves until `stop` fires (or its sender is dropped), then drains and flushes.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<()>, lock: File) {
    let router = super::router::build(Arc::clone(&shared));
    let (closing, closing_watch) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone(), closing_watch.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "emulator cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = stop.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
    if let Err(error) = shared.store.compact() {
        tracing::warn!(error = ?error, "emulator cannot compact its objects");
    }
    if let Some(log) = &shared.request_log {
        log.flush();
    }
    drop(lock);
    tracing::info!("emulator stopped");
}

/// One connection: serves its requests until it ends, is killed, or the server stops.
async fn serve_connection(stream: TcpStream, router: Router, mut closing: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill::new();
    let switch = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(switch.clone());
        router.clone().oneshot(request)
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            // Returning drops the connection: the socket closes with no answer sent.
            () = kill.fired() => return,
            _ = closing.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
