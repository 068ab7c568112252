//! Checks every kind's document shares: API names, and `lifecycle` with its `ignoreChanges`
//! entries checked against the kind's fields.

use super::checker::Checker;
use super::diagnostic::did_you_mean;
use super::shared::LifecycleSpec;
use crate::model::{ApiName, Lifecycle};

/// Checks an API name at `rel` and reports problems there.
pub(crate) fn check_name(checker: &mut Checker<'_>, rel: &[&str], name: &str, what: &str) {
    if let Err(error) = ApiName::parse(name) {
        let diagnostic = checker
            .error(rel, format!("`{name}` is not a valid {what} API name: {error}"))
            .with_help(error.help(name))
            .with_label("invalid API name");
        checker.push(diagnostic);
    }
}

/// Converts `ignoreChanges` and checks its entries against the kind's field names.
pub(crate) fn convert_lifecycle(checker: &mut Checker<'_>, spec: Option<&LifecycleSpec>, fields: &[&str]) -> Lifecycle {
    let Some(spec) = spec else { return Lifecycle::default() };
    for (index, entry) in spec.ignore_changes.iter().enumerate() {
        let index_text = index.to_string();
        let root = entry.split(['.', '[']).next().unwrap_or(entry);
        if !fields.contains(&root) {
            let mut diagnostic = checker.error(
                &["spec", "lifecycle", "ignoreChanges", &index_text],
                format!("`{entry}` is not a field that can drift"),
            );
            diagnostic = match did_you_mean(root, fields.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!("fields are: {}", fields.join(", "))),
            };
            checker.push(diagnostic);
        }
    }
    Lifecycle {
        prevent_destroy: spec.prevent_destroy,
        ignore_changes: spec.ignore_changes.clone(),
    }
}
