//! Saved plans (`plan --out FILE`, `apply FILE`): the JSON form of a [`Plan`], sealed with
//! a digest of its content and, with `D360_PLAN_KEY`, a signature (`seal`). References and
//! fingerprints only, never a secret value.

use std::path::Path;

use secrecy::SecretString;

use super::seal::{self, SealingWriter};
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
const TAIL: usize = 512;

/// Reads a saved plan and checks its seal: the digest always; the signature when `key` is
/// given (then an unsigned file is refused too). The file is read whole and parsed from
/// memory (several times faster than parsing from a reader); its text is let go before the
/// apply holds anything else.
pub(crate) fn load(path: &Path, key: Option<&SecretString>) -> Result<(Plan, Sealed), PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let invalid = |error: serde_json::Error| PlanFileError::Invalid {
        path: shown.clone(),
        detail: error.to_string(),
    };
    let refused = |detail: &str| PlanFileError::Invalid {
        path: shown.clone(),
        detail: detail.to_owned(),
    };
    let parsed: Result<Plan, _> = serde_json::from_slice(&text);
    // Another format is refused as such before anything else is said about the file.
    let version = if let Ok(plan) = &parsed {
        u64::from(plan.format_version)
    } else {
        let header: Header = serde_json::from_slice(&text).map_err(invalid)?;
        match header.format_version.as_ref().map(serde_json::Value::as_u64) {
            Some(Some(version)) => version,
            Some(None) => return Err(refused("`formatVersion` is not a number")),
            None => return Err(refused("no `formatVersion`")),
        }
    };
    if version != u64::from(FORMAT_VERSION) {
        return Err(PlanFileError::Version {
            path: shown,
            found: version,
        });
    }
    let tail = &text[text.len().saturating_sub(TAIL)..];
    let Some(trailer) = seal::find_trailer(tail, text.len() as u64) else {
        return Err(PlanFileError::NoDigest { path: shown });
    };
    let content = usize::try_from(trailer.content_len).map_or(&text[..], |len| &text[..len.min(text.len())]);
    let mut sealing = seal::Sealer::new(key);
    sealing.update(content);
    let (digest, signature) = sealing.finish();
    drop(text);
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
    let mut plan = parsed.map_err(invalid)?;
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
