//! The key order fmt writes: the order of `properties` in the JSON Schema of the document's
//! kind (the order of the fields in the `raw` types), found by walking the schema alongside
//! the document.

use serde_json::Value;

/// The manifest schemas by document kind.
pub(crate) struct Schemas {
    kinds: Vec<(&'static str, Value)>,
}

impl Schemas {
    pub(crate) fn load() -> Result<Self, serde_json::Error> {
        let all = super::super::schema::all()?;
        let kinds = crate::kinds::registry::documents()
            .filter_map(|document| {
                let schema = all.iter().find(|(file, _)| *file == document.schema_file)?;
                Some((document.name, schema.1.clone()))
            })
            .collect();
        Ok(Self { kinds })
    }

    /// Whether fmt has a key order for documents of `kind`.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn knows(&self, kind: &str) -> bool {
        self.kinds.iter().any(|(known, _)| *known == kind)
    }

    /// The cursor at the root of `kind`'s schema.
    pub(super) fn root(&self, kind: Option<&str>) -> Cursor<'_> {
        let schema = kind.and_then(|kind| self.kinds.iter().find(|(k, _)| *k == kind).map(|(_, s)| s));
        Cursor {
            root: schema,
            nodes: schema.into_iter().collect(),
        }
    }
}

/// A place in a schema: the subschemas that may describe the current node.
#[derive(Clone)]
pub(super) struct Cursor<'a> {
    root: Option<&'a Value>,
    nodes: Vec<&'a Value>,
}

impl<'a> Cursor<'a> {
    /// Every alternative a node may match (`$ref`, `anyOf`, `oneOf`, `allOf` followed).
    fn alternatives(&self) -> Vec<&'a Value> {
        let mut out = Vec::new();
        let mut pending = self.nodes.clone();
        while let Some(node) = pending.pop() {
            if out.len() > 64 {
                break;
            }
            if let Some(target) = node.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
                pending.push(target);
            }
            for keyword in ["anyOf", "oneOf", "allOf"] {
                if let Some(list) = node.get(keyword).and_then(Value::as_array) {
                    pending.extend(list.iter().rev());
                }
            }
            out.push(node);
        }
        out
    }

    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.root?.get("$defs")?.get(name)
    }

    /// Where `key` sits among the properties the schema declares, if it declares it.
    pub(super) fn rank(&self, key: &str) -> Option<usize> {
        let mut index = 0;
        for node in self.alternatives() {
            if let Some(properties) = node.get("properties").and_then(Value::as_object) {
                for name in properties.keys() {
                    if name == key {
                        return Some(index);
                    }
                    index += 1;
                }
            }
        }
        None
    }

    /// The schema of the value under `key`.
    pub(super) fn child(&self, key: &str) -> Self {
        let mut nodes = Vec::new();
        for node in self.alternatives() {
            if let Some(property) = node.get("properties").and_then(|p| p.get(key)) {
                nodes.push(property);
            } else if let Some(extra) = node.get("additionalProperties").filter(|v| v.is_object()) {
                nodes.push(extra);
            }
        }
        Self { root: self.root, nodes }
    }

    /// The schema of a sequence's items.
    pub(super) fn item(&self) -> Self {
        let nodes = self
            .alternatives()
            .into_iter()
            .filter_map(|node| node.get("items"))
            .collect();
        Self { root: self.root, nodes }
    }
}
