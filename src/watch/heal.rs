//! `--heal`: one run's plan carried out by the apply stage's own path
//! ([`crate::apply::carry_out_planned`]), as `d360 apply --auto-approve --format json` would:
//! the API budget guard first (a heal that would eat into the reserve does not start),
//! adaptive concurrency, the steps, the read-back that records what the org did not keep, and
//! the manifest set recorded when the heal left the org at it. What it shows goes through a
//! [`Reporter`](crate::apply::Reporter) of JSON events on stdout, each carrying the org, since
//! one process heals many. The caller holds the state lock; a shutdown lets the heal in
//! flight finish (no signal stops its steps).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::reconcile::ReconcileError;
use crate::api::Client;
use crate::apply::{
    self, ApplyError, ApplyOptions, Observer, Parallelism, Report, Reserve, Step, StepOutcome, Tally, Target, Verified,
};
use crate::model::SetVersion;
use crate::output;
use crate::plan::{self, NotKeptObject, Plan, Planned};
use crate::promotion::Promotion;
use crate::state::{Converged, StateLock, Store};

/// How heals run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) api_reserve: Reserve,
    /// The most requests adaptive concurrency keeps in flight.
    pub(crate) max_parallelism: u16,
}

/// What a heal did, and why it did not finish (or start) when it did not.
pub(crate) struct Healed {
    pub(crate) tally: Option<Tally>,
    pub(crate) error: Option<String>,
}

fn emit(event: &serde_json::Value) {
    output::data(&event.to_string());
}

/// Prints the org's JSON events ([`apply::events`]) as the steps run.
struct Events<'a> {
    events: apply::events::Events<'a>,
}

impl Observer for Events<'_> {
    fn started(&self, plan: &Plan, action: usize, step: Step) {
        emit(&self.events.started(plan, action, step));
    }

    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) {
        emit(&self.events.finished(plan, action, step, outcome));
    }
}

/// What a heal shows: the events of `apply --format json`, and why it stopped short.
struct HealReporter<'a> {
    events: apply::events::Events<'a>,
    /// What the steps did, once they ran.
    tally: Mutex<Option<Tally>>,
    /// Why the heal did not start or finish.
    error: Mutex<Option<String>>,
}

impl HealReporter<'_> {
    fn set_error(&self, text: String) {
        *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(text);
    }
}

impl apply::Reporter for HealReporter<'_> {
    type Error = ReconcileError;

    /// Only a plan with work is shown: a run with nothing to heal says nothing on stdout.
    fn plan(&self, plan: &Plan) -> Result<(), ReconcileError> {
        if plan.has_work() && plan.errors.is_empty() {
            emit(&self.events.plan(plan));
        }
        Ok(())
    }

    fn over_budget(&self, refusal: &str, _going_ahead: bool) {
        output::message(&format!(
            "watch: org `{}`: the heal does not start: {refusal}",
            self.events.org
        ));
        self.set_error(format!("the heal did not start: {refusal}"));
    }

    fn confirm(&self) -> Result<bool, ReconcileError> {
        Ok(true)
    }

    fn cancelled(&self) {}

    fn progress(&self, _plan: &Plan) -> Box<dyn Observer + '_> {
        Box::new(Events { events: self.events })
    }

    fn summary(&self, plan: &Plan, report: &Report, promotion: &Promotion) {
        emit(&self.events.summary(plan, report, promotion));
        *self.tally.lock().unwrap_or_else(PoisonError::into_inner) = Some(report.tally(plan));
        if !report.complete(plan) {
            let failures: Vec<String> = report
                .failures(plan)
                .into_iter()
                .map(|(key, reason)| format!("{key}: {reason}"))
                .collect();
            self.set_error(format!(
                "the heal did not finish: {}{}",
                report.summary_line(plan),
                if failures.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", failures.join("; "))
                }
            ));
        }
    }

    fn converged(&self, converged: &Converged, _promotion: &Promotion) {
        output::message(&format!(
            "watch: org `{}`: state records it converged to manifests {}",
            self.events.org,
            converged.set.digest.short()
        ));
    }

    /// A heal never forgets the record (only `destroy` does).
    fn left_converged(&self, _previous: &Converged) {}

    fn verified(&self, _verified: &[Verified]) {}

    fn not_kept(&self, objects: &[NotKeptObject]) {
        for object in objects {
            emit(&self.events.not_kept(object));
        }
    }

    fn read_back_failed(&self, error: &ApplyError) {
        output::message(&format!(
            "watch: org `{}`: warning: could not read back what was written, to check the org kept it: {}",
            self.events.org,
            output::chain(error)
        ));
    }
}

/// What one heal works on: the org's client and state, the lock the run holds, the set the
/// manifests were read from (recorded when the heal converges it, unless state already has it).
pub(crate) struct Healing<'a> {
    pub(crate) org: &'a str,
    pub(crate) client: &'a Client,
    pub(crate) store: &'a Arc<Store>,
    pub(crate) lock: &'a Arc<StateLock>,
    pub(crate) set: Option<&'a SetVersion>,
}

/// Carries `planned` out (when it has work and no errors), or, with nothing to do, records
/// that the org is at the manifest set; a state error recording it is the run's error.
pub(crate) async fn heal(healing: &Healing<'_>, planned: Planned, options: &Options) -> Result<Healed, ReconcileError> {
    let unrecorded = healing.set.filter(|set| {
        planned
            .state
            .converged
            .as_ref()
            .is_none_or(|converged| converged.set != **set)
    });
    let apply_options = ApplyOptions {
        command: super::COMMAND,
        // The caller holds the lock already.
        lock_timeout: Duration::ZERO,
        plan: plan::Options::default(),
        auto_approve: true,
        parallelism: Parallelism::Auto,
        max_parallelism: options.max_parallelism,
        api_reserve: options.api_reserve,
        ignore_api_budget: false,
        check: false,
        verify: false,
        promotion: Promotion::None,
        converge: unrecorded.cloned(),
        forget_convergence: false,
        stop_on_signals: false,
    };
    let reporter = HealReporter {
        events: apply::events::Events { org: healing.org },
        tally: Mutex::new(None),
        error: Mutex::new(None),
    };
    let target = Target {
        client: healing.client,
        store: healing.store,
    };
    // How it ended is in what the reporter kept: the steps' tally, or why it stopped short.
    apply::carry_out_planned(&target, planned, true, &apply_options, healing.lock, &reporter).await?;
    let error = reporter.error.into_inner().unwrap_or_else(PoisonError::into_inner);
    let tally = reporter.tally.into_inner().unwrap_or_else(PoisonError::into_inner);
    Ok(Healed { tally, error })
}
