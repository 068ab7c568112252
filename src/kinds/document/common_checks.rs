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

/// Checks the org names of `metadata.orgs` at `rel` (the `metadata` map) and says where the
/// resource goes. An empty list is refused: a resource for no org is a mistake.
pub(crate) fn placement(checker: &mut Checker<'_>, rel: &[&str], orgs: Option<&[String]>) -> super::Placement {
    check_orgs(checker, rel, orgs);
    checker.org.placement(orgs)
}

/// The checks of [`placement`], reported at each name.
fn check_orgs(checker: &mut Checker<'_>, rel: &[&str], orgs: Option<&[String]>) {
    let Some(orgs) = orgs else { return };
    let field: Vec<&str> = rel.iter().copied().chain(["orgs"]).collect();
    if orgs.is_empty() {
        let diagnostic = checker
            .error(&field, "`orgs` is empty: the resource would go to no org")
            .with_help("name at least one org, or remove `orgs` to send it to every org");
        checker.push(diagnostic);
    }
    for (index, org) in orgs.iter().enumerate() {
        let index_text = index.to_string();
        let at: Vec<&str> = field.iter().copied().chain([index_text.as_str()]).collect();
        if let Some((message, help)) = checker.org.unknown_org(org) {
            let diagnostic = checker.error(&at, message).with_help(help).with_label("unknown org");
            checker.push(diagnostic);
        }
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
