//! The Prometheus registry of `d360 watch` (the `prometheus-client` crate): every family
//! carries an `org` label, and the series a dashboard or alert compares with zero exist from
//! the start at zero (drift per kind and status, runs per result, applied actions, owner).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::Run;
use crate::drift;
use crate::model::Kind;

/// The `status` label values of `d360_drift_objects`.
pub(crate) const DRIFT_STATUSES: [&str; 6] = ["changed", "missing", "unmanaged", "status", "unverifiable", "in_sync"];

/// The `action` label values of `d360_applied_actions_total`.
const ACTIONS: [&str; 6] = ["create", "update", "replace", "delete", "adopt", "forget"];

/// The `status` label a drift status is counted under: credentials that cannot be verified
/// count as changed, managed objects no manifest declares as unmanaged, and a connection the
/// org reports as not working as `status`.
#[must_use]
pub(crate) fn drift_label(status: drift::Status) -> &'static str {
    match status {
        drift::Status::Changed | drift::Status::SecretUnverified => "changed",
        drift::Status::Missing => "missing",
        drift::Status::Unmanaged | drift::Status::Undeclared => "unmanaged",
        drift::Status::Unhealthy => "status",
        drift::Status::Unverifiable => "unverifiable",
        drift::Status::InSync => "in_sync",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgLabels {
    org: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DriftLabels {
    org: String,
    kind: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    org: String,
    kind: String,
}

fn kind_labels(org: &str, kind: Kind) -> KindLabels {
    KindLabels {
        org: org.to_owned(),
        kind: kind.as_str().to_owned(),
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    org: String,
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    org: String,
    method: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    org: String,
    action: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

fn duration_histogram() -> Histogram {
    // 0.1 s to about 7 minutes.
    Histogram::new(exponential_buckets(0.1, 2.0, 13))
}

/// The metrics of one watch process.
pub(crate) struct Metrics {
    registry: Registry,
    drift: Family<DriftLabels, Gauge>,
    runs: Family<RunLabels, Counter>,
    duration: Family<OrgLabels, Histogram, fn() -> Histogram>,
    last_success: Family<OrgLabels, FloatGauge>,
    requests: Family<RequestLabels, Counter>,
    budget: Family<OrgLabels, Gauge>,
    applied: Family<ActionLabels, Counter>,
    owner: Family<OrgLabels, Gauge>,
    replicas: Family<OrgLabels, Gauge>,
    nonconverging: Family<KindLabels, Gauge>,
    panics: Family<OrgLabels, Counter>,
}

impl Metrics {
    #[must_use]
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let drift = Family::<DriftLabels, Gauge>::default();
        let runs = Family::<RunLabels, Counter>::default();
        let duration = Family::<OrgLabels, Histogram, fn() -> Histogram>::new_with_constructor(duration_histogram);
        let last_success = Family::<OrgLabels, FloatGauge>::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let budget = Family::<OrgLabels, Gauge>::default();
        let applied = Family::<ActionLabels, Counter>::default();
        let owner = Family::<OrgLabels, Gauge>::default();
        let replicas = Family::<OrgLabels, Gauge>::default();
        let nonconverging = Family::<KindLabels, Gauge>::default();
        let panics = Family::<OrgLabels, Counter>::default();
        registry.register(
            "d360_drift_objects",
            "Objects per drift status found by the last run (changed, missing, unmanaged, status, in_sync)",
            drift.clone(),
        );
        // Counters get their `_total` suffix from the encoder.
        registry.register("d360_reconcile_runs", "Runs finished, by result", runs.clone());
        registry.register(
            "d360_nonconverging_objects",
            "Managed objects whose last write the org did not keep (reported once, never rewritten until the manifest changes), as of the last run",
            nonconverging.clone(),
        );
        registry.register(
            "d360_reconcile_duration_seconds",
            "How long one run (read, plan, drift and with --heal apply) took",
            duration.clone(),
        );
        registry.register(
            "d360_last_success_timestamp_seconds",
            "Unix time of the end of the last successful run",
            last_success.clone(),
        );
        registry.register(
            "d360_api_requests",
            "HTTP answers from the org's API, by method and status code",
            requests.clone(),
        );
        registry.register(
            "d360_api_budget_remaining",
            "API requests the org has left today (Sforce-Limit-Info limit minus used), as of the last run",
            budget.clone(),
        );
        registry.register(
            "d360_applied_actions",
            "Plan actions carried out by --heal, by action",
            applied.clone(),
        );
        registry.register(
            "d360_org_owner",
            "1 on the replica that holds the org's owner lock and reconciles it, 0 on the others",
            owner.clone(),
        );
        registry.register(
            "d360_watch_replicas",
            "Live watch replicas sharing the org's state database (1 with local state), as last counted",
            replicas.clone(),
        );
        registry.register(
            "d360_watch_loop_panics",
            "Times the org's loop panicked and was started again",
            panics.clone(),
        );
        Self {
            registry,
            drift,
            runs,
            duration,
            last_success,
            requests,
            budget,
            applied,
            owner,
            replicas,
            nonconverging,
            panics,
        }
    }

    /// Creates the org's zero-valued series.
    pub(crate) fn add_org(&self, org: &str) {
        for kind in Kind::ALL {
            for status in DRIFT_STATUSES {
                self.drift.get_or_create(&drift_labels(org, kind, status)).set(0);
            }
            self.nonconverging.get_or_create(&kind_labels(org, kind)).set(0);
        }
        for result in ["success", "failure"] {
            let _ = self.runs.get_or_create(&RunLabels {
                org: org.to_owned(),
                result: result.to_owned(),
            });
        }
        for action in ACTIONS {
            let _ = self.applied.get_or_create(&ActionLabels {
                org: org.to_owned(),
                action: action.to_owned(),
            });
        }
        let _ = self.duration.get_or_create(&org_labels(org));
        let _ = self.panics.get_or_create(&org_labels(org));
        self.set_owner(org, false);
        self.set_replicas(org, Some(1));
    }

    /// Counts one answer of the org's API.
    pub(crate) fn answered(&self, org: &str, method: &str, code: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                org: org.to_owned(),
                method: method.to_owned(),
                code: code.to_string(),
            })
            .inc();
    }

    /// Counts a panic of the org's loop.
    pub(crate) fn panicked(&self, org: &str) {
        self.panics.get_or_create(&org_labels(org)).inc();
    }

    pub(crate) fn set_owner(&self, org: &str, owning: bool) {
        self.owner.get_or_create(&org_labels(org)).set(i64::from(owning));
    }

    /// The live replicas sharing the org; absent while they cannot be counted.
    pub(crate) fn set_replicas(&self, org: &str, live: Option<u64>) {
        let labels = org_labels(org);
        match live {
            Some(live) => {
                self.replicas
                    .get_or_create(&labels)
                    .set(i64::try_from(live).unwrap_or(i64::MAX));
            }
            None => {
                self.replicas.remove(&labels);
            }
        }
    }

    /// Records a finished run: its result and duration, and what it found.
    pub(crate) fn finished(&self, org: &str, run: &Run, seconds: f64, unix_now: f64) {
        let result = if run.succeeded() { "success" } else { "failure" };
        self.runs
            .get_or_create(&RunLabels {
                org: org.to_owned(),
                result: result.to_owned(),
            })
            .inc();
        self.duration.get_or_create(&org_labels(org)).observe(seconds);
        if run.succeeded() {
            self.last_success.get_or_create(&org_labels(org)).set(unix_now);
        }
        let Some(finding) = &run.finding else {
            return;
        };
        for kind in Kind::ALL {
            for status in DRIFT_STATUSES {
                let count = finding
                    .drift
                    .items
                    .iter()
                    .filter(|item| item.kind == kind && drift_label(item.status) == status)
                    .count();
                self.drift
                    .get_or_create(&drift_labels(org, kind, status))
                    .set(i64::try_from(count).unwrap_or(i64::MAX));
            }
        }
        for kind in Kind::ALL {
            let count = finding
                .nonconverging
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, count)| *count)
                .sum::<usize>();
            self.nonconverging
                .get_or_create(&kind_labels(org, kind))
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        if let Some(remaining) = finding.budget_remaining {
            self.budget
                .get_or_create(&org_labels(org))
                .set(i64::try_from(remaining).unwrap_or(i64::MAX));
        }
        if let Some(tally) = &finding.applied {
            let counts = [
                tally.created,
                tally.updated,
                tally.replaced,
                tally.deleted,
                tally.adopted,
                tally.forgotten,
            ];
            for (action, count) in ACTIONS.iter().zip(counts) {
                self.applied
                    .get_or_create(&ActionLabels {
                        org: org.to_owned(),
                        action: (*action).to_owned(),
                    })
                    .inc_by(count as u64);
            }
        }
    }

    /// The exposition in the OpenMetrics text format (1.0.0).
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    /// The exposition in the Prometheus text format (0.0.4), which every scraper and
    /// `promtool` read.
    pub(crate) fn encode_prometheus(&self) -> Result<String, std::fmt::Error> {
        self.encode().map(|text| to_prometheus_text(&text))
    }
}

