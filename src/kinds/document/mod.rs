//! The document layer: YAML with diagnostics, below the kinds, knowing none of them.
//!
//! A manifest file is parsed once into a position tree (`yaml_tree`); a document is read from
//! it into its kind's serde shapes (`read`, `tree_deserializer`, `filler`, `words`, `scalar`:
//! unknown fields, types, missing fields and literal secrets become problems with their YAML
//! path, `problem`); `${env:…}` / `${item.…}` / `${org.…}` are interpolated (`interpolate`) as a `Checker`
//! reads values and reports `Diagnostic`s at their file, line and column. The shapes every
//! kind shares (`apiVersion`, `metadata`, `lifecycle`, secret references) and their checks are
//! here too; each kind's document types, conversion, set expansion and rendering live in its
//! own folder, and `manifest` only loads files and dispatches documents to the kinds.

mod checker;
mod common_checks;
mod diagnostic;
mod filler;
mod interpolate;
mod org_values;
mod problem;
mod read;
mod render;
mod scalar;
mod shared;
mod tree_deserializer;
mod words;
mod yaml_tree;

pub(crate) use checker::{Checker, CsvRow, Item, Sink};
pub(crate) use common_checks::{check_name, convert_lifecycle, placement};
pub(crate) use diagnostic::{Diagnostic, Diagnostics, Related, Severity, did_you_mean};
pub(crate) use org_values::{OrgValues, Placement};
pub(crate) use read::{kind_of, read, read_named};
pub(crate) use render::{Unrepresentable, lifecycle, optional_word, secret_source, word};
pub(crate) use scalar::is_null;
pub(crate) use shared::{ApiVersion, LifecycleSpec, Metadata, ParamValue, SecretSource};
pub(crate) use yaml_tree::{Entry, FileTree, Node, Pos, Segment, parse, path_text};
