//! The plan: the ordered actions that turn live into desired, a field-level diff for each,
//! and the fingerprint of every live object read.
//!
//! `plan::build` is a pure function of its [`Inputs`] (declared resources, the live
//! snapshot from `refresh`, state, resolved secret fingerprints, and the clock);
//! `plan::make` gathers those inputs (state, `refresh`, secrets) and calls it. `render_text`
//! / `render_markdown` print a plan for people (`several`: several orgs' plans together) and
//! `Serialize` gives the stable JSON form, which is also the saved plan file. `plan` never calls the API client and never writes to
//! the org: `apply` executes a `Plan`.

mod build;
mod errors;
mod make;
mod notes;
mod render_markdown;
pub(crate) mod render_text;
mod saved;
pub(crate) mod seal;
mod secrets;
pub(crate) mod several;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub(crate) use build::{Address, DeleteLimit, Inputs, Options, build, describe_failure, refuse_empty, wanted_checks};
pub(crate) use errors::PlanError;
pub(crate) use make::{Planned, PlanningError, make};
pub(crate) use notes::{Reason, Warning};
pub(crate) use render_markdown::render as render_markdown;
pub(crate) use render_text::render as render_text;
pub(crate) use saved::Sealed;
pub(crate) use saved::{PlanFileError, is_plan_file, load as load_saved, save};
pub(crate) use secrets::{ResolvedSecrets, SecretProbe};

use crate::diff::FieldChange;
use crate::kinds::{Listings, Resource};
use crate::model::{Kind, ResourceKey};

/// The plan format this build writes and reads. A saved file of this build also records its
/// manifests and ends with a digest (fields added, so the version stays); one without a
/// digest (an older d360's) is refused all the same.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ActionKind {
    Create,
    Update,
    /// Delete then create (an immutable field changed).
    Replace,
    Delete,
    /// Exists live with the declared fields but is not in state: record it as managed.
    Adopt,
    /// In state but gone from the org and from the manifests: drop it from state.
    Forget,
}

impl ActionKind {
    /// Whether the action changes the org (adopt and forget only touch state).
    #[must_use]
    pub(crate) fn changes_org(self) -> bool {
        !matches!(self, ActionKind::Adopt | ActionKind::Forget)
    }

    #[must_use]
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ActionKind::Create => "+",
            ActionKind::Update => "~",
            ActionKind::Replace => "-/+",
            ActionKind::Delete => "-",
            ActionKind::Adopt => "=",
            ActionKind::Forget => "?",
        }
    }

    #[must_use]
    pub(crate) fn verb(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
            ActionKind::Delete => "delete",
            ActionKind::Adopt => "adopt",
            ActionKind::Forget => "forget",
        }
    }
}

/// One action on one resource.
#[expect(
    clippy::struct_field_names,
    reason = "`action` is the plan file's documented field name"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Action {
    pub(crate) action: ActionKind,
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// The live record id (absent for creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    /// The scope of the listing the live object was found in (a connection's connector type).
    #[serde(rename = "liveConnectorType", default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) changes: Vec<FieldChange>,
    /// Why, in words: "connectorType cannot change in place", "deleted outside d360".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) reasons: Vec<Reason>,
    /// The desired resource (references only, never secret values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) desired: Option<std::sync::Arc<Resource>>,
    /// Where it is declared (`file:line:col`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) origin: Option<String>,
    /// `--check` could not check it before the apply (its connection is created first):
    /// `apply --check` checks it right before this step.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) check_on_apply: bool,
}

impl Action {
    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind, self.name.clone())
    }
}

/// A live object mentioned but not acted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LiveRef {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) id: String,
}

/// A live object some of whose declared fields the org's answers left out (read by id too):
/// those fields were not compared, so they are neither a change nor a reason to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotCompared {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// Field paths, as in `changes`.
    pub(crate) fields: Vec<String>,
}

impl NotCompared {
    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind, self.name.clone())
    }

    /// `parameters.DATABASE, label: not reported by the org: not compared`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        format!("{}: not reported by the org: not compared", self.fields.join(", "))
    }
}

/// A managed object whose last write the org did not keep in full (read back after the
/// apply): those fields are not proposed again until the manifest or the live value changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotKeptObject {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) fields: Vec<crate::state::NotKept>,
}

impl NotKeptObject {
    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind, self.name.clone())
    }

    /// `the org did not keep label (sent "A", reads "B") when d360 last wrote it: not proposed
    /// again until the manifest changes`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let fields: Vec<String> = self.fields.iter().map(crate::state::NotKept::describe).collect();
        format!(
            "the org did not keep {} when d360 last wrote it: not proposed again until the manifest changes",
            fields.join(", ")
        )
    }
}

