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

/// API requests of the org's daily allowance an apply (or a heal) leaves unspent: a count
/// or a share (`--api-reserve`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reserve {
    Requests(u64),
    Share(f64),
}

impl Reserve {
    /// `500` (requests) or `10%` (of the allowance); refuses with the words clap shows after
    /// the flag.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let refused = || format!("`{text}` is neither a count such as `500` nor a share such as `10%`");
        match text.trim().strip_suffix('%') {
            Some(percent) => match percent.trim().parse::<f64>() {
                Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(Reserve::Share(percent / 100.0)),
                _ => Err(refused()),
            },
            None => text.trim().parse::<u64>().map(Reserve::Requests).map_err(|_| refused()),
        }
    }

    /// The reserve in requests, for an allowance of `limit`.
    #[must_use]
    pub(crate) fn of(self, limit: u64) -> u64 {
        match self {
            Reserve::Requests(count) => count,
            Reserve::Share(share) => (limit as f64 * share).ceil() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_is_a_count_or_a_share_rounded_up() {
        assert_eq!(Reserve::parse("500"), Ok(Reserve::Requests(500)));
        assert_eq!(Reserve::parse(" 10% "), Ok(Reserve::Share(0.1)));
        assert!(Reserve::parse("120%").is_err());
        assert!(Reserve::parse("some").is_err());
        assert_eq!(Reserve::Requests(500).of(15_000), 500);
        assert_eq!(Reserve::Share(0.1).of(15_001), 1_501);
        assert_eq!(Reserve::Share(0.0).of(15_000), 0);
    }
}
