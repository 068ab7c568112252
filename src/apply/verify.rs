//! `apply --verify`: after the steps, test each object the apply created, replaced or changed
//! whose kind has a test (a connection: `POST /ssot/connections/{id}/actions/test`), with the
//! record id state now holds. A failed test changes nothing: the object stays and state keeps
//! it; the caller reports it and exits 1.

use futures::StreamExt;

use super::Report;
use super::report::StepOutcome;
use crate::api::{ApiError, Client};
use crate::kinds::CheckOutcome;
use crate::model::ResourceKey;
use crate::plan::{ActionKind, Plan};
use crate::state::State;

/// Tests at most this many objects at once (the client's limiter bounds the requests).
const IN_FLIGHT: usize = 32;

/// One object's test after the apply.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    pub(crate) key: ResourceKey,
    /// `Ok(None)`: passed; `Ok(Some(problems))`: the test failed; `Err`: it could not be run.
    pub(crate) result: Result<Option<Vec<String>>, ApiError>,
}

impl Verified {
    #[must_use]
    pub(crate) fn passed(&self) -> bool {
        matches!(self.result, Ok(None))
    }
}

/// Tests what `report` says was written, in plan order.
pub(crate) async fn verify(plan: &Plan, report: &Report, state: &State, client: &Client) -> Vec<Verified> {
    let outcomes = report.action_outcomes(plan.actions.len());
    let written: Vec<_> = plan
        .actions
        .iter()
        .zip(outcomes)
        .filter(|(a, _)| matches!(a.action, ActionKind::Create | ActionKind::Update | ActionKind::Replace))
        .filter(|(_, outcome)| matches!(outcome, Some(StepOutcome::Done { .. })))
        .filter_map(|(action, _)| Some((action.desired.as_ref()?, state.get(&action.key())?.id.clone())))
        .collect();
    let mut tested: Vec<(usize, Verified)> = futures::stream::iter(written.into_iter().enumerate().map(
        |(order, (resource, id))| async move {
            let result = match resource.verify(client, &id).await {
                Ok(None) => return None,
                Ok(Some(CheckOutcome::Failed(failures))) => {
                    Ok(Some(failures.iter().map(crate::plan::describe_failure).collect()))
                }
                Ok(Some(CheckOutcome::Deferred(reason))) => Ok(Some(vec![reason])),
                Ok(Some(CheckOutcome::Passed)) => Ok(None),
                Err(error) => Err(error),
            };
            Some((
                order,
                Verified {
                    key: resource.key(),
                    result,
                },
            ))
        },
    ))
    .buffer_unordered(IN_FLIGHT)
    .filter_map(|tested| async move { tested })
    .collect()
    .await;
    tested.sort_by_key(|(order, _)| *order);
    tested.into_iter().map(|(_, verified)| verified).collect()
}
