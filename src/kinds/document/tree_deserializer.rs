//! A serde `Deserializer` over the position tree: the `raw` types are read from the one parse
//! of the file, and every problem comes back as a [`Problem`] with its YAML path.
//!
//! Scalars mean what they always meant (`scalar`): a `String` field takes any scalar's text,
//! an integer field takes a plain integer, a `ParamValue` takes whatever the scalar resolves
//! to. Credentials (`SecretSource`) are recognised by the name serde passes for them, so a
//! literal value is refused before anything reads it.
//!
//! To report every problem of a document at once, `document::read` deserialises again after a
//! problem with the problem's place in `recovery`: a struct field there gets a stand-in value
//! ([`Filler`]), a mapping entry or sequence item there is left out, an unknown field is
//! skipped and a missing one is filled in. Nothing here formats a message or parses one.

use std::cell::Cell;
use std::collections::HashSet;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Unexpected, Visitor};

use super::filler::Filler;
use super::problem::{Place, Problem, ProblemKind, one_of};
use super::scalar::{self, Resolved};
use super::words::{UnitVariant, key_deserializer};
use super::yaml_tree::{Entry, Node, Segment};
use crate::secret::SecretSource;

/// Deserialises `root` into `T`, treating the places in `recovery` as described above. The
/// flag says whether a struct had a duplicate key (reported by the tree, but the document is
/// not usable).
pub(crate) fn from_node<T: DeserializeOwned>(
    root: &Node,
    recovery: &HashSet<Vec<Segment>>,
) -> (Result<T, Problem>, bool) {
    let context = Context {
        recovery,
        duplicate: Cell::new(false),
    };
    let tree = Tree {
        node: root,
        path: Link {
            parent: None,
            step: None,
        },
        context: &context,
    };
    let result = T::deserialize(tree);
    (result, context.duplicate.get())
}

struct Context<'a> {
    recovery: &'a HashSet<Vec<Segment>>,
    duplicate: Cell<bool>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A YAML path as a chain through the stack, so the happy path allocates no paths.
#[derive(Clone, Copy)]
struct Link<'a> {
    parent: Option<&'a Link<'a>>,
    /// `None` for the document's root.
    step: Option<Step<'a>>,
}

impl<'a> Link<'a> {
    fn child(&'a self, step: Step<'a>) -> Link<'a> {
        Link {
            parent: Some(self),
            step: Some(step),
        }
    }

    fn to_path(self) -> Vec<Segment> {
        let mut path = Vec::new();
        let mut link = Some(&self);
        while let Some(current) = link {
            match current.step {
                Some(Step::Key(key)) => path.push(Segment::Key(key.to_owned())),
                Some(Step::Index(index)) => path.push(Segment::Index(index)),
                None => {}
            }
            link = current.parent;
        }
        path.reverse();
        path
    }
}

impl Context<'_> {
    fn recovering(&self, link: &Link<'_>) -> bool {
        !self.recovery.is_empty() && self.recovery.contains(&link.to_path())
    }
}

/// One node being deserialised.
#[derive(Clone, Copy)]
struct Tree<'a> {
    node: &'a Node,
    path: Link<'a>,
    context: &'a Context<'a>,
}

/// What serde is told was found at a node.
fn unexpected(node: &Node) -> Unexpected<'_> {
    match node {
        Node::Scalar { value, plain: true, .. } => match scalar::resolve(value) {
            Resolved::Null => Unexpected::Unit,
            Resolved::Bool(value) => Unexpected::Bool(value),
            Resolved::Unsigned(value) => Unexpected::Unsigned(value),
            Resolved::Negative(value) => Unexpected::Signed(value),
            Resolved::Float(value) => Unexpected::Float(value),
            Resolved::Str(value) => Unexpected::Str(value),
        },
        Node::Scalar { value, .. } => Unexpected::Str(value),
        Node::Map { .. } => Unexpected::Map,
        Node::Seq { .. } => Unexpected::Seq,
    }
}

impl<'a> Tree<'a> {
    fn place(&self, problem: Problem) -> Problem {
        problem.placed(|| self.path.to_path())
    }

    fn invalid_type(&self, expected: &dyn de::Expected) -> Problem {
        de::Error::invalid_type(unexpected(self.node), expected)
    }

