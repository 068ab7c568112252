//! The generic domain every stage shares: resource kinds and identities, lifecycle rules,
//! comparable fields, and fingerprints. No I/O, and nothing specific to one kind: what a
//! Connection or a DataStream is lives in `kinds`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use d360_wire::ApiName;
pub(crate) use d360_wire::connectors as connector_types;

use crate::secret::SecretRef;

mod field_path;
mod set_version;
pub(crate) use field_path::{FieldPath, FieldPaths};
pub(crate) use set_version::{Commit, SetDigest, SetVersion};

/// The kinds of live objects d360 manages, in dependency order: a kind may only depend on
/// kinds before it (creates run in this order, deletes in reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) enum Kind {
    Connection,
    DataStream,
}

impl Kind {
    pub(crate) const ALL: [Kind; 2] = [Kind::Connection, Kind::DataStream];

    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Connection => "Connection",
            Kind::DataStream => "DataStream",
        }
    }

    /// The word for one object of the kind in messages ("connection", "stream").
    #[must_use]
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::DataStream => "stream",
        }
    }

    /// Position in [`Kind::ALL`]: the order creates run in.
    #[must_use]
    pub(crate) fn rank(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(Kind::ALL.len())
    }

    /// Parses a kind name as users type it (`Connection`, `connection`, `DataStream`, `data-stream`).
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Kind> {
        let folded: String = text.chars().filter(|c| *c != '-' && *c != '_').collect();
        let folded = folded.to_ascii_lowercase();
        let singular = folded.strip_suffix('s').unwrap_or(&folded);
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(singular))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a resource: its kind and API name. Written `Kind/name` in text, JSON map
/// keys (state, saved plans) and `--target`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ResourceKey {
    pub(crate) kind: Kind,
    pub(crate) name: String,
}

impl ResourceKey {
    #[must_use]
    pub(crate) fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }

    /// Parses `KIND/NAME` as given to `--target`.
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (kind, name) = text.split_once('/')?;
        let kind = Kind::parse(kind)?;
        (!name.is_empty()).then(|| Self::new(kind, name))
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

impl Serialize for ResourceKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResourceKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ResourceKey::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not KIND/NAME with a known kind")))
    }
}

/// One listing of live objects: a kind and, for kinds the API lists per sub-type (connections
/// per connector type), the scope. Also what state records to find a managed object again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Listing {
    pub(crate) kind: Kind,
    pub(crate) scope: Option<String>,
}

/// What d360 may do to a resource beyond reconciling it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Lifecycle {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) prevent_destroy: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ignore_changes: Vec<String>,
}

