//! `fromAwsSecret`: the reference, the store of secret strings fetched for this run, and
//! reading one JSON key out of them.
//!
//! No HTTP here: a command fetches every secret its resources name (once per id, through
//! `crate::aws::secrets`) and [`install`]s the strings before planning or applying; then
//! [`resolve`] answers from memory like `fromEnv` answers from the environment. A secret that
//! could not be fetched is stored as its reason, so each resource that needs it reports it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{PoisonError, RwLock};

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// `fromAwsSecret` as written in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AwsSecretSource {
    /// The secret's name or ARN (`rds/${item.identifier}`).
    pub(crate) id: String,
    /// A key of the secret's JSON object (`username`, `password`); without it, the whole
    /// secret string is the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<String>,
    /// The secret's region; default: the set's `fromAwsRds.region`, else `AWS_REGION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
}

/// A resolved `fromAwsSecret` reference (interpolated, region settled where known).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AwsSecretRef {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
}

impl AwsSecretRef {
    /// The secret this reference reads (several keys of one secret share it).
    #[must_use]
    pub(crate) fn secret(&self) -> SecretId {
        SecretId {
            region: self.region.clone(),
            id: self.id.clone(),
        }
    }
}

impl fmt::Display for AwsSecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(key) = &self.key {
            write!(f, " key {key}")?;
        }
        if let Some(region) = &self.region {
            write!(f, " ({region})")?;
        }
        Ok(())
    }
}

/// One secret: its region (`None`: the credential chain's) and its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SecretId {
    pub(crate) region: Option<String>,
    pub(crate) id: String,
}

/// A `fromAwsSecret` reference could not be resolved. Names the secret, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AwsSecretError {
    #[error("AWS secret `{id}` was not fetched for this run (`fromAwsSecret` is read for manifests only)")]
    NotFetched { id: String },
    #[error("AWS secret `{id}`: {reason}")]
    Unavailable { id: String, reason: String },
    #[error("AWS secret `{id}` has no key `{key}`")]
    NoKey { id: String, key: String },
    #[error(
        "AWS secret `{id}` is not a JSON object, so it has no key `{key}`; leave `key` out to use the whole secret"
    )]
    NotAnObject { id: String, key: String },
    #[error("AWS secret `{id}` is empty")]
    Empty { id: String },
}

impl AwsSecretError {
    /// The problem without the secret's id, so many secrets with the same one can be
    /// counted on one line: `not found (ResourceNotFoundException: …)`, ``has no key `password` ``.
    #[must_use]
    pub(crate) fn problem(&self) -> String {
        match self {
            AwsSecretError::NotFetched { .. } => "was not fetched".to_owned(),
            AwsSecretError::Unavailable { reason, .. } => format!("cannot be read: {reason}"),
            AwsSecretError::NoKey { key, .. } => format!("has no key `{key}`"),
            AwsSecretError::NotAnObject { key, .. } => {
                format!("is not a JSON object, so it has no key `{key}`")
            }
            AwsSecretError::Empty { .. } => "is empty".to_owned(),
        }
    }
}

/// What a run fetched: each secret's string, or why it could not be read.
pub(crate) type Fetched = BTreeMap<SecretId, Result<SecretString, String>>;

static STORE: RwLock<Option<Fetched>> = RwLock::new(None);

/// Makes `fetched` the secrets of this run, replacing those of an earlier run (`watch`).
pub(crate) fn install(fetched: Fetched) {
    *STORE.write().unwrap_or_else(PoisonError::into_inner) = Some(fetched);
}

/// The value `reference` names, from the secrets fetched for this run.
pub(crate) fn resolve(reference: &AwsSecretRef) -> Result<SecretString, AwsSecretError> {
    let store = STORE.read().unwrap_or_else(PoisonError::into_inner);
    let id = || reference.id.clone();
    let whole = match store.as_ref().and_then(|fetched| fetched.get(&reference.secret())) {
        None => return Err(AwsSecretError::NotFetched { id: id() }),
        Some(Err(reason)) => {
            return Err(AwsSecretError::Unavailable {
                id: id(),
                reason: reason.clone(),
            });
        }
        Some(Ok(whole)) => whole,
    };
    let value = match &reference.key {
        None => SecretString::from(whole.expose_secret().to_owned()),
        Some(key) => key_of(whole, key).map_err(|missing| match missing {
            KeyProblem::NotAnObject => AwsSecretError::NotAnObject {
                id: id(),
                key: key.clone(),
            },
            KeyProblem::NoKey => AwsSecretError::NoKey {
                id: id(),
                key: key.clone(),
            },
        })?,
    };
    if value.expose_secret().is_empty() {
        return Err(AwsSecretError::Empty { id: id() });
    }
    Ok(value)
}

enum KeyProblem {
    NotAnObject,
    NoKey,
}

/// One key of a JSON object secret; strings as they are, numbers and booleans as text.
fn key_of(whole: &SecretString, key: &str) -> Result<SecretString, KeyProblem> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(whole.expose_secret()).map_err(|_| KeyProblem::NotAnObject)?;
    match object.get(key) {
        Some(serde_json::Value::String(text)) => Ok(SecretString::from(text.clone())),
        Some(serde_json::Value::Number(number)) => Ok(SecretString::from(number.to_string())),
        Some(serde_json::Value::Bool(flag)) => Ok(SecretString::from(flag.to_string())),
        _ => Err(KeyProblem::NoKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(id: &str, key: Option<&str>) -> AwsSecretRef {
        AwsSecretRef {
            id: id.to_owned(),
            key: key.map(str::to_owned),
            region: Some("eu-west-1".to_owned()),
        }
    }

    #[test]
    fn keys_whole_strings_and_problems_name_the_secret_never_the_value() {
        let secret = |text: &str| Ok(SecretString::from(text.to_owned()));
        let mut fetched = Fetched::new();
        let region = Some("eu-west-1".to_owned());
        let at = |id: &str| SecretId {
            region: region.clone(),
            id: id.to_owned(),
        };
        fetched.insert(
            at("rds/a"),
            secret(r#"{"username":"admin","password":"s3cr3t-a","port":3306}"#),
        );
        fetched.insert(at("plain"), secret("s3cr3t-plain"));
        fetched.insert(at("gone"), Err("not found (ResourceNotFoundException)".to_owned()));
        install(fetched);
        let value = |id: &str, key: Option<&str>| resolve(&reference(id, key)).map(|v| v.expose_secret().to_owned());
        assert_eq!(value("rds/a", Some("password")).as_deref(), Ok("s3cr3t-a"));
        assert_eq!(value("rds/a", Some("port")).as_deref(), Ok("3306"));
        assert_eq!(value("plain", None).as_deref(), Ok("s3cr3t-plain"));
        for (id, key, expected) in [
            ("rds/a", Some("user"), "AWS secret `rds/a` has no key `user`"),
            ("plain", Some("password"), "AWS secret `plain` is not a JSON object"),
            ("gone", None, "AWS secret `gone`: not found (ResourceNotFoundException)"),
            ("never", None, "AWS secret `never` was not fetched for this run"),
        ] {
            let error = value(id, key).expect_err("a problem").to_string();
            assert!(error.starts_with(expected), "{error}");
            assert!(!error.contains("s3cr3t"), "{error}");
        }
    }
}
