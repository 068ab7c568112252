//! References to secret values and their resolution.
//!
//! Manifests and `d360.yaml` never hold a secret value, only where to find one: an
//! environment variable or a file. A value, once read, lives in a [`SecretString`] and is
//! never printed, logged or serialised. Plans and state hold the reference (and, in state, a
//! keyed fingerprint), never the value.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Where a secret value comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SecretRef {
    /// An environment variable's name.
    FromEnv(String),
    /// A file's path (trailing newlines are trimmed).
    FromFile(PathBuf),
}

/// A secret reference could not be resolved. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SecretError {
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    #[error("environment variable `{0}` is empty")]
    EnvEmpty(String),
    #[error("cannot read secret file `{path}`: {reason}")]
    FileUnreadable { path: String, reason: String },
    #[error("secret file `{0}` is empty")]
    FileEmpty(String),
}

impl SecretRef {
    /// Reads the value now.
    pub(crate) fn resolve(&self) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::FromEnv(name) => match std::env::var(name) {
                Ok(value) if value.is_empty() => Err(SecretError::EnvEmpty(name.clone())),
                Ok(value) => Ok(SecretString::from(value)),
                Err(_) => Err(SecretError::EnvUnset(name.clone())),
            },
            SecretRef::FromFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| SecretError::FileUnreadable {
                    path: path.display().to_string(),
                    reason: error.kind().to_string(),
                })?;
                let trimmed = text.trim_end_matches(['\n', '\r']);
                if trimmed.is_empty() {
                    return Err(SecretError::FileEmpty(path.display().to_string()));
                }
                Ok(SecretString::from(trimmed.to_owned()))
            }
        }
    }

    /// Makes a relative file path relative to `base` (the manifest's or config's folder).
    #[must_use]
    pub(crate) fn relative_to(self, base: &Path) -> Self {
        match self {
            SecretRef::FromFile(path) if path.is_relative() => SecretRef::FromFile(base.join(path)),
            other => other,
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::FromEnv(name) => write!(f, "fromEnv: {name}"),
            SecretRef::FromFile(path) => write!(f, "fromFile: {}", path.display()),
        }
    }
}

/// A keyed fingerprint (HMAC-SHA256, hex) of a secret value, so state can tell whether a
/// value changed without ever holding it. `context` binds the fingerprint to one credential.
#[must_use]
pub(crate) fn fingerprint(key: &[u8], context: &str, value: &SecretString) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let mut signing = aws_lc_rs::hmac::Context::with_key(&key);
    signing.update(context.as_bytes());
    signing.update(&[0]);
    signing.update(value.expose_secret().as_bytes());
    hex::encode(signing.sign().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_key_context_and_value() {
        let value = SecretString::from("hunter2".to_owned());
        let a = fingerprint(b"key-a", "Connection/X/password", &value);
        assert_eq!(a, fingerprint(b"key-a", "Connection/X/password", &value));
        assert_ne!(a, fingerprint(b"key-b", "Connection/X/password", &value));
        assert_ne!(a, fingerprint(b"key-a", "Connection/Y/password", &value));
        let other = SecretString::from("hunter3".to_owned());
        assert_ne!(a, fingerprint(b"key-a", "Connection/X/password", &other));
        assert!(!a.contains("hunter2"));
    }

    #[test]
    fn unset_variable_names_the_variable_only() {
        let missing = SecretRef::FromEnv("D360_TEST_SURELY_UNSET_VARIABLE".into());
        let error = missing
            .resolve()
            .map(|_| ())
            .expect_err("an unset variable is an error");
        assert_eq!(
            error.to_string(),
            "environment variable `D360_TEST_SURELY_UNSET_VARIABLE` is not set"
        );
    }
}
