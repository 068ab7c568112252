//! Emulator throughput and latency: requests per second for list, get and create with no
//! latency (target: more than 5,000/s), then 100 concurrent requests at `--latency 50` (they
//! should finish in about one latency). Run with `cargo bench --bench emulator`.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use d360_emulator::{self as emulator, Options};
use futures::StreamExt;
use serde_json::{Value, json};

const V: &str = "/services/data/v66.0/ssot";
const REQUESTS: usize = 5_000;
const CONCURRENCY: usize = 32;

fn connection(name: &str) -> Value {
    json!({
        "connectorType": "AwsRdsMySql", "label": name, "name": name, "method": "Ingress",
        "parameters": [
            {"paramName": "jdbc_connection_url", "value": "jdbc:mysql://db:3306"},
            {"paramName": "DATABASE", "value": "clinic"}
        ],
        "credentials": [{"paramName": "user", "value": "u"}, {"paramName": "password", "value": "p"}]
    })
}

async fn token(http: &reqwest::Client, url: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "d360-local"),
        ("client_secret", "d360-local-secret"),
    ];
    let answer: Value = http
        .post(format!("{url}/services/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// Sends `count` requests built by `make`, `CONCURRENCY` at a time; returns requests/s.
async fn rate(count: usize, concurrency: usize, make: impl Fn(usize) -> reqwest::RequestBuilder) -> (f64, Duration) {
    let started = Instant::now();
    futures::stream::iter((0..count).map(|index| {
        let request = make(index);
        async move {
            let answer = request.send().await.unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
            answer.bytes().await.unwrap();
        }
    }))
    .buffer_unordered(concurrency)
    .collect::<Vec<()>>()
    .await;
    let elapsed = started.elapsed();
    (count as f64 / elapsed.as_secs_f64(), elapsed)
}

async fn throughput() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::new(dir.path());
    // Far more requests than an org allows in a day: lift the allowance.
    options.daily_limit = u64::MAX;
    let running = emulator::start(options).await.unwrap();
    let url = running.base_url().to_owned();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let token = token(&http, &url).await;
    let (create, _) = rate(REQUESTS, CONCURRENCY, |index| {
        http.post(format!("{url}{V}/connections"))
            .bearer_auth(&token)
            .json(&connection(&format!("Bench_{index}")))
    })
    .await;
    let id: Value = http
        .get(format!(
            "{url}{V}/connections?connectorType=AwsRdsMySql&devName=Bench_7"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = id["connections"][0]["id"].as_str().unwrap().to_owned();
    let (get, _) = rate(REQUESTS, CONCURRENCY, |_| {
        http.get(format!("{url}{V}/connections/{id}")).bearer_auth(&token)
    })
    .await;
    let (list, _) = rate(REQUESTS, CONCURRENCY, |index| {
        http.get(format!(
            "{url}{V}/connections?connectorType=AwsRdsMySql&limit=25&offset={}",
            (index * 25) % 4_975
        ))
        .bearer_auth(&token)
    })
    .await;
    println!(
        "emulator, no latency, {CONCURRENCY} concurrent, {REQUESTS} requests each ({REQUESTS} connections stored):"
    );
    println!("  create  {create:>9.0} requests/s");
    println!("  get     {get:>9.0} requests/s");
    println!("  list    {list:>9.0} requests/s (pages of 25)");
    running.shutdown().await;
}

async fn latency() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::new(dir.path());
    // Far more requests than an org allows in a day: lift the allowance.
    options.daily_limit = u64::MAX;
    options.latency = Duration::from_millis(50);
    let running = emulator::start(options).await.unwrap();
    let url = running.base_url().to_owned();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let token = token(&http, &url).await;
    // Warm the connection pool so the figure is the server's, not TCP set-up.
    rate(100, 100, |_| {
        http.get(format!("{url}{V}/connectors")).bearer_auth(&token)
    })
    .await;
    let (_, elapsed) = rate(100, 100, |_| {
        http.get(format!("{url}{V}/connectors")).bearer_auth(&token)
    })
    .await;
    println!(
        "latency 50 ms, 100 concurrent requests: {:.1} ms, {:.2}x one latency",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() / 0.05
    );
    running.shutdown().await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        throughput().await;
        latency().await;
    });
}
