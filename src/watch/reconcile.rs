//! One reconcile of one org, in the manner of kube-runtime's controller: [`reconcile`] reads
//! the org, makes the plan and the drift report exactly as `plan` and `drift` do, with a heal
//! carries the plan out (`heal`), and reports a [`Run`]; [`Action::after`] says what the
//! scheduler does next (requeue after the interval, or back off after failures).
//!
//! It takes typed options and an org already opened (its API client and state); reading the
//! manifests and opening the org are the command's (`cli::watch`). No printing to stdout
//! here but the heal's JSON events, each carrying the org.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::heal::{self, Healed};
use super::{COMMAND, Finding, Run};
use crate::api::Client;
use crate::drift;
use crate::manifest::Declared;
use crate::model::{Kind, ResourceKey, SetVersion};
use crate::output;
use crate::plan::{self, PlanningError};
use crate::refresh::HttpOrg;
use crate::state::{StateError, Store};

/// How every reconcile of an org runs.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// What the plan may propose (`prune`, the mass-deletion guard).
    pub(crate) plan: plan::Options,
    /// With `--heal`: how the plan is carried out; `None` detects only.
    pub(crate) heal: Option<heal::Options>,
    /// How long a heal waits for the state lock another process holds.
    pub(crate) lock_timeout: Duration,
}

/// The org a reconcile reads and heals, opened by the caller.
pub(crate) struct Org<'a> {
    pub(crate) name: &'a str,
    pub(crate) client: &'a Client,
    pub(crate) store: &'a Arc<Store>,
}

/// What a run reconciles the org to: the declared resources, the manifest set they were read
/// from (recorded in state when a heal leaves the org at it), and why promotion holds the
/// heal back this run, if it does (`promoteFrom` has not converged to the same set).
pub(crate) struct Desired<'a> {
    pub(crate) resources: &'a [Declared],
    pub(crate) set: Option<&'a SetVersion>,
    pub(crate) heal_held: Option<String>,
}

/// Why a reconcile could not finish its run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReconcileError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Planning(#[from] PlanningError),
    #[error(transparent)]
    Prepare(#[from] crate::apply::PrepareError),
}

impl ReconcileError {
    /// The error as a run records it (free of secrets), with the API's hint when it has one.
    #[must_use]
    pub(crate) fn describe(&self) -> String {
        let mut text = output::chain(self);
        if let ReconcileError::Planning(PlanningError::Api(api)) = self
            && let Some(hint) = api.hint()
        {
            text.push_str(&format!(" (hint: {hint})"));
        }
        text
    }
}

/// What the scheduler does after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The run succeeded: run again after the interval (plus jitter).
    Requeue(Duration),
    /// The run failed `failures` times in a row: wait longer, up to twice the interval.
    BackOff { after: Duration, failures: u32 },
}

/// The longest wait after failures, in intervals.
const BACKOFF_CAP: u32 = 2;

impl Action {
    /// What follows `failures` failed runs in a row (0 after a success): the interval,
    /// doubled per failure after the first up to [`BACKOFF_CAP`] intervals, plus `jitter` (0
    /// to 1) of 10% of the interval, so many orgs or replicas do not hit the API in step.
    #[must_use]
    pub(crate) fn after(interval: Duration, failures: u32, jitter: f64) -> Self {
        let factor = if failures == 0 {
            1
        } else {
            2u32.saturating_pow(failures - 1).min(BACKOFF_CAP)
        };
        let wait = interval * factor + interval.mul_f64(0.1 * jitter.clamp(0.0, 1.0));
        if failures == 0 {
            Action::Requeue(wait)
        } else {
            Action::BackOff { after: wait, failures }
        }
    }

    /// How long to wait.
    #[must_use]
    pub(crate) fn wait(self) -> Duration {
        match self {
            Action::Requeue(wait) | Action::BackOff { after: wait, .. } => wait,
        }
    }
}

/// Objects whose unkept write was already logged: each is logged once per process.
#[derive(Default)]
pub(crate) struct NotKeptLog(Mutex<BTreeSet<ResourceKey>>);

