//! One YAML document: kind dispatch, typed deserialisation, and serde errors as diagnostics.

use serde::de::DeserializeOwned;

use super::checker::Checker;
use super::diagnostic::{Diagnostic, did_you_mean};
use super::raw::{DOCUMENT_KINDS, LITERAL_SECRET};
use super::yaml_tree::{LineIndex, Node, Segment, parse_path, path_text};

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

/// Deserialises a document's text slice into `T`. `first_line` is the slice's first line in
/// the file, so reported places are the file's.
pub(crate) fn deserialize<T: DeserializeOwned>(checker: &mut Checker<'_>, slice: &str, first_line: usize) -> Option<T> {
    match serde_yaml::from_str::<T>(slice) {
        Ok(value) => Some(value),
        Err(error) => {
            // serde_norway reports duplicate struct fields too; the position tree already
            // reported them with both places.
            if !error.to_string().contains("duplicate field `") {
                let diagnostic = serde_diagnostic(checker, &error, first_line);
                checker.push(diagnostic);
            }
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
    }
}

/// Splits serde_norway's message into (path, message), dropping the trailing place.
fn split_message(text: &str) -> (String, String) {
    let text = match text.rfind(" at line ") {
        Some(index) => &text[..index],
        None => text,
    };
    match text.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') && !path.is_empty() => (path.to_owned(), rest.to_owned()),
        _ => (String::new(), text.to_owned()),
    }
}

/// Names in backticks from serde's "expected one of `a`, `b`" tails.
fn expected_names(message: &str) -> Vec<String> {
    let Some((_, tail)) = message.split_once("expected ") else {
        return Vec::new();
    };
    tail.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn first_tick(message: &str) -> Option<&str> {
    message.split('`').nth(1)
}

fn serde_diagnostic(checker: &Checker<'_>, error: &serde_yaml::Error, first_line: usize) -> Diagnostic {
    let (path_text_raw, message) = split_message(&error.to_string());
    let mut path = parse_path(&path_text_raw);
    let index = LineIndex::new(checker.text);
    let serde_pos = error
        .location()
        .map(|location| index.pos_at(location.line() + first_line - 1, location.column()));
    let in_credentials = path.iter().any(|s| matches!(s, Segment::Key(k) if k == "credentials"));

    let (message, help, pos, len) = if message.starts_with(LITERAL_SECRET) {
        let name = match path.last() {
            Some(Segment::Key(key)) => key.clone(),
            _ => String::from("credential"),
        };
        let pos = checker.root.key_pos(&path);
        (
            format!("a literal secret value is not allowed for credential `{name}`"),
            Some(format!(
                "write `{name}: {{ fromEnv: VARIABLE }}` or `{name}: {{ fromFile: path }}`; d360 never keeps secret values in manifests"
            )),
            pos,
            name.len(),
        )
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = first_tick(rest).unwrap_or_default().to_owned();
        let expected = expected_names(rest);
        let help = match did_you_mean(&field, expected.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None if expected.is_empty() => "remove it".to_owned(),
            None => format!("fields here are: {}", expected.join(", ")),
        };
        path.push(Segment::Key(field.clone()));
        let pos = checker.root.key_pos(&path);
        (
            format!("unknown field `{field}`"),
            Some(help),
            pos,
            field.chars().count(),
        )
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = first_tick(rest).unwrap_or_default().to_owned();
        let expected = expected_names(rest);
        let help = match did_you_mean(&value, expected.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("allowed values: {}", expected.join(", ")),
        };
        let (node, _) = checker.root.find(&path);
        (
            format!("`{value}` is not an allowed value"),
            Some(help),
            serde_pos.unwrap_or(node.pos()),
            node.len(),
        )
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        let field = first_tick(rest).unwrap_or_default().to_owned();
        let pos = if path.is_empty() {
            checker.root.pos()
        } else {
            checker.root.key_pos(&path)
        };
        let parent = if path.is_empty() {
            "the document".to_owned()
        } else {
            format!("`{}`", path_text(&path))
        };
        let help = format!("add `{field}:` under {parent}");
        path.push(Segment::Key(field.clone()));
        (format!("missing required field `{field}`"), Some(help), pos, 1)
    } else {
        let message = if in_credentials {
            scrub_values(&message)
        } else {
            message
        };
        let (node, _) = checker.root.find(&path);
        (message, None, serde_pos.unwrap_or(node.pos()), node.len())
    };
    let mut diagnostic = Diagnostic::error(checker.file, pos, path_text(&path), message).with_len(len);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    if in_credentials {
        diagnostic = diagnostic.hiding_source();
    }
    diagnostic
}

/// Removes quoted values from a serde message (`invalid type: string "x"`), for places that
/// may hold a secret.
fn scrub_values(message: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    for c in message.chars() {
        if c == '"' {
            if !in_quote {
                out.push_str("(value hidden)");
            }
            in_quote = !in_quote;
        } else if !in_quote {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_split_into_path_and_text() {
        assert_eq!(
            split_message("spec: unknown field `lable`, expected one of `label`, `count` at line 11 column 3"),
            (
                "spec".to_owned(),
                "unknown field `lable`, expected one of `label`, `count`".to_owned()
            )
        );
        assert_eq!(
            split_message("missing field `kind` at line 1 column 1"),
            (String::new(), "missing field `kind`".to_owned())
        );
        assert_eq!(
            expected_names("unknown field `x`, expected one of `a`, `b`"),
            vec!["a", "b"]
        );
    }

    #[test]
    fn scrubbing_drops_quoted_values() {
        assert_eq!(
            scrub_values("invalid type: string \"hunter2\", expected a map"),
            "invalid type: string (value hidden), expected a map"
        );
    }
}
