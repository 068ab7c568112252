//! Compared fields a live answer did not report. The published spec requires few fields of
//! an answer (`connectorType` of a connection; `recordId`, `status` and `dataLakeObjectInfo`
//! of a data stream), so any other may be missing. Decoding records each one it could not
//! read here, by the path `Resource::fields` gives it, instead of reading it as `""`, `0` or
//! `[]`: a field recorded here is never compared (`LiveObject::fields` leaves it out, `diff`
//! skips it), so it is never the reason for an update, a replace or a delete.
//!
//! The model value decoding puts at such a path is a placeholder nobody reads: comparisons go
//! through `LiveObject::fields`, and `import` and `drift --accept` refuse an object with a
//! field recorded here rather than write the placeholder into a manifest.

use serde::{Deserialize, Serialize};

/// The compared fields an answer left out, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Unreported(Vec<Gap>);

/// One field an answer left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Gap {
    /// The path `Resource::fields` gives it (`connection`, `dataLakeObject.category`).
    pub(crate) path: String,
    /// Whether every object has a value there (a name, a connection); an optional field (a
    /// schema, a record-modified field) may be absent because it is not set, which an answer
    /// cannot tell from not reported: it is not compared either, but a manifest may leave it out.
    pub(crate) required: bool,
}

impl Unreported {
    fn record(&mut self, path: &str, required: bool) {
        if !self.covers(path) {
            self.0.push(Gap {
                path: path.to_owned(),
                required,
            });
        }
    }

    /// Records `path`, a field every object has, as not reported.
    pub(crate) fn note(&mut self, path: &str) {
        self.record(path, true);
    }

    /// Records `path`, a field that may be unset, as not reported.
    pub(crate) fn note_optional(&mut self, path: &str) {
        self.record(path, false);
    }

    /// The value of a field every object has, or `None` with `path` recorded.
    pub(crate) fn take<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.note(path);
        }
        value
    }

    /// The value of a field that may be unset, or `None` with `path` recorded: absent is not
    /// "unset" (an answer cannot tell them apart), so it is not compared.
    pub(crate) fn take_optional<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.note_optional(path);
        }
        value
    }

    /// A text field whose empty value is never legal (API names, labels, ids): the text, or
    /// the placeholder `""` with `path` recorded as not reported.
    pub(crate) fn text(&mut self, path: &str, value: &str) -> String {
        if value.is_empty() {
            self.note(path);
        }
        value.to_owned()
    }

    /// A text field that may be left out: the text, or the placeholder `""` with `path`
    /// recorded as not reported.
    pub(crate) fn take_text(&mut self, path: &str, value: Option<String>) -> String {
        if let Some(text) = value {
            text
        } else {
            self.note(path);
            String::new()
        }
    }

    /// Whether `field` (a path such as `parameters.DATABASE`) is, or is below, a path recorded
    /// here.
    #[must_use]
    pub(crate) fn covers(&self, field: &str) -> bool {
        self.0.iter().any(|gap| {
            field == gap.path
                || field
                    .strip_prefix(gap.path.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded paths.
    #[cfg(test)]
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|gap| gap.path.as_str())
    }

    /// The recorded paths of fields every object has (a manifest cannot be written without).
    pub(crate) fn required(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter(|gap| gap.required).map(|gap| gap.path.as_str())
    }

    /// Forgets `path` (the org reported it after all, or it was resolved from state).
    pub(crate) fn clear(&mut self, path: &str) {
        self.0.retain(|gap| gap.path != path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_covers_itself_and_its_children_only() {
        let mut unreported = Unreported::default();
        unreported.note("parameters");
        unreported.note("dataLakeObject.category");
        assert!(unreported.covers("parameters"));
        assert!(unreported.covers("parameters.DATABASE"));
        assert!(!unreported.covers("parametersX"));
        assert!(unreported.covers("dataLakeObject.category"));
        assert!(!unreported.covers("dataLakeObject.name"));
        assert!(!unreported.covers("label"));
    }

    #[test]
    fn text_and_take_record_only_what_is_missing() {
        let mut unreported = Unreported::default();
        assert_eq!(unreported.text("label", "L"), "L");
        assert_eq!(unreported.take("method", Some(1)), Some(1));
        assert!(unreported.is_empty());
        assert_eq!(unreported.text("label", ""), "");
        assert_eq!(unreported.take::<u8>("method", None), None);
        unreported.note("method");
        assert_eq!(unreported.take_optional::<u8>("schema", None), None);
        assert_eq!(unreported.paths().collect::<Vec<_>>(), ["label", "method", "schema"]);
        assert_eq!(unreported.required().collect::<Vec<_>>(), ["label", "method"]);
        unreported.clear("label");
        assert_eq!(unreported.paths().collect::<Vec<_>>(), ["method", "schema"]);
    }
}
