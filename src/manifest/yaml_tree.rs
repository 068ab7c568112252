//! A position index of a YAML file: every key and value with its line and column.
//!
//! serde gives typed values but forgets where they came from; this tree remembers, so every
//! later check (API names, interpolation, duplicate documents) can point at the exact text.
//! It also finds duplicate mapping keys, which serde_norway accepts silently.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A place in a file: 1-based line and column, and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) offset: usize,
}

/// One step of a YAML path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Scalar { value: String, pos: Pos, len: usize },
    Map { pos: Pos, entries: Vec<Entry> },
    Seq { pos: Pos, items: Vec<Node> },
}

/// A mapping entry: the key's text and place, and the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_pos: Pos,
    pub(crate) value: Node,
}

impl Node {
    #[must_use]
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Node::Scalar { pos, .. } | Node::Map { pos, .. } | Node::Seq { pos, .. } => *pos,
        }
    }

    /// The text length to underline (at least one character).
    #[must_use]
    pub(crate) fn len(&self) -> usize {
        match self {
            Node::Scalar { len, .. } => (*len).max(1),
            _ => 1,
        }
    }

    #[must_use]
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    #[must_use]
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    #[must_use]
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The node at a path, or the deepest node on the way when the path ends early.
    #[must_use]
    pub(crate) fn find<'a>(&'a self, path: &[Segment]) -> (&'a Node, bool) {
        let mut node = self;
        for segment in path {
            let next = match (segment, node) {
                (Segment::Key(key), Node::Map { .. }) => node.get(key),
                (Segment::Index(index), Node::Seq { items, .. }) => items.get(*index),
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => return (node, false),
            }
        }
        (node, true)
    }

    /// The position of the key at the end of `path` (for "this field" diagnostics), falling
    /// back to the value or the nearest parent.
    #[must_use]
    pub(crate) fn key_pos(&self, path: &[Segment]) -> Pos {
        if let Some((Segment::Key(last), parent)) = path.split_last() {
            let (parent_node, found) = self.find(parent);
            if found && let Some(entry) = parent_node.entry(last) {
                return entry.key_pos;
            }
        }
        self.find(path).0.pos()
    }
}

/// A duplicate key found while building the tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DuplicateKey {
    pub(crate) document: usize,
    pub(crate) path: Vec<Segment>,
    pub(crate) first: Pos,
    pub(crate) second: Pos,
}

/// One YAML document of a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub(crate) root: Node,
    pub(crate) start: Pos,
}

/// The tree of a whole file.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct FileTree {
    pub(crate) documents: Vec<Document>,
    pub(crate) duplicates: Vec<DuplicateKey>,
}

/// A YAML syntax error with its place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) pos: Pos,
}

/// Converts line/column positions into byte offsets of one text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    #[must_use]
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    /// Position from a 1-based line and a 0-based character column.
    #[must_use]
    pub(crate) fn pos(&self, line: usize, char_column: usize) -> Pos {
        let line = line.max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(self.text.len());
        let rest = &self.text[start.min(self.text.len())..];
        let offset = start
            + rest
                .char_indices()
                .nth(char_column)
                .map_or_else(|| rest.find('\n').unwrap_or(rest.len()).min(rest.len()), |(i, _)| i);
        Pos {
            line,
            column: char_column + 1,
            offset,
        }
    }

    /// Position from serde_norway's 1-based line and column.
    #[must_use]
    pub(crate) fn pos_at(&self, line: usize, column: usize) -> Pos {
        self.pos(line, column.saturating_sub(1))
    }
}

enum Frame {
    Map {
        pos: Pos,
        entries: Vec<Entry>,
        pending_key: Option<(String, Pos)>,
    },
    Seq {
        pos: Pos,
        items: Vec<Node>,
    },
}

struct Builder<'a> {
    index: LineIndex<'a>,
    stack: Vec<Frame>,
    tree: FileTree,
    document_start: Pos,
}

