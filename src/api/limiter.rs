//! How many requests one client keeps in flight: fixed (`--parallelism N`) or adaptive
//! (`--parallelism auto`, the default), shared by every call of the client.
//!
//! Adaptive is TCP's congestion control: start moderate and double every round trip while
//! answers come back clean and fast (slow start), then, after the first push-back, add about
//! one request per round trip (additive increase); cut by 15% when the org pushes back (429, 503, the concurrent-request
//! `REQUEST_LIMIT_EXCEEDED`) or latency climbs far above the best seen, and never go above
//! the cap. One push-back cuts once: answers to requests sent before the cut do not cut
//! again. The scheduler above may start many steps; only this many are on the wire.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concurrency {
    /// Exactly this many requests in flight.
    Fixed(usize),
    /// Adapt between 1 and `max`.
    Auto { max: usize },
}

/// Where adaptive concurrency starts.
const START: f64 = 8.0;
/// The cut on push-back.
const DECREASE: f64 = 0.85;
/// A latency this many times the best seen (and at least [`SLOW_FLOOR`] above it) counts as
/// push-back: the org is queueing.
const SLOW_FACTOR: f64 = 4.0;
const SLOW_FLOOR: Duration = Duration::from_millis(250);

/// How one answer went, for the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// Answered (any status but push-back) after this long.
    Answered(Duration),
    /// 429, 503 or the concurrent-request limit.
    Throttled,
    /// No answer (transport error): says nothing about load.
    Lost,
}

#[derive(Debug)]
struct Inner {
    mode: Concurrency,
    limit: f64,
    in_flight: usize,
    peak: usize,
    throttled: u64,
    best: Option<Duration>,
    /// Requests sent before the last cut do not cut again.
    last_cut: Option<Instant>,
    /// Until the first push-back, each clean answer adds one (the limit doubles per round trip).
    slow_start: bool,
}

/// Admits requests up to the current limit.
#[derive(Debug)]
pub(crate) struct Limiter {
    inner: Mutex<Inner>,
    freed: Notify,
}

/// A request's place in flight; give it back with [`Limiter::release`].
#[derive(Debug)]
pub(crate) struct Permit {
    sent: Instant,
}

/// A place in flight that goes back to the limiter even when its request is dropped part way
/// (a listing given up after another of its pages failed): as [`Signal::Lost`] then, which
/// teaches the limiter nothing.
#[derive(Debug)]
pub(crate) struct Held<'a> {
    limiter: &'a Limiter,
    permit: Option<Permit>,
}

impl Held<'_> {
    /// Gives the place back, learning from how the answer went.
    pub(crate) fn release(mut self, signal: Signal) {
        if let Some(permit) = self.permit.take() {
            self.limiter.release(&permit, signal);
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.limiter.release(&permit, Signal::Lost);
        }
    }
}

/// The limiter's counters, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConcurrencyReport {
    /// The most requests that were in flight at once.
    pub(crate) peak: usize,
    /// The limit at the end.
    pub(crate) limit: usize,
    /// Answers that pushed back (429, 503, concurrent-request limit).
    pub(crate) throttled: u64,
}

impl Limiter {
    #[must_use]
    pub(crate) fn new(mode: Concurrency) -> Self {
        Self {
            inner: Mutex::new(Inner {
                mode,
                limit: start(mode),
                in_flight: 0,
                peak: 0,
                throttled: 0,
                best: None,
                last_cut: None,
                slow_start: true,
            }),
            freed: Notify::new(),
        }
    }

    /// Switches to `mode`, starting over from its first limit.
    pub(crate) fn configure(&self, mode: Concurrency) {
        {
            let mut inner = self.lock();
            inner.mode = mode;
            inner.limit = start(mode);
            inner.slow_start = true;
        }
        self.freed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain numbers behind: still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for room, then takes it.
    async fn acquire(&self) -> Permit {
        loop {
            let notified = self.freed.notified();
            {
                let mut inner = self.lock();
                if (inner.in_flight as f64) < inner.limit.floor().max(1.0) {
                    inner.in_flight += 1;
                    inner.peak = inner.peak.max(inner.in_flight);
                    return Permit { sent: Instant::now() };
                }
            }
            notified.await;
        }
    }

    /// Waits for room and holds it until the [`Held`] is released or dropped.
    pub(crate) async fn hold(&self) -> Held<'_> {
        Held {
            permit: Some(self.acquire().await),
            limiter: self,
        }
    }

    /// Gives the place back and learns from how the answer went.
    pub(crate) fn release(&self, permit: &Permit, signal: Signal) {
        {
            let mut inner = self.lock();
            inner.in_flight = inner.in_flight.saturating_sub(1);
            if signal == Signal::Throttled {
                inner.throttled += 1;
            }
            if let Concurrency::Auto { max } = inner.mode {
                adapt(&mut inner, permit, signal, max as f64);
            }
        }
        self.freed.notify_waiters();
    }

