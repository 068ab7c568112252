//! Pure comparison of a desired resource with its live object: which fields differ, which of
//! those force a replacement, and what happens to write-only secrets.
//!
//! No I/O here: secret values are resolved and fingerprinted by the caller (`plan`), which
//! hands over a [`SecretStatus`] per credential. Normalisation is already done by the model
//! (`Resource::fields`): parameter order, server-only fields and server defaults.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Fields;

use crate::kinds::{LiveObject, Resource};

/// One field that differs, `old` → `new`. `None` means absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FieldChange {
    pub(crate) field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) new: Option<Value>,
    /// A write-only value: `old`/`new` are never shown, only `note`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) sensitive: bool,
    /// The field cannot change in place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) forces_replacement: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// What is known about one desired secret compared with the state's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretStatus {
    /// Same value as last applied.
    Unchanged,
    /// A different value than last applied.
    Changed,
    /// No fingerprint in state (adopted or imported object): it will be set.
    Unknown,
    /// The reference cannot be read now (variable unset, file missing).
    Unresolvable(String),
}

/// Compares the readable fields of `desired` with `live`, honouring `ignoreChanges`.
#[must_use]
pub(crate) fn compare_fields(desired: &Resource, live: &Fields) -> Vec<FieldChange> {
    let wanted = desired.fields();
    let lifecycle = desired.lifecycle();
    // A field absent on the desired side means "remove it live" rather than "don't care" for
    // members of maps the API replaces whole, as the kind's field paths say.
    let paths = desired.field_paths();
    let mut changes = Vec::new();
    let mut names: Vec<&String> = wanted.keys().chain(live.keys()).collect();
    names.sort();
    names.dedup();
    for field in names {
        if lifecycle.ignores(field) {
            continue;
        }
        let new = wanted.get(field);
        let old = live.get(field).filter(|v| !v.is_null());
        let differs = match new {
            Some(Value::Null) => false,
            Some(value) => old != Some(value),
            None => old.is_some() && paths.absence_matters(field),
        };
        if differs {
            changes.push(FieldChange {
                field: field.clone(),
                old: old.cloned(),
                new: new.filter(|v| !v.is_null()).cloned(),
                sensitive: false,
                forces_replacement: desired.is_immutable(field),
                note: None,
            });
        }
    }
    changes
}

/// Compares `desired` with a live object: only the fields the org reported, so a field its
/// answer left out is never a change (the plan lists it as not compared instead).
#[must_use]
pub(crate) fn compare_live(desired: &Resource, live: &LiveObject) -> Vec<FieldChange> {
    let mut changes = compare_fields(desired, &live.fields());
    changes.retain(|change| !live.unreported.covers(&change.field));
    changes
}

/// Changes for secrets: one per credential that will be (re)set. `Unresolvable` ones are not
/// changes; the caller decides whether that is an error.
#[must_use]
pub(crate) fn secret_changes(
    secrets: &[(String, SecretStatus)],
    lifecycle_ignores: impl Fn(&str) -> bool,
) -> Vec<FieldChange> {
    secrets
        .iter()
        .filter_map(|(name, status)| {
            let field = format!("credentials.{name}");
            if lifecycle_ignores(&field) {
                return None;
            }
            let note = match status {
                SecretStatus::Changed => "(sensitive value changed)",
                SecretStatus::Unknown => "(unknown, will be set)",
                SecretStatus::Unchanged | SecretStatus::Unresolvable(_) => return None,
            };
            Some(FieldChange {
                field,
                old: None,
                new: None,
                sensitive: true,
                forces_replacement: false,
                note: Some(note.to_owned()),
            })
        })
        .collect()
}

/// Fields of a resource to be created, as `(absent) → value` changes.
#[must_use]
pub(crate) fn creation_fields(desired: &Resource) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = desired
        .fields()
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(field, value)| FieldChange {
            field,
            old: None,
            new: Some(value),
            sensitive: false,
            forces_replacement: false,
            note: None,
        })
        .collect();
    for (name, reference) in desired.secrets() {
        changes.push(FieldChange {
            field: format!("credentials.{name}"),
            old: None,
            new: None,
            sensitive: true,
            forces_replacement: false,
            note: Some(format!("(sensitive, {reference})")),
        });
    }
    changes
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::kinds::{Connection, Method};
    use crate::model::Lifecycle;

    fn connection(label: &str, params: &[(&str, &str)], ignore: &[&str]) -> Resource {
        Resource::Connection(Connection {
            name: "C".into(),
            labels: crate::model::SmallMap::new(),
            connector_type: "AwsRdsMySql".into(),
            label: label.into(),
            method: Method::Ingress.into(),
            parameters: params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            credentials: crate::model::SmallMap::new(),
            lifecycle: Lifecycle {
                prevent_destroy: false,
                ignore_changes: ignore.iter().map(|s| (*s).to_owned()).collect(),
            },
        })
    }

    #[track_caller]
    fn check(desired: &Resource, live: &Resource, expected: &[&str]) {
        let changes = compare_fields(desired, &live.fields());
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, expected);
    }

    #[test]
    fn same_fields_in_any_order_are_no_change() {
        let a = connection("L", &[("DATABASE", "d"), ("jdbc_connection_url", "u")], &[]);
        let b = connection("L", &[("jdbc_connection_url", "u"), ("DATABASE", "d")], &[]);
        check(&a, &b, &[]);
    }

    #[test]
    fn changed_added_and_removed_parameters() {
        let desired = connection("L2", &[("DATABASE", "d2"), ("NEW", "n")], &[]);
        let live = connection("L", &[("DATABASE", "d"), ("OLD", "o")], &[]);
        check(
            &desired,
            &live,
            &["label", "parameters.DATABASE", "parameters.NEW", "parameters.OLD"],
        );
    }

    #[test]
    fn ignore_changes_hides_fields() {
        let desired = connection("L2", &[("DATABASE", "d2")], &["label", "parameters"]);
        let live = connection("L", &[("DATABASE", "d")], &[]);
        check(&desired, &live, &[]);
    }

    #[test]
    fn connector_type_forces_replacement() {
        let desired = connection("L", &[], &[]);
        let mut live = connection("L", &[], &[]);
        if let Resource::Connection(c) = &mut live {
            c.connector_type = "AwsRdsPostgres".into();
        }
        let changes = compare_fields(&desired, &live.fields());
        assert_eq!(changes.len(), 1);
        assert!(changes[0].forces_replacement);
    }

    #[test]
    fn secret_statuses_become_sensitive_changes() {
        let statuses = vec![
            ("user".to_owned(), SecretStatus::Unchanged),
            ("password".to_owned(), SecretStatus::Changed),
            ("token".to_owned(), SecretStatus::Unknown),
            ("other".to_owned(), SecretStatus::Unresolvable("unset".into())),
        ];
        let changes = secret_changes(&statuses, |_| false);
        let notes: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.note.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            notes,
            vec![
                ("credentials.password", "(sensitive value changed)"),
                ("credentials.token", "(unknown, will be set)")
            ]
        );
        assert!(
            changes
                .iter()
                .all(|c| c.sensitive && c.old.is_none() && c.new.is_none())
        );
        assert!(secret_changes(&statuses, |f| f.starts_with("credentials")).is_empty());
    }
}
