//! Building a plan: a pure function of declared resources, the live snapshot, state, resolved
//! secret fingerprints and the clock. No I/O, no environment, no kind-specific code: what a
//! kind does differently (dependencies, replace rules, update notes) comes from `kinds`.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, ActionKind, ApiBudget, FORMAT_VERSION, LiveRef, Plan, PlanError, Reason, ResolvedSecrets, Warning,
    summarise,
};
use crate::diff::{self, FieldChange, SecretStatus};
use crate::kinds::{CheckFailure, CheckOutcome, Finding, Listings, LiveObject, Resource};
use crate::manifest::Declared;
use crate::model::ResourceKey;
use crate::refresh::LiveSnapshot;
use crate::state::{Managed, State};

/// What the user asked for beyond the manifests.
#[derive(Debug, Clone, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the flags a user gives plan, each its own switch"
)]
pub(crate) struct Options {
    pub(crate) prune: bool,
    /// `--target KIND/NAME` (or a bare name): only these (and what they depend on).
    pub(crate) targets: Vec<Address>,
    /// `--exclude KIND/NAME` (or a bare name): never these, whatever else selects them.
    pub(crate) exclude: Vec<Address>,
    /// `--replace KIND/NAME` (or a bare name): delete and create these even if unchanged.
    pub(crate) replace: Vec<Address>,
    /// `--selector key=value`: only declared resources with these labels (and dependencies).
    pub(crate) selector: Vec<(String, String)>,
    /// `--check`: test connections and browse stream sources before writing them.
    pub(crate) check: bool,
    /// `--allow-empty`: plan even when no resource is declared.
    pub(crate) allow_empty: bool,
    /// `--max-delete-fraction`: the most deletes a plan may hold without `--allow-mass-delete`.
    pub(crate) delete_limit: DeleteLimit,
    /// `--allow-mass-delete`: no limit on deletes.
    pub(crate) allow_mass_delete: bool,
    /// Not a flag: this command created the state's fingerprint key (it was missing), so the
    /// fingerprints recorded in state cannot be compared.
    pub(crate) fingerprint_key_created: bool,
    /// The plan is `d360 destroy`'s: its deletes are asked for, not pruned.
    pub(crate) destroy: bool,
}

impl Options {
    /// The plan covers part of the manifest set only (`--target`, `--exclude`, `--selector`),
    /// so carrying it out does not converge the set.
    #[must_use]
    pub(crate) fn is_partial(&self) -> bool {
        !self.targets.is_empty() || !self.exclude.is_empty() || !self.selector.is_empty()
    }
}

/// A resource as the user names it: `Kind/name`, or a bare name (any kind with that name,
/// when exactly one resource has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub(crate) kind: Option<crate::model::Kind>,
    pub(crate) name: String,
}

impl Address {
    /// `Connection/X` or `X`; `None` for an empty name or an unknown kind.
    #[must_use]
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.contains('/') {
            let key = ResourceKey::parse(text)?;
            return Some(key.into());
        }
        (!text.is_empty()).then(|| Self {
            kind: None,
            name: text.to_owned(),
        })
    }
}

impl From<ResourceKey> for Address {
    fn from(key: ResourceKey) -> Self {
        Self {
            kind: Some(key.kind),
            name: key.name,
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "{kind}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// How many deletes make a mass deletion (refused without `--allow-mass-delete`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DeleteLimit {
    /// A share of the managed objects (`0.25`: more than a quarter is refused).
    Fraction(f64),
    /// A number of objects (`5`: more than five is refused).
    Count(usize),
}

impl Default for DeleteLimit {
    fn default() -> Self {
        DeleteLimit::Fraction(0.25)
    }
}

impl DeleteLimit {
    /// The most deletes allowed among `managed` objects. Deleting one object is never a mass
    /// deletion, so a small org can still prune its last stray object.
    #[must_use]
    pub(crate) fn allowed(self, managed: usize) -> usize {
        let limit = match self {
            DeleteLimit::Fraction(share) => {
                #[expect(
                    clippy::cast_precision_loss,
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "object counts are far below 2^52 and the share is between 0 and 1"
                )]
                let allowed = (managed as f64 * share).floor() as usize;
                allowed
            }
            DeleteLimit::Count(count) => count,
        };
        limit.max(1)
    }

