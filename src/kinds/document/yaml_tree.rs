//! The one parse of a manifest file: every document as a tree of keys and values, each with
//! its line and column.
//!
//! Everything later reads this tree: the typed `raw` values are deserialised from it
//! (`tree_deserializer`), and every check (API names, interpolation, duplicate documents)
//! points at its exact text. It resolves anchors and aliases, and finds duplicate mapping
//! keys, which YAML libraries accept silently. No YAML is parsed anywhere else.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nesting deeper than this is refused (as serde_norway did), so nothing recurses unbounded.
const MAX_DEPTH: usize = 128;

/// Nodes that aliases may copy in one file, so a "billion laughs" file cannot exhaust memory.
const MAX_ALIAS_NODES: usize = 100_000;

/// A place in a file: 1-based line and column, and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) offset: usize,
}

/// One step of a YAML path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `plain`: written without quotes or a block style, so YAML's null, booleans and
    /// numbers apply to it; a quoted or `!!str` scalar is always a string.
    Scalar {
        value: String,
        pos: Pos,
        len: usize,
        plain: bool,
    },
    Map {
        pos: Pos,
        entries: Vec<Entry>,
    },
    Seq {
        pos: Pos,
        items: Vec<Node>,
    },
}

/// A mapping entry: the key's text and place, and the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_pos: Pos,
    /// The key was a mapping or a sequence, which no d360 document uses.
    pub(crate) complex_key: bool,
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

    /// A plain empty or null scalar (`key:`, `key: ~`, `key: null`).
    #[must_use]
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { value, plain: true, .. } if super::scalar::is_null(value))
    }

    /// Nodes in this subtree (for the alias budget).
    fn count(&self) -> usize {
        match self {
            Node::Scalar { .. } => 1,
            Node::Map { entries, .. } => 1 + entries.iter().map(|e| e.value.count()).sum::<usize>(),
            Node::Seq { items, .. } => 1 + items.iter().map(Node::count).sum::<usize>(),
        }
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
    pub(crate) key: String,
    /// The path of the key, ending in it.
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
}

enum Frame {
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Pos, bool)>,
    },
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
}

struct Builder<'a> {
    index: LineIndex<'a>,
    stack: Vec<Frame>,
    tree: FileTree,
    document_start: Pos,
    /// Anchored nodes by the parser's anchor id, for aliases.
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    /// The first problem the parser itself does not see (too deep, too many aliases).
    error: Option<SyntaxError>,
}

