//! The real `d360 emulator` binary: one line on stdout with its URL, a working API, and a
//! clean exit 0 on SIGTERM with the objects flushed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use super::{Org, V, seed_keys};

#[tokio::test]
async fn the_binary_prints_its_url_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    seed_keys(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_d360"))
        .args(["emulator", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("d360 emulator listening on ")
        .expect("the URL line")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    assert!(dir.path().join("emulator.yaml").exists());

    let http = reqwest::Client::new();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", super::CLIENT_ID),
        ("client_secret", super::SECRET),
    ];
    let token: serde_json::Value = http
        .post(format!("{url}/services/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let created = http
        .post(format!("{url}{V}/connections"))
        .bearer_auth(token)
        .json(&super::connection_body("From_Binary"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    stdout.read_line(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");

    let org = Org::start_in(dir, |_| {}).await;
    let token = org.token().await;
    let list = org.rds_connections(&token, "").await;
    assert_eq!(list["connections"][0]["name"], "From_Binary");
}