    /// `25%` or `5 objects`, for messages.
    #[must_use]
    pub(crate) fn describe(self) -> String {
        match self {
            DeleteLimit::Fraction(share) => format!("{}%", (share * 100.0).round()),
            DeleteLimit::Count(count) => format!("{count} object{}", if count == 1 { "" } else { "s" }),
        }
    }
}

/// The error for a declaration with no resource at all, unless `--allow-empty`: planning
/// against nothing (from the wrong folder, say) would offer to delete everything managed.
#[must_use]
pub(crate) fn refuse_empty(desired: &[Declared], options: &Options) -> Option<PlanError> {
    (desired.is_empty() && !options.allow_empty).then_some(PlanError::NoManifests)
}

/// Everything a plan is made of.
pub(crate) struct Inputs<'a> {
    pub(crate) org: &'a str,
    pub(crate) desired: &'a [Declared],
    pub(crate) live: &'a LiveSnapshot,
    pub(crate) state: &'a State,
    pub(crate) secrets: &'a ResolvedSecrets,
    /// Problems of declared resources with what the org offers (`refresh::check`).
    pub(crate) findings: Vec<Finding>,
    pub(crate) options: &'a Options,
    /// When the plan is made (RFC 3339).
    pub(crate) now: String,
    /// API requests reading the org took (an apply reads it again).
    pub(crate) reads: u64,
    /// What `--check` found, per resource checked (see [`wanted_checks`]).
    pub(crate) checks: BTreeMap<ResourceKey, CheckOutcome>,
    /// API requests the checks took.
    pub(crate) check_requests: u64,
    /// `Sforce-Limit-Info` after reading: requests used today and the allowance.
    pub(crate) usage: Option<(u64, u64)>,
}

/// The plan being built, with the lookups every step needs.
struct Builder<'a> {
    inputs: &'a Inputs<'a>,
    /// The resources declared for this org.
    declared: BTreeMap<ResourceKey, &'a Declared>,
    /// Declared for other orgs only (`metadata.orgs`): neither written nor pruned here, and
    /// never "no longer declared".
    other_orgs: BTreeSet<ResourceKey>,
    selected: Option<BTreeSet<ResourceKey>>,
    excluded: BTreeSet<ResourceKey>,
    forced: BTreeSet<ResourceKey>,
    actions: Vec<Action>,
    errors: Vec<PlanError>,
    warnings: Vec<Warning>,
    not_compared: Vec<super::NotCompared>,
    not_kept: Vec<super::NotKeptObject>,
    unchanged: usize,
}

/// The keys declared only for other orgs than the plan's (`metadata.orgs`).
fn other_orgs(desired: &[Declared]) -> BTreeSet<ResourceKey> {
    let here: BTreeSet<ResourceKey> = desired
        .iter()
        .filter(|d| d.for_this_org())
        .map(|d| d.resource.key())
        .collect();
    desired
        .iter()
        .map(|d| d.resource.key())
        .filter(|key| !here.contains(key))
        .collect()
}

/// Builds the plan.
#[must_use]
pub(crate) fn build(inputs: &Inputs<'_>) -> Plan {
    let mut builder = Builder {
        inputs,
        declared: inputs
            .desired
            .iter()
            .filter(|d| d.for_this_org())
            .map(|d| (d.resource.key(), d))
            .collect(),
        other_orgs: other_orgs(inputs.desired),
        selected: None,
        excluded: BTreeSet::new(),
        forced: BTreeSet::new(),
        actions: Vec::new(),
        errors: Vec::new(),
        warnings: inputs
            .live
            .conflicts
            .iter()
            .map(|k| format!("{k} exists more than once in the org; using the first"))
            .chain(inputs.live.unidentified.iter().cloned())
            .map(Warning::Note)
            .collect(),
        not_compared: Vec::new(),
        not_kept: Vec::new(),
        unchanged: 0,
    };
    builder.errors.extend(refuse_empty(inputs.desired, inputs.options));
    if inputs.secrets.key_lost() {
        builder.warnings.push(
            "the state's fingerprint key is missing, so the credential fingerprints in state cannot be compared: every credential shows as unknown and the next apply sets it again (recording new fingerprints)"
                .to_owned()
                .into(),
        );
    }
    builder.org_findings();
    builder.selected = builder.selection();
    builder.excluded = builder.exclusion();
    builder.forced = builder.replacements();
    for declared in inputs.desired.iter().filter(|d| d.for_this_org()) {
        if builder.in_selection(&declared.resource.key()) {
            builder.reconcile(declared);
        }
    }
    builder.cascade_replacements();
    let (no_longer_declared, protected) = builder.undeclared();
    builder.check_deletes();
    builder.check_results();
    builder.check_mass_delete();
    builder.finish(no_longer_declared, protected)
}

