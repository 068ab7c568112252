//! Building a plan from desired resources, the live snapshot and state.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::SecretString;

use super::live::LiveSnapshot;
use super::{Action, ActionKind, FORMAT_VERSION, LiveRef, Plan, summarise};
use crate::diff::{self, SecretStatus};
use crate::manifest::Declared;
use crate::model::{Kind, Resource, ResourceKey};
use crate::secret::SecretRef;
use crate::state::State;

/// What the user asked for beyond the manifests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub(crate) prune: bool,
    /// `--target KIND/NAME`: only these (and what they depend on).
    pub(crate) targets: Vec<ResourceKey>,
    /// `--selector key=value`: only declared resources with these labels (and dependencies).
    pub(crate) selector: Vec<(String, String)>,
}

/// Resolves secret references and compares them with state fingerprints.
pub(crate) struct SecretProbe {
    pub(crate) key: Vec<u8>,
}

impl SecretProbe {
    /// The fingerprint context of one credential.
    #[must_use]
    pub(crate) fn context(key: &ResourceKey, credential: &str) -> String {
        format!("{key}/{credential}")
    }

    #[must_use]
    pub(crate) fn fingerprint(&self, key: &ResourceKey, credential: &str, value: &SecretString) -> String {
        crate::secret::fingerprint(&self.key, &Self::context(key, credential), value)
    }

    /// The status of one desired credential against the fingerprint in state.
    #[must_use]
    pub(crate) fn status(
        &self,
        key: &ResourceKey,
        credential: &str,
        reference: &SecretRef,
        recorded: Option<&String>,
    ) -> SecretStatus {
        match reference.resolve() {
            Err(error) => SecretStatus::Unresolvable(error.to_string()),
            Ok(value) => match recorded {
                None => SecretStatus::Unknown,
                Some(recorded) if *recorded == self.fingerprint(key, credential, &value) => SecretStatus::Unchanged,
                Some(_) => SecretStatus::Changed,
            },
        }
    }
}

fn selection(
    desired: &[Declared],
    state: &State,
    options: &Options,
    errors: &mut Vec<String>,
) -> Option<BTreeSet<ResourceKey>> {
    if options.targets.is_empty() && options.selector.is_empty() {
        return None;
    }
    let mut selected = BTreeSet::new();
    for declared in desired {
        let key = declared.resource.key();
        let labels = declared.resource.labels();
        let by_label = !options.selector.is_empty()
            && options
                .selector
                .iter()
                .all(|(k, v)| labels.get(k).is_some_and(|l| l == v));
        if options.targets.contains(&key) || by_label {
            selected.insert(key);
        }
    }
    for target in &options.targets {
        let declared = desired.iter().any(|d| &d.resource.key() == target);
        if !declared && state.get(target).is_none() {
            errors.push(format!("--target {target} matches no declared or managed resource"));
        }
        if state.get(target).is_some() {
            selected.insert(target.clone());
        }
    }
    // Dependencies come along: a stream's connection must exist first.
    let dependencies: Vec<ResourceKey> = desired
        .iter()
        .filter(|d| selected.contains(&d.resource.key()))
        .flat_map(|d| d.resource.depends_on())
        .filter(|dependency| desired.iter().any(|d| &d.resource.key() == dependency))
        .collect();
    selected.extend(dependencies);
    Some(selected)
}

