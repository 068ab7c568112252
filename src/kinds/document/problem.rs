//! Why a document does not fit its `raw` type, as data, and the diagnostic each problem
//! becomes.
//!
//! A [`Problem`] is the error type of `tree_deserializer`: serde's derives report through the
//! `de::Error` constructors (`unknown_field`, `missing_field`, `invalid_type`, …), which keep
//! their parts here instead of formatting a message, and the deserializer adds the YAML path.
//! So no diagnostic depends on any library's message text.

use std::fmt;

use serde::de::{self, Expected, Unexpected};

use super::checker::Checker;
use super::diagnostic::{Diagnostic, did_you_mean};
use super::yaml_tree::{Node, Pos, Segment, path_text};

/// What was found where something else was expected, without the library's wording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    Null,
    Bool(bool),
    Integer(String),
    Float(String),
    Str(String),
    Seq,
    Map,
    /// Anything else serde names (a unit variant, bytes, …).
    Other(String),
}

impl Found {
    fn from_unexpected(unexpected: &Unexpected<'_>) -> Self {
        match *unexpected {
            Unexpected::Bool(value) => Found::Bool(value),
            Unexpected::Unsigned(value) => Found::Integer(value.to_string()),
            Unexpected::Signed(value) => Found::Integer(value.to_string()),
            Unexpected::Float(value) => Found::Float(value.to_string()),
            Unexpected::Char(value) => Found::Str(value.to_string()),
            Unexpected::Str(value) => Found::Str(value.to_owned()),
            Unexpected::Unit | Unexpected::Option => Found::Null,
            Unexpected::Seq => Found::Seq,
            Unexpected::Map => Found::Map,
            ref other => Found::Other(other.to_string()),
        }
    }

    /// `string "abc"`, `integer `5``, `sequence`; with `hide_value`, no value at all.
    fn describe(&self, hide_value: bool) -> String {
        let shown = |kind: &str, value: String| {
            if hide_value {
                format!("{kind} (value hidden)")
            } else {
                format!("{kind} {value}")
            }
        };
        match self {
            Found::Null => "unit value".to_owned(),
            Found::Bool(value) => shown("boolean", format!("`{value}`")),
            Found::Integer(value) => shown("integer", format!("`{value}`")),
            Found::Float(value) => shown("floating point", format!("`{value}`")),
            Found::Str(value) => shown("string", format!("{value:?}")),
            Found::Seq => "sequence".to_owned(),
            Found::Map => "map".to_owned(),
            Found::Other(what) => what.clone(),
        }
    }
}

/// One way a document does not fit its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProblemKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    /// Reported by the tree already, with both places; only makes the document unusable.
    DuplicateField(&'static str),
    UnknownVariant {
        value: String,
        expected: &'static [&'static str],
    },
    InvalidType {
        found: Found,
        expected: String,
    },
    InvalidValue {
        found: Found,
        expected: String,
    },
    InvalidLength {
        length: usize,
        expected: String,
    },
    /// A credential written as a value instead of `{ fromEnv }` / `{ fromFile }`.
    LiteralSecret,
    /// A mapping or sequence used as a key.
    ComplexKey,
    /// A message written by one of d360's own `raw` types.
    Custom(String),
}

/// Where a problem is, attached by the deserializer as the error leaves a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    /// The node the problem is about (for a missing or unknown field: the mapping that holds
    /// it).
    pub(crate) path: Vec<Segment>,
    /// What a retry replaces to get past the problem (see `document::read`).
    pub(crate) recover_at: Vec<Segment>,
    /// The problem was already reported: it came back out of a stand-in value, so only its
    /// recovery place matters.
    pub(crate) reported: bool,
}

/// A problem, and once it has left a node, its place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) kind: ProblemKind,
    pub(crate) place: Option<Place>,
}

impl Problem {
    #[must_use]
    pub(crate) fn new(kind: ProblemKind) -> Self {
        Self { kind, place: None }
    }

    /// Places a problem at `path` unless a deeper node already did, recovering at the node.
    #[must_use]
    pub(crate) fn placed(self, path: impl FnOnce() -> Vec<Segment>) -> Self {
        self.placed_with(|_| {
            let path = path();
            (path.clone(), path)
        })
    }

    /// Places a problem unless a deeper node already did; `place` gives the path and the
    /// recovery place for the problem's kind.
    #[must_use]
    pub(crate) fn placed_with(mut self, place: impl FnOnce(&ProblemKind) -> (Vec<Segment>, Vec<Segment>)) -> Self {
        if self.place.is_none() {
            let (path, recover_at) = place(&self.kind);
            self.place = Some(Place {
                path,
                recover_at,
                reported: false,
            });
        }
        self
    }
}

impl ProblemKind {
    /// The path of the field an unknown or missing field problem names, else `path`.
    #[must_use]
    pub(crate) fn field_path(&self, path: &[Segment]) -> Vec<Segment> {
        let mut path = path.to_vec();
        match self {
            ProblemKind::UnknownField { field, .. } => path.push(Segment::Key(field.clone())),
            ProblemKind::MissingField(field) | ProblemKind::DuplicateField(field) => {
                path.push(Segment::Key((*field).to_owned()));
            }
            _ => {}
        }
        path
    }

    /// The field an unknown field most likely meant.
    #[must_use]
    pub(crate) fn suggestion(&self) -> Option<&'static str> {
        match self {
            ProblemKind::UnknownField { field, expected } => did_you_mean(field, expected.iter().copied()),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    /// For debugging and tests only: users see [`ProblemKind::diagnostic`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{:?} at `{}`", self.kind, path_text(&place.path)),
            None => write!(f, "{:?}", self.kind),
        }
    }
}