impl Lifecycle {
    /// Whether drift on `field` (a dotted path such as `parameters.DATABASE`) is ignored.
    /// An entry ignores the field itself and everything below it.
    #[must_use]
    pub(crate) fn ignores(&self, field: &str) -> bool {
        self.ignore_changes.iter().any(|ignored| {
            field == ignored
                || field
                    .strip_prefix(ignored.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }
}

/// Comparable fields of a resource: dotted path to a JSON value, in stable order.
/// A `null` on the desired side means "not declared; whatever the server has is fine".
pub(crate) type Fields = BTreeMap<String, serde_json::Value>;

/// A map with few entries (labels, parameters, credentials, fingerprints), kept as one sorted
/// vector: a `BTreeMap` node costs over 500 bytes however few entries it holds, and there are
/// several per resource, tens of thousands of resources per plan.
pub(crate) type SmallMap<K, V> = litemap::LiteMap<K, V>;

/// What every resource kind's model type provides to `diff`, `plan` and `apply`.
pub(crate) trait ResourceSpec {
    /// The kind's fields, each declared once with what is special about it (immutable,
    /// replaced whole, checked on update, ignorable).
    const FIELDS: FieldPaths;

    /// [`Self::FIELDS`], reached through a value.
    fn field_paths(&self) -> FieldPaths {
        Self::FIELDS
    }

    fn name(&self) -> &str;
    /// The normalised, comparable fields. Server-only fields (ids, dates, status) are absent.
    fn fields(&self) -> Fields;
    /// Other resources that must exist before this one.
    fn depends_on(&self) -> Vec<ResourceKey>;
    fn lifecycle(&self) -> &Lifecycle;
    /// Write-only values, by credential name.
    fn secrets(&self) -> &SmallMap<String, SecretRef>;
    fn labels(&self) -> &SmallMap<String, String>;
}

/// SHA-256 over the id and the canonical JSON of the fields, hex encoded (first 16 bytes).
/// `serde_json::Value`'s text form cannot fail, so neither can this.
#[must_use]
pub(crate) fn fingerprint_of(id: &str, fields: &Fields) -> String {
    // The compact JSON of `[id, fields]` (keys in order), hashed as it is written.
    let mut digest = Digesting::sha256();
    // Writing JSON into a digest cannot fail: its writer takes every byte, and a map of
    // strings to JSON values always serializes.
    let written = serde_json::to_writer(&mut digest, &(id, fields));
    debug_assert!(written.is_ok(), "{written:?}");
    hex::encode(&digest.finish().as_ref()[..16])
}

/// A writer that hashes what is written to it (JSON serialized straight into a digest).
pub(crate) struct Digesting(aws_lc_rs::digest::Context);

impl Digesting {
    #[must_use]
    pub(crate) fn sha256() -> Self {
        Self(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
    }

    /// The digest of everything written.
    #[must_use]
    pub(crate) fn finish(self) -> aws_lc_rs::digest::Digest {
        self.0.finish()
    }
}

impl std::io::Write for Digesting {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_the_digest_of_the_compact_json_of_id_and_fields() {
        let fields: Fields = [
            ("label".to_owned(), serde_json::json!("Orders \"EU\"")),
            ("connectorType".to_owned(), serde_json::json!("AwsRdsMySql")),
            ("parameters.port".to_owned(), serde_json::json!(3306)),
            ("nested".to_owned(), serde_json::json!({"b": [1, null], "a": true})),
        ]
        .into_iter()
        .collect();
        let canonical = serde_json::Value::Array(vec![
            serde_json::Value::String("0cZ01".to_owned()),
            serde_json::Value::Object(fields.clone().into_iter().collect()),
        ])
        .to_string();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        assert_eq!(fingerprint_of("0cZ01", &fields), hex::encode(&digest.as_ref()[..16]));
        assert_ne!(fingerprint_of("0cZ02", &fields), fingerprint_of("0cZ01", &fields));
    }

    #[track_caller]
    fn check_ignores(entries: &[&str], field: &str, expected: bool) {
        let lifecycle = Lifecycle {
            prevent_destroy: false,
            ignore_changes: entries.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(lifecycle.ignores(field), expected, "{entries:?} ignores {field}");
    }

    #[test]
    fn ignore_changes_covers_children_not_siblings() {
        check_ignores(&["label"], "label", true);
        check_ignores(&["parameters"], "parameters.DATABASE", true);
        check_ignores(&["parameters.DATABASE"], "parameters.DATABASE", true);
        check_ignores(&["parameters.DATA"], "parameters.DATABASE", false);
        check_ignores(&["label"], "labels", false);
        check_ignores(&[], "label", false);
    }

    #[test]
    fn target_keys_parse_in_user_spellings() {
        assert_eq!(
            ResourceKey::parse("connection/A"),
            Some(ResourceKey::new(Kind::Connection, "A"))
        );
        assert_eq!(
            ResourceKey::parse("DataStream/B"),
            Some(ResourceKey::new(Kind::DataStream, "B"))
        );
        assert_eq!(ResourceKey::parse("Widget/B"), None);
        assert_eq!(ResourceKey::parse("Connection/"), None);
    }
}
