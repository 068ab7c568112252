//! The published spec as the suite reads it: `tests/contract/spec.json` (the extract), the
//! operation a method and path name, and the concrete JSON Schema one body must satisfy.
//!
//! Resolving is value-directed. `allOf` is merged into one object schema and every object
//! schema that declares properties is closed (`additionalProperties: false`): the spec leaves
//! them open, and an undeclared field is exactly what this suite must catch. A polymorphic
//! `oneOf` is resolved to one variant by `connectorType` (of the value, of its parent for
//! `connectorDetails`, of the connection browsed for objects); a `$ref` back to a schema being
//! resolved contributes only its own properties, which ends the spec's recursion
//! (`ConnectionRepresentation` lists variants that are `allOf` of itself). Array items get one
//! resolved schema each (`prefixItems`), since a list of connections mixes families.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use d360_wire::connectors::Family;

/// The extract, parsed once.
pub(crate) struct Spec {
    pub(crate) doc: Value,
}

/// What a resolution needs beyond the value: the direction and the connection in play.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// A `PATCH` body of a connection (its variants are the patch inputs).
    pub(crate) patch: bool,
    /// The `connectorType` of the connection a path names (for browsing answers).
    pub(crate) connection_type: Option<String>,
    /// Set while resolving the properties of an object with a `connectorType`.
    pub(crate) parent_connector_type: Option<String>,
}

/// Choices the resolver made that the spec does not settle, by gap name.
pub(crate) type ResolverNotes = BTreeSet<&'static str>;

impl Spec {
    pub(crate) fn load() -> Self {
        let text = include_str!("../../contract/spec.json");
        Self {
            doc: serde_json::from_str(text).expect("tests/contract/spec.json is JSON"),
        }
    }

