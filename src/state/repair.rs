//! The state commands' work (`d360 state list|show|rm|mv|migrate`): find a record by name,
//! drop or rename one under the lock, copy a whole state between backends. Touches state only,
//! never the org (`cli::state` asks the org afterwards whether a renamed object carries its
//! new name). Never shows a secret or a fingerprint.

use std::time::Duration;

use super::{Managed, State, StateError, Store};
use crate::config::StateConfig;
use crate::model::ResourceKey;
use crate::secret::SecretRef;

/// A state command refused, or state that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RepairError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("--from and --to are the same backend")]
    SameBackend,
    #[error("`{name}` is not in state; `d360 state list` shows what is")]
    NotInState { name: String },
    #[error("`{name}` is ambiguous: {}; give KIND/NAME", keys.join(", "))]
    Ambiguous { name: String, keys: Vec<String> },
    #[error("`{given}`: expected KIND/NAME or a bare name")]
    Address { given: String },
    #[error("cannot move {from} to {to}: a resource keeps its kind")]
    KindChange { from: ResourceKey, to: ResourceKey },
    #[error("`{name}`: {problem}")]
    InvalidName { name: String, problem: String },
    #[error("{key} is already in state; `d360 state rm {key}` first if the record is wrong")]
    AlreadyInState { key: ResourceKey },
    #[error("`{name}` is not in state")]
    Vanished { name: String },
}

/// A state backend kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// The JSON file: the org's configured path, else `.d360/state/<org>.json`.
    Local,
    /// The org's configured database, else the URL in `D360_STATE_URL`.
    Postgres,
}

impl Backend {
    /// Where `org`'s state lives in this backend: as configured when it is the configured
    /// kind, else the default place.
    fn config(self, org: &str, configured: &StateConfig) -> StateConfig {
        match (self, configured) {
            (Backend::Local, StateConfig::Local { .. }) | (Backend::Postgres, StateConfig::Postgres { .. }) => {
                configured.clone()
            }
            (Backend::Local, StateConfig::Postgres { .. }) => StateConfig::Local {
                path: crate::config::default_state_path(org),
            },
            (Backend::Postgres, StateConfig::Local { .. }) => StateConfig::Postgres {
                url: SecretRef::FromEnv("D360_STATE_URL".into()),
            },
        }
    }
}

/// What `migrate` copied; shown as what to do next.
pub(crate) struct Migrated {
    pub(crate) org: String,
    pub(crate) serial: u64,
    pub(crate) resources: usize,
    pub(crate) source: String,
    pub(crate) target: String,
}

impl std::fmt::Display for Migrated {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "Copied the state of org `{}` (serial {}, {} resources) from {} to {}. Point the org's `state` in d360.yaml at the new backend.",
            self.org, self.serial, self.resources, self.source, self.target
        )
    }
}

/// Copies `org`'s state and its fingerprint key from one backend to another, both locked.
pub(crate) async fn migrate(
    org: &str,
    configured: &StateConfig,
    from: Backend,
    to: Backend,
) -> Result<Migrated, RepairError> {
    if from == to {
        return Err(RepairError::SameBackend);
    }
    let source = Store::open(&from.config(org, configured), org).await?;
    let target = Store::open(&to.config(org, configured), org).await?;
    let _source_lock = source.lock("d360 state migrate", Duration::ZERO).await?;
    let _target_lock = target.lock("d360 state migrate", Duration::ZERO).await?;
    let state = source.load().await?;
    let key = source.fingerprint_key().await?;
    target.set_fingerprint_key(&key).await?;
    target.put(&state).await?;
    Ok(Migrated {
        org: org.to_owned(),
        serial: state.serial,
        resources: state.resources.len(),
        source: source.describe(),
        target: target.describe(),
    })
}

/// Finds `Kind/name`, or a bare name when exactly one resource has it.
pub(crate) fn find<'a>(state: &'a State, name: &str) -> Result<&'a Managed, RepairError> {
    if let Some(key) = ResourceKey::parse(name)
        && let Some(managed) = state.get(&key)
    {
        return Ok(managed);
    }
    let matching: Vec<&Managed> = state.resources.values().filter(|m| m.name == name).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(RepairError::NotInState { name: name.to_owned() }),
        many => Err(RepairError::Ambiguous {
            name: name.to_owned(),
            keys: many.iter().map(|m| m.key().to_string()).collect(),
        }),
    }
}

