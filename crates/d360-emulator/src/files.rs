//! Writing the emulator's files (configuration, keys, the objects snapshot) atomically, with
//! failures in the emulator's own error type. Imports no other module of the emulator but its
//! errors.

use std::path::Path;

use super::EmulatorError;

/// Writes `path` atomically: a temporary file beside it, fsync, rename, fsync the directory.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), EmulatorError> {
    d360_wire::files::write_atomic(path, contents, false).map_err(|source| EmulatorError::Write {
        path: path.to_path_buf(),
        source,
    })
}
