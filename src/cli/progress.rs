//! Showing an apply as it runs: an `indicatif` bar on a terminal, one plain line per finished
//! step otherwise, or one JSON event per line (`--format json`).

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::apply::events::Events;
use crate::apply::{Observer, Step, StepOutcome};
use crate::output::{self, Paint};
use crate::plan::{ActionKind, Plan};

/// How to show progress.
pub(crate) enum Progress<'a> {
    Bar {
        bar: ProgressBar,
        current: Mutex<Vec<String>>,
        paint: Paint,
    },
    Lines {
        paint: Paint,
    },
    /// One JSON event per line, each with the org.
    Json(Events<'a>),
}

impl Progress<'_> {
    /// A bar when stderr is a terminal, plain lines otherwise.
    #[must_use]
    pub(crate) fn for_terminal(steps: usize) -> Self {
        if output::stderr_is_terminal() {
            let bar = ProgressBar::new(steps as u64);
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            Progress::Bar {
                bar,
                current: Mutex::new(Vec::new()),
                paint: Paint {
                    enabled: output::stderr_color(),
                },
            }
        } else {
            Progress::Lines {
                paint: Paint {
                    enabled: output::stdout_color(),
                },
            }
        }
    }
}

fn past(plan: &Plan, action: usize, step: Step) -> &'static str {
    let replacing = plan
        .actions
        .get(action)
        .is_some_and(|a| a.action == ActionKind::Replace);
    match (step, replacing) {
        (Step::Create, true) => "re-created",
        (Step::Create, false) => "created",
        (Step::Update, _) => "updated",
        (Step::Delete, true) => "deleted (to replace)",
        (Step::Delete, false) => "deleted",
        (Step::Adopt, _) => "adopted",
        (Step::Forget, _) => "forgot",
    }
}

/// `Kind/name` of an action.
fn key_of(plan: &Plan, action: usize) -> String {
    plan.actions
        .get(action)
        .map_or_else(|| format!("action {action}"), |a| a.key().to_string())
}

/// The plain line for a finished step.
fn line(plan: &Plan, action: usize, step: Step, outcome: &StepOutcome, paint: Paint) -> String {
    let key = key_of(plan, action);
    match outcome {
        StepOutcome::Done { note } => {
            let note = note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
            format!("{} {key}{note}", paint.green(past(plan, action, step)))
        }
        StepOutcome::Failed { error } => {
            format!("{} {key}: {error}", paint.red(&format!("failed to {}", step.as_str())))
        }
        StepOutcome::Skipped { reason } => format!("{} {key}: {reason}", paint.yellow("skipped")),
        StepOutcome::NotStarted => format!("{} {key}", paint.dim("not started")),
    }
}

impl Observer for Progress<'_> {
    fn started(&self, plan: &Plan, action: usize, step: Step) {
        let key = key_of(plan, action);
        match self {
            Progress::Bar { bar, current, .. } => {
                if let Ok(mut current) = current.lock() {
                    current.push(key);
                    bar.set_message(current.join(", "));
                }
            }
            Progress::Lines { .. } => {}
            Progress::Json(events) => output::data(&events.started(plan, action, step).to_string()),
        }
    }

    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) {
        let key = key_of(plan, action);
        match self {
            Progress::Bar { bar, current, paint } => {
                if let Ok(mut current) = current.lock() {
                    current.retain(|k| *k != key);
                    bar.set_message(current.join(", "));
                }
                bar.inc(1);
                bar.println(line(plan, action, step, outcome, *paint));
            }
            Progress::Lines { paint } => output::data(&line(plan, action, step, outcome, *paint)),
            Progress::Json(events) => output::data(&events.finished(plan, action, step, outcome).to_string()),
        }
    }

    /// Removes the bar before the summary is printed.
    fn ended(&self) {
        if let Progress::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}
