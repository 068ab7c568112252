//! The last run of every org, for `/status` (as JSON) and `/readyz`: when it ran, how it
//! ended, its error (already free of secrets: API errors carry codes and messages, never
//! tokens), the drift it found and the plan's summary.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Run;
use crate::apply::Tally;
use crate::drift;
use crate::plan;

/// How many intervals may pass after an org's last run before `/readyz` fails.
pub(crate) const READY_INTERVALS: u32 = 3;

/// Whether this replica reconciles the org or stands by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Role {
    /// No ownership decided yet.
    Starting,
    /// This replica holds the org's owner lock and reconciles it.
    Owner,
    /// Another replica owns the org, or this one holds its fair share already.
    Standby,
}

/// One org's record.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgStatus {
    pub(crate) org: String,
    pub(crate) role: Role,
    /// Live replicas sharing the org (PostgreSQL state), as last counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replicas: Option<u64>,
    /// The most orgs of the org's database one replica holds: `ceil(orgs / replicas)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fair_share: Option<usize>,
    pub(crate) runs: u64,
    pub(crate) consecutive_failures: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_success_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_run: Option<LastRun>,
    /// Why ownership could not be tried (the state database is unreachable...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) election_error: Option<String>,
    #[serde(skip)]
    finished: Option<Instant>,
}

/// The last run of an org.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LastRun {
    pub(crate) started_at: String,
    pub(crate) finished_at: String,
    pub(crate) duration_seconds: f64,
    /// `success` or `failure`.
    pub(crate) result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) drift: Option<DriftSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) plan: Option<PlanSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) applied: Option<Tally>,
    /// With `--heal`: why the run did not heal (the org it promotes from is not in step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) heal_held: Option<String>,
}

/// The drift a run found: counts and the drifted items.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DriftSummary {
    pub(crate) summary: drift::Summary,
    pub(crate) items: Vec<drift::Item>,
}

/// The plan a run made.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanSummary {
    pub(crate) summary: plan::Summary,
    pub(crate) line: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) errors: Vec<String>,
}

/// Every org's record.
pub(crate) struct Board {
    orgs: Mutex<BTreeMap<String, OrgStatus>>,
}

impl Board {
    #[must_use]
    pub(crate) fn new(orgs: &[String]) -> Self {
        let orgs = orgs
            .iter()
            .map(|org| {
                (
                    org.clone(),
                    OrgStatus {
                        org: org.clone(),
                        role: Role::Starting,
                        replicas: None,
                        fair_share: None,
                        runs: 0,
                        consecutive_failures: 0,
                        last_success_at: None,
                        last_run: None,
                        election_error: None,
                        finished: None,
                    },
                )
            })
            .collect();
        Self { orgs: Mutex::new(orgs) }
    }

    fn with<T>(&self, org: &str, change: impl FnOnce(&mut OrgStatus) -> T) -> Option<T> {
        let mut orgs = self.orgs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        orgs.get_mut(org).map(change)
    }

    pub(crate) fn set_role(&self, org: &str, role: Role, election_error: Option<String>) {
        self.with(org, |status| {
            status.role = role;
            status.election_error = election_error;
        });
    }

    /// Records the live replicas sharing the org and the fair share they give.
    pub(crate) fn set_share(&self, org: &str, replicas: Option<u64>, fair_share: Option<usize>) {
        self.with(org, |status| {
            status.replicas = replicas;
            status.fair_share = fair_share;
        });
    }

    /// The orgs this replica owns, by name.
    #[must_use]
    pub(crate) fn holds(&self) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter(|status| status.role == Role::Owner)
            .map(|status| status.org)
            .collect()
    }

    /// Records a finished run; returns the org's consecutive failures since.
    pub(crate) fn finished(&self, org: &str, run: &Run, started_at: String, elapsed: Duration) -> u32 {
        let finished_at = crate::state::now_rfc3339();
        self.with(org, |status| {
            status.runs += 1;
            status.finished = Some(Instant::now());
            if run.succeeded() {
                status.consecutive_failures = 0;
                status.last_success_at = Some(finished_at.clone());
            } else {
                status.consecutive_failures += 1;
            }
            status.last_run = Some(LastRun {
                started_at,
                finished_at,
                duration_seconds: elapsed.as_secs_f64(),
                result: if run.succeeded() { "success" } else { "failure" },
                error: run.error.clone(),
                drift: run.finding.as_ref().map(|f| DriftSummary {
                    summary: f.drift.summary,
                    items: f.drift.items.iter().filter(|i| i.status.is_drift()).cloned().collect(),
                }),
                plan: run.finding.as_ref().map(|f| PlanSummary {
                    summary: f.plan,
                    line: f.plan_line.clone(),
                    errors: f.plan_errors.clone(),
                }),
                applied: run.finding.as_ref().and_then(|f| f.applied),
                heal_held: run.finding.as_ref().and_then(|f| f.heal_held.clone()),
            });
            status.consecutive_failures
        })
        .unwrap_or(0)
    }

    /// Every org's record, by name.
    #[must_use]
    pub(crate) fn snapshot(&self) -> Vec<OrgStatus> {
        let orgs = self.orgs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        orgs.values().cloned().collect()
    }

    /// Why the process is not ready: each org whose last run finished longer than
    /// [`READY_INTERVALS`] intervals ago, or that has not finished one yet, or whose owner
    /// lock cannot be tried (the state database is unreachable). A standby is ready (another
    /// replica runs the org). Empty when ready.
    #[must_use]
    pub(crate) fn not_ready(&self, interval: Duration) -> Vec<String> {
        let window = interval * READY_INTERVALS;
        self.snapshot()
            .into_iter()
            .filter_map(|status| match status.finished {
                _ if status.election_error.is_some() => Some(format!(
                    "org `{}`: cannot try the owner lock: {}",
                    status.org,
                    status.election_error.as_deref().unwrap_or_default()
                )),
                _ if status.role == Role::Standby => None,
                None => Some(format!("org `{}`: no run has finished yet", status.org)),
                Some(at) if at.elapsed() > window => Some(format!(
                    "org `{}`: the last run finished {}s ago, more than {READY_INTERVALS} intervals ({}s)",
                    status.org,
                    at.elapsed().as_secs(),
                    window.as_secs()
                )),
                Some(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_every_leading_org_has_run_recently() {
        let board = Board::new(&["a".to_owned(), "b".to_owned()]);
        let interval = Duration::from_secs(60);
        assert_eq!(board.not_ready(interval).len(), 2);
        let failed = Run {
            finding: None,
            error: Some("boom".into()),
            retries: 0,
        };
        assert_eq!(board.finished("a", &failed, "t".into(), Duration::ZERO), 1);
        assert_eq!(
            board.not_ready(interval),
            vec!["org `b`: no run has finished yet".to_owned()]
        );
        board.set_role("b", Role::Standby, None);
        assert!(board.not_ready(interval).is_empty());
        board.set_role("b", Role::Standby, Some("connection refused".into()));
        assert_eq!(
            board.not_ready(interval),
            vec!["org `b`: cannot try the owner lock: connection refused".to_owned()]
        );
        board.set_role("b", Role::Standby, None);
        std::thread::sleep(Duration::from_millis(2));
        let stale = board.not_ready(Duration::ZERO);
        assert_eq!(stale.len(), 1, "{stale:?}");
        assert!(stale[0].starts_with("org `a`: the last run finished"), "{stale:?}");
    }
}
