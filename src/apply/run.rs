//! One apply from start to finish, as a library function: under the state lock, the plan is
//! made (or a saved one re-checked), shown, weighed against the org's daily API allowance,
//! confirmed, carried out ([`super::execute`]), optionally verified, and read back so what the
//! org did not keep is recorded. Typed options in ([`ApplyOptions`]), a typed outcome out
//! ([`ApplyOutcome`]); everything a user sees goes through a [`Reporter`] the caller supplies,
//! so this stage prints nothing of its own (the interrupt notice aside, see `interrupt`).
//!
//! Comes after `session` (an open org) and `manifest` (the declared resources); used by
//! `d360 apply` and `d360 destroy`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{Observer, Parallelism, Report, Reserve, Source, Verified};
use crate::api::{Client, Concurrency};
use crate::model::SetVersion;
use crate::plan::{self, NotKeptObject, Plan, Planned};
use crate::promotion::Promotion;
use crate::refresh::HttpOrg;
use crate::session::Session;
use crate::state::{Converged, State, StateLock, Store};

/// How one apply runs.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches, one per command-line flag"
)]
pub(crate) struct ApplyOptions {
    /// The command recorded as the lock holder (`d360 apply`, `d360 destroy`).
    pub(crate) command: &'static str,
    /// How long to wait for another command's state lock.
    pub(crate) lock_timeout: Duration,
    /// How a fresh plan is made (ignored for a saved plan, but for `check`).
    pub(crate) plan: plan::Options,
    /// Carry out without asking (a saved plan is never asked about either).
    pub(crate) auto_approve: bool,
    pub(crate) parallelism: Parallelism,
    /// The most requests `Parallelism::Auto` keeps in flight.
    pub(crate) max_parallelism: u16,
    pub(crate) api_reserve: Reserve,
    /// Start even when the estimate says the allowance is too small.
    pub(crate) ignore_api_budget: bool,
    /// Check the steps the plan could not check (a stream whose connection this apply
    /// creates) right before them.
    pub(crate) check: bool,
    /// Test each connection written, after writing.
    pub(crate) verify: bool,
    /// What was checked of the org this one promotes from, for the summary.
    pub(crate) promotion: Promotion,
    /// The manifest set to record in state when the apply converges it; `None` when the
    /// apply does not cover the whole set (`--target`, `--exclude`, `--selector`) or is not
    /// made from manifests (`destroy`), or the record would not change (`watch --heal`).
    pub(crate) converge: Option<SetVersion>,
    /// `destroy`: an apply that removed objects leaves the org off the manifest set it had
    /// converged to, so state stops recording one.
    pub(crate) forget_convergence: bool,
    /// Ctrl-C and SIGTERM stop new steps (`apply`, `destroy`); `watch --heal` lets the run in
    /// flight finish when it is told to stop.
    pub(crate) stop_on_signals: bool,
}

/// The org an apply writes to: its API client and its state.
pub(crate) struct Target<'a> {
    pub(crate) client: &'a Client,
    pub(crate) store: &'a Arc<Store>,
}

impl ApplyOptions {
    /// Steps the scheduler keeps started, and the requests the client keeps in flight.
    fn concurrency(&self) -> (usize, Concurrency) {
        match self.parallelism {
            Parallelism::Auto => {
                let max = usize::from(self.max_parallelism);
                (max, Concurrency::Auto { max })
            }
            Parallelism::Fixed(n) => (usize::from(n), Concurrency::Fixed(usize::from(n))),
        }
    }
}

/// How an apply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplyOutcome {
    /// The plan had nothing to do.
    NoChanges,
    /// The plan had errors: nothing was written.
    PlanErrors,
    /// The org's daily API allowance is too small for the plan: nothing was written.
    OverBudget,
    /// The user did not confirm: nothing was written.
    Cancelled,
    /// The plan was carried out, in full or not.
    Applied {
        /// Every action finished.
        complete: bool,
        /// Ctrl-C or SIGTERM stopped new steps.
        interrupted: bool,
        /// With `verify`: whether every connection tested passed.
        verified: Option<bool>,
    },
}

