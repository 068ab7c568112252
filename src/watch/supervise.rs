//! Each org's loop as a task of its own, so one org cannot stop the others: a loop that
//! panics is reported (stderr and `d360_watch_loop_panics_total{org}`), and
//! is started again after a backoff (one second, doubling per panic in a row up to the
//! interval). The loops are local tasks on the command's thread, since a run is not `Send`;
//! they run concurrently, as their work is waiting on the org.

use std::any::Any;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::sync::{Mutex, watch};

use super::Shared;
use super::schedule::watch_org;
use super::share::{self, Pool};
use super::watched::{OrgWatch, pause};
use crate::output;

/// The first wait before a panicked loop starts again.
const FIRST_RESTART: Duration = Duration::from_secs(1);

/// The wait before starting a loop again after `panics` panics in a row: one second,
/// doubling, at most the interval.
#[must_use]
pub(crate) fn restart_delay(interval: Duration, panics: u32) -> Duration {
    FIRST_RESTART
        .saturating_mul(2u32.saturating_pow(panics.saturating_sub(1)))
        .min(interval)
}

/// Serves the endpoints on `listener` and runs every org's loop until SIGTERM or Ctrl-C, which
/// lets the runs in flight finish (a second signal exits at once, 130).
pub(crate) async fn run(watched: Vec<OrgWatch>, shared: Arc<Shared>, listener: tokio::net::TcpListener) {
    let (stop, stopped) = watch::channel(false);
    let mut server_stopped = stopped.clone();
    let server = tokio::spawn(super::serve(listener, Arc::clone(&shared), async move {
        let _ = server_stopped.wait_for(|stop| *stop).await;
    }));
    let signalled = async move {
        crate::apply::wait_for_signal().await;
        output::message("watch: stopping: the runs in flight finish first (a second Ctrl-C or SIGTERM exits at once)");
        let _ = stop.send(true);
        tokio::spawn(async {
            crate::apply::wait_for_signal().await;
            output::message("watch: interrupted again: exiting now");
            std::process::exit(130);
        });
    };
    futures::join!(supervise(watched, shared, stopped), signalled);
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(Err(error))) => output::message(&format!("watch: the HTTP server failed: {error}")),
        Ok(_) => {}
        Err(_) => output::message("watch: the HTTP server did not stop within 5s; exiting anyway"),
    }
    output::message("watch: stopped");
}

/// Runs every org's loop, and the presence of this replica in each state database, until
/// `shutdown` turns true.
pub(crate) async fn supervise(watched: Vec<OrgWatch>, shared: Arc<Shared>, shutdown: watch::Receiver<bool>) {
    let share::Pools {
        of_org: pools,
        mut presences,
    } = share::pools(&watched);
    for (presence, pool) in &mut presences {
        share::join(presence, pool, &shared).await;
    }
    let tasks = tokio::task::LocalSet::new();
    let presences = join_all(
        presences
            .into_iter()
            .map(|(presence, pool)| share::keep(presence, pool, Arc::clone(&shared), shutdown.clone())),
    );
    let loops = join_all(watched.into_iter().map(|org| {
        let pool = pools.get(&org.org).cloned();
        keep_alive(org, pool, Arc::clone(&shared), shutdown.clone())
    }));
    tasks.run_until(futures::future::join(loops, presences)).await;
}

/// One org's loop as a task, started again after each panic.
async fn keep_alive(
    watched: OrgWatch,
    pool: Option<Rc<Pool>>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let org = watched.org.clone();
    // The loop borrows the org's watch from here, so a panic loses the run, not the org: its
    // store, its lead (if still alive) and its run maker stay for the next start.
    let watched = Rc::new(Mutex::new(watched));
    let mut panics = 0;
    loop {
        let started = Instant::now();
        let task = tokio::task::spawn_local({
            let watched = Rc::clone(&watched);
            let shared = Arc::clone(&shared);
            let shutdown = shutdown.clone();
            let pool = pool.clone();
            async move {
                let mut watched = watched.lock().await;
                watch_org(&mut watched, &shared, pool.as_deref(), shutdown).await;
            }
        });
        let error = match task.await {
            Err(error) if error.is_panic() => error,
            // Stopped as told, or cancelled because the runtime is going away.
            Ok(()) | Err(_) => return,
        };
        shared.metrics.panicked(&org);
        shared.metrics.set_owner(&org, false);
        if started.elapsed() > shared.interval * 2 {
            panics = 0;
        }
        panics += 1;
        let delay = restart_delay(shared.interval, panics);
        output::message(&format!(
            "watch: org `{org}`: its loop panicked ({}); starting it again in {:.1}s",
            panic_text(error.into_panic().as_ref()),
            delay.as_secs_f64()
        ));
        if !pause(delay, &mut shutdown).await {
            return;
        }
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::config::StateConfig;
    use crate::state::Store;
    use crate::watch::Run;

    #[test]
    fn restarts_back_off_from_one_second_to_the_interval() {
        let interval = Duration::from_secs(60);
        assert_eq!(restart_delay(interval, 1), Duration::from_secs(1));
        assert_eq!(restart_delay(interval, 3), Duration::from_secs(4));
        assert_eq!(restart_delay(interval, 40), interval);
        assert_eq!(restart_delay(Duration::from_millis(200), 1), Duration::from_millis(200));
    }

    /// An org whose first run panics and whose later runs succeed; another org beside it.
    #[tokio::test]
    async fn a_panicking_org_is_counted_and_started_again_and_the_others_run_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let orgs = ["flaky".to_owned(), "steady".to_owned()];
        let shared = Arc::new(Shared::new(&orgs, Duration::from_millis(100)));
        let (stop, stopped) = watch::channel(false);
        let stop = Rc::new(stop);
        let runs: Rc<[Cell<u32>; 2]> = Rc::new([Cell::new(0), Cell::new(0)]);
        let mut watched = Vec::new();
        for (index, org) in orgs.iter().enumerate() {
            let config = StateConfig::Local {
                path: dir.path().join(format!("{org}.json")),
            };
            let store = Store::open(&config, org).await.expect("a local store");
            let runs = Rc::clone(&runs);
            let stop = Rc::clone(&stop);
            let tick: super::super::Tick = Box::new(move || {
                let counter = &runs[index];
                counter.set(counter.get() + 1);
                let (flaky, steady) = (runs[0].get(), runs[1].get());
                assert!(!(index == 0 && flaky == 1), "the first run of `flaky` fails hard");
                if flaky >= 3 && steady >= 3 {
                    let _ = stop.send(true);
                }
                Box::pin(async {
                    Run {
                        finding: None,
                        error: None,
                        retries: 0,
                    }
                })
            });
            watched.push(OrgWatch {
                org: org.clone(),
                store,
                leadership: None,
                tick,
            });
        }
        tokio::time::timeout(
            Duration::from_secs(30),
            supervise(watched, Arc::clone(&shared), stopped),
        )
        .await
        .expect("the loops stop when told");
        assert!(runs[0].get() >= 3, "flaky ran again after its panic: {}", runs[0].get());
        assert!(runs[1].get() >= 3);
        let text = shared.metrics.encode().expect("encodes");
        assert!(
            text.contains(r#"d360_watch_loop_panics_total{org="flaky"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"d360_watch_loop_panics_total{org="steady"} 0"#),
            "{text}"
        );
    }
}
