//! `d360 watch`: continuous reconcile. Owns one org's reconcile (`reconcile`: plan, drift
//! and, with `--heal`, the apply through `heal`, from typed options, kube-runtime style: a
//! [`Run`] and what to do next), the per-org scheduler (`schedule`: requeue with jitter,
//! backoff after failures, ownership through [`crate::state::Store::lead`]), the sharing of
//! orgs among replicas on one PostgreSQL state (`share`: fair shares over the live replicas),
//! each org's loop as a task of its own, started again after a panic (`supervise`), the
//! Prometheus registry (`metrics`), the per-org record of the last run (`board`) and the HTTP
//! endpoints that serve both (`server`: /metrics, /healthz, /readyz, /status).
//!
//! The command (`cli::watch`) parses the flags, reads the manifests and opens each org before
//! a run, and hands them to [`reconcile`].

mod board;
mod heal;
mod metrics;
mod reconcile;
mod schedule;
mod server;
mod share;
mod supervise;
mod watched;

use std::time::Duration;

pub(crate) use board::Board;
pub(crate) use heal::Options as HealOptions;
pub(crate) use metrics::Metrics;
pub(crate) use reconcile::{Desired, NotKeptLog, Options as ReconcileOptions, Org, reconcile};
pub(crate) use server::serve;
pub(crate) use supervise::run;
pub(crate) use watched::{OrgWatch, Tick};

use crate::apply::Tally;
use crate::drift;
use crate::plan;

/// The command name recorded as the holder of watch locks.
pub(crate) const COMMAND: &str = "d360 watch";

/// What every org's loop and the endpoints share.
pub(crate) struct Shared {
    pub(crate) metrics: Metrics,
    pub(crate) board: Board,
    pub(crate) interval: Duration,
}

impl Shared {
    #[must_use]
    pub(crate) fn new(orgs: &[String], interval: Duration) -> Self {
        let metrics = Metrics::new();
        for org in orgs {
            metrics.add_org(org);
        }
        Self {
            metrics,
            board: Board::new(orgs),
            interval,
        }
    }
}

/// What one run found, as far as it got.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) drift: drift::Report,
    pub(crate) plan: plan::Summary,
    /// The plan's summary line (`Plan: 1 to update...` or `No changes...`).
    pub(crate) plan_line: String,
    pub(crate) plan_errors: Vec<String>,
    /// With `--heal`, what the apply did (absent when there was nothing to apply).
    pub(crate) applied: Option<Tally>,
    /// Requests left today (`Sforce-Limit-Info` MAX-USED) when the org said.
    pub(crate) budget_remaining: Option<u64>,
    /// Managed objects whose last write the org did not keep (not rewritten), per kind.
    pub(crate) nonconverging: Vec<(crate::model::Kind, usize)>,
    /// With `--heal`: why the run did not heal, when the org it promotes from has not
    /// converged to the same manifests.
    pub(crate) heal_held: Option<String>,
}

/// The result of one run of one org: what it found, and why it failed if it did.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) finding: Option<Finding>,
    pub(crate) error: Option<String>,
    /// Requests the run sent again (after 429, 503, connection errors, timeouts).
    pub(crate) retries: u64,
}

impl Run {
    #[must_use]
    pub(crate) fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}