/// What the user sees of an apply. The command implements it (text or JSON events); the stage
/// calls it in order: `plan`, then maybe `over_budget`, `confirm` or `cancelled`, then
/// `progress` for the steps, `summary`, `verified` and the read-back's `not_kept`.
pub(crate) trait Reporter {
    /// The caller's error: what the stage's own errors and a failed prompt become.
    type Error: From<super::PrepareError> + From<crate::state::StateError>;
    /// The plan about to be carried out.
    fn plan(&self, plan: &Plan) -> Result<(), Self::Error>;
    /// The allowance is too small: `refusal` says why; `going_ahead` with `ignore_api_budget`.
    fn over_budget(&self, refusal: &str, going_ahead: bool);
    /// Asks whether to carry the plan out.
    fn confirm(&self) -> Result<bool, Self::Error>;
    fn cancelled(&self);
    /// What watches the steps of `plan` as they run.
    fn progress(&self, plan: &Plan) -> Box<dyn Observer + '_>;
    /// The steps' results; `promotion` says what was checked of the org promoted from.
    fn summary(&self, plan: &Plan, report: &Report, promotion: &Promotion);
    /// The apply converged the manifest set and state now records it.
    fn converged(&self, converged: &Converged, promotion: &Promotion);
    /// A destroy removed objects: state no longer records the set the org had converged to.
    fn left_converged(&self, previous: &Converged);
    fn verified(&self, verified: &[Verified]);
    /// Objects the read-back found the org did not keep as sent.
    fn not_kept(&self, objects: &[NotKeptObject]);
    /// The read-back failed (a warning: the apply itself is done).
    fn read_back_failed(&self, error: &super::ApplyError);
}

/// Plans (or re-checks a saved plan), shows, confirms and carries out, under the state lock.
pub(crate) async fn run<R: Reporter>(
    session: &Session,
    source: Source<'_>,
    options: &ApplyOptions,
    reporter: &R,
) -> Result<ApplyOutcome, R::Error> {
    let lock = Arc::new(session.store.lock(options.command, options.lock_timeout).await?);
    let saved = matches!(source, Source::Saved(_));
    let prepared = super::prepare(session, source, &options.plan).await?;
    let target = Target {
        client: &session.client,
        store: &session.store,
    };
    let outcome = carry_out_planned(&target, prepared, saved, options, &lock, reporter).await;
    drop(lock);
    outcome
}

/// Carries out a plan already made, under `lock` (the caller holds it): shown, weighed
/// against the API allowance, confirmed (unless `saved` or `auto_approve`), executed,
/// optionally verified, read back, and the manifest set recorded when the apply converged
/// it. [`run`] after planning; `watch --heal` with the plan of its run.
pub(crate) async fn carry_out_planned<R: Reporter>(
    target: &Target<'_>,
    prepared: Planned,
    saved: bool,
    options: &ApplyOptions,
    lock: &Arc<StateLock>,
    reporter: &R,
) -> Result<ApplyOutcome, R::Error> {
    let (outcome, report) = carry_out(target, &prepared, saved, options, lock, reporter).await?;
    // The live objects the plan read are no longer needed: the read-back reads its own.
    let Planned { plan, state, live, .. } = prepared;
    drop(live);
    if let Some(report) = &report {
        read_back(&plan, report, &state, target, reporter).await;
    }
    if let Some(set) = &options.converge
        && converges(outcome, report.as_ref())
    {
        let record = Converged::now(set.clone());
        target.store.converge(Some(record.clone())).await?;
        reporter.converged(&record, &options.promotion);
    } else if options.forget_convergence
        && let Some(previous) = &state.converged
        && report.as_ref().is_some_and(|report| report.tally(&plan).deleted > 0)
    {
        target.store.converge(None).await?;
        reporter.left_converged(previous);
    }
    Ok(outcome)
}

