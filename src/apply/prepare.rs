//! What an apply carries out, made ready under the caller's state lock: the fingerprint key
//! is created when there is none yet (so the credentials the apply sends can be recorded),
//! then the manifests' resources are planned now, or a saved plan is re-checked against the
//! org and state it was made from. Reads the org; writes nothing but the key.

use crate::manifest::Declared;
use crate::plan::{self, Plan, Planned, PlanningError, SecretProbe};
use crate::refresh::HttpOrg;
use crate::session::Session;
use crate::state::StateError;

use super::StalePlan;

/// Where the plan comes from.
pub(crate) enum Source<'a> {
    /// A plan saved by `plan --out`, already loaded and checked offline.
    Saved(Box<Plan>),
    /// The declared resources, planned now.
    Desired(&'a [Declared]),
}

/// Why an apply could not be made ready.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PrepareError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Stale(#[from] StalePlan),
    #[error(transparent)]
    Planning(#[from] PlanningError),
}

/// The plan to carry out, from `source`, with `options` (a fresh plan's).
pub(crate) async fn prepare(
    session: &Session,
    source: Source<'_>,
    options: &plan::Options,
) -> Result<Planned, PrepareError> {
    // The key that fingerprints credentials in state; planning only reads it. When it has to
    // be created, the fingerprints already in state cannot be compared.
    let key_created = session.store.existing_fingerprint_key().await?.is_none();
    session.store.fingerprint_key().await?;
    let org = HttpOrg {
        client: &session.client,
    };
    match source {
        Source::Saved(plan) => {
            let (state, live) = super::recheck(&plan, &session.org, &org, &session.store).await?;
            let probe = SecretProbe {
                key: session.store.fingerprint_key().await?,
            };
            Ok(Planned {
                plan: *plan,
                state,
                live,
                probe,
            })
        }
        Source::Desired(desired) => {
            let options = plan::Options {
                fingerprint_key_created: key_created,
                ..options.clone()
            };
            Ok(plan::make(&session.org, &org, &session.store, desired, &options).await?)
        }
    }
}
