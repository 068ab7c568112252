//! Saved plans (`plan --out FILE`, `apply FILE`): the JSON form of a [`Plan`], sealed with
//! a digest of its content and, with `D360_PLAN_KEY`, a signature (`seal`). References and
//! fingerprints only, never a secret value.

use std::io::{Read, Seek};
use std::path::Path;

use secrecy::SecretString;

use super::seal::{self, SealingReader, SealingWriter};
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
    #[error(
        "plan file `{path}` has no digest at its end: it was written by a d360 from before digests, or edited; make the plan again with `d360 plan --out`"
    )]
    NoDigest { path: String },
    #[error(
        "plan file `{path}` does not match its own digest: its content was changed after `d360 plan --out` wrote it; make the plan again"
    )]
    Digest { path: String },
    #[error(
        "plan file `{path}` is not signed, and {} is set: only a plan made with the same key is applied; make the plan again with the key set",
        seal::KEY_VARIABLE
    )]
    Unsigned { path: String },
    #[error(
        "plan file `{path}` has a signature that does not match: it was changed after it was signed, or signed with another {}",
        seal::KEY_VARIABLE
    )]
    Signature { path: String },
    #[error(transparent)]
    Key(#[from] seal::ShortKey),
}

/// What reading a saved plan found out about its seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// The digest matches; no signature, and no key to ask for one.
    Digest,
    /// The digest matches and the signature was checked with the key.
    Signed,
    /// The digest matches; the file is signed, but no key was given to check it.
    SignatureNotChecked,
}

/// Writes the plan atomically, streamed as it is serialised (a plan of 20,000 actions is
/// tens of megabytes of JSON, never held whole in memory), sealed with its digest, and
/// signed when `key` is given.
pub(crate) fn save(plan: &Plan, path: &Path, key: Option<&SecretString>) -> Result<(), PlanFileError> {
    d360_wire::files::write_atomic_with(path, false, |out| {
        let mut sealing = SealingWriter::new(out, key);
        serde_json::to_writer_pretty(&mut sealing, plan).map_err(std::io::Error::other)?;
        sealing.close()
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

/// How many bytes at the end of a file can hold the trailer.
const TAIL: u64 = 512;

/// Reads a saved plan, streamed from the file (never the whole text and the plan at once),
/// and checks its seal: the digest always; the signature when `key` is given (then an
/// unsigned file is refused too).
pub(crate) fn load(path: &Path, key: Option<&SecretString>) -> Result<(Plan, Sealed), PlanFileError> {
    let shown = path.display().to_string();
    let read_error = |source: std::io::Error| PlanFileError::Read {
        path: shown.clone(),
        source,
    };
    let open = || std::fs::File::open(path).map_err(read_error);
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
    let trailer = {
        let mut file = open()?;
        let len = file.metadata().map_err(read_error)?.len();
        let start = len.saturating_sub(TAIL);
        file.seek(std::io::SeekFrom::Start(start)).map_err(read_error)?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(read_error)?;
        seal::find_trailer(&tail, len)
    };
    // The first pass reads the format version and seals the content on the way.
    let mut sealing = SealingReader::new(open()?, trailer.as_ref().map_or(0, |t| t.content_len), key);
    let header: Header = serde_json::from_reader(std::io::BufReader::new(&mut sealing)).map_err(invalid)?;
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
    let Some(trailer) = trailer else {
        return Err(PlanFileError::NoDigest { path: shown });
    };
    let (digest, signature) = sealing.finish();
    if digest != trailer.digest {
        return Err(PlanFileError::Digest { path: shown });
    }
    let sealed = match (signature, &trailer.signature) {
        (Some(expected), Some(found)) if seal::same_signature(&expected, found) => Sealed::Signed,
        (Some(_), Some(_)) => return Err(PlanFileError::Signature { path: shown }),
        (Some(_), None) => return Err(PlanFileError::Unsigned { path: shown }),
        (None, Some(_)) => Sealed::SignatureNotChecked,
        (None, None) => Sealed::Digest,
    };
    let mut plan: Plan = serde_json::from_reader(std::io::BufReader::new(open()?)).map_err(invalid)?;
    // Lists read from JSON grow by doubling; a plan of 20,000 actions keeps them all.
    plan.actions.shrink_to_fit();
    for action in &mut plan.actions {
        action.changes.shrink_to_fit();
        action.reasons.shrink_to_fit();
    }
    Ok((plan, sealed))
}

/// Whether a path looks like a saved plan (a JSON file) rather than manifests.
#[must_use]
pub(crate) fn is_plan_file(path: &Path) -> bool {
    path.is_file() && path.extension().and_then(|e| e.to_str()) == Some("json")
}