    #[must_use]
    pub(crate) fn report(&self) -> ConcurrencyReport {
        let inner = self.lock();
        ConcurrencyReport {
            peak: inner.peak,
            limit: inner.limit.floor() as usize,
            throttled: inner.throttled,
        }
    }
}

fn start(mode: Concurrency) -> f64 {
    match mode {
        Concurrency::Fixed(n) => n.max(1) as f64,
        Concurrency::Auto { max } => START.min(max.max(1) as f64),
    }
}

fn adapt(inner: &mut Inner, permit: &Permit, signal: Signal, max: f64) {
    let slow = match signal {
        Signal::Answered(latency) => {
            let best = inner.best.map_or(latency, |best| best.min(latency));
            inner.best = Some(best);
            latency > best.mul_f64(SLOW_FACTOR) && latency > best + SLOW_FLOOR
        }
        Signal::Throttled => true,
        Signal::Lost => return,
    };
    if slow {
        if inner.last_cut.is_none_or(|cut| permit.sent > cut) {
            inner.limit = (inner.limit * DECREASE).max(1.0);
            inner.last_cut = Some(Instant::now());
            inner.slow_start = false;
        }
    } else if inner.slow_start {
        inner.limit = (inner.limit + 1.0).min(max);
    } else {
        // About +1 per round trip: each of `limit` answers adds 1/limit.
        inner.limit = (inner.limit + 1.0 / inner.limit).min(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(limiter: &Limiter, latency_ms: u64) {
        let permit = Permit {
            sent: Instant::now()
                .checked_sub(Duration::from_millis(latency_ms))
                .expect("a machine up longer than a test's latency"),
        };
        limiter.lock().in_flight += 1;
        limiter.release(&permit, Signal::Answered(Duration::from_millis(latency_ms)));
    }

    #[test]
    fn auto_grows_on_clean_answers_up_to_the_cap() {
        let limiter = Limiter::new(Concurrency::Auto { max: 12 });
        assert_eq!(limiter.report().limit, 8);
        for _ in 0..200 {
            answered(&limiter, 50);
        }
        assert_eq!(limiter.report().limit, 12);
    }

    #[test]
    fn slow_start_doubles_per_round_trip_until_the_first_push_back() {
        let limiter = Limiter::new(Concurrency::Auto { max: 64 });
        for _ in 0..8 {
            answered(&limiter, 50);
        }
        assert_eq!(limiter.report().limit, 16, "one round trip of 8 clean answers");
        std::thread::sleep(Duration::from_millis(2));
        limiter.release(&Permit { sent: Instant::now() }, Signal::Throttled);
        assert_eq!(limiter.report().limit, 13, "16 × 0.85 = 13.6");
        for _ in 0..13 {
            answered(&limiter, 50);
        }
        assert_eq!(
            limiter.report().limit,
            14,
            "after a push-back, about +1 per round trip: 14.5"
        );
    }

    #[test]
    fn one_push_back_cuts_once_and_later_ones_cut_again() {
        let limiter = Limiter::new(Concurrency::Auto { max: 32 });
        let before_cut = Permit { sent: Instant::now() };
        let also_before = Permit { sent: Instant::now() };
        limiter.release(&before_cut, Signal::Throttled);
        assert_eq!(limiter.report().limit, 6, "8 × 0.85 = 6.8");
        limiter.release(&also_before, Signal::Throttled);
        assert_eq!(limiter.report().limit, 6, "sent before the cut: no second cut");
        std::thread::sleep(Duration::from_millis(2));
        limiter.release(&Permit { sent: Instant::now() }, Signal::Throttled);
        assert_eq!(limiter.report().limit, 5, "6.8 × 0.85 = 5.78");
        assert_eq!(limiter.report().throttled, 3);
    }

    #[test]
    fn a_sharp_rise_in_latency_counts_as_push_back() {
        let limiter = Limiter::new(Concurrency::Auto { max: 32 });
        answered(&limiter, 40);
        let limit = limiter.report().limit;
        std::thread::sleep(Duration::from_millis(2));
        answered(&limiter, 2_000);
        assert!(limiter.report().limit < limit);
    }

    #[tokio::test]
    async fn a_place_held_by_a_dropped_request_goes_back() {
        let limiter = Limiter::new(Concurrency::Fixed(1));
        let held = limiter.hold().await;
        drop(held);
        let again = tokio::time::timeout(Duration::from_secs(5), limiter.hold())
            .await
            .expect("the dropped place was given back");
        again.release(Signal::Answered(Duration::from_millis(1)));
        assert_eq!(limiter.lock().in_flight, 0);
        assert_eq!(limiter.report().peak, 1);
    }

    #[test]
    fn fixed_never_moves() {
        let limiter = Limiter::new(Concurrency::Fixed(3));
        limiter.release(&Permit { sent: Instant::now() }, Signal::Throttled);
        answered(&limiter, 10);
        assert_eq!(limiter.report().limit, 3);
    }
}