    /// The text of a plain scalar (where YAML's numbers and booleans apply).
    fn plain(&self) -> Option<&'a str> {
        match self.node {
            Node::Scalar { value, plain: true, .. } => Some(value),
            _ => None,
        }
    }

    /// `key:` with nothing after it: an empty mapping or sequence (but `~` is null, not empty).
    fn is_blank(&self) -> bool {
        self.plain().is_some_and(str::is_empty)
    }

    fn entries(&self) -> Option<&'a [Entry]> {
        match self.node {
            Node::Map { entries, .. } => Some(entries),
            _ if self.is_blank() => Some(&[]),
            _ => None,
        }
    }

    fn items(&self) -> Option<&'a [Node]> {
        match self.node {
            Node::Seq { items, .. } => Some(items),
            _ if self.is_blank() => Some(&[]),
            _ => None,
        }
    }
}

macro_rules! plain_number {
    ($method:ident, $parse:path, $visit:ident) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
            match self.plain().and_then($parse) {
                Some(value) => visitor.$visit(value),
                None => Err(self.invalid_type(&visitor)),
            }
            .map_err(|problem| self.place(problem))
        }
    };
}

impl<'de> de::Deserializer<'de> for Tree<'_> {
    type Error = Problem;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.node {
            Node::Scalar { value, plain: true, .. } => match scalar::resolve(value) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(value) => visitor.visit_bool(value),
                Resolved::Unsigned(value) => visitor.visit_u64(value),
                Resolved::Negative(value) => visitor.visit_i64(value),
                Resolved::Float(value) => visitor.visit_f64(value),
                Resolved::Str(value) => visitor.visit_str(value),
            },
            Node::Scalar { value, .. } => visitor.visit_str(value),
            Node::Map { entries, .. } => visitor.visit_map(Entries::new(self, entries)),
            Node::Seq { items, .. } => visitor.visit_seq(Items::new(self, items)),
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.plain().and_then(scalar::parse_bool) {
            Some(value) => visitor.visit_bool(value),
            None => Err(self.invalid_type(&visitor)),
        }
        .map_err(|problem| self.place(problem))
    }

    plain_number!(deserialize_i8, scalar::parse_signed, visit_i64);
    plain_number!(deserialize_i16, scalar::parse_signed, visit_i64);
    plain_number!(deserialize_i32, scalar::parse_signed, visit_i64);
    plain_number!(deserialize_i64, scalar::parse_signed, visit_i64);
    plain_number!(deserialize_i128, scalar::parse_signed, visit_i64);
    plain_number!(deserialize_u8, scalar::parse_unsigned, visit_u64);
    plain_number!(deserialize_u16, scalar::parse_unsigned, visit_u64);
    plain_number!(deserialize_u32, scalar::parse_unsigned, visit_u64);
    plain_number!(deserialize_u64, scalar::parse_unsigned, visit_u64);
    plain_number!(deserialize_u128, scalar::parse_unsigned, visit_u64);
    plain_number!(deserialize_f32, scalar::parse_float, visit_f64);
    plain_number!(deserialize_f64, scalar::parse_float, visit_f64);

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    /// Any scalar's text, whatever it looks like: `label: 123` is the label "123".
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.node {
            Node::Scalar { value, .. } => visitor.visit_str(value),
            _ => Err(self.invalid_type(&visitor)),
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        Err(self.place(self.invalid_type(&visitor)))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        if self.node.is_null() {
            visitor.visit_none().map_err(|problem| self.place(problem))
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.invalid_type(&visitor))
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_unit(visitor)
    }

    /// A credential is anything but a mapping: refused here, before its value is read.
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Problem> {
        let literal = !matches!(self.node, Node::Map { .. }) && !self.node.is_null();
        if name != SecretSource::SERDE_NAME {
            return visitor.visit_newtype_struct(self);
        }
        if literal {
            return Err(self.place(Problem::new(ProblemKind::LiteralSecret)));
        }
        // A credential is one value: whatever is wrong inside it, a retry leaves it all out
        // (so `{ fromEnv: [x] }` does not also report a reference with no `fromEnv`).
        visitor.visit_newtype_struct(self).map_err(|mut problem| {
            if let Some(place) = &mut problem.place {
                place.recover_at = self.path.to_path();
            }
            problem
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.items() {
            Some(items) => visitor.visit_seq(Items::new(self, items)),
            None => Err(self.invalid_type(&visitor)),
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Problem> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        match self.entries() {
            Some(entries) => visitor.visit_map(Entries::new(self, entries)),
            None => Err(self.invalid_type(&visitor)),
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Problem> {
        let Some(entries) = self.entries() else {
            return Err(self.place(self.invalid_type(&visitor)));
        };
        let access = Fields {
            tree: self,
            entries,
            names: fields,
            next_entry: 0,
            next_missing: 0,
            value: None,
        };
        visitor.visit_map(access).map_err(|problem| {
            problem.placed_with(|kind| {
                let path = self.path.to_path();
                // An unknown field is skipped and a missing one filled in; anything else
                // about the struct itself replaces the struct.
                let recover_at = match kind {
                    ProblemKind::UnknownField { .. } | ProblemKind::MissingField(_) => kind.field_path(&path),
                    _ => path.clone(),
                };
                (path, recover_at)
            })
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Problem> {
        match self.node {
            Node::Scalar { value, .. } => visitor.visit_enum(UnitVariant(value)),
            _ => Err(self.invalid_type(&one_of(variants).as_str())),
        }
        .map_err(|problem| self.place(problem))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Problem> {
        visitor.visit_unit()
    }
}

/// The entries of a mapping read as a map (parameters, labels, credentials).
struct Entries<'a> {
    tree: Tree<'a>,
    list: &'a [Entry],
    next: usize,
    value: Option<&'a Entry>,
}

impl<'a> Entries<'a> {
    fn new(tree: Tree<'a>, entries: &'a [Entry]) -> Self {
        Self {
            tree,
            list: entries,
            next: 0,
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Problem;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Problem> {
        while let Some(entry) = self.list.get(self.next) {
            self.next += 1;
            let link = self.tree.path.child(Step::Key(&entry.key));
            if self.tree.context.recovering(&link) {
                continue;
            }
            if entry.complex_key {
                return Err(Problem::new(ProblemKind::ComplexKey).placed(|| link.to_path()));
            }
            self.value = Some(entry);
            return seed
                .deserialize(key_deserializer(&entry.key))
                .map(Some)
                .map_err(|problem| problem.placed(|| link.to_path()));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Problem> {
        let Some(entry) = self.value.take() else {
            return Err(de::Error::custom("a map value was read before its key"));
        };
        seed.deserialize(Tree {
            node: &entry.value,
            path: self.tree.path.child(Step::Key(&entry.key)),
            context: self.tree.context,
        })
    }
}

/// The entries of a mapping read as a struct: duplicates are left to the tree's report, and
/// recovery skips unknown fields and fills in others.
struct Fields<'a> {
    tree: Tree<'a>,
    entries: &'a [Entry],
    names: &'static [&'static str],
    next_entry: usize,
    next_missing: usize,
    value: Option<FieldValue<'a>>,
}

enum FieldValue<'a> {
    Node(&'a Entry),
    Filler(&'a str),
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Problem;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Problem> {
        while let Some(entry) = self.entries.get(self.next_entry) {
            let earlier = &self.entries[..self.next_entry];
            self.next_entry += 1;
            if earlier.iter().any(|e| e.key == entry.key) {
                self.tree.context.duplicate.set(true);
                continue;
            }
            let link = self.tree.path.child(Step::Key(&entry.key));
            if entry.complex_key {
                return Err(Problem::new(ProblemKind::ComplexKey).placed(|| link.to_path()));
            }
            if self.tree.context.recovering(&link) {
                if !self.names.contains(&entry.key.as_str()) {
                    continue;
                }
                self.value = Some(FieldValue::Filler(&entry.key));
            } else {
                self.value = Some(FieldValue::Node(entry));
            }
            return seed.deserialize(key_deserializer(&entry.key)).map(Some);
        }
        if self.tree.context.recovery.is_empty() {
            return Ok(None);
        }
        while let Some(field) = self.names.get(self.next_missing) {
            self.next_missing += 1;
            let absent = !self.entries.iter().any(|e| e.key == *field);
            if absent && self.tree.context.recovering(&self.tree.path.child(Step::Key(field))) {
                self.value = Some(FieldValue::Filler(field));
                return seed.deserialize(key_deserializer(field)).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Problem> {
        match self.value.take() {
            Some(FieldValue::Node(entry)) => seed.deserialize(Tree {
                node: &entry.value,
                path: self.tree.path.child(Step::Key(&entry.key)),
                context: self.tree.context,
            }),
            // A stand-in that does not fit either: replace the whole struct next time.
            Some(FieldValue::Filler(field)) => seed.deserialize(Filler).map_err(|mut problem| {
                let path = self.tree.path.to_path();
                let mut field_path = path.clone();
                field_path.push(Segment::Key(field.to_owned()));
                problem.place = Some(Place {
                    path: field_path,
                    recover_at: path,
                    reported: true,
                });
                problem
            }),
            None => Err(de::Error::custom("a struct field was read before its key")),
        }
    }
}

/// The items of a sequence; recovery leaves items out (their indexes stay the file's).
struct Items<'a> {
    tree: Tree<'a>,
    nodes: &'a [Node],
    next: usize,
}

impl<'a> Items<'a> {
    fn new(tree: Tree<'a>, items: &'a [Node]) -> Self {
        Self {
            tree,
            nodes: items,
            next: 0,
        }
    }
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Problem;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Problem> {
        while let Some(node) = self.nodes.get(self.next) {
            let index = self.next;
            self.next += 1;
            let link = self.tree.path.child(Step::Index(index));
            if self.tree.context.recovering(&link) {
                continue;
            }
            return seed
                .deserialize(Tree {
                    node,
                    path: link,
                    context: self.tree.context,
                })
                .map(Some);
        }
        Ok(None)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.nodes.len() - self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::connection::document::ConnectionDocument;
    use crate::kinds::connection::set_document::ConnectionSetDocument;
    use crate::kinds::data_stream::document::DataStreamDocument;
    use crate::kinds::document::yaml_tree;

    const EXAMPLES: [&str; 3] = [
        include_str!("../../../manifests/connections.yaml"),
        include_str!("../../../manifests/clinic-fleet.yaml"),
        include_str!("../../../manifests/data-streams.yaml"),
    ];

    /// Reads one document both ways; `Some(disagreement)` when they differ.
    fn compare<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str, node: &Node) -> Option<String> {
        let theirs = serde_yaml::from_str::<T>(text);
        let (ours, duplicate) = from_node::<T>(node, &HashSet::new());
        match (theirs, ours) {
            (Ok(theirs), Ok(ours)) if !duplicate && theirs == ours => None,
            (Err(_), Ok(_)) if duplicate => None,
            (Err(_), Err(_)) => None,
            (theirs, ours) => Some(format!("serde_norway: {theirs:?}\ntree: {ours:?}")),
        }
    }

    /// Seeded line deletions, duplications and edits of the examples, one document each.
    fn variants() -> Vec<String> {
        let mut rng = fastrand::Rng::with_seed(8);
        let edits = [
            ": ~", ": 7", ": -1", ": 1.5", ": true", ": '3'", ": [a]", ": {a: b}", ": \"x\"", ": 0x10", ": 007", ":",
        ];
        let mut out = Vec::new();
        for text in EXAMPLES {
            for document in text.split("\n---\n") {
                out.push(document.to_owned());
                let lines: Vec<&str> = document.lines().collect();
                for _ in 0..150 {
                    let mut copy: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
                    let index = rng.usize(0..copy.len());
                    match rng.u8(0..3) {
                        0 => {
                            copy.remove(index);
                        }
                        1 => copy.insert(index, copy[index].clone()),
                        _ => {
                            if let Some((key, _)) = copy[index].split_once(": ") {
                                copy[index] = format!("{key}{}", edits[rng.usize(0..edits.len())]);
                            }
                        }
                    }
                    out.push(copy.join("\n"));
                }
            }
        }
        out
    }

    #[test]
    fn reads_like_serde_norway_did() {
        let mut compared = 0;
        for text in variants() {
            let Ok(tree) = yaml_tree::parse(&text) else { continue };
            let Some(document) = tree.documents.first() else {
                continue;
            };
            let disagreement = match document.root.get("kind").and_then(Node::as_str) {
                Some("Connection") => compare::<ConnectionDocument>(&text, &document.root),
                Some("ConnectionSet") => compare::<ConnectionSetDocument>(&text, &document.root),
                Some("DataStream") => compare::<DataStreamDocument>(&text, &document.root),
                _ => continue,
            };
            if let Some(disagreement) = disagreement {
                panic!("the readers disagree on\n{text}\n{disagreement}");
            }
            compared += 1;
        }
        assert!(compared > 300, "only {compared} documents compared");
    }
}
