//! The org's daily API allowance against what a plan needs: at least one request per step.

use crate::api::StatsSnapshot;
use crate::plan::{ActionKind, Plan};

/// A warning when the allowance left (from `Sforce-Limit-Info`) is smaller than the plan
/// needs; `None` when it is enough or the org did not say.
#[must_use]
pub(crate) fn shortfall(plan: &Plan, stats: &StatsSnapshot) -> Option<String> {
    if stats.api_limit == 0 {
        return None;
    }
    let remaining = stats.api_limit.saturating_sub(stats.api_used);
    let needed = plan
        .actions
        .iter()
        .map(|a| if a.action == ActionKind::Replace { 2 } else { 1 })
        .sum::<u64>();
    (needed > remaining).then(|| {
        format!(
            "warning: the org has {remaining} API requests left today (Sforce-Limit-Info {}/{}) and this apply needs at least {needed}; it may stop with REQUEST_LIMIT_EXCEEDED",
            stats.api_used, stats.api_limit
        )
    })
}
