//! [`EmulatorError`]: why the emulator could not start, keep its data, or stop.
//!
//! Mistakes a *client* makes are not errors of the emulator: they are HTTP answers, built in
//! `responses`. This type is only for the operator of the emulator (a bad `emulator.yaml`, a
//! port in use, an unreadable data directory).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Errors starting, running or stopping the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot create the data directory `{path}`")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid emulator configuration `{path}`: {message}")]
    Config { path: PathBuf, message: String },
    #[error("cannot use the certificate `{path}`: {message}")]
    Certificate { path: PathBuf, message: String },
    #[error("cannot generate the emulator's key pair: {0}")]
    KeyGeneration(String),
    #[error("the data directory `{path}` is in use by another emulator")]
    InUse { path: PathBuf },
    #[error("the object store `{path}` is damaged at line {line}: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot listen on `{addr}`")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid emulator option: {0}")]
    Options(String),
    #[error("the emulator's server task failed: {0}")]
    Server(String),
}
