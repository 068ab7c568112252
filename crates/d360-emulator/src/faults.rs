//! Injected faults: what `--fault KIND=RATE` means and the seeded draw made for every API
//! request.
//!
//! Kinds: `503`, `500`, `429` (answers with `Retry-After: 1`), `drop-before` (the connection is
//! closed before the handler runs: nothing happened), `drop-after` (the handler runs, so a write
//! is done, then the connection is closed without an answer), and `drop` (half of its rate
//! each way). One draw per API request; with `--seed` the sequence of outcomes is the same on
//! every run for the same sequence of requests. Login endpoints are never faulted.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// What kind of fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 503 `SERVER_UNAVAILABLE`.
    Unavailable,
    /// 500 `UNKNOWN_EXCEPTION`.
    ServerError,
    /// 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After: 1`.
    TooManyRequests,
    /// Close the connection without answering; half the time before the handler ran, half
    /// the time after.
    Drop,
    /// Close the connection without answering, before the handler ran.
    DropBefore,
    /// Run the handler (the write happens), then close the connection without answering.
    DropAfter,
}

impl FaultKind {
    const NAMES: [(&'static str, FaultKind); 6] = [
        ("503", FaultKind::Unavailable),
        ("500", FaultKind::ServerError),
        ("429", FaultKind::TooManyRequests),
        ("drop", FaultKind::Drop),
        ("drop-before", FaultKind::DropBefore),
        ("drop-after", FaultKind::DropAfter),
    ];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("?", |(name, _)| name)
    }
}

/// One `--fault KIND=RATE`: inject `kind` into a `rate` share (0 to 1) of API requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub rate: f64,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, rate) = text
            .split_once('=')
            .ok_or_else(|| format!("expected KIND=RATE such as `503=0.1`, found `{text}`"))?;
        let kind = FaultKind::NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(kind.trim()))
            .map(|(_, kind)| *kind)
            .ok_or_else(|| format!("unknown fault `{kind}`; use 503, 500, 429, drop, drop-before or drop-after"))?;
        let rate: f64 = rate
            .trim()
            .parse()
            .map_err(|_| format!("the rate `{rate}` is not a number between 0 and 1"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("the rate `{rate}` is not between 0 and 1"));
        }
        Ok(Fault { kind, rate })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.name(), self.rate)
    }
}

/// The outcome of one draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    Unavailable,
    ServerError,
    TooManyRequests,
    DropBefore,
    DropAfter,
}

/// The configured faults and the random source they are drawn from.
pub(crate) struct Injector {
    /// Cumulative upper bounds of each outcome's share of `[0, 1)`.
    bands: Vec<(f64, Injected)>,
    rng: Mutex<fastrand::Rng>,
}

impl Injector {
    /// Refuses rates that add up to more than 1.
    pub(crate) fn new(faults: &[Fault], seed: Option<u64>) -> Result<Self, String> {
        let total: f64 = faults.iter().map(|fault| fault.rate).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the fault rates add up to {total}, more than 1"));
        }
        let mut bands = Vec::new();
        let mut upper = 0.0;
        let mut push = |share: f64, outcome: Injected| {
            if share > 0.0 {
                upper += share;
                bands.push((upper, outcome));
            }
        };
        for fault in faults {
            match fault.kind {
                FaultKind::Unavailable => push(fault.rate, Injected::Unavailable),
                FaultKind::ServerError => push(fault.rate, Injected::ServerError),
                FaultKind::TooManyRequests => push(fault.rate, Injected::TooManyRequests),
                FaultKind::DropBefore => push(fault.rate, Injected::DropBefore),
                FaultKind::DropAfter => push(fault.rate, Injected::DropAfter),
                FaultKind::Drop => {
                    push(fault.rate / 2.0, Injected::DropBefore);
                    push(fault.rate / 2.0, Injected::DropAfter);
                }
            }
        }
        let rng = seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Ok(Self {
            bands,
            rng: Mutex::new(rng),
        })
    }

    /// Draws the fate of one API request.
    pub(crate) fn draw(&self) -> Option<Injected> {
        if self.bands.is_empty() {
            return None;
        }
        let roll = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner).f64();
        self.bands
            .iter()
            .find(|(upper, _)| roll < *upper)
            .map(|(_, outcome)| *outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_print() {
        let fault: Fault = "503=0.1".parse().expect("valid");
        assert_eq!(
            fault,
            Fault {
                kind: FaultKind::Unavailable,
                rate: 0.1
            }
        );
        assert_eq!(fault.to_string(), "503=0.1");
        assert_eq!(
            "drop-after=1".parse::<Fault>().map(|f| f.kind),
            Ok(FaultKind::DropAfter)
        );
        assert!("404=0.1".parse::<Fault>().is_err());
        assert!("503=1.5".parse::<Fault>().is_err());
        assert!("503".parse::<Fault>().is_err());
    }

    #[test]
    fn seeded_draws_repeat_and_follow_rates() {
        let faults = [Fault {
            kind: FaultKind::Unavailable,
            rate: 0.5,
        }];
        let first = Injector::new(&faults, Some(7)).expect("valid");
        let second = Injector::new(&faults, Some(7)).expect("valid");
        let draws: Vec<_> = (0..100).map(|_| first.draw()).collect();
        assert_eq!(draws, (0..100).map(|_| second.draw()).collect::<Vec<_>>());
        let hits = draws.iter().filter(|draw| draw.is_some()).count();
        assert!((30..70).contains(&hits), "{hits}");
        assert!(
            Injector::new(
                &[Fault {
                    kind: FaultKind::Drop,
                    rate: 0.8
                }; 2],
                None
            )
            .is_err()
        );
    }
}
