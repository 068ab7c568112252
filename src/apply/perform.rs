//! Carrying out one step against the org, idempotently.
//!
//! Creates are the only calls that are not safe to repeat. When one fails ambiguously
//! (timeout, dropped connection, 5xx) the object is looked up by name before trying again,
//! and adopted when it is there. A duplicate-name answer adopts the existing object only when
//! it already matches the desired spec; while Salesforce keeps a deleted name locked (after a
//! replace) the create is retried for up to [`NAME_LOCK_WAIT`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::ApplyError;
use super::graph::Step;
use crate::api::{ApiError, Client};
use crate::diff;
use crate::model::{Connection, DataStream, Kind, LiveObject, Resource, ResourceKey, fingerprint_of};
use crate::plan::{Action, SecretProbe};
use crate::state::Managed;

/// How long a create rides out a name that is still locked after its delete.
pub(crate) const NAME_LOCK_WAIT: Duration = Duration::from_secs(30);
/// Lookups-then-retries after ambiguous create failures.
const AMBIGUOUS_RETRIES: u32 = 3;
const DUPLICATE_CODES: [&str; 3] = ["DUPLICATES_DETECTED", "DUPLICATE_VALUE", "DUPLICATE_DEVELOPER_NAME"];

/// What a finished step does to state.
#[derive(Debug, Clone)]
pub(crate) enum StateChange {
    /// Record (or refresh) a managed resource. `keep_secrets`: keep the fingerprints already
    /// in state (nothing was sent).
    Put {
        managed: Managed,
        keep_secrets: bool,
    },
    Remove(ResourceKey),
}

/// A finished step: its state change, and a note for the log ("adopted the existing object").
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub(crate) change: StateChange,
    pub(crate) note: Option<String>,
}

/// What every step needs.
pub(crate) struct Context<'a> {
    pub(crate) client: &'a Client,
    pub(crate) probe: &'a SecretProbe,
}

fn missing_desired(action: &Action) -> ApplyError {
    ApplyError::Plan(format!("{} has no desired spec in the plan", action.key()))
}

/// Performs one step of `action`.
pub(crate) async fn perform(context: &Context<'_>, action: &Action, step: Step) -> Result<Finished, ApplyError> {
    match step {
        Step::Create => match action.desired.as_ref().ok_or_else(|| missing_desired(action))? {
            Resource::Connection(connection) => create_connection(context, connection).await,
            Resource::DataStream(stream) => create_data_stream(context, stream).await,
        },
        Step::Update => match action.desired.as_ref().ok_or_else(|| missing_desired(action))? {
            Resource::Connection(connection) => update_connection(context, action, connection).await,
            Resource::DataStream(stream) => {
                context
                    .client
                    .update_data_stream(&stream.name, stream)
                    .await
                    .map_err(|e| vanished(action, e))?;
                let id = action.id.clone().unwrap_or_default();
                Ok(put(
                    &Resource::DataStream(stream.clone()),
                    id,
                    BTreeMap::new(),
                    true,
                    None,
                ))
            }
        },
        Step::Delete => delete(context, action).await,
        Step::Adopt => {
            let desired = action.desired.as_ref().ok_or_else(|| missing_desired(action))?;
            Ok(put(
                desired,
                action.id.clone().unwrap_or_default(),
                BTreeMap::new(),
                true,
                None,
            ))
        }
        Step::Forget => Ok(Finished {
            change: StateChange::Remove(action.key()),
            note: None,
        }),
    }
}

fn vanished(action: &Action, error: ApiError) -> ApplyError {
    if error.is_not_found() {
        ApplyError::Conflict(format!(
            "{} was deleted outside d360 after the plan was made; run `d360 plan` again",
            action.key()
        ))
    } else {
        ApplyError::Api(error)
    }
}

fn put(
    resource: &Resource,
    id: String,
    secrets: BTreeMap<String, String>,
    keep_secrets: bool,
    note: Option<String>,
) -> Finished {
    let connector_type = match resource {
        Resource::Connection(connection) => Some(connection.connector_type.clone()),
        Resource::DataStream(_) => None,
    };
    let managed = Managed {
        kind: resource.kind(),
        name: resource.name().to_owned(),
        id,
        connector_type,
        spec_digest: fingerprint_of("", &resource.fields()),
        secrets,
        prevent_destroy: resource.lifecycle().prevent_destroy,
        updated: crate::state::now_rfc3339(),
    };
    Finished {
        change: StateChange::Put { managed, keep_secrets },
        note,
    }
}

/// Credential values to send, and their fingerprints for state.
type Resolved = (BTreeMap<String, SecretString>, BTreeMap<String, String>);

/// Resolves a connection's credentials now, with their fingerprints for state.
fn credentials(context: &Context<'_>, connection: &Connection) -> Result<Resolved, ApplyError> {
    let key = ResourceKey::new(Kind::Connection, connection.name.clone());
    let mut values = BTreeMap::new();
    let mut fingerprints = BTreeMap::new();
    for (name, reference) in &connection.credentials {
        let value = reference.resolve().map_err(|source| ApplyError::Secret {
            resource: key.to_string(),
            credential: name.clone(),
            source,
        })?;
        fingerprints.insert(name.clone(), context.probe.fingerprint(&key, name, &value));
        values.insert(name.clone(), value);
    }
    Ok((values, fingerprints))
}

/// Whether an existing object already is what we want (a duplicate we may adopt).
fn matches(desired: &Resource, found: &LiveObject) -> bool {
    diff::compare_fields(desired, &found.resource.fields()).is_empty()
}