/// Stops managing `name` (the object stays in the org); returns its key.
pub(crate) async fn remove(store: &Store, name: &str, lock_timeout: Duration) -> Result<ResourceKey, RepairError> {
    let _lock = store.lock("d360 state rm", lock_timeout).await?;
    let mut state = store.load().await?;
    let key = find(&state, name)?.key();
    state.remove(&key);
    store.save(&mut state).await?;
    Ok(key)
}

/// A record moved by [`rename`]; shown as what happened.
pub(crate) struct Moved {
    pub(crate) from: ResourceKey,
    pub(crate) to: ResourceKey,
    /// The record id, which moves with it.
    pub(crate) id: String,
}

impl std::fmt::Display for Moved {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "Moved {} to {} in state. Nothing was sent to the org; the next plan looks {} up by name.",
            self.from, self.to, self.to
        )
    }
}

/// Records `from` under `to` (`Kind/name` of the same kind, or a bare name): its id,
/// fingerprints and preventDestroy move with it. Refused when `to` is already in state.
pub(crate) async fn rename(store: &Store, from: &str, to: &str, lock_timeout: Duration) -> Result<Moved, RepairError> {
    let _lock = store.lock("d360 state mv", lock_timeout).await?;
    let mut state = store.load().await?;
    let old = find(&state, from)?.key();
    let new = if to.contains('/') {
        ResourceKey::parse(to).ok_or_else(|| RepairError::Address { given: to.to_owned() })?
    } else {
        ResourceKey::new(old.kind, to.to_owned())
    };
    if new.kind != old.kind {
        return Err(RepairError::KindChange { from: old, to: new });
    }
    d360_wire::ApiName::parse(&new.name).map_err(|error| RepairError::InvalidName {
        name: new.name.clone(),
        problem: error.to_string(),
    })?;
    if state.get(&new).is_some() {
        return Err(RepairError::AlreadyInState { key: new });
    }
    let Some(mut managed) = state.remove(&old) else {
        return Err(RepairError::Vanished { name: from.to_owned() });
    };
    managed.name.clone_from(&new.name);
    let id = managed.id.clone();
    state.put(managed);
    store.save(&mut state).await?;
    Ok(Moved { from: old, to: new, id })
}

/// The whole state as `state list --format json` gives it.
#[must_use]
pub(crate) fn listing(org: &str, state: &State) -> serde_json::Value {
    serde_json::json!({
        "formatVersion": 1,
        "org": org,
        "serial": state.serial,
        "lineage": state.lineage,
        "resources": state.resources.values().map(public_view).collect::<Vec<_>>(),
    })
}

/// A record as `state show --format json` and `state list --format json` give it.
#[must_use]
pub(crate) fn public_view(managed: &Managed) -> serde_json::Value {
    serde_json::json!({
        "kind": managed.kind,
        "name": managed.name,
        "id": managed.id,
        "connectorType": managed.scope,
        "specDigest": managed.spec_digest,
        "credentialsRecorded": managed.secrets.keys().collect::<Vec<_>>(),
        "preventDestroy": managed.prevent_destroy,
        "updated": managed.updated,
    })
}

/// A record for people (`state show`).
#[must_use]
pub(crate) fn render_text(managed: &Managed) -> String {
    let credentials = managed.secrets.keys().cloned().collect::<Vec<_>>().join(", ");
    format!(
        "{}\n  id:             {}\n  connector type: {}\n  spec digest:    {}\n  credentials:    {}\n  preventDestroy: {}\n  updated:        {}",
        managed.key(),
        managed.id,
        managed.scope.as_deref().unwrap_or("-"),
        managed.spec_digest,
        if credentials.is_empty() {
            "-".to_owned()
        } else {
            format!("{credentials} (fingerprints recorded; values never stored)")
        },
        managed.prevent_destroy,
        managed.updated,
    )
}
