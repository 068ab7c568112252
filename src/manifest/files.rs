//! Finding manifest files: directories recursively, `*.yaml` / `*.yml`, in sorted order.

use std::path::{Path, PathBuf};

/// A path given on the command line could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FilesError {
    #[error("`{0}` does not exist")]
    Missing(String),
    #[error("cannot read `{path}`")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn is_manifest(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FilesError> {
    let unreadable = |source| FilesError::Unreadable {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, out)?;
        } else if is_manifest(&entry) {
            out.push(entry);
        }
    }
    Ok(())
}

/// Every manifest file under `paths` (a file given by name is taken whatever its extension).
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FilesError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(FilesError::Missing(path.display().to_string()));
        }
    }
    files.dedup();
    Ok(files)
}
