//! `--heal`: one run's plan carried out through the apply stage ([`crate::apply::execute`]),
//! as `d360 apply --auto-approve --format json` would, with typed options: the API budget
//! guard first (a heal that would eat into the reserve does not start), adaptive concurrency,
//! then the read-back that records what the org did not keep. Every JSON event on stdout
//! carries the org, since one process heals many. The caller holds the state lock.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::api::{Client, Concurrency};
use crate::apply::{self, Observer, Reserve, Step, StepOutcome, Tally};
use crate::output;
use crate::plan::{Plan, Planned};
use crate::refresh::HttpOrg;
use crate::state::{StateLock, Store};

/// How heals run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) api_reserve: Reserve,
    /// The most requests adaptive concurrency keeps in flight.
    pub(crate) max_parallelism: usize,
}

/// What a heal did, and why it did not finish (or start) when it did not.
pub(crate) struct Healed {
    pub(crate) tally: Option<Tally>,
    pub(crate) error: Option<String>,
}

/// Prints the org's JSON events ([`apply::events`]) as the steps run.
struct Events<'a> {
    events: apply::events::Events<'a>,
}

fn emit(event: &serde_json::Value) {
    output::data(&event.to_string());
}

impl Observer for Events<'_> {
    fn started(&self, plan: &Plan, action: usize, step: Step) {
        emit(&self.events.started(plan, action, step));
    }

    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) {
        emit(&self.events.finished(plan, action, step, outcome));
    }
}

/// Carries `planned` out (it has work and no errors) under `lock`.
pub(crate) async fn heal(
    org: &str,
    planned: &Planned,
    client: &Client,
    store: &Arc<Store>,
    lock: &Arc<StateLock>,
    options: &Options,
) -> Healed {
    let events = Events {
        events: apply::events::Events { org },
    };
    let plan = &planned.plan;
    emit(&events.events.plan(plan));
    let stats = client.stats();
    let reserve = (stats.api_limit > 0).then(|| options.api_reserve.of(stats.api_limit));
    if let Some(refusal) = apply::api_budget_shortfall(plan, &stats, reserve.unwrap_or(0)) {
        output::message(&format!("watch: org `{org}`: the heal does not start: {refusal}"));
        return Healed {
            tally: None,
            error: Some(format!("the heal did not start: {refusal}")),
        };
    }
    client.set_concurrency(Concurrency::Auto {
        max: options.max_parallelism,
    });
    let executor = apply::Options {
        parallelism: options.max_parallelism,
        // A shutdown lets the run in flight finish: nothing sets this.
        stop: Arc::new(AtomicBool::new(false)),
        api_floor: reserve,
        check: false,
    };
    let work = apply::Work {
        plan,
        live: &planned.live,
        state: planned.state.clone(),
        probe: &planned.probe,
        lock: Arc::clone(lock),
    };
    let report = apply::execute(work, client, Arc::clone(store), &executor, &events).await;
    let tally = report.tally(plan);
    let complete = report.complete(plan);
    emit(&events.events.summary(plan, &report, &crate::promotion::Promotion::None));
    read_back(&events, planned, &report, client, store).await;
    let error = (!complete).then(|| {
        let failures: Vec<String> = report
            .failures(plan)
            .into_iter()
            .map(|(key, reason)| format!("{key}: {reason}"))
            .collect();
        format!(
            "the heal did not finish: {}{}",
            report.summary_line(plan),
            if failures.is_empty() {
                String::new()
            } else {
                format!(" ({})", failures.join("; "))
            }
        )
    });
    Healed {
        tally: Some(tally),
        error,
    }
}

/// Reads back what the heal wrote and records what the org did not keep (a `notKept` event
/// each); a read that fails is a warning, the heal itself is done.
async fn read_back(
    events: &Events<'_>,
    planned: &Planned,
    report: &apply::Report,
    client: &Client,
    store: &Arc<Store>,
) {
    if report.interrupted || report.stopped.is_some() || report.state_error.is_some() {
        return;
    }
    match apply::read_back(&planned.plan, report, &planned.state, &HttpOrg { client }, store).await {
        Ok(unkept) => {
            for object in unkept {
                emit(&events.events.not_kept(&object));
            }
        }
        Err(error) => output::message(&format!(
            "watch: org `{}`: warning: could not read back what was written, to check the org kept it: {}",
            events.events.org,
            output::chain(&error)
        )),
    }
}