async fn create_connection(context: &Context<'_>, connection: &Connection) -> Result<Finished, ApplyError> {
    let (values, fingerprints) = credentials(context, connection)?;
    let desired = Resource::Connection(connection.clone());
    let client = context.client;
    let started = Instant::now();
    let mut ambiguous = 0;
    loop {
        let error = match client.create_connection(connection, &values).await {
            Ok(created) => return Ok(put(&desired, created.id, fingerprints, false, None)),
            Err(error) => error,
        };
        if error.is_ambiguous() {
            // It may have been created: look before trying again.
            if let Some(found) = client
                .find_connection(&connection.connector_type, &connection.name)
                .await?
            {
                let note = Some("the create's answer was lost; found it by name and adopted it".to_owned());
                return Ok(put(&desired, found.id, fingerprints, false, note));
            }
            ambiguous += 1;
            if ambiguous > AMBIGUOUS_RETRIES {
                return Err(error.into());
            }
            continue;
        }
        if error.code().is_some_and(|code| DUPLICATE_CODES.contains(&code)) {
            match client
                .find_connection(&connection.connector_type, &connection.name)
                .await?
            {
                Some(found) if matches(&desired, &found) => {
                    let note = Some(
                        "already existed with the desired fields; adopted (credentials will be set on the next change)"
                            .to_owned(),
                    );
                    return Ok(put(&desired, found.id, BTreeMap::new(), false, note));
                }
                Some(found) => {
                    return Err(ApplyError::Conflict(format!(
                        "Connection/{} already exists in the org (id {}) with different fields; not overwritten. Run `d360 plan` to see the difference",
                        connection.name, found.id
                    )));
                }
                None if started.elapsed() < NAME_LOCK_WAIT => {
                    // The name is still locked after a delete: wait it out.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                None => return Err(error.into()),
            }
        }
        return Err(error.into());
    }
}

async fn create_data_stream(context: &Context<'_>, stream: &DataStream) -> Result<Finished, ApplyError> {
    let desired = Resource::DataStream(stream.clone());
    let client = context.client;
    let started = Instant::now();
    let mut ambiguous = 0;
    loop {
        let error = match client.create_data_stream(stream).await {
            Ok(created) => return Ok(put(&desired, created.id, BTreeMap::new(), false, None)),
            Err(error) => error,
        };
        if error.is_ambiguous() {
            if let Some(found) = client.get_data_stream(&stream.name).await? {
                let note = Some("the create's answer was lost; found it by name and adopted it".to_owned());
                return Ok(put(&desired, found.id, BTreeMap::new(), false, note));
            }
            ambiguous += 1;
            if ambiguous > AMBIGUOUS_RETRIES {
                return Err(error.into());
            }
            continue;
        }
        if error.code().is_some_and(|code| DUPLICATE_CODES.contains(&code)) {
            match client.get_data_stream(&stream.name).await? {
                Some(found) if matches(&desired, &found) => {
                    return Ok(put(
                        &desired,
                        found.id,
                        BTreeMap::new(),
                        false,
                        Some("already existed with the desired fields; adopted".to_owned()),
                    ));
                }
                Some(found) => {
                    return Err(ApplyError::Conflict(format!(
                        "DataStream/{} already exists in the org (id {}) with different fields; not overwritten. Run `d360 plan` to see the difference",
                        stream.name, found.id
                    )));
                }
                None if started.elapsed() < NAME_LOCK_WAIT => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                None => return Err(error.into()),
            }
        }
        return Err(error.into());
    }
}

async fn update_connection(
    context: &Context<'_>,
    action: &Action,
    connection: &Connection,
) -> Result<Finished, ApplyError> {
    let (values, fingerprints) = credentials(context, connection)?;
    let id = action
        .id
        .clone()
        .ok_or_else(|| ApplyError::Plan(format!("{} has no record id to update", action.key())))?;
    context
        .client
        .replace_connection(&id, connection, &values)
        .await
        .map_err(|e| vanished(action, e))?;
    Ok(put(
        &Resource::Connection(connection.clone()),
        id,
        fingerprints,
        false,
        None,
    ))
}

async fn delete(context: &Context<'_>, action: &Action) -> Result<Finished, ApplyError> {
    let client = context.client;
    let gone = Finished {
        change: StateChange::Remove(action.key()),
        note: None,
    };
    let result = match action.kind {
        Kind::Connection => {
            let id = action
                .id
                .clone()
                .ok_or_else(|| ApplyError::Plan(format!("{} has no record id to delete", action.key())))?;
            match client.delete_connection(&id).await {
                // A 500 may come after the delete was done (a known Salesforce quirk): look.
                Err(error) if error.status().is_some_and(|s| s >= 500) => match client.get_connection(&id).await {
                    Err(lookup) if lookup.is_not_found() => Ok(()),
                    _ => Err(error),
                },
                other => other,
            }
        }
        Kind::DataStream => match client.delete_data_stream(&action.name, false).await {
            Err(error) if error.status().is_some_and(|s| s >= 500) => {
                match client.get_data_stream(&action.name).await {
                    Ok(None) => Ok(()),
                    _ => Err(error),
                }
            }
            other => other,
        },
    };
    match result {
        Ok(()) => Ok(gone),
        // Already gone: the goal is met.
        Err(error) if error.is_not_found() => Ok(Finished {
            note: Some("was already gone".to_owned()),
            ..gone
        }),
        Err(error) => Err(error.into()),
    }
}