impl std::error::Error for Problem {}

impl de::Error for Problem {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(ProblemKind::Custom(message.to_string()))
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::new(ProblemKind::InvalidType {
            found: Found::from_unexpected(&unexpected),
            expected: expected.to_string(),
        })
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::new(ProblemKind::InvalidValue {
            found: Found::from_unexpected(&unexpected),
            expected: expected.to_string(),
        })
    }

    fn invalid_length(length: usize, expected: &dyn Expected) -> Self {
        Self::new(ProblemKind::InvalidLength {
            length,
            expected: expected.to_string(),
        })
    }

    fn unknown_variant(value: &str, expected: &'static [&'static str]) -> Self {
        Self::new(ProblemKind::UnknownVariant {
            value: value.to_owned(),
            expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(ProblemKind::UnknownField {
            field: field.to_owned(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(ProblemKind::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::new(ProblemKind::DuplicateField(field))
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ProblemKind {
    /// The diagnostic for this problem at `path`; `None` for problems reported elsewhere
    /// (duplicate keys).
    #[must_use]
    pub(crate) fn diagnostic(&self, path: &[Segment], checker: &Checker<'_>) -> Option<Diagnostic> {
        let in_credentials = path.iter().any(|s| matches!(s, Segment::Key(k) if k == "credentials"));
        let field_path = self.field_path(path);
        let (message, help, pos, len) = self.wording(path, &field_path, checker.root, in_credentials)?;
        let mut diagnostic = Diagnostic::error(checker.file, pos, path_text(&field_path), message).with_len(len);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        if in_credentials {
            diagnostic = diagnostic.hiding_source();
        }
        Some(diagnostic)
    }

    /// The message, help, place and length of the problem at `path` (`None`: nothing to say).
    fn wording(
        &self,
        path: &[Segment],
        field_path: &[Segment],
        root: &Node,
        in_credentials: bool,
    ) -> Option<(String, Option<String>, Pos, usize)> {
        match self {
            ProblemKind::DuplicateField(_) => None,
            ProblemKind::LiteralSecret | ProblemKind::UnknownField { .. } | ProblemKind::MissingField(_) => {
                self.key_wording(path, field_path, root)
            }
            _ => self.value_wording(root.find(path).0, in_credentials),
        }
    }

    /// [`Self::wording`] of a problem placed at a key.
    fn key_wording(
        &self,
        path: &[Segment],
        field_path: &[Segment],
        root: &Node,
    ) -> Option<(String, Option<String>, Pos, usize)> {
        let wording = match self {
            ProblemKind::LiteralSecret => {
                let name = match path.last() {
                    Some(Segment::Key(key)) => key.clone(),
                    _ => String::from("credential"),
                };
                (
                    format!("a literal secret value is not allowed for credential `{name}`"),
                    Some(format!(
                        "write `{name}: {{ fromEnv: VARIABLE }}` or `{name}: {{ fromFile: path }}`; d360 never keeps secret values in manifests"
                    )),
                    root.key_pos(path),
                    name.chars().count(),
                )
            }
            ProblemKind::UnknownField { field, expected } => {
                let help = match self.suggestion() {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if expected.is_empty() => "remove it".to_owned(),
                    None => format!("fields here are: {}", expected.join(", ")),
                };
                (
                    format!("unknown field `{field}`"),
                    Some(help),
                    root.key_pos(field_path),
                    field.chars().count(),
                )
            }
            ProblemKind::MissingField(field) => {
                let (pos, parent) = if path.is_empty() {
                    (root.pos(), "the document".to_owned())
                } else {
                    (root.key_pos(path), format!("`{}`", path_text(path)))
                };
                (
                    format!("missing required field `{field}`"),
                    Some(format!("add `{field}:` under {parent}")),
                    pos,
                    1,
                )
            }
            _ => return None,
        };
        Some(wording)
    }

    /// [`Self::wording`] of a problem placed at a value.
    fn value_wording(&self, node: &Node, in_credentials: bool) -> Option<(String, Option<String>, Pos, usize)> {
        let wording = match self {
            ProblemKind::UnknownVariant { value, expected } => {
                let help = match did_you_mean(value, expected.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("allowed values: {}", expected.join(", ")),
                };
                (
                    format!("`{value}` is not an allowed value"),
                    Some(help),
                    node.pos(),
                    node.len(),
                )
            }
            ProblemKind::InvalidType { found, expected } => (
                format!("invalid type: {}, expected {expected}", found.describe(in_credentials)),
                None,
                node.pos(),
                node.len(),
            ),
            ProblemKind::InvalidValue { found, expected } => (
                format!("invalid value: {}, expected {expected}", found.describe(in_credentials)),
                None,
                node.pos(),
                node.len(),
            ),
            ProblemKind::InvalidLength { length, expected } => (
                format!("invalid length {length}, expected {expected}"),
                None,
                node.pos(),
                node.len(),
            ),
            ProblemKind::ComplexKey => (
                "a key must be a plain string, not a mapping or a sequence".to_owned(),
                Some("write the key as text".to_owned()),
                node.pos(),
                node.len(),
            ),
            ProblemKind::Custom(message) => (message.clone(), None, node.pos(), node.len()),
            _ => return None,
        };
        Some(wording)
    }
}

/// The variants of an enum as a hint (`one of `Profile`, `Other``).
#[must_use]
pub(crate) fn one_of(variants: &[&str]) -> String {
    format!("one of {}", quoted_list(variants))
}
