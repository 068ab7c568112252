//! Loading manifests for any command: default paths and printing diagnostics.

use std::path::PathBuf;

use super::CliError;
use crate::manifest::{self, Loaded};
use crate::output;

/// The paths to read: those given, else `manifests/` when it exists, else the current folder.
#[must_use]
pub(crate) fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    let manifests = PathBuf::from("manifests");
    if manifests.is_dir() {
        vec![manifests]
    } else {
        vec![PathBuf::from(".")]
    }
}

/// Loads manifests and prints every diagnostic to stderr. Fails when any is an error.
pub(crate) fn load(paths: &[PathBuf]) -> Result<Loaded, CliError> {
    let loaded = load_quiet(paths)?;
    print_diagnostics(&loaded);
    if loaded.diagnostics.has_errors() {
        return Err(CliError::Reported(failure_summary(&loaded)));
    }
    Ok(loaded)
}

/// Loads manifests without printing anything.
pub(crate) fn load_quiet(paths: &[PathBuf]) -> Result<Loaded, CliError> {
    Ok(manifest::load(&default_paths(paths))?)
}

/// Prints diagnostics (errors and warnings) to stderr.
pub(crate) fn print_diagnostics(loaded: &Loaded) {
    if !loaded.diagnostics.items.is_empty() {
        output::message(loaded.diagnostics.render(output::stderr_color()).trim_end());
    }
}

/// `error: 3 problems in manifests (…)`.
#[must_use]
pub(crate) fn failure_summary(loaded: &Loaded) -> String {
    let errors = loaded.diagnostics.error_count();
    let warnings = loaded.diagnostics.warning_count();
    format!(
        "error: {errors} error{} and {warnings} warning{} in {} file{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        loaded.files,
        if loaded.files == 1 { "" } else { "s" },
    )
}
