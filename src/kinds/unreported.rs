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

/// The paths of compared fields an answer left out, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Unreported(Vec<String>);

impl Unreported {
    /// Records `path` as not reported.
    pub(crate) fn note(&mut self, path: &str) {
        if !self.covers(path) {
            self.0.push(path.to_owned());
        }
    }

    /// The value, or `None` with `path` recorded as not reported.
    pub(crate) fn take<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.note(path);
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
        match value {
            Some(text) => text,
            None => {
                self.note(path);
                String::new()
            }
        }
    }

    /// Whether `field` (a path such as `parameters.DATABASE`) is, or is below, a path recorded
    /// here.
    #[must_use]
    pub(crate) fn covers(&self, field: &str) -> bool {
        self.0.iter().any(|path| {
            field == path
                || field
                    .strip_prefix(path.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The recorded paths.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Forgets `path` (the org reported it after all, or it was resolved from state).
    pub(crate) fn clear(&mut self, path: &str) {
        self.0.retain(|recorded| recorded != path);
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
        assert_eq!(unreported.paths().collect::<Vec<_>>(), ["label", "method"]);
        unreported.clear("label");
        assert_eq!(unreported.paths().collect::<Vec<_>>(), ["method"]);
    }
}
