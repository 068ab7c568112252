//! `d360 state list|show NAME|rm NAME|unlock`: inspect and repair state. Never prints secrets
//! (state holds none; fingerprints are not shown either).

use clap::{Subcommand, ValueEnum};

use super::apply::parse_duration;
use super::session;
use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome};
use crate::config::{OrgSelection, StateConfig};
use crate::model::ResourceKey;
use crate::output;
use crate::secret::SecretRef;
use crate::state::{Managed, State, Store};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: StateCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List managed resources.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one managed resource (`Kind/name`, or a name that is unique).
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Stop managing a resource. The object stays in the org.
    Rm {
        name: String,
        /// How long to wait for the state lock.
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Record a managed resource under another name (the same kind): for an object renamed or
    /// recreated in the org under NEW. Its id, credential fingerprints and preventDestroy
    /// move with it; nothing is sent to the org. Refused when NEW is already in state.
    Mv {
        /// `Kind/name`, or a name that is unique in state.
        from: String,
        /// `Kind/name` (of the same kind) or a bare name.
        to: String,
        /// How long to wait for the state lock.
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Remove a stale lock left by a process that is gone.
    Unlock,
    /// Copy the state (and its fingerprint key) between backends, e.g. local to postgres.
    Migrate {
        #[arg(long, value_enum)]
        from: Backend,
        #[arg(long, value_enum)]
        to: Backend,
    },
}

/// A state backend kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// The JSON file: the org's configured path, else `.d360/state/<org>.json`.
    Local,
    /// The org's configured database, else the URL in `D360_STATE_URL`.
    Postgres,
}

fn backend_config(backend: Backend, org: &str, configured: &StateConfig) -> StateConfig {
    match (backend, configured) {
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

async fn migrate(global: &GlobalArgs, from: Backend, to: Backend) -> Result<Outcome, CliError> {
    if from == to {
        return Err(UsageError::SameBackend.into());
    }
    let (org, configured) = selected(global)?;
    let source = Store::open(&backend_config(from, &org, &configured), &org).await?;
    let target = Store::open(&backend_config(to, &org, &configured), &org).await?;
    let _source_lock = source.lock("d360 state migrate", std::time::Duration::ZERO).await?;
    let _target_lock = target.lock("d360 state migrate", std::time::Duration::ZERO).await?;
    let state = source.load().await?;
    let key = source.fingerprint_key().await?;
    target.set_fingerprint_key(&key).await?;
    target.put(&state).await?;
    output::message(&format!(
        "Copied the state of org `{org}` (serial {}, {} resources) from {} to {}. Point the org's `state` in d360.yaml at the new backend.",
        state.serial,
        state.resources.len(),
        source.describe(),
        target.describe()
    ));
    Ok(Outcome::Success)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

pub(super) fn selected(global: &GlobalArgs) -> Result<(String, StateConfig), CliError> {
    Ok(match session::select(global)? {
        OrgSelection::Local { state, .. } => ("local".to_owned(), state),
        OrgSelection::Remote(profile) => (profile.name.clone(), profile.state.clone()),
    })
}

async fn open_store(global: &GlobalArgs) -> Result<(String, Store), CliError> {
    let (org, config) = selected(global)?;
    let store = Store::open(&config, &org).await?;
    Ok((org, store))
}

/// Finds `Kind/name`, or a bare name when exactly one resource has it.
fn find<'a>(state: &'a State, name: &str) -> Result<&'a Managed, CliError> {
    if let Some(key) = ResourceKey::parse(name)
        && let Some(managed) = state.get(&key)
    {
        return Ok(managed);
    }
    let matching: Vec<&Managed> = state.resources.values().filter(|m| m.name == name).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(UsageError::NotInState { name: name.to_owned() }.into()),
        many => Err(UsageError::Ambiguous {
            name: name.to_owned(),
            keys: many.iter().map(|m| m.key().to_string()).collect(),
        }
        .into()),
    }
}