/// `!!str`: the scalar is a string whatever it looks like.
fn is_string_tag(tag: Option<&Tag>) -> bool {
    tag.is_some_and(|tag| tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str")
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
                    pending_key: Some((key, _, _)),
                    ..
                } => path.push(Segment::Key(key.clone())),
                Frame::Seq { items, .. } => path.push(Segment::Index(items.len())),
                Frame::Map { .. } => {}
            }
        }
        path
    }

    fn fail(&mut self, pos: Pos, message: &str) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                message: message.to_owned(),
                pos,
            });
        }
    }

    fn open(&mut self, frame: Frame, pos: Pos) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(pos, "the document nests deeper than 128 levels");
        }
        self.stack.push(frame);
    }

    fn push_anchored(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push_node(node);
    }

    fn push_node(&mut self, node: Node) {
        // (key, first place, second place) of a key this mapping already has.
        let mut duplicate = None;
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
                    let (key, key_pos, complex) = match node {
                        Node::Scalar { value, pos, .. } => (value, pos, false),
                        // Complex keys are not used by d360 documents; keep their place.
                        other => (String::from("<complex key>"), other.pos(), true),
                    };
                    *pending_key = Some((key, key_pos, complex));
                }
                Some((key, key_pos, complex_key)) => {
                    if let Some(previous) = entries.iter().find(|e| e.key == key) {
                        duplicate = Some((key.clone(), previous.key_pos, key_pos));
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        complex_key,
                        value: node,
                    });
                }
            },
        }
        // The path is built only for a duplicate: most files have none.
        if let Some((key, first, second)) = duplicate {
            let mut path = self.current_path();
            path.push(Segment::Key(key.clone()));
            self.tree.duplicates.push(DuplicateKey {
                document: self.tree.documents.len(),
                key,
                path,
                first,
                second,
            });
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = self.marker_pos(mark);
        match event {
            Event::DocumentStart => self.document_start = pos,
            Event::Scalar(value, style, anchor, tag) => {
                let plain = matches!(style, TScalarStyle::Plain) && !is_string_tag(tag.as_ref());
                let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
                let len = value.chars().count() + if quoted { 2 } else { 0 };
                self.push_anchored(Node::Scalar { value, pos, len, plain }, anchor);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some(node) => {
                    self.alias_nodes += node.count();
                    if self.alias_nodes > MAX_ALIAS_NODES {
                        self.fail(pos, "aliases expand to too many nodes");
                    } else {
                        let node = node.clone();
                        self.push_node(node);
                    }
                }
                None => self.fail(pos, "unknown anchor"),
            },
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                };
                self.open(frame, pos);
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                },
                pos,
            ),
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    pos, anchor, entries, ..
                }) = self.stack.pop()
                {
                    // yaml-rust2 starts a block mapping at its first `:`; the mapping
                    // starts where its first key does.
                    let pos = match entries.first() {
                        Some(first) if first.key_pos.offset < pos.offset => first.key_pos,
                        _ => pos,
                    };
                    self.push_anchored(Node::Map { pos, entries }, anchor);
                }
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { pos, anchor, items }) = self.stack.pop() {
                    self.push_anchored(Node::Seq { pos, items }, anchor);
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
        anchors: HashMap::new(),
        alias_nodes: 0,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    match parser.load(&mut builder, true) {
        Ok(()) => match builder.error {
            None => Ok(builder.tree),
            Some(error) => Err(error),
        },
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
        let (node, found) = root.find(&[Segment::Key("b".into()), Segment::Key("c".into()), Segment::Index(1)]);
        assert!(found);
        assert_eq!(node.as_str(), Some("2"));
    }

    #[test]
    fn mappings_start_at_their_first_key_or_brace() {
        let tree = parse("a: 1\nb:\n  c: 2\nd: { e: 3 }\n").expect("valid yaml");
        let root = &tree.documents[0].root;
        let place = |node: &Node| (node.pos().line, node.pos().column);
        assert_eq!(place(root), (1, 1));
        assert_eq!(root.get("b").map(place), Some((3, 3)));
        assert_eq!(root.get("d").map(place), Some((4, 4)));
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
    fn paths_render_as_users_write_them() {
        let path = [
            Segment::Key("spec".into()),
            Segment::Key("fields".into()),
            Segment::Index(2),
            Segment::Key("name".into()),
        ];
        assert_eq!(path_text(&path), "spec.fields[2].name");
        assert_eq!(path_text(&[]), "");
    }

    #[track_caller]
    fn scalar(text: &str, key: &str) -> (String, bool) {
        let tree = parse(text).expect("valid yaml");
        match tree.documents[0].root.get(key) {
            Some(Node::Scalar { value, plain, .. }) => (value.clone(), *plain),
            other => panic!("{key}: not a scalar: {other:?}"),
        }
    }

    #[test]
    fn scalars_remember_whether_they_were_plain() {
        let text = "a: 1\nb: '1'\nc: \"1\"\nd: !!str 1\ne: |\n  1\nf:\n";
        for (key, expected) in [
            ("a", ("1", true)),
            ("b", ("1", false)),
            ("c", ("1", false)),
            ("d", ("1", false)),
            ("e", ("1\n", false)),
            ("f", ("", true)),
        ] {
            let (value, plain) = scalar(text, key);
            assert_eq!((value.as_str(), plain), expected, "{key}");
        }
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let tree = parse("a: &x { k: v }\nb: *x\n").expect("valid yaml");
        let root = &tree.documents[0].root;
        assert_eq!(root.get("b").and_then(|b| b.get("k")).and_then(Node::as_str), Some("v"));
    }

    #[test]
    fn runaway_nesting_and_aliases_are_errors() {
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(parse(&deep).is_err());
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..8 {
            let previous = format!("*l{}", level - 1).replace("*l0", "*a");
            laughs.push_str(&format!("l{level}: &l{level} [{}]\n", vec![previous; 10].join(", ")));
        }
        assert!(parse(&laughs).is_err());
    }
}
