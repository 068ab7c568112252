//! What a user sees of an apply (`apply`, `destroy`): the command layer's
//! [`crate::apply::Reporter`], printing text for people or one JSON event per line (each with
//! the org) through `output`; not a command itself.

use super::CliError;
use super::plan_output::{self, Layout};
use super::progress::Progress;
use super::usage_error::UsageError;
use crate::apply::events::Events;
use crate::apply::{self, ApplyError, Observer, Report, Verified};
use crate::output::{self, Paint};
use crate::plan::{NotKeptObject, Plan};
use crate::promotion::Promotion;
use crate::state::Converged;

/// The summary's line when the promotion check was skipped.
fn skipped_line(from: &str) -> String {
    format!(
        "warning: promotion check skipped (--skip-promotion-check): `{from}` was not checked to have converged to these manifests"
    )
}

/// How an apply is shown: text for people, or one JSON event per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Prints to the terminal (or a pipe) in `format`.
pub(crate) struct Terminal<'a> {
    format: Format,
    layout: Layout,
    events: Events<'a>,
}

impl<'a> Terminal<'a> {
    pub(crate) fn new(format: Format, layout: Layout, org: &'a str) -> Self {
        Self {
            format,
            layout,
            events: Events { org },
        }
    }

    fn emit(event: &serde_json::Value) {
        output::data(&event.to_string());
    }
}

fn stdout_paint() -> Paint {
    Paint {
        enabled: output::stdout_color(),
    }
}

impl apply::Reporter for Terminal<'_> {
    type Error = CliError;

    fn plan(&self, plan: &Plan) -> Result<(), CliError> {
        match self.format {
            Format::Text => plan_output::print(plan, plan_output::Format::Text, self.layout)?,
            Format::Json => Self::emit(&self.events.plan(plan)),
        }
        Ok(())
    }

    fn over_budget(&self, refusal: &str, going_ahead: bool) {
        output::message(&if going_ahead {
            format!("warning: {refusal}; going ahead (--ignore-api-budget)")
        } else {
            format!(
                "error: {refusal}. Wait for the allowance to refill, lower --api-reserve, or pass --ignore-api-budget"
            )
        });
    }

    /// Asks on the terminal; refuses without one.
    fn confirm(&self) -> Result<bool, CliError> {
        if !output::stdin_is_terminal() {
            return Err(UsageError::NoTerminal.into());
        }
        output::message("\nDo you want to perform these actions? Only 'yes' will be accepted.");
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| CliError::Answer(e.to_string()))?;
        Ok(answer.trim() == "yes")
    }

    fn cancelled(&self) {
        output::message("Apply cancelled.");
    }

    fn progress(&self, plan: &Plan) -> Box<dyn Observer + '_> {
        Box::new(match self.format {
            Format::Json => Progress::Json(self.events),
            Format::Text => Progress::for_terminal(plan.actions.len()),
        })
    }

    fn summary(&self, plan: &Plan, report: &Report, promotion: &Promotion) {
        if self.format == Format::Json {
            Self::emit(&self.events.summary(plan, report, promotion));
            return;
        }
        if let Promotion::Skipped { from } = promotion {
            output::message(&skipped_line(from));
        }
        let summary = apply::render::summary_text(plan, report);
        for line in &summary.before {
            output::message(line);
        }
        let paint = stdout_paint();
        output::data(&if summary.complete {
            paint.green(&summary.line)
        } else {
            paint.red(&summary.line)
        });
        for line in &summary.after {
            output::message(line);
        }
    }

    /// One line (or JSON event) per object tested, then a summary.
    fn verified(&self, verified: &[Verified]) {
        if self.format == Format::Json {
            self.events.verified(verified).iter().for_each(Self::emit);
            return;
        }
        let paint = stdout_paint();
        for (line, passed) in apply::render::verified_text(verified) {
            output::data(&if passed { paint.green(&line) } else { paint.red(&line) });
        }
        if verified.iter().any(|v| !v.passed()) {
            output::message(
                "The objects that failed their test exist and are recorded in state; fix the source or the credentials and run `d360 apply` again.",
            );
        }
    }

    fn not_kept(&self, objects: &[NotKeptObject]) {
        for object in objects {
            match self.format {
                Format::Text => output::message(&format!("warning: {}: {}", object.key(), object.describe())),
                Format::Json => Self::emit(&self.events.not_kept(object)),
            }
        }
    }

    fn converged(&self, converged: &Converged, promotion: &Promotion) {
        if self.format == Format::Json {
            Self::emit(&self.events.converged(converged, promotion));
            return;
        }
        let checked = match promotion {
            Promotion::None => String::new(),
            Promotion::InStep { from } => format!(", as `{from}` is"),
            Promotion::Skipped { from } => format!(" without checking `{from}` (--skip-promotion-check)"),
        };
        output::message(&format!(
            "State records `{}` converged to manifests {}{checked}.",
            self.events.org, converged.set
        ));
    }

    fn left_converged(&self, previous: &Converged) {
        output::message(&format!(
            "State no longer records `{}` converged to manifests {}: the destroy removed objects.",
            self.events.org, previous.set
        ));
    }

    fn read_back_failed(&self, error: &ApplyError) {
        output::message(&format!(
            "warning: could not read back what was written, to check the org kept it: {}",
            output::chain(error)
        ));
    }
}
