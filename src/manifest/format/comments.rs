//! Finding comments in a YAML text: whole-line comments and those after content on a line,
//! outside quoted scalars and block scalar bodies.

use std::collections::BTreeMap;

/// The comments of a text, by 1-based line.
#[derive(Debug, Default)]
pub(super) struct Comments {
    /// Lines that hold only a comment (the text from `#`).
    pub(super) whole: BTreeMap<usize, String>,
    /// Comments after content, from `#`.
    pub(super) trailing: BTreeMap<usize, String>,
}

/// Every comment text of `text` (for checking that formatting kept them all).
pub(super) fn texts(text: &str) -> Vec<String> {
    let found = find(text);
    found.whole.into_values().chain(found.trailing.into_values()).collect()
}

/// Finds the comments of `text`.
pub(super) fn find(text: &str) -> Comments {
    let mut comments = Comments::default();
    let mut block: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let indent = line.len() - line.trim_start().len();
        if let Some(parent) = block {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            comments.whole.insert(number, trimmed.trim_end().to_owned());
            continue;
        }
        let (content, comment) = split(line);
        if let Some(comment) = comment {
            comments.trailing.insert(number, comment.trim_end().to_owned());
        }
        if opens_block_scalar(content) {
            block = Some(indent);
        }
    }
    comments
}

/// Whether a line's content ends with a block scalar indicator (`key: |`, `- >-`, `|2`).
pub(super) fn opens_block_scalar(content: &str) -> bool {
    let last = content.trim_end().rsplit([' ', '\t']).next().unwrap_or("");
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '+' | '-' | '1'..='9'))
}

/// A line's content and its comment: `#` after whitespace, outside quotes. A quote opens a
/// quoted scalar only where a scalar can start (after `: `, `- `, `[`, `{`, `,` or at the start).
pub(super) fn split(line: &str) -> (&str, Option<&str>) {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    let mut chars = line.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => {
                if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                    chars.next();
                } else {
                    quote = None;
                }
            }
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('"') if c == '"' => quote = None,
            Some(_) => {}
            None => {
                if (c == '\'' || c == '"') && matches!(previous, ' ' | '\t' | '[' | '{' | ',' | ':' | '-') {
                    quote = Some(c);
                } else if c == '#' && matches!(previous, ' ' | '\t') {
                    return (&line[..index], Some(&line[index..]));
                }
            }
        }
        previous = c;
    }
    (line, None)
}
