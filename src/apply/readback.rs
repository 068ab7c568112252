//! Reading back what an apply wrote: the listings of every object created, updated or
//! replaced are read again, as a plan reads them, and each object is compared with what was
//! sent. A field the org changed or dropped is reported ("the org did not keep X (sent A,
//! reads B)") and recorded in state, so the next plan does not propose the same write again
//! until the manifest changes (see `plan::build`). A field the org does not report is not
//! compared here either.
//!
//! Each page is compared as it arrives: an object read back as it was sent is let go at once,
//! so the read-back holds only what the org did not keep (and objects it must read again or
//! identify by state), never the whole listing beside the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{ApplyError, Report, StepOutcome};
use crate::diff;
use crate::kinds::{LiveObject, Resource};
use crate::model::ResourceKey;
use crate::plan::{ActionKind, NotKeptObject, Plan};
use crate::refresh::{self, LiveRead};
use crate::state::{NotKept, State, Store};

/// Reads back every object the apply wrote in full, records in state what the org did not
/// keep (each write already recorded the object with nothing unkept), and returns the objects
/// it did not keep.
pub(crate) async fn read_back(
    plan: &Plan,
    report: &Report,
    before: &State,
    reader: &dyn LiveRead,
    store: &Arc<Store>,
) -> Result<Vec<NotKeptObject>, ApplyError> {
    let outcomes = report.action_outcomes(plan.actions.len());
    let written: Vec<_> = plan
        .actions
        .iter()
        .zip(outcomes)
        .filter(|(action, outcome)| {
            matches!(
                action.action,
                ActionKind::Create | ActionKind::Update | ActionKind::Replace
            ) && matches!(outcome, Some(StepOutcome::Done { .. }))
        })
        .filter_map(|(action, _)| action.desired.as_deref())
        .collect();
    if written.is_empty() {
        return Ok(Vec::new());
    }
    let listings: BTreeSet<_> = written.iter().map(|desired| desired.listing()).collect();
    let sent: BTreeMap<ResourceKey, &Resource> = written.iter().map(|desired| (desired.key(), *desired)).collect();
    let keep = |object: LiveObject| needs_a_look(&object, &sent).then_some(object);
    // The state before the apply identifies objects answered without a name or an id.
    let live = refresh::read_kept(reader, &listings, before, &keep).await?;
    let mut unkept = Vec::new();
    for desired in written {
        let key = desired.key();
        let Some(object) = live.get(&key) else {
            continue;
        };
        let fields: Vec<NotKept> = diff::compare_live(desired, object)
            .into_iter()
            .map(|change| NotKept {
                field: change.field,
                sent: change.new,
                reads: change.old,
            })
            .collect();
        unkept.push(NotKeptObject {
            kind: key.kind,
            name: key.name,
            fields,
        });
    }
    drop(live);
    // The apply recorded each write with nothing unkept: state changes only where the read
    // differs from what was sent.
    unkept.retain(|object| !object.fields.is_empty());
    if !unkept.is_empty() {
        let mut state = store.load().await?;
        for object in &unkept {
            if let Some(managed) = state.resources.get_mut(&object.key()) {
                managed.not_kept.clone_from(&object.fields);
            }
        }
        // On a task of the runtime's pool: a local state write leaves its worker thread while
        // it syncs, which the command's own thread (where watch runs its org loops) cannot.
        let store = Arc::clone(store);
        tokio::spawn(async move { store.save(&mut state).await })
            .await
            .map_err(|error| {
                ApplyError::Conflict(format!("the state write after the read-back did not finish: {error}"))
            })??;
    }
    Ok(unkept)
}

/// Whether a live object read back must be kept to be looked at after the listing: it was
/// written and reads differently from what was sent, or it cannot be told yet (its listing
/// left out a field every object has, or its name or record id).
fn needs_a_look(object: &LiveObject, sent: &BTreeMap<ResourceKey, &Resource>) -> bool {
    if object.unreported.required().next().is_some() || object.unreported.covers("name") || object.id.is_empty() {
        return true;
    }
    sent.get(&object.key())
        .is_some_and(|desired| !diff::compare_live(desired, object).is_empty())
}
