//! Drift: how the live org differs from the manifests and state, for scheduled checks.
//!
//! Built from a [`Plan`] (the same reading and diffing), then classified per resource:
//! changed out of band, missing (deleted out of band), secrets that cannot be verified,
//! unmanaged objects of the kinds in play, managed objects no manifest declares, and in sync.
//! Rendered as text, JSON, markdown or JUnit XML (one test case per resource); `several`
//! shows several orgs' reports together.

mod junit;
mod render;
pub(crate) mod several;

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

pub(crate) use junit::render as render_junit;
pub(crate) use render::{render_markdown, render_text};

use crate::diff::FieldChange;
use crate::model::{Kind, ResourceKey};
use crate::plan::{Action, ActionKind, Plan, Warning};
use crate::refresh::LiveSnapshot;
use crate::state::State;

/// The drift format this build writes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// What is wrong with one resource (or that nothing is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Status {
    /// Live fields differ from the manifest.
    Changed,
    /// Declared (or managed) but not in the org.
    Missing,
    /// Credentials cannot be compared: no fingerprint, a changed value, or an unreadable reference.
    SecretUnverified,
    /// Declared fields the org did not report (read by id too): not compared.
    Unverifiable,
    /// In the org, of a kind in play, not managed by d360.
    Unmanaged,
    /// Managed, in the org, but no manifest declares it any more.
    Undeclared,
    /// Managed, and the org says it does not work (a connection whose status is not
    /// `Connected`, such as `NeedsReAuth` after a password rotation); see `orgStatus`.
    Unhealthy,
    InSync,
}

impl Status {
    #[must_use]
    pub(crate) fn is_drift(self) -> bool {
        self != Status::InSync
    }

    #[must_use]
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Status::Changed => "changed outside d360",
            Status::Missing => "missing from the org",
            Status::SecretUnverified => "credentials cannot be verified",
            Status::Unverifiable => "fields not reported by the org",
            Status::Unmanaged => "not managed by d360",
            Status::Undeclared => "managed but no longer declared",
            Status::Unhealthy => "not working in the org",
            Status::InSync => "in sync",
        }
    }
}

/// One resource's drift.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) details: Vec<String>,
    /// The org's status of the object when it says the object does not work (`NeedsReAuth`,
    /// `Failed`, `Disconnected` for a connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) org_status: Option<String>,
}

impl Item {
    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind, self.name.clone())
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub(crate) changed: usize,
    pub(crate) missing: usize,
    pub(crate) secret_unverified: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) unverifiable: usize,
    pub(crate) unmanaged: usize,
    pub(crate) undeclared: usize,
    pub(crate) unhealthy: usize,
    pub(crate) in_sync: usize,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// The whole report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Report {
    pub(crate) format_version: u32,
    pub(crate) org: String,
    pub(crate) checked_at: String,
    pub(crate) drift: bool,
    pub(crate) summary: Summary,
    /// Sorted: drifted first (by status), then in sync; by kind and name within.
    pub(crate) items: Vec<Item>,
    /// Plan warnings and problems worth knowing (they do not make drift).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
}

impl Report {
    /// Whether any resource has one of the `fail_on` statuses (`drift --fail-on`: exit 2).
    #[must_use]
    pub(crate) fn fails_on(&self, fail_on: &[Status]) -> bool {
        self.items.iter().any(|i| fail_on.contains(&i.status))
    }

    /// `Drift: 1 changed, 0 missing, …; 20 in sync.`
    #[must_use]
    pub(crate) fn summary_line(&self) -> String {
        let s = &self.summary;
        if !self.drift {
            return format!(
                "No drift: {} resource{} in sync.",
                s.in_sync,
                if s.in_sync == 1 { "" } else { "s" }
            );
        }
        let mut unhealthy = if s.unhealthy > 0 {
            format!(", {} not working in the org", s.unhealthy)
        } else {
            String::new()
        };
        if s.unverifiable > 0 {
            unhealthy.push_str(&format!(", {} with fields the org did not report", s.unverifiable));
        }
        format!(
            "Drift: {} changed, {} missing, {} with unverifiable credentials, {} unmanaged, {} no longer declared{unhealthy}; {} in sync.",
            s.changed, s.missing, s.secret_unverified, s.unmanaged, s.undeclared, s.in_sync
        )
    }
}

fn item(kind: Kind, name: &str, status: Status, id: Option<String>) -> Item {
    Item {
        kind,
        name: name.to_owned(),
        status,
        id,
        changes: Vec::new(),
        details: Vec::new(),
        org_status: None,
    }
}

/// The entry of `key` in `items`, or a new one with `status` (and the record id state has).
fn entry_for<'a>(
    items: &'a mut Vec<Item>,
    seen: &mut BTreeSet<ResourceKey>,
    key: &ResourceKey,
    status: Status,
    state: &State,
) -> &'a mut Item {
    if let Some(index) = items.iter().position(|entry| entry.key() == *key) {
        return &mut items[index];
    }
    seen.insert(key.clone());
    items.push(item(key.kind, &key.name, status, state.get(key).map(|m| m.id.clone())));
    let last = items.len() - 1;
    &mut items[last]
}