impl Builder<'_> {
    fn in_selection(&self, key: &ResourceKey) -> bool {
        !self.excluded.contains(key) && self.selected.as_ref().is_none_or(|s| s.contains(key))
    }

    /// The declared or managed keys an address names: the key itself, or for a bare name
    /// every kind with that name (more than one is an error: ambiguous).
    fn resolve(&mut self, address: &Address, flag: &'static str) -> Option<ResourceKey> {
        let state = self.inputs.state;
        let known = |key: &ResourceKey| self.declared.contains_key(key) || state.get(key).is_some();
        let matching: BTreeSet<ResourceKey> = match address.kind {
            Some(kind) => [ResourceKey::new(kind, address.name.clone())]
                .into_iter()
                .filter(known)
                .collect(),
            None => self
                .declared
                .keys()
                .chain(state.resources.keys())
                .filter(|key| key.name == address.name)
                .cloned()
                .collect(),
        };
        let mut matching = matching.into_iter();
        match (matching.next(), matching.next()) {
            (Some(key), None) => Some(key),
            (None, _) => {
                self.errors.push(PlanError::UnknownAddress {
                    flag,
                    address: address.to_string(),
                });
                None
            }
            (Some(first), Some(second)) => {
                let mut kinds = vec![first.to_string(), second.to_string()];
                kinds.extend(matching.map(|k| k.to_string()));
                self.errors.push(PlanError::AmbiguousAddress {
                    flag,
                    address: address.to_string(),
                    candidates: kinds.join(", "),
                });
                None
            }
        }
    }

    /// The keys `--replace` names; each must be declared (it is created again).
    fn replacements(&mut self) -> BTreeSet<ResourceKey> {
        let options = self.inputs.options;
        let mut forced = BTreeSet::new();
        for address in &options.replace {
            if let Some(key) = self.resolve(address, "--replace") {
                if self.declared.contains_key(&key) {
                    forced.insert(key);
                } else {
                    self.errors.push(PlanError::ReplaceUndeclared(key));
                }
            }
        }
        forced
    }

    /// The keys `--exclude` names.
    fn exclusion(&mut self) -> BTreeSet<ResourceKey> {
        let options = self.inputs.options;
        options
            .exclude
            .iter()
            .filter_map(|address| self.resolve(address, "--exclude"))
            .collect()
    }

    /// Findings of the org checks, and listings the org refused that no finding explains.
    fn org_findings(&mut self) {
        let live = self.inputs.live;
        let explained: BTreeSet<_> = self.inputs.findings.iter().filter_map(|f| f.listing.clone()).collect();
        for finding in &self.inputs.findings {
            if finding.warning {
                self.warnings.push(Warning::Note(finding.message.clone()));
            } else {
                self.errors.push(PlanError::Org(finding.message.clone()));
            }
        }
        for (listing, message) in &live.refused {
            if !explained.contains(listing) {
                self.errors.push(PlanError::Refused {
                    listing: listing.to_string(),
                    message: message.clone(),
                });
            }
        }
    }

    /// The keys `--target` and `--selector` choose (with what they depend on), or `None` for
    /// everything.
    fn selection(&mut self) -> Option<BTreeSet<ResourceKey>> {
        let options = self.inputs.options;
        if options.targets.is_empty() && options.selector.is_empty() {
            return None;
        }
        let mut selected: BTreeSet<ResourceKey> = options
            .targets
            .iter()
            .filter_map(|address| self.resolve(address, "--target"))
            .collect();
        if !options.selector.is_empty() {
            let by_label: Vec<ResourceKey> = self
                .declared
                .iter()
                .filter(|(_, declared)| {
                    let labels = declared.resource.labels();
                    options
                        .selector
                        .iter()
                        .all(|(k, v)| labels.get(k).is_some_and(|l| l == v))
                })
                .map(|(key, _)| key.clone())
                .collect();
            if by_label.is_empty() {
                let pairs: Vec<String> = options.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.errors.push(PlanError::SelectorMatchesNothing(pairs.join(",")));
            }
            selected.extend(by_label);
        }
        // Dependencies come along: a stream's connection must exist first.
        let dependencies: Vec<ResourceKey> = selected
            .iter()
            .filter_map(|key| self.declared.get(key))
            .flat_map(|d| d.resource.depends_on())
            .filter(|dependency| self.declared.contains_key(dependency))
            .collect();
        selected.extend(dependencies);
        Some(selected)
    }

    fn base_action(declared: &Declared) -> Action {
        let key = declared.resource.key();
        Action {
            action: ActionKind::Create,
            kind: key.kind,
            name: key.name,
            id: None,
            scope: None,
            changes: Vec::new(),
            reasons: Vec::new(),
            desired: Some(declared.resource.clone()),
            origin: Some(declared.origin.to_string()),
            check_on_apply: false,
        }
    }

    /// The action for one declared resource: create, replace, update, adopt or nothing.
    fn reconcile(&mut self, declared: &Declared) {
        let inputs = self.inputs;
        let resource = &declared.resource;
        let key = resource.key();
        let managed = inputs.state.get(&key);
        let statuses = inputs.secrets.statuses(&key, managed.map(|m| &m.secrets));
        let missing_secrets = unresolvable(&statuses);
        self.note_undeclared_dependencies(&key, resource);
        let Some(object) = inputs.live.get(&key) else {
            self.create(declared, managed, missing_secrets);
            return;
        };
        let mut field_changes = diff::compare_live(resource, object);
        self.note_unkept_and_uncompared(&key, resource, object, managed, &mut field_changes);
        let base = Action {
            id: Some(object.id.clone()),
            scope: object.resource.listing().scope,
            ..Self::base_action(declared)
        };
        let immutable: Vec<&str> = field_changes
            .iter()
            .filter(|c| c.forces_replacement)
            .map(|c| c.field.as_str())
            .collect();
        if !immutable.is_empty() || self.forced.contains(&key) {
            let reason = if immutable.is_empty() {
                "--replace asks for it".to_owned()
            } else {
                format!("{} cannot change in place", immutable.join(", "))
            };
            self.replace(resource, base, field_changes, reason, missing_secrets);
            return;
        }
        let lifecycle = resource.lifecycle();
        let mut changes = field_changes;
        changes.extend(diff::secret_changes(&statuses, |f| lifecycle.ignores(f)));
        if changes.is_empty() {
            self.adopt_or_keep(&key, object, managed, base, &missing_secrets);
            return;
        }
        let mut reasons = Vec::new();
        if let Some(note) = resource.update_note() {
            reasons.push(Reason::UpdateNote(note.to_owned()));
            self.require_secrets(&key, "update", missing_secrets);
        }
        self.actions.push(Action {
            action: ActionKind::Update,
            changes,
            reasons,
            ..base
        });
    }

    /// A warning for each dependency neither declared nor found live (the org checks it).
    fn note_undeclared_dependencies(&mut self, key: &ResourceKey, resource: &Resource) {
        for dependency in resource.depends_on() {
            if !self.declared.contains_key(&dependency) && self.inputs.live.get(&dependency).is_none() {
                self.warnings.push(Warning::Note(format!(
                    "{key}: {} `{}` is not declared and was not found among the listings read; the org checks it on apply",
                    dependency.kind.noun(),
                    dependency.name
                )));
            }
        }
    }

    /// A create: the resource is not in the org (deleted outside d360 when state has it).
    fn create(&mut self, declared: &Declared, managed: Option<&Managed>, missing_secrets: Vec<String>) {
        let key = declared.resource.key();
        let mut action = Action {
            changes: diff::creation_fields(&declared.resource),
            ..Self::base_action(declared)
        };
        if let Some(managed) = managed {
            action.reasons.push(Reason::Because(format!(
                "managed (was id {}) but missing in the org: deleted outside d360",
                managed.id
            )));
        }
        self.require_secrets(&key, "create", missing_secrets);
        self.actions.push(action);
    }

    /// Takes out of `field_changes` what the org did not keep last time (recording it), and
    /// records the declared fields the org did not report.
    fn note_unkept_and_uncompared(
        &mut self,
        key: &ResourceKey,
        resource: &Resource,
        object: &LiveObject,
        managed: Option<&Managed>,
        field_changes: &mut Vec<FieldChange>,
    ) {
        if let Some(managed) = managed {
            let unkept = drop_not_kept(field_changes, managed, resource);
            if !unkept.is_empty() {
                self.not_kept.push(super::NotKeptObject {
                    kind: key.kind,
                    name: key.name.clone(),
                    fields: unkept,
                });
            }
        }
        let not_compared = object.not_compared(resource);
        if !not_compared.is_empty() {
            self.not_compared.push(super::NotCompared {
                kind: key.kind,
                name: key.name.clone(),
                fields: not_compared,
            });
        }
    }

    /// A replace (an immutable field changed, or `--replace`), refused under `preventDestroy`.
    fn replace(
        &mut self,
        resource: &Resource,
        base: Action,
        field_changes: Vec<FieldChange>,
        reason: String,
        missing_secrets: Vec<String>,
    ) {
        let key = resource.key();
        if resource.lifecycle().prevent_destroy {
            self.errors.push(PlanError::ReplaceProtected {
                key: key.clone(),
                reason: reason.clone(),
            });
        }
        self.require_secrets(&key, "replace", missing_secrets);
        let mut changes = field_changes;
        changes.extend(diff::creation_fields(resource).into_iter().filter(|c| c.sensitive));
        let mut reasons = vec![Reason::Because(reason)];
        reasons.extend(replace_note(resource));
        self.actions.push(Action {
            action: ActionKind::Replace,
            changes,
            reasons,
            ..base
        });
    }

    /// Nothing differs: unchanged when state has it under this id, else an adoption.
    fn adopt_or_keep(
        &mut self,
        key: &ResourceKey,
        object: &LiveObject,
        managed: Option<&Managed>,
        base: Action,
        missing_secrets: &[String],
    ) {
        for missing in missing_secrets {
            self.warnings.push(Warning::CredentialNotCompared {
                key: key.clone(),
                problem: missing.clone(),
            });
        }
        let reason = match managed {
            Some(m) if m.id == object.id => {
                self.unchanged += 1;
                return;
            }
            Some(_) => "the org has a new record id for it",
            None => "exists in the org but not in state",
        };
        self.actions.push(Action {
            action: ActionKind::Adopt,
            reasons: vec![Reason::Because(reason.into())],
            ..base
        });
    }

    fn require_secrets(&mut self, key: &ResourceKey, action: &'static str, problems: Vec<String>) {
        if !problems.is_empty() {
            self.errors.push(PlanError::SecretsUnavailable {
                key: key.clone(),
                action,
                problems,
            });
        }
    }

    /// A replaced object takes the live objects that depend on it along: Salesforce refuses to
    /// delete a connection a stream uses.
    fn cascade_replacements(&mut self) {
        let live = self.inputs.live;
        let replaced: Vec<ResourceKey> = self
            .actions
            .iter()
            .filter(|a| a.action == ActionKind::Replace)
            .map(Action::key)
            .collect();
        let mut position: BTreeMap<ResourceKey, usize> =
            self.actions.iter().enumerate().map(|(i, a)| (a.key(), i)).collect();
        for replaced in replaced {
            for object in live.dependents_of(&replaced) {
                let key = object.key();
                let reason = format!("its {} `{}` is replaced", replaced.kind.noun(), replaced.name);
                if let Some(&index) = position.get(&key) {
                    let action = &mut self.actions[index];
                    if matches!(action.action, ActionKind::Update | ActionKind::Adopt) {
                        action.action = ActionKind::Replace;
                        action.reasons.push(Reason::Because(reason));
                        if let Some(note) = action.desired.as_deref().and_then(replace_note) {
                            action.reasons.push(note);
                        }
                    }
                } else if let Some(declared) = self.declared.get(&key).copied() {
                    if self.in_selection(&key) {
                        position.insert(key.clone(), self.actions.len());
                        let mut reasons = vec![Reason::Because(reason)];
                        reasons.extend(replace_note(&declared.resource));
                        self.actions.push(Action {
                            action: ActionKind::Replace,
                            id: Some(object.id.clone()),
                            scope: object.resource.listing().scope,
                            reasons,
                            ..Self::base_action(declared)
                        });
                        self.unchanged = self.unchanged.saturating_sub(1);
                    } else {
                        self.errors.push(PlanError::CascadeOutsideSelection {
                            replaced: replaced.clone(),
                            dependent: key,
                        });
                    }
                } else if !(self.inputs.options.prune && self.inputs.state.get(&key).is_some()) {
                    self.errors.push(PlanError::UnmanagedDependent {
                        replaced: replaced.clone(),
                        dependent: key,
                    });
                }
            }
        }
    }

    /// Managed resources no manifest declares: deleted with `--prune` (unless `preventDestroy`
    /// was recorded: then protected and kept), forgotten when gone from the org, listed
    /// otherwise. Returns the no-longer-declared and the protected objects.
    fn undeclared(&mut self) -> (Vec<LiveRef>, Vec<LiveRef>) {
        let inputs = self.inputs;
        let mut no_longer_declared = Vec::new();
        let mut protected = Vec::new();
        for (key, managed) in &inputs.state.resources {
            if self.declared.contains_key(key) || self.other_orgs.contains(key) || !self.in_selection(key) {
                continue;
            }
            let bare = |action: ActionKind, id: String, scope: Option<String>, reason: &str| Action {
                action,
                kind: key.kind,
                name: key.name.clone(),
                id: Some(id),
                scope,
                changes: Vec::new(),
                reasons: vec![Reason::Because(reason.to_owned())],
                desired: None,
                origin: None,
                check_on_apply: false,
            };
            match inputs.live.get(key) {
                Some(object) if inputs.options.prune && managed.prevent_destroy => protected.push(LiveRef {
                    kind: key.kind,
                    name: key.name.clone(),
                    id: object.id.clone(),
                }),
                Some(object) if inputs.options.prune => {
                    self.actions.push(bare(
                        ActionKind::Delete,
                        object.id.clone(),
                        object.resource.listing().scope,
                        if inputs.options.destroy {
                            "d360 destroy deletes what d360 manages"
                        } else {
                            "no manifest declares it (--prune)"
                        },
                    ));
                }
                Some(object) => no_longer_declared.push(LiveRef {
                    kind: key.kind,
                    name: key.name.clone(),
                    id: object.id.clone(),
                }),
                None if inputs.live.listed(&managed.listing()) => self.actions.push(bare(
                    ActionKind::Forget,
                    managed.id.clone(),
                    managed.scope.clone(),
                    "gone from the org and from the manifests",
                )),
                None => {}
            }
        }
        (no_longer_declared, protected)
    }

    /// A plan deleting more of the managed objects than `--max-delete-fraction` allows is
    /// refused unless `--allow-mass-delete`: the usual cause is the wrong folder or selector.
    fn check_mass_delete(&mut self) {
        let options = self.inputs.options;
        // A replace deletes first: it counts as a delete.
        let replaces = self.actions.iter().filter(|a| a.action == ActionKind::Replace).count();
        let deletes = replaces + self.actions.iter().filter(|a| a.action == ActionKind::Delete).count();
        let managed = self.inputs.state.resources.len();
        if !options.allow_mass_delete && deletes > options.delete_limit.allowed(managed) {
            self.errors.push(PlanError::MassDelete {
                deletes,
                replaces,
                managed,
                limit: options.delete_limit.describe(),
            });
        }
    }

    /// An object cannot be deleted while a live object that stays depends on it.
    fn check_deletes(&mut self) {
        let going: BTreeSet<ResourceKey> = self
            .actions
            .iter()
            .filter(|a| matches!(a.action, ActionKind::Delete | ActionKind::Replace))
            .map(Action::key)
            .collect();
        for action in self.actions.iter().filter(|a| a.action == ActionKind::Delete) {
            let deleted = action.key();
            for dependent in self.inputs.live.dependents_of(&deleted) {
                if !going.contains(&dependent.key()) {
                    self.errors.push(PlanError::DeleteInUse {
                        deleted: deleted.clone(),
                        dependent: dependent.key(),
                    });
                }
            }
        }
    }

    /// What `--check` found: failures are errors on the resource, deferred checks a warning and
    /// a mark for `apply --check`.
    fn check_results(&mut self) {
        for (key, outcome) in &self.inputs.checks {
            match outcome {
                CheckOutcome::Passed => {}
                CheckOutcome::Failed(failures) => self.errors.push(PlanError::CheckFailed {
                    key: key.clone(),
                    problems: failures.iter().map(describe_failure).collect(),
                }),
                CheckOutcome::Deferred(reason) => {
                    self.warnings
                        .push(Warning::Note(format!("{key}: not checked: {reason}")));
                    if let Some(action) = self.actions.iter_mut().find(|a| &a.key() == key) {
                        action.check_on_apply = true;
                    }
                }
            }
        }
    }

    fn finish(mut self, no_longer_declared: Vec<LiveRef>, protected: Vec<LiveRef>) -> Plan {
        let inputs = self.inputs;
        let unmanaged: Vec<LiveRef> = inputs
            .live
            .objects
            .iter()
            .filter(|(key, _)| !self.declared.contains_key(*key) && inputs.state.get(key).is_none())
            .map(|(key, object)| LiveRef {
                kind: key.kind,
                name: key.name.clone(),
                id: object.id.clone(),
            })
            .collect();
        self.actions.sort_by_key(order);
        self.actions.shrink_to_fit();
        for action in &mut self.actions {
            action.changes.shrink_to_fit();
            action.reasons.shrink_to_fit();
        }
        let api = ApiBudget::estimate(&self.actions, inputs.reads, inputs.check_requests, inputs.usage);
        let errors = group_missing_secrets(self.errors);
        Plan {
            format_version: FORMAT_VERSION,
            org: inputs.org.to_owned(),
            created_at: inputs.now.clone(),
            summary: summarise(&self.actions, self.unchanged),
            actions: self.actions,
            unmanaged,
            no_longer_declared,
            protected,
            not_compared: self.not_compared,
            not_kept: self.not_kept,
            warnings: self.warnings,
            errors,
            prune: inputs.options.prune,
            state_lineage: inputs.state.lineage.clone(),
            state_serial: inputs.state.serial,
            fingerprints: inputs
                .live
                .objects
                .iter()
                .map(|(key, object)| (key.clone(), object.fingerprint()))
                .collect(),
            listings: Listings::new(&inputs.live.listings),
            api,
            manifests: None,
        }
    }
}

