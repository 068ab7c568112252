//! Why a plan cannot be applied: one variant per problem, each naming the resources involved.
//! Saved and printed as its message; a plan with errors is never saved, so reading one back
//! keeps only the text ([`PlanError::Recorded`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::ResourceKey;

/// One problem that makes a plan impossible to apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("{flag} `{address}` matches no declared or managed resource")]
    UnknownAddress { flag: &'static str, address: String },
    #[error("{flag} `{address}` is ambiguous: {candidates}; give KIND/NAME")]
    AmbiguousAddress {
        flag: &'static str,
        address: String,
        candidates: String,
    },
    #[error("--replace {0}: only a declared resource can be replaced (it is created again from its manifest)")]
    ReplaceUndeclared(ResourceKey),
    #[error("--selector `{0}` matches no declared resource")]
    SelectorMatchesNothing(String),
    /// Credentials the action must send cannot be read now.
    #[error("{key}: cannot {action}: {}", .problems.join("; "))]
    SecretsUnavailable {
        key: ResourceKey,
        action: &'static str,
        problems: Vec<String>,
    },
    /// The same credentials missing for many resources (a set reading one variable): one
    /// error with the count, rather than one per resource.
    #[error("{count} resources need it: cannot {action} {first} and {} more: {}", .count - 1, .problems.join("; "))]
    SecretsUnavailableMany {
        first: ResourceKey,
        count: usize,
        action: &'static str,
        problems: Vec<String>,
    },
    #[error(
        "{key}: lifecycle.preventDestroy forbids replacing it ({reason}); remove preventDestroy or revert the change"
    )]
    ReplaceProtected { key: ResourceKey, reason: String },
    #[error(
        "no resource is declared (no manifests found); check the paths, or pass --allow-empty to plan against an empty declaration"
    )]
    NoManifests,
    #[error(
        "the plan deletes {deletes} of {managed} managed objects{}, more than --max-delete-fraction allows ({limit}); check the paths and selection, or pass --allow-mass-delete if that is intended",
        replaced_note(*replaces)
    )]
    MassDelete {
        deletes: usize,
        /// Of the deletes, those that are replaces (delete, then create).
        replaces: usize,
        managed: usize,
        limit: String,
    },
    /// A replace takes a dependent along that the selection leaves out.
    #[error("{replaced} is replaced, which needs {dependent} (outside --target) replaced too; include it in --target")]
    CascadeOutsideSelection {
        replaced: ResourceKey,
        dependent: ResourceKey,
    },
    #[error(
        "{replaced} cannot be replaced while {dependent} uses it and d360 does not manage that {noun}; delete the {noun} or declare it",
        noun = .dependent.kind.noun()
    )]
    UnmanagedDependent {
        replaced: ResourceKey,
        dependent: ResourceKey,
    },
    #[error("{deleted} cannot be deleted while {dependent} uses it")]
    DeleteInUse {
        deleted: ResourceKey,
        dependent: ResourceKey,
    },
    /// `--check` found that the resource would not work: its connection test failed, or its
    /// source lacks what it declares. `problems` are rendered (with the org's `errorCode` and a
    /// did-you-mean from what the org listed).
    #[error("{key}: check failed: {}", .problems.join("; "))]
    CheckFailed { key: ResourceKey, problems: Vec<String> },
    /// What the org offers does not fit a declared resource (from its kind's checks).
    #[error("{0}")]
    Org(String),
    /// A listing the org refused.
    #[error("{listing} cannot be listed in this org: {message}")]
    Refused { listing: String, message: String },
    /// Read back from a saved plan.
    #[error("{0}")]
    Recorded(String),
}

impl Serialize for PlanError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PlanError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(PlanError::Recorded)
    }
}

/// `(3 of them replaced: deleted, then created anew)`, or nothing.
fn replaced_note(replaces: usize) -> String {
    match replaces {
        0 => String::new(),
        1 => " (1 of them replaced: deleted, then created anew)".to_owned(),
        n => format!(" ({n} of them replaced: deleted, then created anew)"),
    }
}
