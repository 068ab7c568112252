//! Gathering a plan's inputs and building it: state and its fingerprint key from the store,
//! the live org through `refresh` (listings and org checks concurrently), secrets resolved
//! now, and the clock. The only impure step of planning; [`super::build`] is pure.

use super::{Inputs, Options, Plan, ResolvedSecrets, SecretProbe, build};
use crate::api::ApiError;
use crate::manifest::Declared;
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
    let probe = SecretProbe {
        key: store.fingerprint_key().await?,
    };
    let listings = refresh::listings_in_play(desired, &state);
    let before = reader.requests();
    let (live, findings) = futures::try_join!(refresh::read(reader, &listings), refresh::check(reader, desired))?;
    let secrets = ResolvedSecrets::resolve(desired, &probe);
    let plan = build(&Inputs {
        org,
        desired,
        live: &live,
        state: &state,
        secrets: &secrets,
        findings,
        options,
        now: crate::state::now_rfc3339(),
        reads: reader.requests() - before,
        usage: reader.usage(),
    });
    Ok(Planned {
        plan,
        state,
        live,
        probe,
    })
}