/// Takes out of `changes` those the org did not keep when d360 last wrote the same manifest
/// (`managed.spec_digest`) and that still read as they did then; returns them. A changed
/// manifest, or a live value that moved since, is proposed as usual.
fn drop_not_kept(
    changes: &mut Vec<diff::FieldChange>,
    managed: &crate::state::Managed,
    desired: &Resource,
) -> Vec<crate::state::NotKept> {
    if managed.not_kept.is_empty() || managed.spec_digest != crate::model::fingerprint_of("", &desired.fields()) {
        return Vec::new();
    }
    let mut unkept = Vec::new();
    changes.retain(|change| {
        let recorded = managed
            .not_kept
            .iter()
            .find(|n| n.field == change.field && n.sent == change.new && n.reads == change.old);
        match recorded {
            Some(recorded) => {
                unkept.push(recorded.clone());
                false
            }
            None => true,
        }
    });
    unkept
}

/// What replacing `resource` costs beyond the object itself, when its kind says.
fn replace_note(resource: &Resource) -> Option<Reason> {
    resource.replace_note().map(|note| Reason::ReplaceNote(note.to_owned()))
}

fn unresolvable(statuses: &[(String, SecretStatus)]) -> Vec<String> {
    statuses
        .iter()
        .filter_map(|(name, status)| match status {
            SecretStatus::Unresolvable(reason) => Some(format!("credential `{name}`: {reason}")),
            _ => None,
        })
        .collect()
}

