//! The org's daily API allowance against what a plan needs (`plan::ApiBudget`).

use crate::api::StatsSnapshot;
use crate::plan::Plan;

/// Why the apply should not start: the requests it still needs (the plan's estimate less the
/// read already made) would leave fewer than `reserve` of what the org has left today. `None`
/// when it fits or the org did not say (`Sforce-Limit-Info`).
#[must_use]
pub(crate) fn shortfall(plan: &Plan, stats: &StatsSnapshot, reserve: u64) -> Option<String> {
    if stats.api_limit == 0 {
        return None;
    }
    let remaining = stats.api_limit.saturating_sub(stats.api_used);
    let needed = plan.api.total.saturating_sub(plan.api.reads);
    (needed.saturating_add(reserve) > remaining).then(|| {
        format!(
            "this apply needs about {needed} API requests and the org has {remaining} left today (Sforce-Limit-Info {}/{}), with {reserve} kept in reserve (--api-reserve)",
            stats.api_used, stats.api_limit
        )
    })
}

/// How many requests an apply keeps in flight: adaptive, or pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parallelism {
    Auto,
    Fixed(u16),
}

/// API requests of the org's daily allowance an apply leaves unspent: a count or a share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reserve {
    Requests(u64),
    Share(f64),
}

impl Reserve {
    /// The reserve in requests, for an allowance of `limit`.
    #[must_use]
    pub(crate) fn of(self, limit: u64) -> u64 {
        match self {
            Reserve::Requests(count) => count,
            Reserve::Share(share) => (limit as f64 * share).ceil() as u64,
        }
    }
}
