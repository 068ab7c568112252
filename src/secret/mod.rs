//! References to secret values and their resolution.
//!
//! Manifests and `d360.yaml` never hold a secret value, only where to find one: an
//! environment variable or a file, written `{ fromEnv: NAME }` / `{ fromFile: path }`
//! ([`SecretSource`], shared by both file formats), or, in manifests only, an AWS Secrets
//! Manager secret, `{ fromAwsSecret: { id, key } }`, whose values a command fetches once per
//! run into the [`aws`] store before anything resolves them. A value, once read, lives in a [`SecretString`] and is
//! never printed, logged or serialised. Plans and state hold the reference (and, in state, a
//! keyed fingerprint), never the value.

pub(crate) mod aws;

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a secret value comes from.
#[expect(
    clippy::enum_variant_names,
    reason = "the variants are the manifest's words: fromEnv, fromFile, fromAwsSecret"
)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SecretRef {
    /// An environment variable's name.
    FromEnv(String),
    /// A file's path (trailing newlines are trimmed).
    FromFile(PathBuf),
    /// An AWS Secrets Manager secret: one JSON key of it, or the whole string.
    FromAwsSecret(aws::AwsSecretRef),
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
    #[error(transparent)]
    Aws(#[from] aws::AwsSecretError),
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
                    reason: d360_wire::files::plain(&error),
                })?;
                let trimmed = text.trim_end_matches(['\n', '\r']);
                if trimmed.is_empty() {
                    return Err(SecretError::FileEmpty(path.display().to_string()));
                }
                Ok(SecretString::from(trimmed.to_owned()))
            }
            SecretRef::FromAwsSecret(reference) => Ok(aws::resolve(reference)?),
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
            SecretRef::FromAwsSecret(reference) => write!(f, "fromAwsSecret: {reference}"),
        }
    }
}

/// Where a secret comes from, as written in a file: `{ fromEnv: NAME }`,
/// `{ fromFile: path }` or `{ fromAwsSecret: { id, key, region } }`. A literal value is
/// refused, and the refusal never repeats the value.
#[expect(
    clippy::enum_variant_names,
    reason = "the variants are the manifest's words: fromEnv, fromFile, fromAwsSecret"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretSource {
    FromEnv(String),
    FromFile(String),
    FromAwsSecret(aws::AwsSecretSource),
    /// A reference held by the org's profile (`values:` in d360.yaml), by name: the same
    /// manifest takes each org's own credential. Manifests only.
    FromOrg(String),
}

impl SecretSource {
    /// The newtype name `SecretSource` deserialises through, so a deserializer that knows it
    /// (the manifest's) can refuse a literal value before reading it; any other deserializer
    /// just sees the inner value.
    pub(crate) const SERDE_NAME: &'static str = "$d360::SecretSource";
}

/// What serde-based readers (`d360.yaml`) report for a literal value. A message for people
/// only: nothing matches on it (the manifest refuses literals by type, via `SERDE_NAME`).
const LITERAL_REFUSAL: &str = "a literal secret value is not allowed here: write { fromEnv: VARIABLE } or { fromFile: path }; d360.yaml never holds secrets";

impl Serialize for SecretSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            SecretSource::FromEnv(name) => map.serialize_entry("fromEnv", name)?,
            SecretSource::FromFile(path) => map.serialize_entry("fromFile", path)?,
            SecretSource::FromAwsSecret(source) => map.serialize_entry("fromAwsSecret", source)?,
            SecretSource::FromOrg(name) => map.serialize_entry("fromOrg", name)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NewtypeVisitor;
        impl<'de> Visitor<'de> for NewtypeVisitor {
            type Value = SecretSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`{ fromEnv: NAME }`, `{ fromFile: path }` or `{ fromAwsSecret: { id, key } }`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<SecretSource, D::Error> {
                deserializer.deserialize_any(SecretVisitor)
            }
        }
        struct SecretVisitor;
        impl SecretVisitor {
            fn literal<E: de::Error>() -> E {
                E::custom(LITERAL_REFUSAL)
            }
        }
        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = SecretSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`{ fromEnv: NAME }`, `{ fromFile: path }` or `{ fromAwsSecret: { id, key } }`")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretSource, E> {
                Err(Self::literal())
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<SecretSource, A::Error> {
                Err(Self::literal())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretSource, A::Error> {
                let mut found: Option<SecretSource> = None;
                while let Some(key) = map.next_key::<String>()? {
                    let source = match key.as_str() {
                        "fromEnv" => SecretSource::FromEnv(map.next_value()?),
                        "fromFile" => SecretSource::FromFile(map.next_value()?),
                        "fromAwsSecret" => SecretSource::FromAwsSecret(map.next_value()?),
                        "fromOrg" => SecretSource::FromOrg(map.next_value()?),
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["fromEnv", "fromFile", "fromAwsSecret", "fromOrg"],
                            ));
                        }
                    };
                    if found.is_some() {
                        return Err(de::Error::custom(
                            "give exactly one of `fromEnv`, `fromFile`, `fromAwsSecret` and `fromOrg`",
                        ));
                    }
                    found = Some(source);
                }
                found.ok_or_else(|| {
                    de::Error::custom("give one of `fromEnv`, `fromFile`, `fromAwsSecret` and `fromOrg`")
                })
            }
        }
        deserializer.deserialize_newtype_struct(Self::SERDE_NAME, NewtypeVisitor)
    }
}

impl JsonSchema for SecretSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretSource".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let aws = generator.subschema_for::<aws::AwsSecretSource>();
        schemars::json_schema!({
            "description": "A reference to a secret value; literal values are refused.",
            "oneOf": [
                {
                    "type": "object",
                    "properties": { "fromEnv": { "type": "string", "description": "Environment variable holding the value." } },
                    "required": ["fromEnv"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "fromFile": { "type": "string", "description": "File holding the value, relative to the manifest." } },
                    "required": ["fromFile"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "fromAwsSecret": aws },
                    "required": ["fromAwsSecret"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "fromOrg": { "type": "string", "description": "A reference value of the org's profile in d360.yaml (`values:`), by name; manifests only." } },
                    "required": ["fromOrg"],
                    "additionalProperties": false
                }
            ]
        })
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
    fn sources_read_references_and_refuse_literals_without_echoing_them() {
        let env: SecretSource = serde_yaml::from_str("{ fromEnv: DB_PASSWORD }").expect("a reference");
        assert_eq!(env, SecretSource::FromEnv("DB_PASSWORD".into()));
        let file: SecretSource = serde_yaml::from_str("fromFile: secrets/db").expect("a reference");
        assert_eq!(file, SecretSource::FromFile("secrets/db".into()));
        for literal in ["hunter2", "[hunter2]", "12345"] {
            let error = serde_yaml::from_str::<SecretSource>(literal).expect_err("a literal is refused");
            assert!(error.to_string().contains("literal secret value"), "{error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
        assert!(serde_yaml::from_str::<SecretSource>("{ fromEnv: A, fromFile: b }").is_err());
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