/// Whether an apply that ended as `outcome` left the org at the whole plan: nothing to do, or
/// every step done and recorded, none interrupted, every connection test passed.
fn converges(outcome: ApplyOutcome, report: Option<&Report>) -> bool {
    match outcome {
        ApplyOutcome::NoChanges => true,
        ApplyOutcome::Applied {
            complete: true,
            interrupted: false,
            verified,
        } => {
            verified != Some(false)
                && report.is_some_and(|report| {
                    report.stopped.is_none() && report.state_error.is_none() && report.unrecorded.is_empty()
                })
        }
        ApplyOutcome::PlanErrors
        | ApplyOutcome::OverBudget
        | ApplyOutcome::Cancelled
        | ApplyOutcome::Applied { .. } => false,
    }
}

/// Shows the plan, then (when it has work and no errors) checks the API budget, confirms
/// unless `saved` or `auto_approve`, and executes it; Ctrl-C and SIGTERM stop new steps.
async fn carry_out<R: Reporter>(
    target: &Target<'_>,
    prepared: &Planned,
    saved: bool,
    options: &ApplyOptions,
    lock: &Arc<StateLock>,
    reporter: &R,
) -> Result<(ApplyOutcome, Option<Report>), R::Error> {
    let plan = &prepared.plan;
    reporter.plan(plan)?;
    if !plan.errors.is_empty() {
        return Ok((ApplyOutcome::PlanErrors, None));
    }
    if !plan.has_work() {
        return Ok((ApplyOutcome::NoChanges, None));
    }
    let stats = target.client.stats();
    let reserve = (stats.api_limit > 0).then(|| options.api_reserve.of(stats.api_limit));
    if let Some(refusal) = super::api_budget_shortfall(plan, &stats, reserve.unwrap_or(0)) {
        reporter.over_budget(&refusal, options.ignore_api_budget);
        if !options.ignore_api_budget {
            return Ok((ApplyOutcome::OverBudget, None));
        }
    }
    if !saved && !options.auto_approve && !reporter.confirm()? {
        reporter.cancelled();
        return Ok((ApplyOutcome::Cancelled, None));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = options
        .stop_on_signals
        .then(|| tokio::spawn(super::watch_signals(Arc::clone(&stop))));
    let (steps, requests) = options.concurrency();
    target.client.set_concurrency(requests);
    let executor = super::Options {
        parallelism: steps,
        stop,
        api_floor: reserve,
        check: options.check,
    };
    let work = super::Work {
        plan,
        live: &prepared.live,
        state: prepared.state.clone(),
        probe: &prepared.probe,
        lock: Arc::clone(lock),
    };
    let progress = reporter.progress(plan);
    let report = super::execute(work, target.client, Arc::clone(target.store), &executor, &*progress).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    progress.ended();
    drop(progress);
    let verified = if options.verify && !report.interrupted {
        let recorded = target.store.load().await?;
        Some(super::verify(plan, &report, &recorded, target.client).await)
    } else {
        None
    };
    reporter.summary(plan, &report, &options.promotion);
    if let Some(verified) = &verified {
        reporter.verified(verified);
    }
    let outcome = ApplyOutcome::Applied {
        complete: report.complete(plan),
        interrupted: report.interrupted,
        verified: verified.map(|verified| verified.iter().all(Verified::passed)),
    };
    Ok((outcome, Some(report)))
}

/// Reads back what the apply wrote and reports which fields the org did not keep (recorded in
/// state so the next plan does not propose them again).
async fn read_back<R: Reporter>(plan: &Plan, report: &Report, before: &State, target: &Target<'_>, reporter: &R) {
    if report.interrupted || report.stopped.is_some() || report.state_error.is_some() {
        return;
    }
    let reader = HttpOrg { client: target.client };
    match super::read_back(plan, report, before, &reader, target.store).await {
        Ok(unkept) => reporter.not_kept(&unkept),
        Err(error) => reporter.read_back_failed(&error),
    }
}
