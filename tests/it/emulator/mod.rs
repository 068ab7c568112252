//! The emulator over real HTTP on 127.0.0.1: every route and every error the reference
//! describes, faults, persistence and concurrency. Each test starts its own emulator in
//! process over a fresh data directory (one RSA key pair per test binary, copied in, since
//! key generation is slow in debug builds); one test drives the real `d360 emulator` binary.

mod auth;
mod binary;
mod connections;
mod data_streams;
mod faults;
mod org_words;
mod persistence;

use std::path::Path;
use std::sync::OnceLock;

use d360_emulator::{self as emulator, Emulator, Options};
use reqwest::{Method, RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tempfile::TempDir;

pub(crate) const CLIENT_ID: &str = "d360-local";
pub(crate) const SECRET: &str = "d360-local-secret";
pub(crate) const USERNAME: &str = "admin@local.d360";
pub(crate) const PASSWORD: &str = "d360-local-password";
pub(crate) const V: &str = "/services/data/v66.0/ssot";

/// `(private key PEM, certificate PEM)`, made once per test binary.
pub(crate) fn key_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(|| {
        let pair = d360_wire::keypair::generate("d360 test", 30).expect("key pair");
        (pair.private_key_pem.expose_secret().to_owned(), pair.certificate_pem)
    })
}

/// Puts the shared key pair into `dir` so the emulator does not generate one.
pub(crate) fn seed_keys(dir: &Path) {
    let (key, certificate) = key_pair();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("local.key"), key).unwrap();
    std::fs::write(dir.join("local.crt"), certificate).unwrap();
}

/// A running emulator, its data directory and an HTTP client.
pub(crate) struct Org {
    pub(crate) emulator: Emulator,
    pub(crate) dir: TempDir,
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
}

impl Org {
    /// An emulator with default options over a fresh directory.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// An emulator whose options `tune` adjusts.
    pub(crate) async fn start_with(tune: impl FnOnce(&mut Options)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), tune).await
    }

    /// An emulator over `dir` (which may hold objects or an `emulator.yaml` already).
    pub(crate) async fn start_in(dir: TempDir, tune: impl FnOnce(&mut Options)) -> Self {
        seed_keys(dir.path());
        let mut options = Options::new(dir.path());
        tune(&mut options);
        let emulator = emulator::start(options).await.expect("emulator starts");
        let url = emulator.base_url().to_owned();
        let http = reqwest::Client::builder().pool_max_idle_per_host(128).build().unwrap();
        Self {
            emulator,
            dir,
            http,
            url,
        }
    }

    /// Stops the emulator and hands back its directory.
    pub(crate) async fn stop(self) -> TempDir {
        self.emulator.shutdown().await;
        self.dir
    }

    /// `POST /services/oauth2/token` with form fields.
    pub(crate) fn token_form(&self, fields: &[(&str, &str)]) -> impl Future<Output = Response> + use<> {
        let request = self
            .http
            .post(format!("{}/services/oauth2/token", self.url))
            .form(fields);
        async move { request.send().await.unwrap() }
    }

    /// A core access token through client credentials.
    pub(crate) async fn token(&self) -> String {
        let answer = self
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
            ])
            .await;
        assert_eq!(answer.status(), 200);
        answer.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A request to `path` (relative to the base URL) with `token`.
    pub(crate) fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token)
    }

    /// Sends a request and returns the status and JSON body (`Null` when empty).
    /// The request is built at once, so the future borrows nothing.
    pub(crate) fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> impl Future<Output = (u16, Value)> + use<> {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { read(request.send().await.unwrap()).await }
    }

    /// `GET /connections?connectorType=AwsRdsMySql` plus `query` (`&devName=X`): the listing.
    pub(crate) async fn rds_connections(&self, token: &str, query: &str) -> Value {
        let path = format!("{V}/connections?connectorType=AwsRdsMySql{query}");
        let (status, list) = self.call(Method::GET, &path, token, None).await;
        assert_eq!(status, 200, "{list}");
        list
    }

    /// Creates an RDS MySQL connection and returns its id.
    pub(crate) async fn create_connection(&self, token: &str, name: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("{V}/connections"),
                token,
                Some(connection_body(name)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

/// Status and JSON body of an answer.
pub(crate) async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    (status, body)
}

/// Asserts a Connect REST error body: `[{"errorCode": code, "message": ...}]`.
#[track_caller]
pub(crate) fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1[0]["errorCode"], code, "{}", answer.1);
    assert!(
        answer.1[0]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.1
    );
}

/// A valid AWS RDS MySQL create body.
pub(crate) fn connection_body(name: &str) -> Value {
    json!({
        "connectorType": "AwsRdsMySql",
        "label": format!("Label {name}"),
        "name": name,
        "method": "Ingress",
        "parameters": [
            {"paramName": "jdbc_connection_url", "value": "jdbc:mysql://spike.example.internal:3306"},
            {"paramName": "DATABASE", "value": "clinic"}
        ],
        "credentials": [
            {"paramName": "user", "value": "reader"},
            {"paramName": "password", "value": "s3cret-value"}
        ]
    })
}

/// A valid data stream create body over `connection`.
pub(crate) fn stream_body(name: &str, connection: &str) -> Value {
    json!({
        "name": name,
        "label": format!("Stream {name}"),
        "datastreamType": "CONNECTORSFRAMEWORK",
        "connectorInfo": {"connectorType": "DataConnector", "connectorDetails": {"name": connection}},
        "dataLakeObjectInfo": [{
            "name": format!("{name}__dll"),
            "label": "Patients",
            "category": "Profile",
            "dataLakeFieldInputRepresentations": [
                {"name": "patient_id", "label": "patient_id", "dataType": "Text", "isPrimaryKey": true},
                {"name": "updated_at", "label": "updated_at", "dataType": "DateTime", "isPrimaryKey": false}
            ],
            "dataspaceInfo": [{"name": "default"}],
            "recordModifiedFieldName": "updated_at"
        }],
        "sourceFields": [{"name": "patient_id", "dataType": "Text"}, {"name": "updated_at", "dataType": "DateTime"}],
        "refreshConfig": {"refreshMode": "UPSERT", "frequency": {"frequencyType": "Daily", "hours": [2]}},
        "advancedAttributes": {"database": "clinic", "object": "patients"},
        "dataAccessMode": "Ingest"
    })
}
