//! Field paths as types: each kind declares its fields once, as [`FieldPath`]s, and every stage
//! that treats a field specially (immutability, a map the API replaces whole, a change the org
//! tests before an update, `lifecycle.ignoreChanges`) asks that one list.

/// One field of a kind, named as its `fields()` names it (`label`, `parameters`,
/// `dataLakeObject.primaryKey`); it covers itself and every path below it (`parameters.HOST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "four independent properties of a field, each set by name in the kind's declaration"
)]
pub(crate) struct FieldPath {
    pub(crate) path: &'static str,
    /// Cannot change in place: a change means delete then create.
    pub(crate) immutable: bool,
    /// A map of named members the API replaces whole: a member absent on the desired side
    /// is removed live, not left alone.
    pub(crate) replaced_whole: bool,
    /// A change reaches what the org tests (`--check` on an update).
    pub(crate) checked_on_update: bool,
    /// May be named in `lifecycle.ignoreChanges` (top-level fields only).
    pub(crate) ignorable: bool,
}

impl FieldPath {
    /// A field that changes in place, may be ignored, and is nothing else.
    pub(crate) const fn plain(path: &'static str) -> Self {
        Self {
            path,
            immutable: false,
            replaced_whole: false,
            checked_on_update: false,
            ignorable: true,
        }
    }

    pub(crate) const fn immutable(self) -> Self {
        Self {
            immutable: true,
            ..self
        }
    }

    pub(crate) const fn replaced_whole(self) -> Self {
        Self {
            replaced_whole: true,
            ..self
        }
    }

    pub(crate) const fn checked_on_update(self) -> Self {
        Self {
            checked_on_update: true,
            ..self
        }
    }

    pub(crate) const fn not_ignorable(self) -> Self {
        Self {
            ignorable: false,
            ..self
        }
    }

    /// Whether `field` is this path or below it.
    #[must_use]
    pub(crate) fn covers(&self, field: &str) -> bool {
        field == self.path || field.strip_prefix(self.path).is_some_and(|rest| rest.starts_with('.'))
    }

    /// Whether `field` is strictly below this path (a member, `parameters.HOST`).
    #[must_use]
    pub(crate) fn is_above(&self, field: &str) -> bool {
        field.strip_prefix(self.path).is_some_and(|rest| rest.starts_with('.'))
    }
}

/// A kind's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldPaths(pub(crate) &'static [FieldPath]);

impl FieldPaths {
    /// Whether `field` is immutable (the path itself or below an immutable one).
    #[must_use]
    pub(crate) fn is_immutable(self, field: &str) -> bool {
        self.0.iter().any(|path| path.immutable && path.covers(field))
    }

    /// Whether a `field` absent on the desired side means "remove it live": a member of a
    /// map the API replaces whole.
    #[must_use]
    pub(crate) fn absence_matters(self, field: &str) -> bool {
        self.0.iter().any(|path| path.replaced_whole && path.is_above(field))
    }

    /// Whether any of the `changed` fields reaches what the org tests before an update.
    #[must_use]
    pub(crate) fn checked_on_update(self, changed: &[&str]) -> bool {
        changed
            .iter()
            .any(|field| self.0.iter().any(|path| path.checked_on_update && path.covers(field)))
    }

    /// The fields `lifecycle.ignoreChanges` may name, in declaration order.
    #[must_use]
    pub(crate) fn ignorable(self) -> Vec<&'static str> {
        self.0
            .iter()
            .filter(|path| path.ignorable)
            .map(|path| path.path)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATHS: FieldPaths = FieldPaths(&[
        FieldPath::plain("type").immutable().not_ignorable(),
        FieldPath::plain("label"),
        FieldPath::plain("parameters").replaced_whole().checked_on_update(),
        FieldPath::plain("object.key").immutable().not_ignorable(),
    ]);

    #[test]
    fn paths_cover_themselves_and_what_is_below_them_only() {
        assert!(PATHS.is_immutable("type"));
        assert!(PATHS.is_immutable("object.key"));
        assert!(PATHS.is_immutable("object.key.inner"));
        assert!(!PATHS.is_immutable("object.keys"));
        assert!(!PATHS.is_immutable("object"));
        assert!(!PATHS.is_immutable("typeface"));
        assert!(!PATHS.is_immutable("label"));
    }

    #[test]
    fn members_of_maps_replaced_whole_matter_when_absent() {
        assert!(PATHS.absence_matters("parameters.HOST"));
        assert!(!PATHS.absence_matters("parameters"));
        assert!(!PATHS.absence_matters("parametersX.HOST"));
        assert!(!PATHS.absence_matters("label"));
    }

    #[test]
    fn checked_on_update_and_ignorable_follow_the_declarations() {
        assert!(PATHS.checked_on_update(&["label", "parameters.HOST"]));
        assert!(!PATHS.checked_on_update(&["label", "type"]));
        assert_eq!(PATHS.ignorable(), ["label", "parameters"]);
    }
}
