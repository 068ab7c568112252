//! One org's loop: take (or keep) ownership, run, record, wait. The wait is the interval
//! plus a jitter of up to 10% (so many orgs or replicas do not hit the API in step); after
//! failures it doubles per consecutive failure, capped at twice the interval, so a failing
//! org is retried on a later tick without hammering the API and still finishes a run within
//! `/readyz`'s window. A standby tries to take the org's owner lock every quarter interval,
//! and when the replicas' view changes, if the org looks free and this replica's fair share
//! allows (`share`), so it takes over within a quarter interval of the owner dying; an owner over its share gives the org up between
//! two runs. A shutdown lets the run in flight finish and ends the loop.

use std::time::Instant;

use tokio::sync::watch;

use super::board::Role;
use super::reconcile::Action;
use super::share::Pool;
use super::watched::{OrgWatch, pause, standby_poll};
use super::{COMMAND, Shared};
use crate::output;

/// Whether this replica owns the org now: keeps a live ownership unless it holds more than
/// its fair share, else tries to take the org when it is free and the share allows.
async fn own(watched: &mut OrgWatch, shared: &Shared, pool: Option<&Pool>) -> bool {
    let org = watched.org.clone();
    if let Some(held) = &watched.leadership {
        if held.alive().await {
            if let Some(pool) = pool.filter(|pool| pool.surplus(&org)) {
                // Dropping the ownership ends its session, which releases the lock.
                watched.leadership = None;
                output::message(&format!(
                    "watch: org `{org}`: released: this replica held more than its fair share; it now holds {}",
                    pool.describe()
                ));
                shared.board.set_role(&org, Role::Standby, None);
                return false;
            }
            shared.board.set_role(&org, Role::Owner, None);
            return true;
        }
        output::message(&format!(
            "watch: org `{org}`: lost its owner lock (the state database connection ended); standing by"
        ));
        watched.leadership = None;
        if let Some(pool) = pool {
            pool.lost(&org);
        }
    }
    if pool.is_some_and(|pool| !pool.reserve(&org)) {
        shared.board.set_role(&org, Role::Standby, None);
        return false;
    }
    let tried = watched.store.lead(COMMAND).await;
    if let Some(pool) = pool {
        pool.settle(&org, matches!(tried, Ok(Some(_))));
    }
    match tried {
        Ok(Some(leadership)) => {
            watched.leadership = Some(leadership);
            shared.board.set_role(&org, Role::Owner, None);
            true
        }
        Ok(None) => {
            shared.board.set_role(&org, Role::Standby, None);
            false
        }
        Err(error) => {
            let text = output::chain(&error);
            tracing::warn!(org = %org, error = %text, "cannot try the owner lock");
            shared.board.set_role(&org, Role::Standby, Some(text));
            false
        }
    }
}

/// Watches one org until `shutdown` turns true.
pub(crate) async fn watch_org(
    watched: &mut OrgWatch,
    shared: &Shared,
    pool: Option<&Pool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let org = watched.org.clone();
    let mut was_leader = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let leading = own(watched, shared, pool).await;
        shared.metrics.set_owner(&org, leading);
        if was_leader != Some(leading) {
            let share = pool.map(|pool| format!(" ({})", pool.describe())).unwrap_or_default();
            output::message(&format!(
                "watch: org `{org}`: {}",
                if leading {
                    format!("owner: this replica reconciles it{share}")
                } else {
                    format!("standby: another replica owns it, or this one holds its fair share{share}")
                }
            ));
            was_leader = Some(leading);
        }
        if !leading {
            // A standby tries again every poll, and as soon as the replicas' view changes (a
            // replica died or joined, an org was released).
            let wait = standby_poll(shared.interval);
            let going_on = match pool {
                Some(pool) => tokio::select! {
                    going_on = pause(wait, &mut shutdown) => going_on,
                    () = pool.changed() => !*shutdown.borrow(),
                },
                None => pause(wait, &mut shutdown).await,
            };
            if going_on {
                continue;
            }
            break;
        }
        let started_at = crate::state::now_rfc3339();
        let started = Instant::now();
        let mut run = (watched.tick)().await;
        let elapsed = started.elapsed();
        if run.succeeded() && run.retries > 0 && elapsed > shared.interval {
            // A run that outlasts its interval retrying a slow or unreachable org did not
            // keep the schedule: a failure to see, not a success.
            run.error = Some(format!(
                "the run took {:.1}s, longer than the {:.1}s interval, retrying {} request{} (the org answered slowly or not at all)",
                elapsed.as_secs_f64(),
                shared.interval.as_secs_f64(),
                run.retries,
                if run.retries == 1 { "" } else { "s" }
            ));
        }
        if let Some(error) = &run.error {
            tracing::warn!(org = %org, error = %error, "watch run failed");
        }
        let unix_now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        shared.metrics.finished(&org, &run, elapsed.as_secs_f64(), unix_now);
        let failures = shared.board.finished(&org, &run, started_at, elapsed);
        match &run.error {
            None => output::message(&format!(
                "watch: org `{org}`: run succeeded in {:.1}s{}",
                elapsed.as_secs_f64(),
                run.finding
                    .as_ref()
                    .map(|f| format!(": {} {}", f.drift.summary_line(), f.plan_line))
                    .unwrap_or_default()
            )),
            Some(error) => output::message(&format!(
                "watch: org `{org}`: run failed ({failures} in a row; retrying with backoff): {error}"
            )),
        }
        let action = Action::after(shared.interval, failures, fastrand::f64());
        if !pause(action.wait(), &mut shutdown).await {
            break;
        }
    }
    shared.metrics.set_owner(&org, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_standby_polls_every_quarter_interval_and_at_most_ten_times_a_second() {
        let interval = Duration::from_secs(300);
        assert_eq!(standby_poll(interval), Duration::from_secs(75));
        assert_eq!(standby_poll(Duration::from_millis(200)), Duration::from_millis(100));
    }
}
