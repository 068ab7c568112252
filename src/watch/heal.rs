//! `--heal`: one run's plan carried out through the apply stage ([`crate::apply::execute`]),
//! as `d360 apply --auto-approve --format json` would, with typed options: the API budget
//! guard first (a heal that would eat into the reserve does not start), adaptive concurrency,
//! then the read-back that records what the org did not keep. Every JSON event on stdout
//! carries the org, since one process heals many. The caller holds the state lock.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::api::{Client, Concurrency};
use crate::apply::{self, Observer, Step, StepOutcome, Tally};
use crate::output;
use crate::plan::{Plan, Planned};
use crate::refresh::HttpOrg;
use crate::state::{StateLock, Store};

/// The daily API allowance a heal leaves unspent: a count of requests or a share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ApiReserve {
    Requests(u64),
    Share(f64),
}

impl ApiReserve {
    /// `500` (requests) or `10%` (of the allowance).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let refused = || format!("`{text}` is neither a count such as `500` nor a share such as `10%`");
        match text.trim().strip_suffix('%') {
            Some(percent) => match percent.trim().parse::<f64>() {
                Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(ApiReserve::Share(percent / 100.0)),
                _ => Err(refused()),
            },
            None => text
                .trim()
                .parse::<u64>()
                .map(ApiReserve::Requests)
                .map_err(|_| refused()),
        }
    }

    /// The reserve in requests, for an allowance of `limit`.
    #[must_use]
    pub(crate) fn of(self, limit: u64) -> u64 {
        match self {
            ApiReserve::Requests(count) => count,
            ApiReserve::Share(share) => (limit as f64 * share).ceil() as u64,
        }
    }
}

/// How heals run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) api_reserve: ApiReserve,
    /// The most requests adaptive concurrency keeps in flight.
    pub(crate) max_parallelism: usize,
}

/// What a heal did, and why it did not finish (or start) when it did not.
pub(crate) struct Healed {
    pub(crate) tally: Option<Tally>,
    pub(crate) error: Option<String>,
}

/// The org's JSON events: `plan`, then `started` and `finished` per step, `summary` and
/// `notKept`, each with `"org"`.
struct Events<'a> {
    org: &'a str,
}

impl Events<'_> {
    fn emit(&self, mut event: serde_json::Value) {
        if let Some(map) = event.as_object_mut() {
            map.insert("org".to_owned(), serde_json::Value::from(self.org));
        }
        output::data(&event.to_string());
    }
}

fn resource(plan: &Plan, action: usize) -> String {
    plan.actions
        .get(action)
        .map(|action| action.key().to_string())
        .unwrap_or_default()
}

impl Observer for Events<'_> {
    fn started(&self, plan: &Plan, action: usize, step: Step) {
        self.emit(serde_json::json!({
            "event": "started",
            "time": crate::state::now_rfc3339(),
            "step": step.as_str(),
            "resource": resource(plan, action),
        }));
    }

    fn finished(&self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) {
        let mut event = serde_json::json!({
            "event": "finished",
            "time": crate::state::now_rfc3339(),
            "step": step.as_str(),
            "resource": resource(plan, action),
        });
        if let (Some(map), Ok(serde_json::Value::Object(extra))) =
            (event.as_object_mut(), serde_json::to_value(outcome))
        {
            map.extend(extra);
        }
        self.emit(event);
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
    let events = Events { org };
    let plan = &planned.plan;
    events.emit(
        serde_json::json!({"event": "plan", "summary": plan.summary, "errors": plan.errors, "warnings": plan.warnings}),
    );
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
    events.emit(serde_json::json!({
        "event": "summary",
        "complete": complete,
        "interrupted": report.interrupted,
        "stopped": report.stopped,
        "tally": tally,
        "retries": report.retries,
        "concurrency": report.concurrency,
        "elapsedSeconds": report.elapsed.as_secs_f64(),
        "stateError": report.state_error,
        "stateStopped": report.state_stopped,
        "unrecorded": report.unrecorded.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }));
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
                events.emit(
                    serde_json::json!({"event": "notKept", "resource": object.key().to_string(), "fields": object.fields}),
                );
            }
        }
        Err(error) => output::message(&format!(
            "watch: org `{}`: warning: could not read back what was written, to check the org kept it: {}",
            events.org,
            output::chain(&error)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_is_a_count_or_a_share_rounded_up() {
        assert_eq!(ApiReserve::parse("500"), Ok(ApiReserve::Requests(500)));
        assert_eq!(ApiReserve::parse(" 10% "), Ok(ApiReserve::Share(0.1)));
        assert!(ApiReserve::parse("120%").is_err());
        assert!(ApiReserve::parse("some").is_err());
        assert_eq!(ApiReserve::Requests(500).of(15_000), 500);
        assert_eq!(ApiReserve::Share(0.1).of(15_001), 1_501);
        assert_eq!(ApiReserve::Share(0.0).of(15_000), 0);
    }
}