fn secret_statuses(resource: &Resource, state: &State, probe: &SecretProbe) -> Vec<(String, SecretStatus)> {
    let key = resource.key();
    let recorded = state.get(&key).map(|m| &m.secrets);
    resource
        .secrets()
        .iter()
        .map(|(name, reference)| {
            let fingerprint = recorded.and_then(|r| r.get(name));
            (name.clone(), probe.status(&key, name, reference, fingerprint))
        })
        .collect()
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

fn order(action: &Action) -> (u8, u8, String) {
    let kind_rank = match action.kind {
        Kind::Connection => 0,
        Kind::DataStream => 1,
    };
    match action.action {
        // Deletes first, streams before the connections they use.
        ActionKind::Delete => (0, 1 - kind_rank, action.name.clone()),
        ActionKind::Forget => (3, kind_rank, action.name.clone()),
        _ => (1 + kind_rank, 0, action.name.clone()),
    }
}

/// Builds the plan. `extra_errors` come from checks made while reading live (connector
/// metadata). Secret references are resolved here (to compare fingerprints), never stored.
#[must_use]
pub(crate) fn build(
    org: &str,
    desired: &[Declared],
    live: &LiveSnapshot,
    state: &State,
    probe: &SecretProbe,
    options: &Options,
    extra_errors: Vec<String>,
) -> Plan {
    let mut errors = extra_errors;
    let mut warnings: Vec<String> = live
        .conflicts
        .iter()
        .map(|k| format!("{k} exists more than once in the org; using the first"))
        .collect();
    let selected = selection(desired, state, options, &mut errors);
    let in_selection = |key: &ResourceKey| selected.as_ref().is_none_or(|s| s.contains(key));
    let declared_keys: BTreeSet<ResourceKey> = desired.iter().map(|d| d.resource.key()).collect();
    let mut actions: Vec<Action> = Vec::new();
    let mut unchanged = 0;

    for declared in desired {
        let resource = &declared.resource;
        let key = resource.key();
        if !in_selection(&key) {
            continue;
        }
        let managed = state.get(&key);
        let statuses = secret_statuses(resource, state, probe);
        let missing_secrets = unresolvable(&statuses);
        let base = Action {
            action: ActionKind::Create,
            kind: key.kind,
            name: key.name.clone(),
            id: None,
            live_connector_type: None,
            changes: Vec::new(),
            reasons: Vec::new(),
            desired: Some(resource.clone()),
            origin: Some(declared.origin.to_string()),
        };
        if let Resource::DataStream(stream) = resource {
            let connection_key = ResourceKey::new(Kind::Connection, stream.connection.clone());
            if !declared_keys.contains(&connection_key) && live.get(&connection_key).is_none() {
                warnings.push(format!(
                    "{key}: connection `{}` is not declared and was not found among the connector types read; the org checks it on apply",
                    stream.connection
                ));
            }
        }
        let Some(object) = live.get(&key) else {
            let mut action = Action {
                changes: diff::creation_fields(resource),
                ..base
            };
            if let Some(managed) = managed {
                action.reasons.push(format!(
                    "managed (was id {}) but missing in the org: deleted outside d360",
                    managed.id
                ));
            }
            if !missing_secrets.is_empty() {
                errors.push(format!("{key}: cannot create: {}", missing_secrets.join("; ")));
            }
            actions.push(action);
            continue;
        };
        let field_changes = diff::compare_fields(resource, &object.resource.fields());
        let live_type = match &object.resource {
            Resource::Connection(c) => Some(c.connector_type.clone()),
            Resource::DataStream(_) => None,
        };
        let base = Action {
            id: Some(object.id.clone()),
            live_connector_type: live_type,
            ..base
        };
        let immutable: Vec<&str> = field_changes
            .iter()
            .filter(|c| c.forces_replacement)
            .map(|c| c.field.as_str())
            .collect();
        if !immutable.is_empty() {
            let reason = format!("{} cannot change in place", immutable.join(", "));
            if resource.lifecycle().prevent_destroy {
                errors.push(format!("{key}: lifecycle.preventDestroy forbids replacing it ({reason}); remove preventDestroy or revert the change"));
            }
            if !missing_secrets.is_empty() {
                errors.push(format!("{key}: cannot replace: {}", missing_secrets.join("; ")));
            }
            let mut changes = field_changes;
            changes.extend(diff::creation_fields(resource).into_iter().filter(|c| c.sensitive));
            actions.push(Action {
                action: ActionKind::Replace,
                changes,
                reasons: vec![reason],
                ..base
            });
            continue;
        }
        let lifecycle = resource.lifecycle();
        let mut changes = field_changes;
        changes.extend(diff::secret_changes(&statuses, |f| lifecycle.ignores(f)));
        if changes.is_empty() {
            for missing in &missing_secrets {
                warnings.push(format!("{key}: {missing}; not compared"));
            }
            match managed {
                Some(m) if m.id == object.id => unchanged += 1,
                Some(_) => actions.push(Action {
                    action: ActionKind::Adopt,
                    reasons: vec!["the org has a new record id for it".into()],
                    ..base
                }),
                None => actions.push(Action {
                    action: ActionKind::Adopt,
                    reasons: vec!["exists in the org but not in state".into()],
                    ..base
                }),
            }
            continue;
        }
        let mut reasons = Vec::new();
        if key.kind == Kind::Connection && !resource.secrets().is_empty() {
            reasons.push("a connection update replaces the whole object (PUT): its credentials are sent again".into());
            if !missing_secrets.is_empty() {
                errors.push(format!("{key}: cannot update: {}", missing_secrets.join("; ")));
            }
        }
        actions.push(Action {
            action: ActionKind::Update,
            changes,
            reasons,
            ..base
        });
    }

    let newly_replaced = cascade_replacements(
        &mut actions,
        live,
        desired,
        &in_selection,
        state,
        options.prune,
        &mut errors,
    );
    unchanged -= newly_replaced.min(unchanged);

    let mut no_longer_declared = Vec::new();
    for managed in state.resources.values() {
        let key = managed.key();
        if declared_keys.contains(&key) || !in_selection(&key) {
            continue;
        }
        let listed = match key.kind {
            Kind::Connection => managed
                .connector_type
                .as_ref()
                .is_some_and(|t| live.connector_types.contains(t)),
            Kind::DataStream => live.data_streams_listed,
        };
        match live.get(&key) {
            Some(object) if options.prune => {
                if managed.prevent_destroy {
                    errors.push(format!("{key}: lifecycle.preventDestroy was set when it was applied; it cannot be pruned (declare it again, or `d360 state rm {key}` to stop managing it)"));
                }
                let live_type = match &object.resource {
                    Resource::Connection(c) => Some(c.connector_type.clone()),
                    Resource::DataStream(_) => None,
                };
                actions.push(Action {
                    action: ActionKind::Delete,
                    kind: key.kind,
                    name: key.name.clone(),
                    id: Some(object.id.clone()),
                    live_connector_type: live_type,
                    changes: Vec::new(),
                    reasons: vec!["no manifest declares it (--prune)".into()],
                    desired: None,
                    origin: None,
                });
            }
            Some(object) => no_longer_declared.push(LiveRef {
                kind: key.kind,
                name: key.name.clone(),
                id: object.id.clone(),
            }),
            None if listed => actions.push(Action {
                action: ActionKind::Forget,
                kind: key.kind,
                name: key.name.clone(),
                id: Some(managed.id.clone()),
                live_connector_type: managed.connector_type.clone(),
                changes: Vec::new(),
                reasons: vec!["gone from the org and from the manifests".into()],
                desired: None,
                origin: None,
            }),
            None => {}
        }
    }
    check_deletes(&actions, live, &mut errors);

    let unmanaged: Vec<LiveRef> = live
        .objects
        .iter()
        .filter(|(key, _)| !declared_keys.contains(key) && state.get(key).is_none())
        .map(|(key, object)| LiveRef {
            kind: key.kind,
            name: key.name.clone(),
            id: object.id.clone(),
        })
        .collect();

    actions.sort_by_key(order);
    let fingerprints: BTreeMap<String, String> = live
        .objects
        .iter()
        .map(|(key, object)| (key.to_string(), object.fingerprint.clone()))
        .collect();
    Plan {
        format_version: FORMAT_VERSION,
        org: org.to_owned(),
        created_at: crate::state::now_rfc3339(),
        summary: summarise(&actions, unchanged),
        actions,
        unmanaged,
        no_longer_declared,
        warnings,
        errors,
        prune: options.prune,
        state_lineage: state.lineage.clone(),
        state_serial: state.serial,
        fingerprints,
        connector_types: live.connector_types.iter().cloned().collect(),
        data_streams_listed: live.data_streams_listed,
    }
}

/// A replaced connection takes the live streams that use it along: Salesforce refuses to
/// delete a connection a stream uses. Returns how many unchanged streams became replaces.
fn cascade_replacements(
    actions: &mut Vec<Action>,
    live: &LiveSnapshot,
    desired: &[Declared],
    in_selection: &dyn Fn(&ResourceKey) -> bool,
    state: &State,
    prune: bool,
    errors: &mut Vec<String>,
) -> usize {
    let mut added = 0;
    let replaced: Vec<String> = actions
        .iter()
        .filter(|a| a.kind == Kind::Connection && a.action == ActionKind::Replace)
        .map(|a| a.name.clone())
        .collect();
    for connection in replaced {
        for object in live.objects.values() {
            let Resource::DataStream(stream) = &object.resource else {
                continue;
            };
            if stream.connection != connection {
                continue;
            }
            let key = object.key();
            if let Some(action) = actions.iter_mut().find(|a| a.key() == key) {
                if matches!(action.action, ActionKind::Update | ActionKind::Adopt) {
                    action.action = ActionKind::Replace;
                    action
                        .reasons
                        .push(format!("its connection `{connection}` is replaced"));
                }
            } else if let Some(declared) = desired.iter().find(|d| d.resource.key() == key) {
                if in_selection(&key) {
                    actions.push(Action {
                        action: ActionKind::Replace,
                        kind: key.kind,
                        name: key.name.clone(),
                        id: Some(object.id.clone()),
                        live_connector_type: None,
                        changes: Vec::new(),
                        reasons: vec![format!("its connection `{connection}` is replaced")],
                        desired: Some(declared.resource.clone()),
                        origin: Some(declared.origin.to_string()),
                    });
                    added += 1;
                } else {
                    errors.push(format!("Connection/{connection} is replaced, which needs {key} (outside --target) replaced too; include it in --target"));
                }
            } else if !(prune && state.get(&key).is_some()) {
                errors.push(format!("Connection/{connection} cannot be replaced while {key} uses it and d360 does not manage that stream; delete the stream or declare it"));
            }
        }
    }
    added
}

/// A connection cannot be deleted while a live stream that stays uses it.
fn check_deletes(actions: &[Action], live: &LiveSnapshot, errors: &mut Vec<String>) {
    let going: BTreeSet<ResourceKey> = actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Delete | ActionKind::Replace))
        .map(Action::key)
        .collect();
    for action in actions
        .iter()
        .filter(|a| a.kind == Kind::Connection && a.action == ActionKind::Delete)
    {
        for object in live.objects.values() {
            if let Resource::DataStream(stream) = &object.resource
                && stream.connection == action.name
                && !going.contains(&object.key())
            {
                errors.push(format!(
                    "Connection/{} cannot be deleted while {} uses it",
                    action.name,
                    object.key()
                ));
            }
        }
    }
}
