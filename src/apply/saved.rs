//! Re-checking a saved plan before it runs. Offline first ([`check_content`],
//! [`compare_manifests`]): every resource it would write must pass the manifest checks, and
//! the manifests it was made from, when they are here, must still give what it recorded.
//! Then against the org ([`recheck`]): it must be for this org, the state must not have moved
//! since (serial and lineage), and every live object it read must still have the same
//! fingerprint, with none deleted or added. One keyed comparison per object.

use crate::api::ApiError;
use crate::kinds::document::OrgValues;
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
    #[error(
        "the plan holds resources `d360 validate` refuses, so it was not written by `d360 plan` as it is:\n  {}",
        .problems.join("\n  ")
    )]
    Invalid { problems: Vec<String> },
    #[error(
        "the plan does not match its manifests ({what}): they changed since the plan was made, or the plan was edited; run `d360 plan --out` again"
    )]
    ManifestsChanged { what: String },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Checks every resource the plan would write as `d360 validate` checks manifests, and that
/// each action's resource is the one it names.
pub(crate) fn check_content(plan: &Plan) -> Result<(), StalePlan> {
    let mut problems = Vec::new();
    let mut resources = Vec::new();
    for action in &plan.actions {
        let Some(desired) = &action.desired else { continue };
        if desired.key() != action.key() {
            problems.push(format!("{}: the action's resource is {}", action.key(), desired.key()));
        }
        resources.push(&**desired);
    }
    problems.extend(
        crate::manifest::check_resources(&resources)
            .into_iter()
            .map(|(key, problem)| format!("{key}: {problem}")),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StalePlan::Invalid { problems })
    }
}

/// How a saved plan compares with the manifests it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Manifests {
    /// Here, valid, and each resource the plan writes is one they declare, equal to it: the
    /// plan's content passes every manifest check because theirs does.
    Matched,
    /// Not here (a plan applied in another job): nothing compared; the note says so.
    Absent(String),
    /// The plan records none (made by `d360 destroy`, say).
    NotRecorded,
}

/// Whether the manifests the plan was made from still give what it recorded, and declare
/// exactly the resources it writes; refused when they do not.
pub(crate) fn compare_manifests(plan: &Plan, org: &OrgValues) -> Result<Manifests, StalePlan> {
    let Some(record) = &plan.manifests else {
        return Ok(Manifests::NotRecorded);
    };
    let paths: Vec<std::path::PathBuf> = record.paths.iter().map(std::path::PathBuf::from).collect();
    let missing: Vec<&str> = record
        .paths
        .iter()
        .zip(&paths)
        .filter(|(_, path)| !path.exists())
        .map(|(shown, _)| shown.as_str())
        .collect();
    if !missing.is_empty() {
        return Ok(Manifests::Absent(format!(
            "note: the manifests the plan was made from ({}) are not here, so they were not compared with it; the plan's own digest was checked",
            missing.join(", ")
        )));
    }
    let changed = |what: String| Err(StalePlan::ManifestsChanged { what });
    let loaded = match crate::manifest::load_with(&paths, crate::manifest::Inventory::Offline, org) {
        Ok(loaded) if !loaded.diagnostics.has_errors() => loaded,
        Ok(loaded) => {
            return changed(format!(
                "they no longer validate: {} errors",
                loaded.diagnostics.error_count()
            ));
        }
        Err(error) => return changed(format!("they cannot be read: {error}")),
    };
    // Each resource the plan writes must be what the manifests declare now (the plan's
    // digest only says the file is as written), and the rest as when it was made.
    let declared: std::collections::HashMap<ResourceKey, &crate::kinds::Resource> = loaded
        .resources
        .iter()
        .map(|d| (d.resource.key(), &*d.resource))
        .collect();
    let differing: Vec<String> = plan
        .actions
        .iter()
        .filter_map(|action| {
            let desired = action.desired.as_ref()?;
            match declared.get(&action.key()) {
                Some(now) if **now == **desired => None,
                Some(_) => Some(format!("{} differs", action.key())),
                None => Some(format!("{} is no longer declared", action.key())),
            }
        })
        .collect();
    if !differing.is_empty() {
        return changed(differing.join(", "));
    }
    if crate::plan::resources_digest(&loaded.resources) != record.digest {
        return changed("in resources the plan does not write".to_owned());
    }
    Ok(Manifests::Matched)
}

/// The offline checks of a saved plan: [`compare_manifests`], and [`check_content`] unless
/// the manifests matched (their checks then cover it). An invalid content is reported
/// before a mismatch with the manifests, being the more precise of the two. Returns a note
/// to show when the manifests were not here.
pub(crate) fn check_offline(plan: &Plan, org: &OrgValues) -> Result<Option<String>, StalePlan> {
    match compare_manifests(plan, org) {
        Ok(Manifests::Matched) => Ok(None),
        Ok(Manifests::NotRecorded) => check_content(plan).map(|()| None),
        Ok(Manifests::Absent(note)) => check_content(plan).map(|()| Some(note)),
        Err(mismatch) => {
            check_content(plan)?;
            Err(mismatch)
        }
    }
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
            Some(object) if object.fingerprint() == *fingerprint => {}
            Some(_) => changes.push(format!("{key} changed")),
            None => changes.push(format!("{key} was deleted")),
        }
    }
    let appeared = live.objects.keys().filter(|key| !plan.fingerprints.contains_key(*key));
    changes.extend(appeared.map(|key: &ResourceKey| format!("{key} appeared")));
    changes
}
