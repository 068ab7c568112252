//! `d360 fmt`: one layout for manifest files. Keys come in the order the JSON Schema of the
//! document's kind declares them (keys it does not know, and free-form maps such as `labels`,
//! keep their order), indentation is two spaces, flow collections written on one line stay on
//! one line. Every comment and the meaning of every value are kept: the result is parsed again
//! and compared with the original, and a file that would change meaning is left as written.

mod comments;
mod emit;
mod order;

pub(crate) use order::Schemas;

use crate::kinds::document::{self as yaml_tree, Node};

/// Why a file was left as written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FormatError {
    #[error("{line}:{column}: YAML syntax error: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("uses {0}, which fmt does not rewrite; left as written")]
    Unsupported(&'static str),
    #[error("formatting would {0}; left as written (please report this as a d360 bug)")]
    Unsafe(&'static str),
}

/// The formatted text of a manifest file (equal to `text` when it is already formatted).
pub(crate) fn format(text: &str, schemas: &Schemas) -> Result<String, FormatError> {
    if let Some(feature) = emit::unsupported(text) {
        return Err(FormatError::Unsupported(feature));
    }
    let tree = parse(text)?;
    let formatted = emit::file(text, &tree, schemas);
    let again = parse(&formatted).map_err(|_| FormatError::Unsafe("produce invalid YAML"))?;
    if tree.documents.len() != again.documents.len()
        || !tree
            .documents
            .iter()
            .zip(&again.documents)
            .all(|(a, b)| same(&a.root, &b.root))
    {
        return Err(FormatError::Unsafe("change a value"));
    }
    let mut before = comments::texts(text);
    let mut after = comments::texts(&formatted);
    before.sort();
    after.sort();
    if before != after {
        return Err(FormatError::Unsafe("drop or change a comment"));
    }
    Ok(formatted)
}

fn parse(text: &str) -> Result<yaml_tree::FileTree, FormatError> {
    yaml_tree::parse(text).map_err(|error| FormatError::Syntax {
        line: error.pos.line,
        column: error.pos.column,
        message: error.message,
    })
}

/// Equal values and keys in equal order per map, ignoring positions (the comparison that
/// decides whether formatting kept the meaning; map order is compared as a set of keys).
fn same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (
            Node::Scalar {
                value: va, plain: pa, ..
            },
            Node::Scalar {
                value: vb, plain: pb, ..
            },
        ) => va == vb && (pa == pb || !needs_plain_match(va)),
        (Node::Seq { items: ia, .. }, Node::Seq { items: ib, .. }) => {
            ia.len() == ib.len() && ia.iter().zip(ib).all(|(x, y)| same(x, y))
        }
        (Node::Map { entries: ea, .. }, Node::Map { entries: eb, .. }) => {
            ea.len() == eb.len()
                && ea.iter().all(|x| {
                    eb.iter()
                        .find(|y| y.key == x.key)
                        .is_some_and(|y| same(&x.value, &y.value))
                })
        }
        _ => false,
    }
}

/// Whether quoting changes what a scalar means (null, booleans, numbers): plain `yes` is not
/// the string `"yes"` to every reader, so such a value must keep its style.
fn needs_plain_match(value: &str) -> bool {
    value.is_empty()
        || crate::kinds::document::is_null(value)
        || value.parse::<f64>().is_ok()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
}

#[cfg(test)]
mod tests;
