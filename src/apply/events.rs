//! An apply's JSON events (`apply --format json`, `destroy --format json`, `watch --heal`):
//! `plan`, then `started` and `finished` per step, `summary`, `verify` and `verifySummary`,
//! `notKept`, and `converged` when state records the manifest set the apply converged to. Each carries `"org"` (the profile name, last), so the lines of several orgs can
//! share one stream. Pure: the caller prints them.

use serde_json::{Value, json};

use super::{Report, Step, StepOutcome, Verified};
use crate::plan::{NotKeptObject, Plan};
use crate::promotion::Promotion;
use crate::state::Converged;

/// The events of one org.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Events<'a> {
    pub(crate) org: &'a str,
}

impl Events<'_> {
    fn with_org(self, mut event: Value) -> Value {
        if let Some(map) = event.as_object_mut() {
            map.insert("org".to_owned(), Value::from(self.org));
        }
        event
    }

    /// The plan about to be carried out: its summary, errors and warnings.
    #[must_use]
    pub(crate) fn plan(self, plan: &Plan) -> Value {
        self.with_org(
            json!({"event": "plan", "summary": plan.summary, "errors": plan.errors, "warnings": plan.warnings}),
        )
    }

    /// A step started.
    #[must_use]
    pub(crate) fn started(self, plan: &Plan, action: usize, step: Step) -> Value {
        self.with_org(json!({
            "event": "started",
            "time": crate::state::now_rfc3339(),
            "step": step.as_str(),
            "resource": resource(plan, action),
        }))
    }

    /// A step finished (done, failed, skipped): the outcome's fields follow the resource.
    #[must_use]
    pub(crate) fn finished(self, plan: &Plan, action: usize, step: Step, outcome: &StepOutcome) -> Value {
        let mut event = json!({
            "event": "finished",
            "time": crate::state::now_rfc3339(),
            "step": step.as_str(),
            "resource": resource(plan, action),
        });
        if let (Some(map), Ok(Value::Object(extra))) = (event.as_object_mut(), serde_json::to_value(outcome)) {
            map.extend(extra);
        }
        self.with_org(event)
    }

    /// The `summary` event; `promotion` is what was checked of the org promoted from
    /// (`{"check": "none"}`, `{"check": "inStep", "from": "staging"}` or `{"check":
    /// "skipped", "from": "staging"}`).
    #[must_use]
    pub(crate) fn summary(self, plan: &Plan, report: &Report, promotion: &Promotion) -> Value {
        self.with_org(json!({
            "event": "summary",
            "complete": report.complete(plan),
            "interrupted": report.interrupted,
            "stopped": report.stopped,
            "tally": report.tally(plan),
            "retries": report.retries,
            "concurrency": report.concurrency,
            "elapsedSeconds": report.elapsed.as_secs_f64(),
            "stateError": report.state_error,
            "stateStopped": report.state_stopped,
            "unrecorded": report.unrecorded.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "promotion": promotion,
        }))
    }

    /// The `converged` event: state now records the manifest set (digest, commit, time).
    #[must_use]
    pub(crate) fn converged(self, converged: &Converged, promotion: &Promotion) -> Value {
        self.with_org(json!({
            "event": "converged",
            "digest": converged.set.digest,
            "commit": converged.set.commit,
            "at": converged.at,
            "promotion": promotion,
        }))
    }

    /// One `verify` event per object tested, then the `verifySummary` event.
    #[must_use]
    pub(crate) fn verified(self, verified: &[Verified]) -> Vec<Value> {
        let failed = verified.iter().filter(|v| !v.passed()).count();
        let mut events: Vec<Value> = verified
            .iter()
            .map(|entry| {
                let (result, problems) = match &entry.result {
                    Ok(None) => ("passed", Vec::new()),
                    Ok(Some(problems)) => ("failed", problems.clone()),
                    Err(error) => ("error", vec![error.to_string()]),
                };
                self.with_org(json!({"event": "verify", "resource": entry.key.to_string(), "result": result, "problems": problems}))
            })
            .collect();
        events.push(
            self.with_org(json!({"event": "verifySummary", "passed": verified.len() - failed, "failed": failed})),
        );
        events
    }

    /// An object whose read-back differs from what was sent.
    #[must_use]
    pub(crate) fn not_kept(self, object: &NotKeptObject) -> Value {
        self.with_org(json!({"event": "notKept", "resource": object.key().to_string(), "fields": object.fields}))
    }
}

/// `Kind/name` of an action.
fn resource(plan: &Plan, action: usize) -> String {
    plan.actions
        .get(action)
        .map(|action| action.key().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, ResourceKey};

    #[test]
    fn every_event_ends_with_the_org() {
        let events = Events { org: "prod" };
        let verified = [
            Verified {
                key: ResourceKey::new(Kind::Connection, "A"),
                result: Ok(None),
            },
            Verified {
                key: ResourceKey::new(Kind::Connection, "B"),
                result: Ok(Some(vec!["unreachable".to_owned()])),
            },
        ];
        let lines: Vec<String> = events.verified(&verified).iter().map(Value::to_string).collect();
        assert_eq!(
            lines,
            [
                r#"{"event":"verify","resource":"Connection/A","result":"passed","problems":[],"org":"prod"}"#,
                r#"{"event":"verify","resource":"Connection/B","result":"failed","problems":["unreachable"],"org":"prod"}"#,
                r#"{"event":"verifySummary","passed":1,"failed":1,"org":"prod"}"#,
            ]
        );
        let not_kept = NotKeptObject {
            kind: Kind::Connection,
            name: "A".to_owned(),
            fields: Vec::new(),
        };
        assert_eq!(
            events.not_kept(&not_kept).to_string(),
            r#"{"event":"notKept","resource":"Connection/A","fields":[],"org":"prod"}"#
        );
    }
}
