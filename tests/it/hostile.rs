//! d360 against a hostile server on 127.0.0.1: it logs in fine, then answers the API with
//! malformed JSON, HTML, a huge body, or a body that never finishes. d360 must exit 1 with a
//! clear message, never panic, and never hang past its timeouts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::fleet::write_connection;
use super::support::{Work, bin, run};

#[derive(Clone, Copy)]
enum Mode {
    Malformed,
    Html,
    Huge,
    Slow,
}

fn answer(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn serve(mut stream: TcpStream, base: &str, mode: Mode) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    if request_line.contains("/services/oauth2/token") {
        let token = serde_json::json!({"access_token": "hostile-token", "instance_url": base, "id": format!("{base}/id/00D/005"), "token_type": "Bearer"});
        answer(&mut stream, "200 OK", "application/json", token.to_string().as_bytes());
        return;
    }
    match mode {
        Mode::Malformed => answer(
            &mut stream,
            "200 OK",
            "application/json",
            b"{\"connections\": [ {\"id\": ",
        ),
        Mode::Html => answer(
            &mut stream,
            "502 Bad Gateway",
            "text/html",
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        Mode::Huge => {
            let body = vec![b'['; 20 * 1024 * 1024];
            answer(&mut stream, "200 OK", "application/json", &body);
        }
        Mode::Slow => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"connections\": [");
            std::thread::sleep(Duration::from_secs(30));
        }
    }
}

/// Starts the server; returns its base URL.
fn start(mode: Mode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let shown = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let base = shown.clone();
            std::thread::spawn(move || serve(stream, &base, mode));
        }
    });
    base
}

fn plan_against(mode: Mode) -> (super::support::Ran, Duration) {
    let base = start(mode);
    let work = Work::new();
    write_connection(&work, "Hostile_Target", "AwsRdsMySql", "Hostile", "clinic", "");
    let started = Instant::now();
    let ran = run(bin()
        .current_dir(work.path())
        .args(["plan"])
        .env("D360_ORG", "env")
        .env("D360_INSTANCE_URL", &base)
        .env("D360_CLIENT_ID", "hostile-client")
        .env("D360_CLIENT_SECRET", "hostile-secret")
        .env("D360_TIMEOUT_SECONDS", "1")
        .env("D360_RETRY_ATTEMPTS", "3")
        .env("RDS_USER", "u")
        .env("RDS_PASSWORD", "p"));
    (ran, started.elapsed())
}

#[test]
fn malformed_html_huge_and_slow_answers_fail_clearly() {
    let cases = [
        (Mode::Malformed, "unexpected answer"),
        (Mode::Html, "HTTP 502"),
        (Mode::Huge, "unexpected answer"),
        (Mode::Slow, "gave up"),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(mode, expected)| std::thread::spawn(move || (plan_against(mode), expected)))
        .collect();
    for handle in handles {
        let ((ran, elapsed), expected) = handle.join().expect("case thread");
        assert_eq!(ran.code, 1, "{ran:?}");
        assert!(!ran.stderr.contains("panicked"), "{ran:?}");
        assert!(ran.stderr.contains(expected), "expected `{expected}`: {ran:?}");
        assert!(
            !ran.stderr.contains("hostile-token") && !ran.stderr.contains("hostile-secret"),
            "{ran:?}"
        );
        // Three attempts of at most a second each, plus backoff: never a hang.
        assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}: {ran:?}");
    }
}
