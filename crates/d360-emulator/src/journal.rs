//! The store's files: `objects.json` (the compacted objects, written atomically) and
//! `journal.jsonl` (one line per change since). Reading tolerates a torn last journal line,
//! a write the emulator died in: it never got an answer, so it is dropped. No rules here.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::records::{Change, Objects};
use super::{EmulatorError, files};

const SNAPSHOT_FORMAT: u32 = 1;

pub(crate) fn read_snapshot(path: &Path) -> Result<Objects, EmulatorError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Objects::default()),
        Err(source) => {
            return Err(EmulatorError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_slice(&text).map_err(|error| EmulatorError::Corrupt {
        path: path.to_path_buf(),
        line: error.line(),
        message: error.to_string(),
    })
}

/// Applies every complete journal line.
pub(crate) fn replay(path: &Path, objects: &mut Objects) -> Result<(), EmulatorError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(EmulatorError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| EmulatorError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 || !line.ends_with(b"\n") {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let change: Change = serde_json::from_slice(&line).map_err(|error| EmulatorError::Corrupt {
            path: path.to_path_buf(),
            line: number,
            message: error.to_string(),
        })?;
        objects.apply(change);
    }
}

pub(crate) fn write_snapshot(path: &Path, objects: &mut Objects) -> Result<(), EmulatorError> {
    objects.format = SNAPSHOT_FORMAT;
    let text = serde_json::to_vec(objects).map_err(|error| EmulatorError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(error),
    })?;
    files::write_atomically(path, &text)
}

/// Opens the journal for appending; `truncate` empties it first (after a compaction).
pub(crate) fn open_journal(path: &Path, truncate: bool) -> Result<File, EmulatorError> {
    let failed = |source| EmulatorError::Write {
        path: path.to_path_buf(),
        source,
    };
    if truncate {
        let file = File::create(path).map_err(failed)?;
        file.sync_all().map_err(failed)?;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(failed)
}
