//! Carrying out one step against the org, idempotently, for any kind.
//!
//! Creates are the only calls that are not safe to repeat. When one fails ambiguously
//! (timeout, dropped connection, 5xx) the object is looked up by name before trying again,
//! and adopted when it is there. A duplicate-name answer adopts the existing object only when
//! it already matches the desired spec; while Salesforce keeps a deleted name locked (after a
//! replace) the create is retried for up to [`NAME_LOCK_WAIT`].

use crate::model::SmallMap;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::ApplyError;
use super::graph::Step;
use crate::api::{ApiError, Client};
use crate::diff;
use crate::kinds::{CheckCache, CheckContext, CheckOutcome, Credentials, LiveObject, Resource, driver};
use crate::model::fingerprint_of;
use crate::plan::{Action, Plan, SecretProbe};
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
    Remove(crate::model::ResourceKey),
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
    /// When the step finishes, for state (RFC 3339); a function so tests can fix it.
    pub(crate) now: fn() -> String,
    /// `apply --check`: what checks right before a step need.
    pub(crate) checks: Option<StepChecks<'a>>,
}

/// The plan (to find a step's dependencies by name) and the run's memo of browses.
pub(crate) struct StepChecks<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) cache: &'a CheckCache,
}

fn missing(action: &Action, what: &str) -> ApplyError {
    ApplyError::Plan(format!("{} has no {what} in the plan", action.key()))
}

/// Performs one step of `action`.
pub(crate) async fn perform(context: &Context<'_>, action: &Action, step: Step) -> Result<Finished, ApplyError> {
    let desired = || action.desired.as_ref().ok_or_else(|| missing(action, "desired spec"));
    let id = || action.id.as_deref().ok_or_else(|| missing(action, "record id"));
    match step {
        Step::Create => {
            if action.check_on_apply {
                check_first(context, desired()?).await?;
            }
            create(context, desired()?).await
        }
        Step::Update => {
            let resource = desired()?;
            let id = id()?;
            let (values, fingerprints) = credentials(context, resource)?;
            resource
                .update(context.client, id, &values)
                .await
                .map_err(|e| vanished(action, e))?;
            // Nothing was sent for a kind without credentials: keep what state has.
            let keep = resource.secrets().is_empty();
            Ok(put(context, resource, id.to_owned(), fingerprints, keep, None))
        }
        Step::Delete => delete(context, action, id()?).await,
        Step::Adopt => Ok(put(context, desired()?, id()?.to_owned(), SmallMap::new(), true, None)),
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
    context: &Context<'_>,
    resource: &Resource,
    id: String,
    secrets: SmallMap<String, String>,
    keep_secrets: bool,
    note: Option<String>,
) -> Finished {
    let managed = Managed {
        kind: resource.kind(),
        name: resource.name().to_owned(),
        id,
        scope: resource.listing().scope,
        spec_digest: fingerprint_of("", &resource.fields()),
        secrets,
        prevent_destroy: resource.lifecycle().prevent_destroy,
        updated: (context.now)(),
        not_kept: Vec::new(),
    };
    Finished {
        change: StateChange::Put { managed, keep_secrets },
        note,
    }
}

/// Credential values to send, and their fingerprints for state.
type Resolved = (Credentials, SmallMap<String, String>);

/// Resolves a resource's credentials now, with their fingerprints for state.
fn credentials(context: &Context<'_>, resource: &Resource) -> Result<Resolved, ApplyError> {
    let key = resource.key();
    let mut values = BTreeMap::new();
    let mut fingerprints = SmallMap::new();
    for (name, reference) in resource.secrets() {
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
    diff::compare_live(desired, found).is_empty()
}

/// `apply --check`: checks `desired` now that what it depends on exists (found by name, as the
/// plan declares it). A failure fails the step before anything is sent for it.
async fn check_first(context: &Context<'_>, desired: &Resource) -> Result<(), ApplyError> {
    let Some(checks) = &context.checks else {
        return Ok(());
    };
    let mut dependencies = BTreeMap::new();
    for key in desired.depends_on() {
        let declared = checks
            .plan
            .actions
            .iter()
            .find(|a| a.key() == key)
            .and_then(|a| a.desired.as_ref());
        if let Some(declared) = declared
            && let Some(found) = declared.find(context.client).await?
        {
            dependencies.insert(key, found.id);
        }
    }
    let (credentials, _) = credentials(context, desired)?;
    let check = CheckContext {
        credentials,
        dependencies,
        cache: checks.cache,
    };
    let problems = match desired.check(context.client, &check).await? {
        None | Some(CheckOutcome::Passed) => return Ok(()),
        Some(CheckOutcome::Failed(failures)) => failures.iter().map(crate::plan::describe_failure).collect(),
        Some(CheckOutcome::Deferred(reason)) => vec![reason],
    };
    Err(ApplyError::CheckFailed {
        key: desired.key(),
        problems,
    })
}

/// Creates `desired`, adopting it instead when an earlier attempt or someone else made it.
async fn create(context: &Context<'_>, desired: &Resource) -> Result<Finished, ApplyError> {
    let (values, fingerprints) = credentials(context, desired)?;
    let client = context.client;
    let started = Instant::now();
    let mut ambiguous = 0;
    loop {
        let error = match desired.create(client, &values).await {
            Ok(id) => return Ok(put(context, desired, id, fingerprints, false, None)),
            Err(error) => error,
        };
        if error.is_ambiguous() {
            // It may have been created: look before trying again.
            if let Some(found) = desired.find(client).await? {
                let note = Some("the create's answer was lost; found it by name and adopted it".to_owned());
                return Ok(put(context, desired, found.id, fingerprints, false, note));
            }
            ambiguous += 1;
            if ambiguous > AMBIGUOUS_RETRIES {
                return Err(error.into());
            }
            continue;
        }
        if error.code().is_some_and(|code| DUPLICATE_CODES.contains(&code)) {
            match desired.find(client).await? {
                Some(found) if matches(desired, &found) => {
                    let note = if desired.secrets().is_empty() {
                        "already existed with the desired fields; adopted"
                    } else {
                        "already existed with the desired fields; adopted (credentials will be set on the next change)"
                    };
                    return Ok(put(
                        context,
                        desired,
                        found.id,
                        SmallMap::new(),
                        false,
                        Some(note.to_owned()),
                    ));
                }
                Some(found) => {
                    return Err(ApplyError::Conflict(format!(
                        "{} already exists in the org (id {}) with different fields; not overwritten. Run `d360 plan` to see the difference",
                        desired.key(),
                        found.id
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

async fn delete(context: &Context<'_>, action: &Action, id: &str) -> Result<Finished, ApplyError> {
    let client = context.client;
    let driver = driver(action.kind);
    let result = match driver.delete(client, id, &action.name).await {
        // A 500 may come after the delete was done (a known Salesforce quirk): look.
        Err(error) if error.status().is_some_and(|s| s >= 500) => match driver.exists(client, id, &action.name).await {
            Ok(false) => Ok(()),
            _ => Err(error),
        },
        other => other,
    };
    let gone = |note: Option<&str>| Finished {
        change: StateChange::Remove(action.key()),
        note: note.map(str::to_owned),
    };
    match result {
        Ok(()) => Ok(gone(None)),
        // Already gone: the goal is met.
        Err(error) if error.is_not_found() => Ok(gone(Some("was already gone"))),
        Err(error) => Err(error.into()),
    }
}
