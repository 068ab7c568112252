//! Which manifest set something was made from, as written: the digest of its files
//! (`manifest` computes it) and the git commit they were read at (`promotion` asks git). The
//! same files give the same digest in every org, so one org's converged apply can be compared
//! with another's.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `sha256:<64 hex>` of a manifest set's files as written (see `manifest::digest`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct SetDigest(String);

impl SetDigest {
    /// The digest of `bytes`' SHA-256, written `sha256:<hex>`.
    #[must_use]
    pub(crate) fn from_sha256(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(bytes)))
    }

    /// The first 12 hex digits, for tables and messages.
    #[must_use]
    pub(crate) fn short(&self) -> &str {
        let hex = self.0.strip_prefix("sha256:").unwrap_or(&self.0);
        hex.get(..12).unwrap_or(hex)
    }
}

impl fmt::Display for SetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The git commit the manifests were read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Commit {
    /// The full object name of `HEAD`.
    pub(crate) id: String,
    /// The manifests had changes not committed (`git status --porcelain` listed some): the
    /// digest, not the commit, says what was applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) dirty: bool,
}

impl fmt::Display for Commit {
    /// `abc1234`, or `abc1234+dirty`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id.get(..7).unwrap_or(&self.id))?;
        if self.dirty {
            f.write_str("+dirty")?;
        }
        Ok(())
    }
}

/// A manifest set as written: its digest and, in a git work tree, its commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SetVersion {
    pub(crate) digest: SetDigest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) commit: Option<Commit>,
}

impl fmt::Display for SetVersion {
    /// `3f2a9c01b7de (abc1234)`, or the digest alone outside git.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digest.short())?;
        if let Some(commit) = &self.commit {
            write!(f, " ({commit})")?;
        }
        Ok(())
    }
}
