//! How a plan is carried out, as flags (`--auto-approve`, `--parallelism`, `--api-reserve`,
//! `--verify`, `--format`, ...) shared by `apply` and `destroy`, turned into the apply stage's
//! typed [`ApplyOptions`] and run ([`crate::apply::run`]) with the command layer's reporter;
//! not a command itself.

use std::time::Duration;

use super::plan_output::Layout;
use super::reporter::{Format, Terminal};
use super::values::{parse_duration, parse_parallelism};
use super::{CliError, Outcome};
use crate::apply::{self, ApplyOptions, ApplyOutcome, Parallelism, Reserve, Source};
use crate::model::SetVersion;
use crate::plan;
use crate::promotion;
use crate::session::Session;

/// What an apply checked of the org it promotes from, and the manifest set it records in
/// state when it converges (`destroy`: neither, and it forgets the record when it removes
/// objects).
#[derive(Debug, Clone, Default)]
pub(crate) struct Promotion {
    pub(crate) checked: promotion::Promotion,
    pub(crate) converge: Option<SetVersion>,
    pub(crate) forget: bool,
}

/// How a plan is carried out (shared by `apply` and `destroy`).
#[derive(Debug, clap::Args)]
#[expect(clippy::struct_excessive_bools, reason = "command-line switches, each its own flag")]
pub(crate) struct Execution {
    /// Do not ask for confirmation (needed when stdin is not a terminal, as in CI).
    #[arg(long)]
    pub(crate) auto_approve: bool,
    /// Requests in flight: `auto` (the default) adapts to how the org answers, growing while
    /// answers are fast and clean and cutting back on 429, 503 or the concurrent-request
    /// limit; a number from 1 to 256 pins it.
    #[arg(long, default_value = "auto", value_parser = parse_parallelism)]
    pub(crate) parallelism: Parallelism,
    /// API requests of the org's daily allowance to leave unspent: a count (`500`) or a share
    /// of the allowance (`10%`, the default). An apply that would eat into it does not start,
    /// and one that reaches it stops starting steps.
    #[arg(long, default_value = "10%", value_parser = Reserve::parse)]
    pub(crate) api_reserve: Reserve,
    /// Start even when the estimate says the org's daily API allowance is too small; the apply
    /// still stops starting steps at the reserve, and at a spent allowance.
    #[arg(long)]
    pub(crate) ignore_api_budget: bool,
    /// The most requests `--parallelism auto` keeps in flight.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) max_parallelism: u16,
    /// How long to wait for another apply's state lock: `0`, `30s`, `5m`.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: Duration,
    /// Check before starting, as `d360 plan --check` does (a failed check stops the apply
    /// before anything is written); a stream whose connection the apply creates is checked
    /// right before its own create, and a failure fails that step.
    #[arg(long)]
    pub(crate) check: bool,
    /// After writing, test each connection created or changed (`POST
    /// /ssot/connections/{id}/actions/test`) and report the result per resource; a failed test
    /// exits 1 (the connection stays, and state records it).
    #[arg(long)]
    pub(crate) verify: bool,
    /// `text`: the plan, then progress; `json`: one JSON event per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) layout: Layout,
}

impl Execution {
    /// The stage's options: these flags, with `plan` for a fresh plan and `command` as the
    /// lock holder.
    fn options(&self, command: &'static str, plan: plan::Options, promotion: Promotion) -> ApplyOptions {
        ApplyOptions {
            command,
            lock_timeout: self.lock_timeout,
            plan,
            auto_approve: self.auto_approve,
            parallelism: self.parallelism,
            max_parallelism: self.max_parallelism,
            api_reserve: self.api_reserve,
            ignore_api_budget: self.ignore_api_budget,
            check: self.check,
            verify: self.verify,
            promotion: promotion.checked,
            converge: promotion.converge,
            forget_convergence: promotion.forget,
            stop_on_signals: true,
        }
    }

    /// Runs the apply stage on `session`, printing as these flags say; the command's outcome.
    pub(crate) async fn carry_out(
        &self,
        command: &'static str,
        session: &Session,
        source: Source<'_>,
        plan: plan::Options,
        promotion: Promotion,
    ) -> Result<Outcome, CliError> {
        let reporter = Terminal::new(self.format, self.layout, &session.org);
        let options = self.options(command, plan, promotion);
        Ok(match apply::run(session, source, &options, &reporter).await? {
            ApplyOutcome::NoChanges => Outcome::Success,
            ApplyOutcome::PlanErrors | ApplyOutcome::OverBudget | ApplyOutcome::Cancelled => Outcome::Failure,
            ApplyOutcome::Applied { interrupted: true, .. } => Outcome::Interrupted,
            ApplyOutcome::Applied { complete, verified, .. } => {
                if complete && verified != Some(false) {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }
            }
        })
    }
}