/// Execution order: deletes first (dependents before what they depend on), then writes in
/// kind order, then forgets.
fn order(action: &Action) -> (u8, usize, String) {
    let rank = action.kind.rank();
    match action.action {
        ActionKind::Delete => (0, usize::MAX - rank, action.name.clone()),
        ActionKind::Forget => (2, rank, action.name.clone()),
        _ => (1, rank, action.name.clone()),
    }
}

/// One check failure in words, with a did-you-mean for a name close to one the org listed.
#[must_use]
pub(crate) fn describe_failure(failure: &CheckFailure) -> String {
    match failure {
        CheckFailure::Org { code, message } => format!("{code}: {message}"),
        CheckFailure::NotFound {
            what,
            name,
            within,
            available,
        } => {
            let mut text = format!("source {what} `{name}` does not exist in {within}");
            match crate::kinds::document::did_you_mean(name, available.iter().map(String::as_str)) {
                Some(close) => text.push_str(&format!(" (did you mean `{close}`?)")),
                None if available.is_empty() => text.push_str(" (the org lists none)"),
                None => {
                    let shown: Vec<String> = available.iter().take(10).map(|a| format!("`{a}`")).collect();
                    let more = if available.len() > shown.len() { ", ..." } else { "" };
                    text.push_str(&format!(" (the org lists {}{more})", shown.join(", ")));
                }
            }
            text
        }
        CheckFailure::TypeMismatch {
            field,
            declared,
            source,
        } => format!("field `{field}` is declared `{declared}` but the source's is `{source}`, which it cannot hold"),
    }
}

