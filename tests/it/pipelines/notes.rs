//! A stand-in for GitLab's merge request notes API (`POST
//! /api/v4/projects/:id/merge_requests/:iid/notes`) on a loopback port: it records each note
//! the pipeline posts (path, token, body) and answers `201 Created` as GitLab does. Anything
//! else is answered 404, so a wrong path fails the job's `curl --fail`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One posted note.
#[derive(Clone, Debug)]
pub(crate) struct Note {
    pub(crate) path: String,
    pub(crate) token: Option<String>,
    pub(crate) body: String,
}

pub(crate) struct NotesApi {
    /// `http://127.0.0.1:PORT/api/v4`, what GitLab puts in `CI_API_V4_URL`.
    pub(crate) url: String,
    notes: Arc<Mutex<Vec<Note>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl NotesApi {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let notes = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (recorded, stopped) = (Arc::clone(&notes), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &recorded);
                }
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/api/v4"),
            notes,
            stop,
            port,
        }
    }

    /// The notes posted so far, oldest first.
    pub(crate) fn notes(&self) -> Vec<Note> {
        self.notes.lock().expect("notes").clone()
    }
}

impl Drop for NotesApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one HTTP/1.1 request and answers it.
fn answer(stream: TcpStream, notes: &Mutex<Vec<Note>>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
        return;
    }
    let mut length = 0;
    let mut token = None;
    let mut form = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        let value = value.trim().to_owned();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().unwrap_or(0),
            "private-token" => token = Some(value),
            "content-type" => form = value.starts_with("application/x-www-form-urlencoded"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let is_note = method == "POST"
        && regex::Regex::new(r"^/api/v4/projects/[^/]+/merge_requests/\d+/notes$")
            .expect("regex")
            .is_match(path);
    let status = if is_note && form {
        let text = field(&String::from_utf8_lossy(&body), "body");
        notes.lock().expect("notes").push(Note {
            path: path.to_owned(),
            token,
            body: text,
        });
        "201 Created"
    } else {
        "404 Not Found"
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let _ = reader.get_mut().write_all(reply.as_bytes());
}

/// The value of `name` in an `application/x-www-form-urlencoded` body, decoded.
fn field(form: &str, name: &str) -> String {
    let raw = form
        .split('&')
        .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
        .unwrap_or_default();
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => decoded.push(b' '),
            b'%' if at + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap_or("");
                decoded.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                at += 2;
            }
            other => decoded.push(other),
        }
        at += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[test]
fn form_fields_decode() {
    assert_eq!(field("body=%23+Plan%0A%7C+a+%7C&x=1", "body"), "# Plan\n| a |");
    assert_eq!(field("x=1&body=100%25", "body"), "100%");
}
