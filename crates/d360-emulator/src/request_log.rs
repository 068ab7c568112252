//! `--log-requests FILE`: one JSON line per request with its time, method, path, query, status
//! (`null` when the connection was dropped) and duration in milliseconds.
//!
//! Header and body values are never written. The query string of the login endpoints is left
//! out too, since Salesforce accepts credentials there.

use std::fs::File;
use std::io::{LineWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::EmulatorError;

/// The open log file.
pub(crate) struct RequestLog {
    writer: Mutex<LineWriter<File>>,
}

/// One logged request.
#[derive(Serialize)]
pub(crate) struct Entry<'a> {
    pub time: String,
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub status: Option<u16>,
    pub duration_ms: f64,
}

impl RequestLog {
    /// Opens `path` for appending.
    pub(crate) fn open(path: &Path) -> Result<Self, EmulatorError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| EmulatorError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            writer: Mutex::new(LineWriter::new(file)),
        })
    }

    /// Appends one line; a failing log never fails the request.
    pub(crate) fn write(&self, entry: &Entry<'_>) {
        let Ok(mut line) = serde_json::to_vec(entry) else {
            return;
        };
        line.push(b'\n');
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(error) = writer.write_all(&line) {
            tracing::warn!(%error, "cannot write the request log");
        }
    }

    /// Flushes what is buffered (on shutdown).
    pub(crate) fn flush(&self) {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writer.flush();
    }
}

/// Milliseconds with microsecond precision.
pub(crate) fn milliseconds(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}
