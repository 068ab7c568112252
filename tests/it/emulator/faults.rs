//! `--fault`, `--latency` and `--log-requests`: injected answers carry Salesforce's codes,
//! dropped connections close with no answer (before or after the write), login endpoints
//! are never faulted, and the request log holds no header or body values.

use std::time::{Duration, Instant};

use d360_emulator::{Fault, FaultKind};
use reqwest::Method;

use super::{Org, V, assert_error, connection_body};

fn fault(kind: FaultKind) -> Vec<Fault> {
    vec![Fault { kind, rate: 1.0 }]
}

#[tokio::test]
async fn injected_status_answers() {
    for (kind, status, code) in [
        (FaultKind::Unavailable, 503, "SERVER_UNAVAILABLE"),
        (FaultKind::ServerError, 500, "UNKNOWN_EXCEPTION"),
        (FaultKind::TooManyRequests, 429, "REQUEST_LIMIT_EXCEEDED"),
    ] {
        let org = Org::start_with(|options| options.faults = fault(kind)).await;
        // Logging in is never faulted.
        let token = org.token().await;
        let answer = org
            .request(Method::GET, &format!("{V}/connectors"), &token)
            .send()
            .await
            .unwrap();
        if status == 429 {
            assert_eq!(answer.headers()["retry-after"], "1");
        }
        assert_error(&super::read(answer).await, status, code);
    }
}

#[tokio::test]
async fn drops_close_the_connection_before_or_after_the_write() {
    let org = Org::start_with(|options| options.faults = fault(FaultKind::DropBefore)).await;
    let token = org.token().await;
    let sent = org
        .request(Method::POST, &format!("{V}/connections"), &token)
        .json(&connection_body("Lost"))
        .send()
        .await;
    assert!(sent.is_err(), "a dropped request has no answer");
    let dir = org.stop().await;
    let org = Org::start_in(dir, |_| {}).await;
    let token = org.token().await;
    let list = org.rds_connections(&token, "").await;
    assert_eq!(list["totalSize"], 0, "drop-before does nothing");
    let dir = org.stop().await;

    let org = Org::start_in(dir, |options| options.faults = fault(FaultKind::DropAfter)).await;
    let token = org.token().await;
    let sent = org
        .request(Method::POST, &format!("{V}/connections"), &token)
        .json(&connection_body("Done"))
        .send()
        .await;
    assert!(sent.is_err(), "a dropped request has no answer");
    let dir = org.stop().await;
    let org = Org::start_in(dir, |_| {}).await;
    let token = org.token().await;
    let list = org.rds_connections(&token, "&devName=Done").await;
    assert_eq!(list["totalSize"], 1, "drop-after did the write");
}

#[tokio::test]
async fn seeded_faults_repeat() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let org = Org::start_with(|options| {
            options.faults = vec![Fault {
                kind: FaultKind::Unavailable,
                rate: 0.5,
            }];
            options.seed = Some(42);
        })
        .await;
        let token = org.token().await;
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(org.call(Method::GET, &format!("{V}/connectors"), &token, None).await.0);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&503) && runs[0].contains(&200), "{:?}", runs[0]);
}

/// The latency of `latency_applies_to_api_requests_concurrently_and_the_log_has_no_secrets`.
const LATENCY: Duration = Duration::from_secs(1);

#[tokio::test]
async fn latency_applies_to_api_requests_concurrently_and_the_log_has_no_secrets() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let log_path = log.path().to_path_buf();
    let org = Org::start_with(|options| {
        options.latency = LATENCY;
        options.log_requests = Some(log_path.clone());
    })
    .await;
    let started = Instant::now();
    let token = org.token().await;
    // Margins of ten times: a loaded machine is slower, never faster than the latency.
    assert!(started.elapsed() < LATENCY, "login is not delayed");
    let started = Instant::now();
    let calls = (0..20).map(|_| org.call(Method::GET, &format!("{V}/connectors"), &token, None));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= LATENCY && elapsed < LATENCY * 10,
        "20 concurrent calls took {elapsed:?}"
    );
    org.create_connection(&token, "Logged").await;
    org.stop().await;
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 22);
    assert_eq!(lines[0]["path"], "/services/oauth2/token");
    assert_eq!(lines[0]["status"], 200);
    for key in ["time", "method", "path", "query", "status", "duration_ms"] {
        assert!(lines[1].get(key).is_some(), "{key} in {}", lines[1]);
    }
    assert!(!text.contains("s3cret-value") && !text.contains(&token) && !text.contains("d360-local-secret"));
}