/// Classifies a plan made without `--prune` into a drift report. `declared`: every declared
/// resource (those without an action are in sync); `live`: what the plan read, for the org's
/// status of managed objects.
#[must_use]
pub(crate) fn from_plan(plan: &Plan, declared: &[ResourceKey], state: &State, live: &LiveSnapshot) -> Report {
    let mut items: Vec<Item> = plan.actions.iter().map(|action| from_action(action, state)).collect();
    let mut seen: BTreeSet<ResourceKey> = items.iter().map(Item::key).collect();
    add_object_warnings(plan, &mut items, &mut seen, state);
    let mut notes = add_warnings(plan, declared, &mut items, &mut seen, state);
    notes.extend(plan.errors.iter().map(ToString::to_string));
    for (object, status) in plan.unmanaged.iter().map(|object| (object, Status::Unmanaged)).chain(
        plan.no_longer_declared
            .iter()
            .map(|object| (object, Status::Undeclared)),
    ) {
        items.push(item(object.kind, &object.name, status, Some(object.id.clone())));
    }
    for key in declared.iter().filter(|key| !seen.contains(key)) {
        items.push(item(
            key.kind,
            &key.name,
            Status::InSync,
            state.get(key).map(|m| m.id.clone()),
        ));
    }
    mark_unhealthy(&mut items, state, live);
    items.sort_by(|a, b| (a.status, a.kind, &a.name).cmp(&(b.status, b.kind, &b.name)));
    Report {
        format_version: FORMAT_VERSION,
        org: plan.org.clone(),
        checked_at: plan.created_at.clone(),
        drift: items.iter().any(|i| i.status.is_drift()),
        summary: Summary::of(&items),
        items,
        notes,
    }
}

/// What one planned action says about its resource.
fn from_action(action: &Action, state: &State) -> Item {
    let mut entry = item(action.kind, &action.name, Status::InSync, action.id.clone());
    match action.action {
        ActionKind::Create => {
            entry.status = Status::Missing;
            entry.details.push(if state.get(&action.key()).is_some() {
                "managed by d360 but deleted outside it".to_owned()
            } else {
                "declared but never created (or created under another name)".to_owned()
            });
        }
        ActionKind::Update | ActionKind::Replace => {
            let (secret, readable): (Vec<FieldChange>, Vec<FieldChange>) =
                action.changes.iter().cloned().partition(|c| c.sensitive);
            entry.status = if readable.is_empty() {
                Status::SecretUnverified
            } else {
                Status::Changed
            };
            entry.changes = readable;
            entry.changes.extend(secret);
            entry.details.extend(
                action
                    .reasons
                    .iter()
                    .filter(|r| r.describes_object())
                    .map(ToString::to_string),
            );
        }
        ActionKind::Forget => {
            entry.status = Status::Missing;
            entry
                .details
                .push("managed by d360, no longer declared, and gone from the org".to_owned());
        }
        ActionKind::Adopt => entry
            .details
            .push("matches the manifest; not yet recorded in state".to_owned()),
        ActionKind::Delete => {
            entry.status = Status::Undeclared;
        }
    }
    entry
}

/// Objects the org did not keep (changed, whatever else their entry said) and objects with
/// fields it did not report (unverifiable unless something else is wrong).
fn add_object_warnings(plan: &Plan, items: &mut Vec<Item>, seen: &mut BTreeSet<ResourceKey>, state: &State) {
    for object in &plan.not_kept {
        let entry = entry_for(items, seen, &object.key(), Status::Changed, state);
        entry.status = Status::Changed;
        entry.changes.extend(object.fields.iter().map(|n| FieldChange {
            field: n.field.clone(),
            old: n.reads.clone(),
            new: n.sent.clone(),
            sensitive: false,
            forces_replacement: false,
            note: None,
        }));
        entry.details.push(object.describe());
    }
    for object in &plan.not_compared {
        let entry = entry_for(items, seen, &object.key(), Status::Unverifiable, state);
        entry.details.push(object.describe());
    }
}

/// Credentials not compared on a declared object nothing else reports become its entry
/// (unverifiable credentials); every other warning is returned as a note.
fn add_warnings(
    plan: &Plan,
    declared: &[ResourceKey],
    items: &mut Vec<Item>,
    seen: &mut BTreeSet<ResourceKey>,
    state: &State,
) -> Vec<String> {
    let mut notes = Vec::new();
    for warning in &plan.warnings {
        match warning {
            Warning::CredentialNotCompared { key, .. } if declared.contains(key) && !seen.contains(key) => {
                seen.insert(key.clone());
                let mut entry = item(
                    key.kind,
                    &key.name,
                    Status::SecretUnverified,
                    state.get(key).map(|m| m.id.clone()),
                );
                entry.details.push(warning.detail());
                items.push(entry);
            }
            _ => notes.push(warning.to_string()),
        }
    }
    notes
}

impl Summary {
    fn of(items: &[Item]) -> Self {
        let mut summary = Summary::default();
        for entry in items {
            match entry.status {
                Status::Changed => summary.changed += 1,
                Status::Missing => summary.missing += 1,
                Status::SecretUnverified => summary.secret_unverified += 1,
                Status::Unverifiable => summary.unverifiable += 1,
                Status::Unmanaged => summary.unmanaged += 1,
                Status::Undeclared => summary.undeclared += 1,
                Status::Unhealthy => summary.unhealthy += 1,
                Status::InSync => summary.in_sync += 1,
            }
        }
        summary
    }
}

/// A managed object the org says does not work: its own status when nothing else drifted,
/// and a detail with the org's status and what to do either way.
fn mark_unhealthy(items: &mut [Item], state: &State, live: &LiveSnapshot) {
    for entry in items.iter_mut() {
        let key = entry.key();
        if state.get(&key).is_none() {
            continue;
        }
        let Some(unhealthy) = live.get(&key).and_then(|object| object.unhealthy.as_ref()) else {
            continue;
        };
        if entry.status == Status::InSync {
            entry.status = Status::Unhealthy;
        }
        entry.org_status = Some(unhealthy.status.clone());
        entry.details.push(format!(
            "the org reports status `{}`: {}",
            unhealthy.status, unhealthy.hint
        ));
    }
}
