//! An apply's report in words, for the command to print: the summary and the `--verify`
//! results as text for people (`events` has the JSON for pipelines). Pure: no I/O, no colour
//! decision (the command paints the lines it marks).

use std::collections::BTreeSet;

use super::{Report, StepOutcome, Verified};
use crate::plan::Plan;

/// The text summary: messages for stderr before and after the summary line (stdout).
pub(crate) struct SummaryText {
    pub(crate) before: Vec<String>,
    pub(crate) line: String,
    /// Whether every action finished (the line is green, else red).
    pub(crate) complete: bool,
    pub(crate) after: Vec<String>,
}

/// Why steps stopped starting, what did not start, what was not recorded.
fn stops(plan: &Plan, report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(reason) = &report.stopped {
        lines.push(format!(
            "Stopped starting steps: {reason}. Run `d360 apply` again once the allowance refills."
        ));
    }
    if let Some(reason) = &report.state_stopped {
        lines.push(format!(
            "Stopped starting steps: the state cannot be saved ({reason}); d360 does no work it cannot record."
        ));
    }
    if report.interrupted || report.stopped.is_some() || report.state_stopped.is_some() {
        let not_started: BTreeSet<String> = report
            .outcomes
            .iter()
            .filter(|(_, _, o)| *o == StepOutcome::NotStarted)
            .filter_map(|(a, _, _)| plan.actions.get(*a).map(|a| a.key().to_string()))
            .collect();
        if !not_started.is_empty() {
            lines.push(format!(
                "Not started: {}",
                not_started.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let Some(error) = &report.state_error {
        lines.push(format!("error: {error}"));
    }
    lines.extend(report.unrecorded_lines(plan));
    lines
}

/// What did not finish, and what to do next.
fn recap(plan: &Plan, report: &Report, complete: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let failures = report.failures(plan);
    if !failures.is_empty() {
        let mut recap = format!(
            "{} of {} action{} did not finish:",
            failures.len(),
            plan.actions.len(),
            if plan.actions.len() == 1 { "" } else { "s" }
        );
        for (key, reason) in &failures {
            recap.push_str(&format!("\n  {key}: {reason}"));
        }
        lines.push(recap);
    }
    let all_recorded = report.unrecorded.is_empty() && report.state_error.is_none();
    if complete {
        lines.push("Next: `d360 plan` should now report no changes; `d360 drift` checks the org later.".to_owned());
    } else if !all_recorded {
        lines.push(
            "Next: once the state can be written, run `d360 apply` again: it finds what was done but not recorded by name and adopts it, with no duplicates."
                .to_owned(),
        );
    } else if !report.interrupted && report.stopped.is_none() {
        lines.push(
            "Next: fix the failures above and run `d360 apply` again: finished work is recorded and will not be repeated."
                .to_owned(),
        );
    }
    lines
}

/// The summary for people.
#[must_use]
pub(crate) fn summary_text(plan: &Plan, report: &Report) -> SummaryText {
    let complete = report.complete(plan);
    SummaryText {
        before: stops(plan, report),
        line: report.summary_line(plan),
        complete,
        after: recap(plan, report, complete),
    }
}

/// One line per object tested (and whether it passed), then the summary line.
#[must_use]
pub(crate) fn verified_text(verified: &[Verified]) -> Vec<(String, bool)> {
    let failed = verified.iter().filter(|v| !v.passed()).count();
    let mut lines: Vec<(String, bool)> = verified
        .iter()
        .map(|entry| match &entry.result {
            Ok(None) => (format!("verified {}: connection test passed", entry.key), true),
            Ok(Some(problems)) => (
                format!(
                    "verified {}: connection test failed: {}",
                    entry.key,
                    problems.join("; ")
                ),
                false,
            ),
            Err(error) => (format!("verified {}: could not test it: {error}", entry.key), false),
        })
        .collect();
    lines.push((
        format!("Verify: {} passed, {failed} failed.", verified.len() - failed),
        failed == 0,
    ));
    lines
}