    /// The operation for `method` and a path relative to `/services/data/vNN.0`: its path
    /// template and entry. Literal segments win over parameters.
    pub(crate) fn operation(&self, method: &str, path: &str) -> Option<(String, &Value)> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(usize, &String, &Value)> = None;
        for (template, operations) in self.doc["paths"].as_object()? {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let matched = parts.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    !segment.is_empty()
                } else {
                    literal += 1;
                    part == segment
                }
            });
            if matched
                && let Some(entry) = operations.get(method)
                && best.is_none_or(|(score, ..)| literal > score)
            {
                best = Some((literal, template, entry));
            }
        }
        best.map(|(_, template, entry)| (template.clone(), entry))
    }

    fn component(&self, name: &str) -> &Value {
        &self.doc["schemas"][name]
    }

    /// The closed schema `schema` is for `value`.
    pub(crate) fn resolve(&self, schema: &Value, value: &Value, context: &Context, notes: &mut ResolverNotes) -> Value {
        let mut walker = Resolver {
            spec: self,
            stack: Vec::new(),
            notes,
        };
        let mut resolved = walker.node(schema, value, context, false);
        if let Value::Object(map) = &mut resolved {
            map.insert(
                "$schema".to_owned(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
        }
        resolved
    }
}

struct Resolver<'a, 'n> {
    spec: &'a Spec,
    stack: Vec<String>,
    notes: &'n mut ResolverNotes,
}

fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// An object schema being merged from `allOf` parts.
#[derive(Default)]
struct Merged {
    properties: BTreeMap<String, Vec<Value>>,
    required: BTreeSet<String>,
    /// Other keywords (`type`, `enum`, `items`, `additionalProperties` maps...).
    rest: Map<String, Value>,
    /// A part that could not be merged (an unresolved `oneOf`): kept as `allOf`.
    opaque: Vec<Value>,
}

impl Merged {
    fn absorb(&mut self, part: Value) {
        let Value::Object(mut map) = part else {
            self.opaque.push(part);
            return;
        };
        if map.contains_key("oneOf") || map.contains_key("anyOf") {
            self.opaque.push(Value::Object(map));
            return;
        }
        if let Some(Value::Object(properties)) = map.remove("properties") {
            for (name, schema) in properties {
                self.properties.entry(name).or_default().push(schema);
            }
        }
        if let Some(Value::Array(required)) = map.remove("required") {
            self.required
                .extend(required.into_iter().filter_map(|r| r.as_str().map(str::to_owned)));
        }
        // Closed parts merged here are closed again as a whole below.
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
        for (key, value) in map {
            self.rest.entry(key).or_insert(value);
        }
    }

    fn finish(self) -> Value {
        let mut out = self.rest;
        if !self.properties.is_empty() {
            let properties: Map<String, Value> = self
                .properties
                .into_iter()
                .map(|(name, mut schemas)| {
                    let schema = if schemas.len() == 1 {
                        schemas.remove(0)
                    } else {
                        json!({ "allOf": schemas })
                    };
                    (name, schema)
                })
                .collect();
            out.insert("type".to_owned(), json!("object"));
            out.insert("properties".to_owned(), Value::Object(properties));
            out.insert("additionalProperties".to_owned(), json!(false));
        }
        if !self.required.is_empty() {
            out.insert("required".to_owned(), json!(self.required));
        }
        if self.opaque.is_empty() {
            Value::Object(out)
        } else {
            let mut parts = self.opaque;
            parts.push(Value::Object(out));
            json!({ "allOf": parts })
        }
    }
}

impl Resolver<'_, '_> {
    /// `base_only`: a `$ref` back into a schema being resolved; its `oneOf` is skipped.
    fn node(&mut self, schema: &Value, value: &Value, context: &Context, base_only: bool) -> Value {
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let name = ref_name(reference).to_owned();
            let again = self.stack.contains(&name);
            self.stack.push(name.clone());
            let component = self.spec.component(&name).clone();
            let resolved = self.node(&component, value, context, base_only || again);
            self.stack.pop();
            return resolved;
        }
        let mut merged = Merged::default();
        let mut own = map.clone();
        let all_of = own.remove("allOf");
        let one_of = own.remove("oneOf");
        let properties = own.remove("properties");
        let items = own.remove("items");
        let additional = own.remove("additionalProperties");
        // Properties of this object see its connectorType (for `connectorDetails`).
        let mut inner = context.clone();
        if let Some(connector_type) = value.get("connectorType").and_then(Value::as_str) {
            inner.parent_connector_type = Some(connector_type.to_owned());
        }
        if let Some(Value::Array(parts)) = all_of {
            for part in &parts {
                let resolved = self.node(part, value, context, base_only);
                merged.absorb(resolved);
            }
        }
        if let Some(Value::Array(variants)) = one_of
            && !base_only
        {
            let names: Vec<String> = variants
                .iter()
                .filter_map(|v| v.get("$ref").and_then(Value::as_str))
                .map(|r| ref_name(r).to_owned())
                .collect();
            match self.pick(&names, value, context) {
                Pick::One(chosen) => {
                    let reference = json!({ "$ref": format!("#/components/schemas/{chosen}") });
                    let resolved = self.node(&reference, value, context, false);
                    merged.absorb(resolved);
                }
                // The spec has no variant for this value: the base properties only.
                Pick::BaseOnly => {}
                Pick::Any => {
                    let resolved: Vec<Value> = variants
                        .iter()
                        .map(|variant| self.node(variant, value, context, false))
                        .collect();
                    merged.absorb(json!({ "anyOf": resolved }));
                }
            }
        }
        if let Some(Value::Object(properties)) = properties {
            let resolved: Map<String, Value> = properties
                .iter()
                .map(|(name, schema)| {
                    let child = value.get(name).unwrap_or(&Value::Null);
                    (name.clone(), self.node(schema, child, &inner, false))
                })
                .collect();
            merged.absorb(json!({ "properties": resolved }));
        }
        if let Some(items) = items {
            match value {
                Value::Array(elements) if !elements.is_empty() => {
                    let each: Vec<Value> = elements
                        .iter()
                        .map(|element| self.node(&items, element, context, false))
                        .collect();
                    own.insert("prefixItems".to_owned(), Value::Array(each));
                    own.insert("items".to_owned(), json!(false));
                }
                _ => {
                    own.insert("items".to_owned(), self.node(&items, &Value::Null, context, false));
                }
            }
        }
        if let Some(additional) = additional {
            let resolved = match &additional {
                // `Map<String, Object>`: the generator's `{type: object}` means any value.
                Value::Object(inner_map) if inner_map.get("type") == Some(&json!("object")) && inner_map.len() == 1 => {
                    if value
                        .as_object()
                        .is_some_and(|object| object.values().any(|v| !v.is_object()))
                    {
                        self.notes.insert("object-map-values");
                    }
                    json!(true)
                }
                other => self.node(other, &Value::Null, context, false),
            };
            own.insert("additionalProperties".to_owned(), resolved);
        }
        merged.absorb(Value::Object(own));
        merged.finish()
    }

    /// The variant of a polymorphic `oneOf` for `value`.
    fn pick(&mut self, variants: &[String], value: &Value, context: &Context) -> Pick {
        let has = |name: &str| variants.iter().any(|v| v == name);
        let own_type = value.get("connectorType").and_then(Value::as_str).unwrap_or("");
        let chosen = if has("DataConnectionRepresentation") {
            Some(match Family::of(own_type) {
                Family::DataConnector => "DataConnectionRepresentation",
                Family::IngestApi => "IngestApiConnectionRepresentation",
                Family::SalesforceDotCom => "CrmConnectionRepresentation",
                Family::SalesforceMarketingCloud => "MarketingCloudConnectionRepresentation",
                Family::StreamingApp => "StreamingAppConnectionRepresentation",
                Family::AccountEngagement => "AccountEngagementConnectionRepresentation",
            })
        } else if has("DataConnectionInputRepresentation") {
            match (Family::of(own_type), context.patch) {
                (Family::SalesforceMarketingCloud, true) => Some("MarketingCloudConnectionPatchInputRepresentation"),
                (Family::StreamingApp, true) => Some("StreamingAppConnectionPatchInputRepresentation"),
                (_, true) => return Pick::BaseOnly,
                (Family::DataConnector, false) => Some("DataConnectionInputRepresentation"),
                (Family::IngestApi, false) => Some("IngestApiConnectionInputRepresentation"),
                (Family::SalesforceDotCom, false) => Some("CrmConnectionInputRepresentation"),
                (Family::SalesforceMarketingCloud, false) => Some("MarketingCloudConnectionInputRepresentation"),
                (Family::StreamingApp, false) => Some("StreamingAppConnectionInputRepresentation"),
                (Family::AccountEngagement, false) => {
                    self.notes.insert("account-engagement-input");
                    return Pick::BaseOnly;
                }
            }
        } else if has("DataConnectorDetailsConfig") || has("DataConnectorDetailsRepresentation") {
            let output = has("DataConnectorDetailsRepresentation");
            let parent = context.parent_connector_type.as_deref().unwrap_or("DataConnector");
            Some(match (parent, output) {
                ("IngestApi", false) => "IngestApiConnectorDetailsConfig",
                ("IngestApi", true) => "IngestionApiConnectorDetailsRepresentation",
                ("SalesforceDotCom", false) => "CrmConnectorDetailsConfig",
                ("SalesforceDotCom", true) => "CrmConnectorDetailsRepresentation",
                ("SalesforceMarketingCloud", false) => "SalesforceMarketingCloudConnectorDetailsConfig",
                ("SalesforceMarketingCloud", true) => "SalesforceMarketingCloudConnectorDetailsRepresentation",
                ("StreamingApp", false) => "StreamingConnectorDetailsConfig",
                ("StreamingApp", true) => "StreamingConnectorDetailsRepresentation",
                (_, false) => "DataConnectorDetailsConfig",
                (_, true) => "DataConnectorDetailsRepresentation",
            })
        } else if has("ConnectionObjectRepresentation") {
            let family = context.connection_type.as_deref().map(Family::of);
            Some(match family {
                Some(Family::SalesforceDotCom) => "CrmConnectionObjectRepresentation",
                Some(Family::SalesforceMarketingCloud) if value.get("bundleName").is_some() => {
                    "SalesforceMarketingCloudStandardConnectionObjectRepresentation"
                }
                Some(Family::SalesforceMarketingCloud) => {
                    "SalesforceMarketingCloudDataExtensionConnectionObjectRepresentation"
                }
                _ => "ConnectionObjectRepresentation",
            })
        } else {
            None
        };
        chosen.map_or(Pick::Any, |name| Pick::One(name.to_owned()))
    }
}

/// What a polymorphic `oneOf` resolves to.
enum Pick {
    /// This variant.
    One(String),
    /// No variant fits (the spec has none): the base properties only.
    BaseOnly,
    /// No rule: any closed variant may match.
    Any,
}
