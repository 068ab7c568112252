//! Saved plans (`plan --out FILE`, `apply FILE`): the JSON form of a [`Plan`]. References and
//! fingerprints only, never a secret value.

use std::path::Path;

use super::{FORMAT_VERSION, Plan};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanFileError {
    #[error("cannot read plan file `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write plan file `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a d360 plan file: {detail}")]
    Invalid { path: String, detail: String },
    #[error("plan file `{path}` has format {found}; this d360 reads format {FORMAT_VERSION}")]
    Version { path: String, found: u64 },
}

/// Writes the plan atomically.
pub(crate) fn save(plan: &Plan, path: &Path) -> Result<(), PlanFileError> {
    let mut text = serde_json::to_string_pretty(plan).map_err(|e| PlanFileError::Write {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    crate::state::write_atomic(path, text.as_bytes(), false).map_err(|source| PlanFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a saved plan.
pub(crate) fn load(path: &Path) -> Result<Plan, PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| PlanFileError::Invalid {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let found = value.get("formatVersion").and_then(serde_json::Value::as_u64);
    match found {
        Some(version) if version == u64::from(FORMAT_VERSION) => {}
        Some(version) => {
            return Err(PlanFileError::Version {
                path: shown,
                found: version,
            });
        }
        None => {
            return Err(PlanFileError::Invalid {
                path: shown,
                detail: "no `formatVersion`".into(),
            });
        }
    }
    serde_json::from_value(value).map_err(|e| PlanFileError::Invalid {
        path: shown,
        detail: e.to_string(),
    })
}

/// Whether a path looks like a saved plan (a JSON file) rather than manifests.
#[must_use]
pub(crate) fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().and_then(|e| e.to_str()) == Some("json")
}
