//! What an apply did: one outcome per step, and the counts the summary line shows.

use std::time::Duration;

use serde::Serialize;

use super::Step;
use crate::plan::{ActionKind, Plan};

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub(crate) enum StepOutcome {
    Done {
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Failed {
        error: String,
    },
    /// Not tried because something it depends on failed.
    Skipped {
        reason: String,
    },
    /// Not started: the apply was interrupted first.
    NotStarted,
}

/// The result of an apply.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// `(action index, step, outcome)` for every step.
    pub(crate) outcomes: Vec<(usize, Step, StepOutcome)>,
    pub(crate) interrupted: bool,
    /// Why no more steps started, when the org's API allowance ran low or out.
    pub(crate) stopped: Option<String>,
    pub(crate) retries: u64,
    /// The most requests in flight at once, the limit at the end, and throttled answers.
    pub(crate) concurrency: crate::api::ConcurrencyReport,
    pub(crate) elapsed: Duration,
    /// Why no more steps started, when the state could not be saved or its lock was lost.
    pub(crate) state_stopped: Option<String>,
    /// Resources whose finished steps the state does not record (the org has them).
    pub(crate) unrecorded: std::collections::BTreeSet<crate::model::ResourceKey>,
    /// The first state write that failed, or why the state could not be saved.
    pub(crate) state_error: Option<String>,
}

/// Counts per action (a replace counts once, when both its steps are done).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tally {
    pub(crate) created: usize,
    pub(crate) updated: usize,
    pub(crate) replaced: usize,
    pub(crate) deleted: usize,
    pub(crate) adopted: usize,
    pub(crate) forgotten: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    pub(crate) not_started: usize,
}

impl Report {
    /// The outcome of every action of a plan of `actions` actions, by index, from one pass
    /// over the steps: failed if any step failed, then skipped, not started, done.
    #[must_use]
    pub(crate) fn action_outcomes(&self, actions: usize) -> Vec<Option<&StepOutcome>> {
        let rank = |o: &StepOutcome| match o {
            StepOutcome::Failed { .. } => 0,
            StepOutcome::Skipped { .. } => 1,
            StepOutcome::NotStarted => 2,
            StepOutcome::Done { .. } => 3,
        };
        let mut outcomes: Vec<Option<&StepOutcome>> = vec![None; actions];
        for (action, _, outcome) in &self.outcomes {
            if let Some(slot) = outcomes.get_mut(*action)
                && slot.is_none_or(|seen| rank(outcome) < rank(seen))
            {
                *slot = Some(outcome);
            }
        }
        outcomes
    }

    #[must_use]
    pub(crate) fn tally(&self, plan: &Plan) -> Tally {
        let mut tally = Tally::default();
        let outcomes = self.action_outcomes(plan.actions.len());
        for (action, outcome) in plan.actions.iter().zip(outcomes) {
            match outcome {
                Some(StepOutcome::Done { .. }) => match action.action {
                    ActionKind::Create => tally.created += 1,
                    ActionKind::Update => tally.updated += 1,
                    ActionKind::Replace => tally.replaced += 1,
                    ActionKind::Delete => tally.deleted += 1,
                    ActionKind::Adopt => tally.adopted += 1,
                    ActionKind::Forget => tally.forgotten += 1,
                },
                Some(StepOutcome::Failed { .. }) => tally.failed += 1,
                Some(StepOutcome::Skipped { .. }) => tally.skipped += 1,
                Some(StepOutcome::NotStarted) | None => tally.not_started += 1,
            }
        }
        tally
    }

    /// Every action that failed or was skipped, with its reason, in plan order.
    #[must_use]
    pub(crate) fn failures(&self, plan: &Plan) -> Vec<(String, String)> {
        let outcomes = self.action_outcomes(plan.actions.len());
        plan.actions
            .iter()
            .zip(outcomes)
            .filter_map(|(action, outcome)| match outcome {
                Some(StepOutcome::Failed { error }) => Some((action.key().to_string(), format!("failed: {error}"))),
                Some(StepOutcome::Skipped { reason }) => Some((action.key().to_string(), format!("skipped: {reason}"))),
                _ => None,
            })
            .collect()
    }

    /// Whether every action finished.
    #[must_use]
    pub(crate) fn complete(&self, plan: &Plan) -> bool {
        let tally = self.tally(plan);
        tally.failed == 0
            && tally.skipped == 0
            && tally.not_started == 0
            && self.state_error.is_none()
            && self.state_stopped.is_none()
            && self.unrecorded.is_empty()
    }

    /// Finished work the state does not record, one line per kind of action: `created, not
    /// recorded: a re-run adopts them: Connection/A, Connection/B`.
    #[must_use]
    pub(crate) fn unrecorded_lines(&self, plan: &Plan) -> Vec<String> {
        if self.unrecorded.is_empty() {
            return Vec::new();
        }
        let mut by_kind: std::collections::BTreeMap<ActionKind, Vec<String>> = std::collections::BTreeMap::new();
        for action in &plan.actions {
            let key = action.key();
            if self.unrecorded.contains(&key) {
                by_kind.entry(action.action).or_default().push(key.to_string());
            }
        }
        by_kind
            .into_iter()
            .map(|(kind, keys)| {
                let what = match kind {
                    ActionKind::Create => "created, not recorded: a re-run adopts them",
                    ActionKind::Update => "updated, not recorded: a re-run compares them again",
                    ActionKind::Replace => "replaced, not recorded: a re-run adopts the new objects",
                    ActionKind::Delete => "deleted, not recorded: a re-run forgets them",
                    ActionKind::Adopt => "adopted, not recorded: a re-run adopts them again",
                    ActionKind::Forget => "forgotten, not recorded: a re-run forgets them again",
                };
                format!("{what}: {}", keys.join(", "))
            })
            .collect()
    }

    /// `Apply complete: 3 created, …; 2 retries; 1.4s.`
    #[must_use]
    pub(crate) fn summary_line(&self, plan: &Plan) -> String {
        let t = self.tally(plan);
        let head = if self.interrupted {
            "Apply interrupted"
        } else if self.stopped.is_some() || self.state_stopped.is_some() {
            "Apply stopped"
        } else if self.complete(plan) {
            "Apply complete"
        } else {
            "Apply incomplete"
        };
        let mut line = format!(
            "{head}: {} created, {} updated, {} replaced, {} deleted, {} failed, {} skipped",
            t.created, t.updated, t.replaced, t.deleted, t.failed, t.skipped
        );
        if t.not_started > 0 {
            line.push_str(&format!(", {} not started", t.not_started));
        }
        if t.adopted > 0 || t.forgotten > 0 {
            line.push_str(&format!(" ({} adopted, {} forgotten in state)", t.adopted, t.forgotten));
        }
        let c = &self.concurrency;
        line.push_str(&format!(
            "; {} retr{}; up to {} request{} in flight, {} throttled; {:.1}s.",
            self.retries,
            if self.retries == 1 { "y" } else { "ies" },
            c.peak,
            if c.peak == 1 { "" } else { "s" },
            c.throttled,
            self.elapsed.as_secs_f64()
        ));
        line
    }
}
