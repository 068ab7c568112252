//! Writing a file's tree back as text in fmt's layout, with each comment beside the key or
//! item it was written before (or after, on the same line).

use std::collections::{BTreeMap, BTreeSet};

use super::comments::{self, Comments};
use super::order::{Cursor, Schemas};
use crate::kinds::document::{Entry, FileTree, Node, Pos};

const INDENT: usize = 2;

/// The YAML features fmt leaves alone, when `text` uses one.
pub(super) fn unsupported(text: &str) -> Option<&'static str> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;

    struct Features(Option<&'static str>);
    impl MarkedEventReceiver for Features {
        fn on_event(&mut self, event: Event, _mark: Marker) {
            let found = match event {
                Event::Alias(_) => Some("anchors, aliases or tags"),
                Event::Scalar(_, _, anchor, tag) if anchor > 0 || tag.is_some() => Some("anchors, aliases or tags"),
                Event::MappingStart(anchor, tag) | Event::SequenceStart(anchor, tag) if anchor > 0 || tag.is_some() => {
                    Some("anchors, aliases or tags")
                }
                _ => None,
            };
            if self.0.is_none() {
                self.0 = found;
            }
        }
    }
    if text.lines().any(|line| line.starts_with('%')) {
        return Some("YAML directives");
    }
    let mut features = Features(None);
    // A syntax error is reported by the parse that follows.
    let _ = Parser::new_from_str(text).load(&mut features, true);
    features.0
}

/// The formatted text of a whole file.
pub(super) fn file(text: &str, tree: &FileTree, schemas: &Schemas) -> String {
    let mut writer = Writer {
        source: text,
        comments: comments::find(text),
        used: BTreeSet::new(),
        used_trailing: BTreeSet::new(),
        leading: BTreeMap::new(),
        out: String::new(),
    };
    writer.assign_leading(tree);
    for (index, document) in tree.documents.iter().enumerate() {
        writer.comments_before(document.start.line);
        if index > 0 || text[document.start.offset..].starts_with("---") {
            writer.out.push_str("---\n");
        }
        let kind = document.root.get("kind").and_then(Node::as_str);
        let cursor = schemas.root(kind);
        writer.node_block(&document.root, 0, &cursor);
    }
    writer.comments_before(usize::MAX);
    writer.out
}

struct Writer<'a> {
    source: &'a str,
    comments: Comments,
    /// Source lines whose whole-line comment is already written.
    used: BTreeSet<usize>,
    /// Source lines whose trailing comment is already written.
    used_trailing: BTreeSet<usize>,
    /// Whole-line comments (by line) to write before the node starting at this offset.
    leading: BTreeMap<usize, Vec<usize>>,
    out: String,
}