/// Action counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub(crate) create: usize,
    pub(crate) update: usize,
    pub(crate) replace: usize,
    pub(crate) delete: usize,
    pub(crate) adopt: usize,
    pub(crate) forget: usize,
    pub(crate) unchanged: usize,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Plan {
    pub(crate) format_version: u32,
    pub(crate) org: String,
    pub(crate) created_at: String,
    pub(crate) summary: Summary,
    /// In execution order: deletes (streams first), then connections, then streams.
    pub(crate) actions: Vec<Action>,
    /// Live objects of the kinds in play that d360 does not manage: never touched.
    #[serde(default)]
    pub(crate) unmanaged: Vec<LiveRef>,
    /// Managed objects no manifest declares; deleted only with `--prune`.
    #[serde(default)]
    pub(crate) no_longer_declared: Vec<LiveRef>,
    /// With `--prune`: managed objects no manifest declares that `preventDestroy` (recorded
    /// when they were applied) keeps; never deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) protected: Vec<LiveRef>,
    /// Declared fields the org did not report: not compared, never a reason to write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_compared: Vec<NotCompared>,
    /// Fields the org did not keep when last written: not proposed again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_kept: Vec<NotKeptObject>,
    #[serde(default)]
    pub(crate) warnings: Vec<Warning>,
    /// Problems that make the plan impossible to apply.
    #[serde(default)]
    pub(crate) errors: Vec<PlanError>,
    pub(crate) prune: bool,
    /// State the plan was made against.
    pub(crate) state_lineage: String,
    pub(crate) state_serial: u64,
    /// Fingerprint of every live object read; `apply PLANFILE` re-checks them.
    pub(crate) fingerprints: BTreeMap<ResourceKey, String>,
    /// What was listed to read the org (`apply PLANFILE` reads the same again).
    #[serde(flatten)]
    pub(crate) listings: Listings,
    /// What applying it costs in API requests, and what the org has left.
    #[serde(default)]
    pub(crate) api: ApiBudget,
    /// The manifests it was made from, so `apply PLANFILE` can tell whether they changed
    /// since (set when it is saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manifests: Option<ManifestsRecord>,
}

/// Where the manifests of a saved plan were read, and a digest of the resources they gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestsRecord {
    /// As given on the command line (or the default), relative to the working folder.
    pub(crate) paths: Vec<String>,
    /// `sha256:` of the rendered resources (after sets and interpolation), in load order.
    pub(crate) digest: String,
    /// The manifest set as written (the digest of its files, the same in every org, and its
    /// git commit): what `apply PLANFILE` checks against the org promoted from and records as
    /// converged. Absent in plans made before promotion checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) set: Option<crate::model::SetVersion>,
    /// The plan covers part of the set only (`--target`, `--exclude`, `--selector`): applying
    /// it does not record the set as converged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) partial: bool,
}

impl ManifestsRecord {
    /// The record of `resources` read from `paths`.
    #[must_use]
    pub(crate) fn of(paths: &[std::path::PathBuf], resources: &[crate::manifest::Declared]) -> Self {
        Self {
            paths: paths.iter().map(|p| p.display().to_string()).collect(),
            digest: resources_digest(resources),
            set: None,
            partial: false,
        }
    }

    /// The record with the manifest set as written (`set`), and whether the plan covers only
    /// part of it (`partial`).
    #[must_use]
    pub(crate) fn with_set(self, set: crate::model::SetVersion, partial: bool) -> Self {
        Self {
            set: Some(set),
            partial,
            ..self
        }
    }
}

/// `sha256:` of the resources' JSON, streamed into the hash.
#[must_use]
pub(crate) fn resources_digest(resources: &[crate::manifest::Declared]) -> String {
    let mut hashing = std::io::BufWriter::new(crate::model::Digesting::sha256());
    for declared in resources {
        // Serialising a resource cannot fail (string keys, no non-finite floats); a failure
        // would only make the digest differ, which refuses the plan: the safe side.
        let _ = serde_json::to_writer(&mut hashing, &*declared.resource);
        let _ = std::io::Write::write_all(&mut hashing, b"\n");
    }
    let digest = match hashing.into_inner() {
        Ok(digesting) => hex::encode(digesting.finish().as_ref()),
        Err(_) => String::new(),
    };
    format!("sha256:{digest}")
}

/// API requests an apply of the plan spends, and the org's daily allowance when it said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiBudget {
    /// Reading the org again: an apply plans anew, or re-checks a saved plan.
    pub(crate) reads: u64,
    pub(crate) creates: u64,
    pub(crate) updates: u64,
    /// Two each: the delete and the create.
    pub(crate) replaces: u64,
    pub(crate) deletes: u64,
    /// `--check`: connection tests and source browses (an apply with `--check` sends them again).
    #[serde(default)]
    pub(crate) checks: u64,
    /// All of the above.
    pub(crate) total: u64,
    /// At most one lookup by name per create whose answer is lost (timeout, dropped
    /// connection), on top of `total`.
    pub(crate) lookups_at_most: u64,
    /// `Sforce-Limit-Info`: requests used in the last 24 hours, and the allowance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) used: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<u64>,
}