impl NotKeptLog {
    /// Logs each object of `plan` whose last write the org did not keep, once: the plan does
    /// not rewrite it, and `d360_nonconverging_objects` counts it every run.
    fn log(&self, org: &str, plan: &plan::Plan) {
        let Ok(mut logged) = self.0.lock() else {
            return;
        };
        for object in &plan.not_kept {
            if logged.insert(object.key()) {
                tracing::warn!(org = %org, resource = %object.key(), "{}", object.describe());
                output::message(&format!(
                    "watch: org `{org}`: warning: {}: {}",
                    object.key(),
                    object.describe()
                ));
            }
        }
    }
}

/// One reconcile of `org` against `desired`: plan, drift and, with a heal promotion does
/// not hold back, the apply; a heal that leaves the org at the manifest set records it.
pub(crate) async fn reconcile(
    org: &Org<'_>,
    desired: &Desired<'_>,
    options: &Options,
    logged: &NotKeptLog,
) -> Result<Run, ReconcileError> {
    let retries_before = org.client.stats().retries;
    let mut key_created = false;
    let heal_options = options.heal.as_ref().filter(|_| desired.heal_held.is_none());
    let lock = if heal_options.is_some() {
        let lock = Arc::new(org.store.lock(COMMAND, options.lock_timeout).await?);
        // Healing records credential fingerprints: the key must exist before planning, which
        // only reads it.
        key_created = org.store.existing_fingerprint_key().await?.is_none();
        org.store.fingerprint_key().await?;
        Some(lock)
    } else {
        None
    };
    let plan_options = plan::Options {
        fingerprint_key_created: key_created,
        ..options.plan.clone()
    };
    let reader = HttpOrg { client: org.client };
    let planned = plan::make(org.name, &reader, org.store, desired.resources, &plan_options).await?;
    let declared: Vec<_> = desired
        .resources
        .iter()
        .filter(|d| d.for_this_org())
        .map(|d| d.resource.key())
        .collect();
    let report = drift::from_plan(&planned.plan, &declared, &planned.state, &planned.live);
    let plan_errors: Vec<String> = planned.plan.errors.iter().map(ToString::to_string).collect();
    let mut error = (!plan_errors.is_empty()).then(|| {
        format!(
            "the plan has {} error{}: {}",
            plan_errors.len(),
            if plan_errors.len() == 1 { "" } else { "s" },
            plan_errors.join("; ")
        )
    });
    logged.log(org.name, &planned.plan);
    let mut nonconverging: Vec<(Kind, usize)> = Vec::new();
    for object in &planned.plan.not_kept {
        match nonconverging.iter_mut().find(|(kind, _)| *kind == object.kind) {
            Some((_, count)) => *count += 1,
            None => nonconverging.push((object.kind, 1)),
        }
    }
    let (plan_summary, plan_line) = (planned.plan.summary, planned.plan.summary_line());
    let mut applied = None;
    // A heal carries the plan out, or with nothing to do records that the org is at the set.
    if let (Some(lock), Some(heal_options)) = (&lock, heal_options)
        && error.is_none()
    {
        let healing = heal::Healing {
            org: org.name,
            client: org.client,
            store: org.store,
            lock,
            set: desired.set,
        };
        let Healed { tally, error: failed } = heal::heal(&healing, planned, heal_options).await?;
        applied = tally;
        error = failed;
    }
    drop(lock);
    let stats = org.client.stats();
    Ok(Run {
        finding: Some(Finding {
            plan: plan_summary,
            plan_line,
            plan_errors,
            applied,
            budget_remaining: (stats.api_limit > 0).then(|| stats.api_limit.saturating_sub(stats.api_used)),
            drift: report,
            nonconverging,
            heal_held: desired.heal_held.clone(),
        }),
        error,
        retries: stats.retries.saturating_sub(retries_before),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_requeues_after_the_interval_and_failures_back_off_to_twice_it() {
        let interval = Duration::from_secs(300);
        assert_eq!(Action::after(interval, 0, 0.0), Action::Requeue(interval));
        assert_eq!(Action::after(interval, 0, 1.0).wait(), Duration::from_secs(330));
        assert_eq!(
            Action::after(interval, 1, 0.0),
            Action::BackOff {
                after: interval,
                failures: 1
            }
        );
        assert_eq!(Action::after(interval, 2, 0.0).wait(), Duration::from_secs(600));
        assert_eq!(Action::after(interval, 40, 0.5).wait(), Duration::from_secs(615));
    }
}