impl Builder<'_> {
    fn marker_pos(&self, mark: Marker) -> Pos {
        self.index.pos(mark.line(), mark.col())
    }

    fn current_path(&self) -> Vec<Segment> {
        let mut path = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::Map {
                    pending_key: Some((key, _)),
                    ..
                } => path.push(Segment::Key(key.clone())),
                Frame::Seq { items, .. } => path.push(Segment::Index(items.len())),
                Frame::Map { .. } => {}
            }
        }
        path
    }

    fn push_node(&mut self, node: Node) {
        let path = self.current_path();
        match self.stack.last_mut() {
            None => self.tree.documents.push(Document {
                root: node,
                start: self.document_start,
            }),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, pending_key, ..
            }) => match pending_key.take() {
                None => {
                    let (key, key_pos) = match node {
                        Node::Scalar { value, pos, .. } => (value, pos),
                        // Complex keys are not used by d360 documents; keep their place.
                        other => (String::from("<complex key>"), other.pos()),
                    };
                    *pending_key = Some((key, key_pos));
                }
                Some((key, key_pos)) => {
                    if let Some(previous) = entries.iter().find(|e| e.key == key) {
                        let first = previous.key_pos;
                        self.tree.duplicates.push(DuplicateKey {
                            document: self.tree.documents.len(),
                            path,
                            first,
                            second: key_pos,
                        });
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let pos = self.marker_pos(mark);
        match event {
            Event::DocumentStart => self.document_start = pos,
            Event::Scalar(value, style, _, _) => {
                let quoted = !matches!(style, yaml_rust2::scanner::TScalarStyle::Plain);
                let len = value.chars().count() + if quoted { 2 } else { 0 };
                self.push_node(Node::Scalar { value, pos, len });
            }
            // Aliases are rare in manifests; they count as an empty scalar at their place.
            Event::Alias(_) => self.push_node(Node::Scalar {
                value: String::new(),
                pos,
                len: 1,
            }),
            Event::MappingStart(..) => {
                self.stack.push(Frame::Map {
                    pos,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceStart(..) => self.stack.push(Frame::Seq { pos, items: Vec::new() }),
            Event::MappingEnd => {
                if let Some(Frame::Map { pos, entries, .. }) = self.stack.pop() {
                    self.push_node(Node::Map { pos, entries });
                }
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { pos, items }) = self.stack.pop() {
                    self.push_node(Node::Seq { pos, items });
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// Parses a file's text into its position tree.
pub(crate) fn parse(text: &str) -> Result<FileTree, SyntaxError> {
    let mut builder = Builder {
        index: LineIndex::new(text),
        stack: Vec::new(),
        tree: FileTree::default(),
        document_start: Pos {
            line: 1,
            column: 1,
            offset: 0,
        },
    };
    let mut parser = Parser::new_from_str(text);
    match parser.load(&mut builder, true) {
        Ok(()) => Ok(builder.tree),
        Err(error) => {
            let mark = error.marker();
            Err(SyntaxError {
                message: error.info().to_owned(),
                pos: builder.index.pos(mark.line(), mark.col()),
            })
        }
    }
}

/// Renders a path as users write it: `spec.parameters.DATABASE`, `spec.fields[2].name`.
#[must_use]
pub(crate) fn path_text(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Parses a dotted path as serde_norway prints it (`spec.fields[2].name`).
#[must_use]
pub(crate) fn parse_path(text: &str) -> Vec<Segment> {
    let mut path = Vec::new();
    for part in text.split('.') {
        let mut rest = part;
        if let Some(bracket) = rest.find('[') {
            let key = &rest[..bracket];
            if !key.is_empty() {
                path.push(Segment::Key(key.to_owned()));
            }
            rest = &rest[bracket..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(index) = stripped[..end].parse() {
                    path.push(Segment::Index(index));
                }
                rest = stripped.get(end + 1..).unwrap_or("");
            }
        } else if !rest.is_empty() {
            path.push(Segment::Key(rest.to_owned()));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_offsets_are_bytes() {
        let text = "a: é\nb:\n  c: [1, 2]\n---\nd: x\n";
        let tree = parse(text).expect("valid yaml");
        assert_eq!(tree.documents.len(), 2);
        let root = &tree.documents[0].root;
        let b = root.get("b").expect("b");
        let c = b.entry("c").expect("c");
        assert_eq!((c.key_pos.line, c.key_pos.column), (3, 3));
        assert_eq!(&text[c.key_pos.offset..=c.key_pos.offset], "c");
        let second = &tree.documents[1].root;
        let d = second.get("d").expect("d");
        assert_eq!((d.pos().line, d.pos().column), (5, 4));
        assert_eq!(&text[d.pos().offset..=d.pos().offset], "x");
        let (node, found) = root.find(&parse_path("b.c[1]"));
        assert!(found);
        assert_eq!(node.as_str(), Some("2"));
    }

    #[test]
    fn duplicate_keys_are_found_with_both_places() {
        let tree = parse("spec:\n  label: a\n  label: b\n").expect("valid yaml");
        assert_eq!(tree.duplicates.len(), 1);
        let duplicate = &tree.duplicates[0];
        assert_eq!(path_text(&duplicate.path), "spec.label");
        assert_eq!((duplicate.first.line, duplicate.second.line), (2, 3));
    }

    #[test]
    fn paths_round_trip() {
        for text in ["spec", "spec.fields[2].name", "a.b.c", "items[0][1]"] {
            assert_eq!(path_text(&parse_path(text)), text);
        }
    }
}