impl ApiBudget {
    /// What the plan's actions and a read of the org cost.
    #[must_use]
    pub(crate) fn estimate(actions: &[Action], reads: u64, checks: u64, usage: Option<(u64, u64)>) -> Self {
        let count = |kind: ActionKind| actions.iter().filter(|a| a.action == kind).count() as u64;
        let (creates, updates, replaces, deletes) = (
            count(ActionKind::Create),
            count(ActionKind::Update),
            count(ActionKind::Replace),
            count(ActionKind::Delete),
        );
        Self {
            reads,
            creates,
            updates,
            replaces,
            deletes,
            checks,
            total: reads + checks + creates + updates + 2 * replaces + deletes,
            lookups_at_most: creates + replaces,
            used: usage.map(|(used, _)| used),
            limit: usage.map(|(_, limit)| limit),
        }
    }

    /// Requests left today, when the org said.
    #[must_use]
    pub(crate) fn remaining(&self) -> Option<u64> {
        Some(self.limit?.saturating_sub(self.used?))
    }

    /// `about 305 API requests (5 to read the org, 300 creates; up to 300 more if creates
    /// lose their answer); the org has 14,695 of 15,000 left today`.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let mut parts = vec![format!("{} to read the org", self.reads)];
        if self.checks > 0 {
            parts.push(format!("{} for --check", self.checks));
        }
        for (count, what, each) in [
            (self.creates, "create", ""),
            (self.updates, "update", ""),
            (self.replaces, "replace", " of 2 requests each"),
            (self.deletes, "delete", ""),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}{}{each}", if count == 1 { "" } else { "s" }));
            }
        }
        let mut text = format!("about {} API requests ({}", self.total, parts.join(", "));
        if self.lookups_at_most > 0 {
            text.push_str(&format!(
                "; up to {} more if creates lose their answer",
                self.lookups_at_most
            ));
        }
        text.push(')');
        match (self.remaining(), self.limit) {
            (Some(remaining), Some(limit)) => {
                text.push_str(&format!("; the org has {remaining} of {limit} left today"));
            }
            _ => text.push_str("; the org did not report its daily allowance"),
        }
        text
    }
}

impl Plan {
    /// Whether applying would change the org.
    #[must_use]
    pub(crate) fn has_changes(&self) -> bool {
        self.actions.iter().any(|a| a.action.changes_org())
    }

    /// Whether applying would change anything at all (org or state).
    #[must_use]
    pub(crate) fn has_work(&self) -> bool {
        !self.actions.is_empty()
    }

    /// What the org did not keep of earlier writes, then what it did not report, one line per
    /// object: `(Connection/X, "the org did not keep label ...")`.
    pub(crate) fn object_warnings(&self) -> impl Iterator<Item = (ResourceKey, String)> + '_ {
        let not_kept = self.not_kept.iter().map(|object| (object.key(), object.describe()));
        let not_compared = self.not_compared.iter().map(|object| (object.key(), object.describe()));
        not_kept.chain(not_compared)
    }

    /// The summary line: `Plan: 3 to create, 1 to update, 0 to replace, 0 to delete.`
    #[must_use]
    pub(crate) fn summary_line(&self) -> String {
        let s = &self.summary;
        if !self.has_changes() {
            let mut line = match self.no_longer_declared.len() {
                0 => "No changes. The org matches the manifests.".to_owned(),
                1 => "No changes to apply. 1 managed object is no longer declared: kept; `--prune` deletes it."
                    .to_owned(),
                n => format!(
                    "No changes to apply. {n} managed objects are no longer declared: kept; `--prune` deletes them."
                ),
            };
            if s.adopt > 0 || s.forget > 0 {
                line.push_str(&format!(" ({} to adopt, {} to forget in state.)", s.adopt, s.forget));
            }
            return line;
        }
        let mut line = format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete.",
            s.create, s.update, s.replace, s.delete
        );
        if s.adopt > 0 || s.forget > 0 {
            line.push_str(&format!(" ({} to adopt, {} to forget in state.)", s.adopt, s.forget));
        }
        line
    }
}

/// Counts actions into a summary.
#[must_use]
pub(crate) fn summarise(actions: &[Action], unchanged: usize) -> Summary {
    let mut summary = Summary {
        unchanged,
        ..Summary::default()
    };
    for action in actions {
        match action.action {
            ActionKind::Create => summary.create += 1,
            ActionKind::Update => summary.update += 1,
            ActionKind::Replace => summary.replace += 1,
            ActionKind::Delete => summary.delete += 1,
            ActionKind::Adopt => summary.adopt += 1,
            ActionKind::Forget => summary.forget += 1,
        }
    }
    summary
}
