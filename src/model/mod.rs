//! The typed domain: resource kinds, their identities and their comparable fields.
//!
//! Everything here is pure data and validation with no I/O. `manifest` builds desired
//! resources from YAML, `api` builds live resources from the wire, and `diff` compares the
//! two through [`Resource::fields`]. Adding a kind means one file here that implements
//! [`ResourceSpec`], a variant of [`Resource`], and its routes in `emulator`.

mod connection;
pub(crate) use d360_wire::connectors as connector_types;
pub(crate) mod data_stream;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) use connection::{Connection, Method};
pub(crate) use d360_wire::ApiName;
pub(crate) use data_stream::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};

use crate::secret::SecretRef;

/// The kinds of live objects d360 manages.
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

    /// Parses a kind name as users type it (`Connection`, `connection`, `DataStream`, `data-stream`).
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Kind> {
        let folded: String = text.chars().filter(|c| *c != '-' && *c != '_').collect();
        match folded.to_ascii_lowercase().as_str() {
            "connection" | "connections" => Some(Kind::Connection),
            "datastream" | "datastreams" => Some(Kind::DataStream),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a resource: its kind and API name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// What every resource kind provides to `diff`, `plan` and `apply`.
pub(crate) trait ResourceSpec {
    /// The kind this type implements.
    const KIND: Kind;
    /// Field paths that cannot change in place: a change means delete then create.
    const IMMUTABLE: &'static [&'static str];

    fn name(&self) -> &str;
    /// The normalised, comparable fields. Server-only fields (ids, dates, status) are absent.
    fn fields(&self) -> Fields;
    /// Other resources that must exist before this one.
    fn depends_on(&self) -> Vec<ResourceKey>;
    fn lifecycle(&self) -> &Lifecycle;
    /// Write-only values, by credential name.
    fn secrets(&self) -> &BTreeMap<String, SecretRef>;
    fn labels(&self) -> &BTreeMap<String, String>;
}

/// A resource of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[expect(
    clippy::large_enum_variant,
    reason = "resources are built once and moved rarely; boxing would only add noise"
)]
pub(crate) enum Resource {
    Connection(Connection),
    DataStream(DataStream),
}

macro_rules! each_kind {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            Resource::Connection($inner) => $body,
            Resource::DataStream($inner) => $body,
        }
    };
}

impl Resource {
    #[must_use]
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Resource::Connection(_) => Kind::Connection,
            Resource::DataStream(_) => Kind::DataStream,
        }
    }

    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind(), self.name())
    }

    #[must_use]
    pub(crate) fn name(&self) -> &str {
        each_kind!(self, r => r.name())
    }

    #[must_use]
    pub(crate) fn fields(&self) -> Fields {
        each_kind!(self, r => r.fields())
    }

    #[must_use]
    pub(crate) fn immutable_fields(&self) -> &'static [&'static str] {
        match self {
            Resource::Connection(_) => Connection::IMMUTABLE,
            Resource::DataStream(_) => DataStream::IMMUTABLE,
        }
    }

    #[must_use]
    pub(crate) fn depends_on(&self) -> Vec<ResourceKey> {
        each_kind!(self, r => r.depends_on())
    }

    #[must_use]
    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        each_kind!(self, r => r.lifecycle())
    }

    #[must_use]
    pub(crate) fn secrets(&self) -> &BTreeMap<String, SecretRef> {
        each_kind!(self, r => r.secrets())
    }

    #[must_use]
    pub(crate) fn labels(&self) -> &BTreeMap<String, String> {
        each_kind!(self, r => r.labels())
    }

    /// Whether a field path is immutable for this kind (the path itself or a parent of it).
    #[must_use]
    pub(crate) fn is_immutable(&self, field: &str) -> bool {
        self.immutable_fields().iter().any(|immutable| {
            field == *immutable || field.strip_prefix(immutable).is_some_and(|rest| rest.starts_with('.'))
        })
    }
}

/// An object as read from the org: its record id, what it looks like in model terms, and a
/// fingerprint of everything readable so a saved plan can tell whether it changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LiveObject {
    pub(crate) id: String,
    pub(crate) resource: Resource,
    /// Credential names the org reports (values are always masked).
    #[serde(default)]
    pub(crate) credential_names: Vec<String>,
    pub(crate) fingerprint: String,
}

impl LiveObject {
    /// Builds a live object, computing its fingerprint from the id and the readable fields.
    #[must_use]
    pub(crate) fn new(id: String, resource: Resource, credential_names: Vec<String>) -> Self {
        let fingerprint = fingerprint_of(&id, &resource.fields());
        Self {
            id,
            resource,
            credential_names,
            fingerprint,
        }
    }

    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        self.resource.key()
    }
}

/// SHA-256 over the id and the canonical JSON of the fields, hex encoded (first 16 bytes).
#[must_use]
pub(crate) fn fingerprint_of(id: &str, fields: &Fields) -> String {
    let canonical = serde_json::to_vec(&(id, fields)).unwrap_or_default();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &canonical);
    hex::encode(&digest.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

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
