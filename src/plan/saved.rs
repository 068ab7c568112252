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

/// Writes the plan atomically, streamed as it is serialised (a plan of 20,000 actions is
/// tens of megabytes of JSON, never held whole in memory).
pub(crate) fn save(plan: &Plan, path: &Path) -> Result<(), PlanFileError> {
    d360_wire::files::write_atomic_with(path, false, |out| {
        serde_json::to_writer_pretty(&mut *out, plan).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    })
    .map_err(|source| PlanFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// The one field read before the whole plan, to refuse another format clearly.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    format_version: Option<serde_json::Value>,
}

/// Reads a saved plan, streamed from the file (never the whole text and the plan at once).
pub(crate) fn load(path: &Path) -> Result<Plan, PlanFileError> {
    let shown = path.display().to_string();
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|source| PlanFileError::Read {
                path: shown.clone(),
                source,
            })
    };
    let invalid = |error: serde_json::Error| {
        if error.is_io() {
            PlanFileError::Read {
                path: shown.clone(),
                source: error.into(),
            }
        } else {
            PlanFileError::Invalid {
                path: shown.clone(),
                detail: error.to_string(),
            }
        }
    };
    let header: Header = serde_json::from_reader(open()?).map_err(invalid)?;
    let refused = |detail: &str| PlanFileError::Invalid {
        path: shown.clone(),
        detail: detail.to_owned(),
    };
    match header.format_version.as_ref().map(serde_json::Value::as_u64) {
        Some(Some(version)) if version == u64::from(FORMAT_VERSION) => {}
        Some(Some(version)) => {
            return Err(PlanFileError::Version {
                path: shown,
                found: version,
            });
        }
        Some(None) => return Err(refused("`formatVersion` is not a number")),
        None => return Err(refused("no `formatVersion`")),
    }
    let mut plan: Plan = serde_json::from_reader(open()?).map_err(invalid)?;
    // Lists read from JSON grow by doubling; a plan of 20,000 actions keeps them all.
    plan.actions.shrink_to_fit();
    for action in &mut plan.actions {
        action.changes.shrink_to_fit();
        action.reasons.shrink_to_fit();
    }
    Ok(plan)
}

/// Whether a path looks like a saved plan (a JSON file) rather than manifests.
#[must_use]
pub(crate) fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().and_then(|e| e.to_str()) == Some("json")
}