impl Writer<'_> {
    /// Gives each whole-line comment to the first key or item after it.
    fn assign_leading(&mut self, tree: &FileTree) {
        let mut starts: Vec<Pos> = Vec::new();
        for document in &tree.documents {
            collect_starts(&document.root, &mut starts);
        }
        starts.sort_by_key(|p| p.offset);
        for &line in self.comments.whole.keys() {
            if let Some(start) = starts.iter().find(|p| p.line > line) {
                self.leading.entry(start.offset).or_default().push(line);
            }
        }
    }

    /// Writes the whole-line comments before `line` not yet written (file header, the end).
    fn comments_before(&mut self, line: usize) {
        let pending: Vec<usize> = self
            .comments
            .whole
            .range(..line)
            .map(|(l, _)| *l)
            .filter(|l| !self.used.contains(l))
            .collect();
        for line in pending {
            self.whole_comment(line, 0);
        }
    }

    fn whole_comment(&mut self, line: usize, indent: usize) {
        if self.used.insert(line)
            && let Some(text) = self.comments.whole.get(&line)
        {
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(text);
            self.out.push('\n');
        }
    }

    /// The comments written before the node starting at `pos`.
    fn leading_comments(&mut self, pos: Pos, indent: usize) {
        if let Some(lines) = self.leading.remove(&pos.offset) {
            for line in lines {
                self.whole_comment(line, indent);
            }
        }
    }

    /// Ends the current output line, with the comment that followed content on `line`.
    fn end_line(&mut self, line: usize) {
        if self.used_trailing.insert(line)
            && let Some(text) = self.comments.trailing.get(&line)
        {
            self.out.push(' ');
            self.out.push_str(text);
        }
        self.out.push('\n');
    }

    /// A node that starts on its own line(s) at `indent` (a document root, a block value).
    fn node_block(&mut self, node: &Node, indent: usize, cursor: &Cursor<'_>) {
        match node {
            Node::Map { entries, .. } if !entries.is_empty() => {
                for entry in ordered(entries, cursor) {
                    self.entry(entry, indent, cursor);
                }
            }
            Node::Seq { items, .. } if !items.is_empty() => {
                let item_cursor = cursor.item();
                for item in items {
                    self.item(item, indent, &item_cursor);
                }
            }
            _ => {
                self.out.push_str(&" ".repeat(indent));
                let text = self.inline(node, cursor);
                self.out.push_str(&text);
                self.end_line(node.pos().line);
            }
        }
    }

    fn entry(&mut self, entry: &Entry, indent: usize, cursor: &Cursor<'_>) {
        self.leading_comments(entry.key_pos, indent);
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(&self.key_text(entry));
        self.out.push(':');
        let child = cursor.child(&entry.key);
        self.value(&entry.value, entry.key_pos.line, indent, &child);
    }

    fn item(&mut self, item: &Node, indent: usize, cursor: &Cursor<'_>) {
        self.leading_comments(item.pos(), indent);
        self.out.push_str(&" ".repeat(indent));
        self.out.push('-');
        match item {
            Node::Map { entries, .. } if !entries.is_empty() && !self.is_flow(item) => {
                let mut first = true;
                for entry in ordered(entries, cursor) {
                    if first {
                        self.out.push(' ');
                        self.out.push_str(&self.key_text(entry));
                        self.out.push(':');
                        let child = cursor.child(&entry.key);
                        self.value(&entry.value, entry.key_pos.line, indent + INDENT, &child);
                        first = false;
                    } else {
                        self.entry(entry, indent + INDENT, cursor);
                    }
                }
            }
            _ => self.value(item, item.pos().line, indent, cursor),
        }
    }

    /// The value after `key:` or `-` written on `line` of the source.
    fn value(&mut self, value: &Node, line: usize, indent: usize, cursor: &Cursor<'_>) {
        let block = match value {
            Node::Map { entries, .. } => !entries.is_empty() && !self.is_flow(value),
            Node::Seq { items, .. } => !items.is_empty() && !self.is_flow(value),
            Node::Scalar { .. } => false,
        };
        if block {
            self.end_line(line);
            self.node_block(value, indent + INDENT, cursor);
            return;
        }
        if let Some((indicator, body)) = self.literal(value, indent + INDENT) {
            self.out.push(' ');
            self.out.push_str(indicator);
            self.end_line(line);
            self.out.push_str(&body);
            return;
        }
        let text = self.inline(value, cursor);
        if !text.is_empty() {
            self.out.push(' ');
            self.out.push_str(&text);
        }
        self.end_line(line.max(value.pos().line));
    }

    /// A flow collection written on one line keeps its flow style.
    fn is_flow(&self, node: &Node) -> bool {
        let start = node.pos();
        let opens = matches!(self.source.as_bytes().get(start.offset), Some(b'{' | b'['));
        opens && same_line(node, start.line)
    }

    /// A value on one line: a scalar in its style, or a flow collection.
    fn inline(&self, node: &Node, cursor: &Cursor<'_>) -> String {
        match node {
            Node::Scalar { value, pos, plain, .. } => self.scalar(value, *pos, *plain),
            Node::Map { entries, .. } if entries.is_empty() => "{}".to_owned(),
            Node::Seq { items, .. } if items.is_empty() => "[]".to_owned(),
            Node::Map { entries, .. } => {
                let parts: Vec<String> = ordered(entries, cursor)
                    .into_iter()
                    .map(|e| {
                        let value = self.inline(&e.value, &cursor.child(&e.key));
                        if value.is_empty() {
                            format!("{}:", self.key_text(e))
                        } else {
                            format!("{}: {value}", self.key_text(e))
                        }
                    })
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            Node::Seq { items, .. } => {
                let item = cursor.item();
                let parts: Vec<String> = items.iter().map(|i| self.inline(i, &item)).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }

    fn key_text(&self, entry: &Entry) -> String {
        self.scalar(&entry.key, entry.key_pos, true)
    }

    /// A scalar in the style it was written in: plain, single- or double-quoted.
    fn scalar(&self, value: &str, pos: Pos, plain: bool) -> String {
        let at = self.source.as_bytes().get(pos.offset);
        if plain && value == "~" && at != Some(&b'~') {
            // An empty value (`key:`), which the parser reports as `~`.
            return String::new();
        }
        match self.source.as_bytes().get(pos.offset) {
            Some(b'\'') if !value.contains('\n') => format!("'{}'", value.replace('\'', "''")),
            Some(b'\'' | b'"' | b'|' | b'>') => double_quoted(value),
            _ if plain => value.to_owned(),
            _ => double_quoted(value),
        }
    }

    /// Whether the scalar at `pos` was written as a block (`|` or `>` ends the line before
    /// its body; the parser places the scalar at its body).
    fn is_block_scalar(&self, pos: Pos) -> bool {
        let before = &self.source[..pos.offset.min(self.source.len())];
        let line = before.trim_end().rsplit('\n').next().unwrap_or("");
        comments::opens_block_scalar(comments::split(line).0)
    }

    /// A block scalar (`|`, `>`) as a literal block at `indent`, when it can be one: the
    /// indicator and the indented body.
    fn literal(&self, node: &Node, indent: usize) -> Option<(&'static str, String)> {
        let Node::Scalar { value, pos, .. } = node else {
            return None;
        };
        if !self.is_block_scalar(*pos) {
            return None;
        }
        let body = value.strip_suffix('\n');
        let (indicator, body) = match body {
            Some(rest) if !rest.ends_with('\n') => ("|", rest),
            None => ("|-", value.as_str()),
            Some(_) => return None,
        };
        if body.is_empty() || body.starts_with([' ', '\t']) || body.contains('\r') {
            return None;
        }
        let mut out = String::new();
        for line in body.split('\n') {
            if !line.is_empty() {
                out.push_str(&" ".repeat(indent));
                out.push_str(line);
            }
            out.push('\n');
        }
        Some((indicator, out))
    }
}

/// JSON's string escapes are valid in a YAML double-quoted scalar.
fn double_quoted(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// Entries in schema order; keys the schema does not declare keep their place after them.
fn ordered<'e>(entries: &'e [Entry], cursor: &Cursor<'_>) -> Vec<&'e Entry> {
    let mut sorted: Vec<(usize, &Entry)> = entries
        .iter()
        .map(|e| (cursor.rank(&e.key).unwrap_or(usize::MAX), e))
        .collect();
    sorted.sort_by_key(|(rank, _)| *rank);
    sorted.into_iter().map(|(_, e)| e).collect()
}

fn same_line(node: &Node, line: usize) -> bool {
    match node {
        Node::Scalar { pos, value, .. } => pos.line == line && !value.contains('\n'),
        Node::Map { entries, pos } => {
            pos.line == line
                && entries
                    .iter()
                    .all(|e| e.key_pos.line == line && same_line(&e.value, line))
        }
        Node::Seq { items, pos } => pos.line == line && items.iter().all(|i| same_line(i, line)),
    }
}

fn collect_starts(node: &Node, out: &mut Vec<Pos>) {
    match node {
        Node::Map { entries, .. } => {
            for entry in entries {
                out.push(entry.key_pos);
                collect_starts(&entry.value, out);
            }
        }
        Node::Seq { items, .. } => {
            for item in items {
                out.push(item.pos());
                collect_starts(item, out);
            }
        }
        Node::Scalar { .. } => {}
    }
}
