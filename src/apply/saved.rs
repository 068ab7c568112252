//! Re-checking a saved plan before it runs: it must be for this org, the state must not have
//! moved since (serial and lineage), and every live object it read must still have the same
//! fingerprint, with none deleted or added. One keyed comparison per object.

use crate::api::ApiError;
use crate::model::ResourceKey;
use crate::plan::Plan;
use crate::refresh::{self, LiveRead, LiveSnapshot};
use crate::state::{State, StateError, Store};

/// Why a saved plan cannot run, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StalePlan {
    #[error("the plan was made for org `{planned}`, not `{current}`; use --org {planned}")]
    OtherOrg { planned: String, current: String },
    #[error(
        "the state changed since the plan was made (serial {planned} then, {current} now): another apply ran. Run `d360 plan` again"
    )]
    StateMoved { planned: u64, current: u64 },
    #[error("the org changed since the plan was made ({}); the plan is stale. Run `d360 plan` again", .changes.join(", "))]
    OrgChanged { changes: Vec<String> },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Checks `plan` against the org and state; returns both, as the apply needs them.
pub(crate) async fn recheck(
    plan: &Plan,
    org: &str,
    reader: &dyn LiveRead,
    store: &Store,
) -> Result<(State, LiveSnapshot), StalePlan> {
    if plan.org != org {
        return Err(StalePlan::OtherOrg {
            planned: plan.org.clone(),
            current: org.to_owned(),
        });
    }
    let state = store.load().await?;
    // An absent state (serial 0) gets a fresh lineage on every read: only written states have one.
    if state.serial != plan.state_serial || (state.serial > 0 && state.lineage != plan.state_lineage) {
        return Err(StalePlan::StateMoved {
            planned: plan.state_serial,
            current: state.serial,
        });
    }
    let live = refresh::read(reader, &plan.listings.to_set(), &state).await?;
    let changes = changes(plan, &live);
    if !changes.is_empty() {
        return Err(StalePlan::OrgChanged { changes });
    }
    Ok((state, live))
}

/// What differs between the fingerprints the plan recorded and the org now.
fn changes(plan: &Plan, live: &LiveSnapshot) -> Vec<String> {
    let mut changes = Vec::new();
    for (key, fingerprint) in &plan.fingerprints {
        match live.get(key) {
            Some(object) if object.fingerprint == *fingerprint => {}
            Some(_) => changes.push(format!("{key} changed")),
            None => changes.push(format!("{key} was deleted")),
        }
    }
    let appeared = live.objects.keys().filter(|key| !plan.fingerprints.contains_key(*key));
    changes.extend(appeared.map(|key: &ResourceKey| format!("{key} appeared")));
    changes
}