/// The resources of `plan` that `--check` checks: every create and replace, and the updates
/// their kind says reach the source (a connection's parameters or credentials, a stream's
/// fields). Only resources with a desired spec, in plan order.
#[must_use]
pub(crate) fn wanted_checks(plan: &Plan) -> Vec<&Action> {
    plan.actions
        .iter()
        .filter(|action| match (&action.desired, action.action) {
            (Some(_), ActionKind::Create | ActionKind::Replace) => true,
            (Some(desired), ActionKind::Update) => {
                let changed: Vec<&str> = action.changes.iter().map(|c| c.field.as_str()).collect();
                desired.checked_on_update(&changed)
            }
            _ => false,
        })
        .collect()
}

/// Missing credentials that several resources share (same action, same problems) become one
/// error with the count; a problem of one resource stays as it is. Order: first seen.
fn group_missing_secrets(errors: Vec<PlanError>) -> Vec<PlanError> {
    let mut grouped: Vec<PlanError> = Vec::with_capacity(errors.len());
    for error in errors {
        let PlanError::SecretsUnavailable { key, action, problems } = error else {
            grouped.push(error);
            continue;
        };
        let same = grouped.iter_mut().find(|kept| match kept {
            PlanError::SecretsUnavailable {
                action: a, problems: p, ..
            }
            | PlanError::SecretsUnavailableMany {
                action: a, problems: p, ..
            } => *a == action && *p == problems,
            _ => false,
        });
        match same {
            Some(kept @ PlanError::SecretsUnavailable { .. }) => {
                if let PlanError::SecretsUnavailable {
                    key: first,
                    action,
                    problems,
                } = kept.clone()
                {
                    *kept = PlanError::SecretsUnavailableMany {
                        first,
                        count: 2,
                        action,
                        problems,
                    };
                }
            }
            Some(PlanError::SecretsUnavailableMany { count, .. }) => *count += 1,
            _ => grouped.push(PlanError::SecretsUnavailable { key, action, problems }),
        }
    }
    grouped
}
