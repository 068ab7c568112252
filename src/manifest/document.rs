//! One YAML document: kind dispatch, and reading it into its `raw` type with every problem
//! reported at its place.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::checker::Checker;
use super::diagnostic::did_you_mean;
use super::problem::ProblemKind;
use super::raw::DOCUMENT_KINDS;
use super::tree_deserializer;
use super::yaml_tree::{Node, Segment};

/// The kind of a document, read before typed deserialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentKind {
    Connection,
    ConnectionSet,
    DataStream,
}

/// Reads `apiVersion` and `kind` from the position tree, reporting problems.
pub(crate) fn kind_of(checker: &mut Checker<'_>) -> Option<DocumentKind> {
    let root = checker.root;
    if !matches!(root, Node::Map { .. }) {
        let diagnostic = checker
            .error(&[], "a d360 document must be a mapping")
            .with_help("start it with `apiVersion: d360/v1` and `kind: Connection` (or ConnectionSet, DataStream)");
        checker.push(diagnostic);
        return None;
    }
    let mut ok = true;
    match root.get("apiVersion").and_then(Node::as_str) {
        Some("d360/v1") => {}
        Some(other) => {
            let diagnostic = checker
                .error(&["apiVersion"], format!("unsupported apiVersion `{other}`"))
                .with_help("use `apiVersion: d360/v1`")
                .with_label("not a d360 version");
            checker.push(diagnostic);
            ok = false;
        }
        None => {
            let diagnostic = checker
                .key_error(&[], "missing `apiVersion`")
                .with_help("add `apiVersion: d360/v1`");
            checker.push(diagnostic);
            ok = false;
        }
    }
    let kind = match root.get("kind").and_then(Node::as_str) {
        Some("Connection") => Some(DocumentKind::Connection),
        Some("ConnectionSet") => Some(DocumentKind::ConnectionSet),
        Some("DataStream") => Some(DocumentKind::DataStream),
        Some(other) => {
            let help = match did_you_mean(other, DOCUMENT_KINDS.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("kinds are: {}", DOCUMENT_KINDS.join(", ")),
            };
            let diagnostic = checker
                .error(&["kind"], format!("unknown kind `{other}`"))
                .with_help(help)
                .with_label("unknown kind");
            checker.push(diagnostic);
            None
        }
        None => {
            let diagnostic = checker
                .key_error(&[], "missing `kind`")
                .with_help(format!("add `kind:` with one of {}", DOCUMENT_KINDS.join(", ")));
            checker.push(diagnostic);
            None
        }
    };
    if ok { kind } else { None }
}

/// Reads the document into `T` from its tree, reporting every problem with its place. `None`
/// when the document does not fit (its name is still checked).
///
/// Serde stops at a document's first problem, so after each one the document is read again
/// with the problem's place in `recovery` (see `tree_deserializer`), until it reads through.
/// A clean document is read exactly once.
pub(crate) fn read<T: DeserializeOwned>(checker: &mut Checker<'_>) -> Option<T> {
    let mut recovery: HashSet<Vec<Segment>> = HashSet::new();
    let mut problems: Vec<(ProblemKind, Vec<Segment>)> = Vec::new();
    let mut usable = true;
    for _ in 0..MAX_READS {
        let (result, duplicate) = tree_deserializer::from_node::<T>(checker.root, &recovery);
        usable &= !duplicate;
        let problem = match result {
            Ok(value) if usable && problems.is_empty() => return Some(value),
            Ok(_) => break,
            Err(problem) => problem,
        };
        usable = false;
        let Some(place) = problem.place else {
            // Every node places what leaves it; an unplaced problem is about the document.
            problems.push((problem.kind, Vec::new()));
            break;
        };
        if !place.reported
            && !problems
                .iter()
                .any(|(kind, path)| *kind == problem.kind && *path == place.path)
        {
            problems.push((problem.kind, place.path));
        }
        // A place already replaced that still fails: replace its parent instead.
        let mut at = place.recover_at;
        while recovery.contains(&at) && at.pop().is_some() {}
        if at.is_empty() {
            break;
        }
        recovery.insert(at);
    }
    report(checker, &problems);
    // The document is not usable, but its name can still be checked.
    if let Some(name) = checker
        .root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
    {
        let name = name.to_owned();
        if !name.contains("${") && checker.root.get("kind").and_then(Node::as_str) != Some("ConnectionSet") {
            super::convert_connection::check_name(checker, &["metadata", "name"], &name, "resource");
        }
    }
    None
}

/// Reads of one document before giving up on finding more of its problems.
const MAX_READS: usize = 64;

fn report(checker: &mut Checker<'_>, problems: &[(ProblemKind, Vec<Segment>)]) {
    for (kind, path) in problems {
        // `labl` for a missing `label`: the unknown field's "did you mean" says it all.
        if let ProblemKind::MissingField(field) = kind {
            let explained = problems
                .iter()
                .any(|(other, other_path)| other_path == path && other.suggestion() == Some(*field));
            if explained {
                continue;
            }
        }
        if let Some(diagnostic) = kind.diagnostic(path, checker) {
            checker.push(diagnostic);
        }
    }
}
