//! `drift --accept`: Terraform's refresh-only apply, narrowed to what state can truthfully
//! record. Under the state lock it plans, then carries out only the plan's state-only steps:
//! adopt (the object in the org matches its manifest; record its id) and forget (managed, no
//! manifest declares it, and it is gone from the org). Every other difference stays drift,
//! because the manifests, not state, say what the org should hold.

use crate::apply::{self, Observer, Step, StepOutcome};
use crate::cli::CliError;
use crate::cli::planning;
use crate::cli::session::Session;
use crate::manifest::Declared;
use crate::output;
use crate::plan::{self, ActionKind, Plan, Planned};

/// Plans under the lock, records the adopt and forget steps, and returns the plan as it now
/// stands (those steps removed), so the drift report shows what is left.
pub(super) async fn run(
    session: &Session,
    desired: &[Declared],
    options: &plan::Options,
    lock_timeout: std::time::Duration,
) -> Result<Planned, CliError> {
    let lock = std::sync::Arc::new(session.store.lock("d360 drift --accept", lock_timeout).await?);
    let mut planned = planning::make(session, desired, options).await?;
    let accepted = accepted_part(&planned.plan);
    if accepted.actions.is_empty() {
        let left = not_accepted(&planned.plan, &planned.state);
        if left.is_empty() {
            output::message("Nothing to accept: state already records every object it can.");
        } else {
            output::message("Nothing to accept: no object is both true in the org and declared as it is there.");
            for line in left {
                output::message(&line);
            }
        }
        drop(lock);
        return Ok(planned);
    }
    let executor = apply::Options {
        parallelism: 1,
        stop: std::sync::Arc::default(),
        api_floor: None,
        check: false,
    };
    let work = apply::Work {
        plan: &accepted,
        live: &planned.live,
        state: planned.state.clone(),
        probe: &planned.probe,
        lock: std::sync::Arc::clone(&lock),
    };
    let report = apply::execute(
        work,
        &session.client,
        std::sync::Arc::clone(&session.store),
        &executor,
        &Lines,
    )
    .await;
    drop(lock);
    if let Some(error) = &report.state_error {
        return Err(CliError::AcceptNotRecorded(error.clone()));
    }
    let tally = report.tally(&accepted);
    output::message(&format!(
        "Accepted into state: {} adopted, {} forgotten. Changed fields, missing and unmanaged objects are never accepted: edit the manifests, `d360 apply`, or `d360 import`.",
        tally.adopted, tally.forgotten
    ));
    for line in not_accepted(&planned.plan, &planned.state) {
        output::message(&line);
    }
    planned.state = session.store.load().await?;
    planned.plan.actions.retain(|action| !is_state_only(action.action));
    Ok(planned)
}

/// At most this many objects are explained one by one; the rest are counted.
const EXPLAINED: usize = 20;

/// Why each object the plan would write is not accepted, one line each.
fn not_accepted(plan: &Plan, state: &crate::state::State) -> Vec<String> {
    let mut lines = Vec::new();
    let mut unexplained = 0_usize;
    for action in plan.actions.iter().filter(|action| action.action.changes_org()) {
        if lines.len() == EXPLAINED {
            unexplained += 1;
            continue;
        }
        let key = action.key();
        let fields: Vec<&str> = action.changes.iter().map(|change| change.field.as_str()).collect();
        let fields = if fields.is_empty() {
            String::new()
        } else {
            format!(" ({})", fields.join(", "))
        };
        let managed = state.get(&key).is_some();
        let why = match action.action {
            ActionKind::Create => "not in the org: there is nothing true to record; `d360 apply` creates it".to_owned(),
            ActionKind::Update | ActionKind::Replace if managed => format!(
                "changed fields{fields} are never accepted: state holds no field values; edit the manifest, or `d360 apply` puts them back"
            ),
            ActionKind::Update | ActionKind::Replace => format!(
                "not in state, and the org's object differs from its manifest{fields}: only an object that matches its manifest is adopted; edit the manifest to the org's values, or `d360 apply` makes it match and records it"
            ),
            ActionKind::Delete | ActionKind::Adopt | ActionKind::Forget => continue,
        };
        lines.push(format!("  {key}: not accepted: {why}"));
    }
    if unexplained > 0 {
        lines.push(format!(
            "  ... and {unexplained} more objects not accepted for the same reasons"
        ));
    }
    lines
}

fn is_state_only(action: ActionKind) -> bool {
    matches!(action, ActionKind::Adopt | ActionKind::Forget)
}

/// The plan narrowed to its state-only steps.
fn accepted_part(plan: &Plan) -> Plan {
    let mut accepted = plan.clone();
    accepted.actions.retain(|action| is_state_only(action.action));
    accepted
}

/// One line per accepted object on stderr.
struct Lines;

impl Observer for Lines {
    fn started(&self, _plan: &Plan, _action: usize, _step: Step) {}

    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) {
        let Some(action) = plan.actions.get(action) else {
            return;
        };
        let verb = match step {
            Step::Adopt => "adopted",
            Step::Forget => "forgotten",
            _ => "recorded",
        };
        match outcome {
            StepOutcome::Done { .. } => output::message(&format!("  {}: {verb} in state", action.key())),
            StepOutcome::Failed { error } => output::message(&format!("  {}: not accepted: {error}", action.key())),
            StepOutcome::Skipped { reason } => output::message(&format!("  {}: not accepted: {reason}", action.key())),
            StepOutcome::NotStarted => output::message(&format!("  {}: not accepted: interrupted", action.key())),
        }
    }
}