/// OpenMetrics text into the Prometheus text format 0.0.4: a counter family is named after
/// its `_total` sample (a 0.0.4 reader matches samples to the `# TYPE` name exactly), its
/// `_created` samples and the `# UNIT` lines (no 0.0.4 equivalent) go, and so does `# EOF`.
fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ").or_else(|| line.strip_prefix("# HELP ")) {
            let keyword = &line[..7];
            let (family, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            if counters.contains(family) {
                text.push_str(&format!("{keyword}{family}_total {tail}\n"));
                continue;
            }
        } else {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            let created = name
                .strip_suffix("_created")
                .is_some_and(|family| counters.contains(family));
            if created {
                continue;
            }
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

fn org_labels(org: &str) -> OrgLabels {
    OrgLabels { org: org.to_owned() }
}

fn drift_labels(org: &str, kind: Kind, status: &str) -> DriftLabels {
    DriftLabels {
        org: org.to_owned(),
        kind: kind.as_str().to_owned(),
        status: status.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_renamed_for_the_prometheus_text_format() {
        let openmetrics = "# HELP runs Runs.\n# TYPE runs counter\nruns_total{org=\"a\"} 2\nruns_created{org=\"a\"} 1.5\n\
                           # HELP up Up.\n# TYPE up gauge\n# UNIT up seconds\nup 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(openmetrics),
            "# HELP runs_total Runs.\n# TYPE runs_total counter\nruns_total{org=\"a\"} 2\n\
             # HELP up Up.\n# TYPE up gauge\nup 1\n"
        );
    }

    #[test]
    fn every_drift_status_has_a_label_of_the_six() {
        for status in [
            drift::Status::Changed,
            drift::Status::Missing,
            drift::Status::SecretUnverified,
            drift::Status::Unverifiable,
            drift::Status::Unmanaged,
            drift::Status::Undeclared,
            drift::Status::Unhealthy,
            drift::Status::InSync,
        ] {
            assert!(DRIFT_STATUSES.contains(&drift_label(status)), "{status:?}");
        }
    }

    #[test]
    fn zero_series_exist_before_the_first_run() {
        let metrics = Metrics::new();
        metrics.add_org("prod");
        let text = metrics.encode().expect("encodes");
        assert!(
            text.contains(r#"d360_drift_objects{org="prod",kind="Connection",status="changed"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"d360_reconcile_runs_total{org="prod",result="failure"} 0"#),
            "{text}"
        );
        assert!(text.contains(r#"d360_org_owner{org="prod"} 0"#), "{text}");
        assert!(text.contains(r#"d360_watch_replicas{org="prod"} 1"#), "{text}");
    }
}