fn public_view(managed: &Managed) -> serde_json::Value {
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

/// After `state mv`: warns when the org's object with the record id does not carry the new
/// name (the next plan would not find it by that name, create another and leave it
/// unmanaged). A warning, never a failure: the move is done.
async fn check_moved(global: &GlobalArgs, new: &ResourceKey, id: &str) {
    let session = match session::open(global).await {
        Ok(session) => session,
        Err(error) => {
            output::message(&format!(
                "warning: could not check the org for {new}: {}",
                output::chain(&error)
            ));
            return;
        }
    };
    let found = crate::kinds::driver(new.kind).read(&session.client, id).await;
    session.close().await;
    match found {
        Ok(Some(object)) if object.unreported.covers("name") || object.resource.name() == new.name => {}
        Ok(Some(object)) => output::message(&format!(
            "warning: the org's {} with record id {id} is named `{}`, not `{}`: the next plan looks `{}` up by name, will not find it and will create it, leaving `{}` unmanaged. To undo: d360 state mv {new} {}",
            new.kind.noun(),
            object.resource.name(),
            new.name,
            new.name,
            object.resource.name(),
            object.resource.name()
        )),
        Ok(None) => output::message(&format!(
            "warning: the org has no {} with record id {id}: the next plan looks `{}` up by name and creates it if the org does not hold it",
            new.kind.noun(),
            new.name
        )),
        Err(error) => output::message(&format!(
            "warning: could not check the org for {new}: {}",
            output::chain(&error)
        )),
    }
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    if let StateCommand::Migrate { from, to } = args.command {
        return migrate(global, from, to).await;
    }
    let (org, store) = open_store(global).await?;
    let mut moved: Option<(ResourceKey, String)> = None;
    match args.command {
        StateCommand::List { format } => {
            let state = store.load().await?;
            match format {
                Format::Json => output::data(&super::to_json(&serde_json::json!({
                    "formatVersion": 1,
                    "org": org,
                    "serial": state.serial,
                    "lineage": state.lineage,
                    "resources": state.resources.values().map(public_view).collect::<Vec<_>>(),
                }))?),
                Format::Text => {
                    if state.resources.is_empty() {
                        output::message(&format!(
                            "No managed resources in the state of org `{org}` ({}).",
                            store.describe()
                        ));
                    }
                    for managed in state.resources.values() {
                        output::data(&format!("{}\t{}", managed.key(), managed.id));
                    }
                }
            }
        }
        StateCommand::Show { name, format } => {
            let state = store.load().await?;
            let managed = find(&state, &name)?;
            let view = public_view(managed);
            match format {
                Format::Json => output::data(&super::to_json(&view)?),
                Format::Text => {
                    let credentials = managed.secrets.keys().cloned().collect::<Vec<_>>().join(", ");
                    output::data(&format!(
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
                    ));
                }
            }
        }
        StateCommand::Rm { name, lock_timeout } => {
            let _lock = store.lock("d360 state rm", lock_timeout).await?;
            let mut state = store.load().await?;
            let key = find(&state, &name)?.key();
            state.remove(&key);
            store.save(&mut state).await?;
            output::message(&format!(
                "Removed {key} from state. The object stays in the org; the next plan shows it as not managed (or adopts it if a manifest declares it)."
            ));
        }
        StateCommand::Mv { from, to, lock_timeout } => {
            let _lock = store.lock("d360 state mv", lock_timeout).await?;
            let mut state = store.load().await?;
            let old = find(&state, &from)?.key();
            let new = if to.contains('/') {
                ResourceKey::parse(&to).ok_or_else(|| UsageError::KindSlashName {
                    given: format!("`{to}`"),
                })?
            } else {
                ResourceKey::new(old.kind, to.clone())
            };
            if new.kind != old.kind {
                return Err(UsageError::KindChange {
                    from: old.to_string(),
                    to: new.to_string(),
                }
                .into());
            }
            d360_wire::ApiName::parse(&new.name).map_err(|error| UsageError::InvalidName {
                name: new.name.clone(),
                problem: error.to_string(),
            })?;
            if state.get(&new).is_some() {
                return Err(UsageError::AlreadyInState { key: new.to_string() }.into());
            }
            let Some(mut managed) = state.remove(&old) else {
                return Err(UsageError::NotInState { name: from }.into());
            };
            managed.name.clone_from(&new.name);
            let id = managed.id.clone();
            state.put(managed);
            store.save(&mut state).await?;
            output::message(&format!(
                "Moved {old} to {new} in state. Nothing was sent to the org; the next plan looks {new} up by name."
            ));
            moved = Some((new, id));
        }
        StateCommand::Migrate { .. } => {}
        StateCommand::Unlock => match store.unlock().await? {
            Some(holder) => output::message(&format!("Removed the stale lock of {holder}.")),
            None => output::message("State is not locked."),
        },
    }
    if let Some((new, id)) = moved {
        check_moved(global, &new, &id).await;
    }
    Ok(Outcome::Success)
}
