//! Gathering a plan's inputs and building it: state and its fingerprint key from the store,
//! the live org through `refresh` (listings and org checks concurrently), secrets resolved
//! now, the clock, and with `--check` the checks of what the plan would write (a first build
//! says which; a second one takes their results). The only impure step of planning;
//! [`super::build`] is pure.

use std::collections::BTreeMap;

use super::{ActionKind, Inputs, Options, Plan, ResolvedSecrets, SecretProbe, build, wanted_checks};
use crate::api::ApiError;
use crate::kinds::{Credentials, Resource};
use crate::manifest::Declared;
use crate::model::ResourceKey;
use crate::refresh::{self, LiveRead, LiveSnapshot};
use crate::state::{State, StateError, Store};

/// Why a plan could not be made (as opposed to a plan with errors).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanningError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// A plan and what it was made from (`apply` executes against the same state and live read).
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) state: State,
    pub(crate) live: LiveSnapshot,
    pub(crate) probe: SecretProbe,
}

/// Reads state and the live org, checks declared resources against what the org offers, and
/// builds the plan.
pub(crate) async fn make(
    org: &str,
    reader: &dyn LiveRead,
    store: &Store,
    desired: &[Declared],
    options: &Options,
) -> Result<Planned, PlanningError> {
    let state = store.load().await?;
    // Planning writes nothing: without a key yet (no apply has run), nothing in state was
    // fingerprinted, and a throwaway key compares the same. `apply` creates the key first.
    let existing = store.existing_fingerprint_key().await?;
    // Fingerprints in state with no key to check them against (the key file was deleted, or
    // this command had to create it): every credential is unknown, not changed.
    let key_lost = (existing.is_none() || options.fingerprint_key_created)
        && state.resources.values().any(|managed| !managed.secrets.is_empty());
    let key = match existing {
        Some(key) => key,
        None => crate::state::random_bytes(32),
    };
    let probe = SecretProbe { key };
    // Only what goes to this org is read, checked and resolved; `build` keeps the rest out of
    // scope (neither written nor pruned).
    let here: Vec<Declared> = desired.iter().filter(|d| d.for_this_org()).cloned().collect();
    let listings = refresh::listings_in_play(&here, &state);
    let before = reader.requests();
    let (live, findings) = futures::try_join!(refresh::read(reader, &listings, &state), refresh::check(reader, &here))?;
    let secrets = ResolvedSecrets::resolve(&here, &probe).with_key_lost(key_lost);
    let reads = reader.requests() - before;
    let mut inputs = Inputs {
        org,
        desired,
        live: &live,
        state: &state,
        secrets: &secrets,
        findings,
        options,
        now: crate::state::now_rfc3339(),
        reads,
        checks: BTreeMap::new(),
        check_requests: 0,
        usage: reader.usage(),
    };
    let mut plan = build(&inputs);
    if options.check {
        let before_checks = reader.requests();
        inputs.checks = refresh::probe(reader, check_requests(&plan, &live)).await?;
        inputs.check_requests = reader.requests() - before_checks;
        inputs.usage = reader.usage();
        plan = build(&inputs);
    }
    Ok(Planned {
        plan,
        state,
        live,
        probe,
    })
}

/// What each check of `plan` needs: the resource, its credentials resolved now, and the record
/// ids of the live objects it depends on. A resource whose credentials cannot be read is not
/// checked (the plan already has that error); a dependency the plan creates or replaces has
/// no id to browse through yet.
pub(super) fn check_requests<'a>(
    plan: &'a Plan,
    live: &LiveSnapshot,
) -> Vec<(&'a Resource, Credentials, BTreeMap<ResourceKey, String>)> {
    let rewritten: Vec<ResourceKey> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Create | ActionKind::Replace))
        .map(super::Action::key)
        .collect();
    wanted_checks(plan)
        .into_iter()
        .filter_map(|action| {
            let resource = action.desired.as_deref()?;
            let mut credentials = Credentials::new();
            for (name, reference) in resource.secrets() {
                credentials.insert(name.clone(), reference.resolve().ok()?);
            }
            let dependencies = resource
                .depends_on()
                .into_iter()
                .filter(|key| !rewritten.contains(key))
                .filter_map(|key| live.get(&key).map(|object| (key, object.id.clone())))
                .collect();
            Some((resource, credentials, dependencies))
        })
        .collect()
}
