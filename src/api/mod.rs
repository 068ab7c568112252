//! The typed client of the Data 360 Connect REST API: the only module that speaks HTTP to an
//! org. Callers get `model` types; the `wire` shapes and their conversion (`convert`) stay
//! at this edge. Retries, backoff and re-login live in `transport`.

pub(crate) mod convert;
mod error;
mod transport;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use backon::ExponentialBuilder;
use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

pub(crate) use error::{ApiError, TransportKind};
pub(crate) use transport::{Stats, StatsSnapshot, parse_error_body};

use crate::auth::Authenticator;
use crate::config::OrgProfile;
use crate::model::{Connection, DataStream, LiveObject};
use d360_wire::shapes::{
    ConnectionList, ConnectionOutput, ConnectorList, ConnectorMetadata, DataStreamList, DataStreamOutput, UserInfo,
};
use transport::{Call, Target, Transport};

/// Page size for listings (the API's maximum for data streams).
pub(crate) const PAGE_SIZE: usize = 200;

/// A client for one org.
pub(crate) struct Client {
    transport: Transport,
    dataspace: String,
}

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetrySettings {
    pub(crate) max_attempts: u32,
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
}

impl RetrySettings {
    /// The defaults, with `D360_RETRY_ATTEMPTS` (1 to 50) when set: how many times one call is
    /// tried before d360 gives up.
    #[must_use]
    pub(crate) fn from_env() -> Self {
        let mut settings = Self::default();
        if let Some(attempts) = std::env::var("D360_RETRY_ATTEMPTS")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            settings.max_attempts = attempts.clamp(1, 50);
        }
        settings
    }
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(15),
        }
    }
}

/// Builds the HTTP client every org call uses: rustls with verified TLS, timeouts, no proxy
/// for loopback.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .user_agent(concat!("d360/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| ApiError::Decode {
            method: String::new(),
            path: String::new(),
            detail: format!("cannot build the HTTP client: {e}"),
        })
}

fn decode<T: DeserializeOwned>(call: &Call, shown: &str, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        method: call.method.to_string(),
        path: shown.to_owned(),
        detail: format!("{e}"),
    })
}

impl Client {
    /// A client for `profile`.
    pub(crate) fn new(profile: &OrgProfile, retry: RetrySettings) -> Result<Self, ApiError> {
        let http = http_client(profile.timeout)?;
        let auth = Arc::new(Authenticator::new(
            http.clone(),
            profile.auth.clone(),
            profile.login_url.clone(),
        ));
        Ok(Self::with_auth(
            http,
            auth,
            &profile.api_version,
            &profile.dataspace,
            retry,
        ))
    }

    /// A client over an existing authenticator.
    #[must_use]
    pub(crate) fn with_auth(
        http: reqwest::Client,
        auth: Arc<Authenticator>,
        api_version: &str,
        dataspace: &str,
        retry: RetrySettings,
    ) -> Self {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        Self {
            transport: Transport {
                http,
                auth,
                api_version: api_version.trim_start_matches('v').to_owned(),
                stats: Arc::new(Stats::default()),
                max_attempts: retry.max_attempts.max(1),
                backoff,
            },
            dataspace: dataspace.to_owned(),
        }
    }

    #[must_use]
    pub(crate) fn auth(&self) -> &Arc<Authenticator> {
        &self.transport.auth
    }

    #[must_use]
    pub(crate) fn api_version(&self) -> &str {
        &self.transport.api_version
    }

    #[must_use]
    pub(crate) fn dataspace(&self) -> &str {
        &self.dataspace
    }

    #[must_use]
    pub(crate) fn stats(&self) -> StatsSnapshot {
        self.transport.stats.snapshot()
    }

    async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        let answer = self.transport.send(&call).await?;
        let shown = match &call.target {
            Target::Data(p) | Target::Absolute(p) => p.clone(),
        };
        decode(&call, &shown, &answer.body)
    }

    /// Every connection of one connector type, following `nextPageUrl`.
    pub(crate) async fn list_connections(&self, connector_type: &str) -> Result<Vec<LiveObject>, ApiError> {
        let mut call = Some(
            Call::new(Method::GET, "ssot/connections")
                .query("connectorType", connector_type)
                .query("limit", PAGE_SIZE.to_string()),
        );
        let mut outputs = Vec::new();
        while let Some(current) = call.take() {
            let page: ConnectionList = self.json(current).await?;
            let empty = page.connections.is_empty();
            outputs.extend(page.connections);
            if let Some(next) = page.next_page_url.filter(|n| !n.is_empty() && !empty) {
                call = Some(Call {
                    method: Method::GET,
                    target: Target::Absolute(next_path(&next)),
                    query: Vec::new(),
                    body: None,
                });
            }
        }
        self.complete_connections(outputs).await
    }

    /// Listings may leave out `params`; the diff needs them, so such entries are read by id
    /// (one GET per object only in that case).
    async fn complete_connections(&self, outputs: Vec<ConnectionOutput>) -> Result<Vec<LiveObject>, ApiError> {
        let mut live = Vec::with_capacity(outputs.len());
        for output in outputs {
            if output.params.is_none() {
                live.push(self.get_connection(&output.id).await?);
            } else {
                live.push(convert::connection_from_wire(&output));
            }
        }
        Ok(live)
    }

    /// The connection with API name `name` (`devName` lookup), if any.
    pub(crate) async fn find_connection(
        &self,
        connector_type: &str,
        name: &str,
    ) -> Result<Option<LiveObject>, ApiError> {
        let call = Call::new(Method::GET, "ssot/connections")
            .query("connectorType", connector_type)
            .query("devName", name);
        let page: ConnectionList = self.json(call).await?;
        let found = page.connections.into_iter().filter(|c| c.name == name).collect();
        Ok(self.complete_connections(found).await?.into_iter().next())
    }

    pub(crate) async fn get_connection(&self, id: &str) -> Result<LiveObject, ApiError> {
        let output: ConnectionOutput = self
            .json(Call::new(Method::GET, format!("ssot/connections/{}", encode(id))))
            .await?;
        Ok(convert::connection_from_wire(&output))
    }

    /// Creates a connection. Not retried after an ambiguous failure: the caller looks the
    /// name up first.
    pub(crate) async fn create_connection(
        &self,
        connection: &Connection,
        credentials: &BTreeMap<String, SecretString>,
    ) -> Result<LiveObject, ApiError> {
        let body = serde_json::to_value(convert::connection_input(connection, credentials)).unwrap_or_default();
        let output: ConnectionOutput = self
            .json(Call::new(Method::POST, "ssot/connections").body(body))
            .await?;
        Ok(convert::connection_from_wire(&output))
    }

    /// Replaces a data connector (`PUT`): the whole object, credentials included.
    pub(crate) async fn replace_connection(
        &self,
        id: &str,
        connection: &Connection,
        credentials: &BTreeMap<String, SecretString>,
    ) -> Result<(), ApiError> {
        let body = serde_json::to_value(convert::connection_input(connection, credentials)).unwrap_or_default();
        self.transport
            .send(&Call::new(Method::PUT, format!("ssot/connections/{}", encode(id))).body(body))
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_connection(&self, id: &str) -> Result<(), ApiError> {
        self.transport
            .send(&Call::new(Method::DELETE, format!("ssot/connections/{}", encode(id))))
            .await?;
        Ok(())
    }

    /// A connector type's metadata; `None` when the org does not know the type.
    pub(crate) async fn connector_metadata(&self, connector_type: &str) -> Result<Option<ConnectorMetadata>, ApiError> {
        match self
            .json(Call::new(
                Method::GET,
                format!("ssot/connectors/{}", encode(connector_type)),
            ))
            .await
        {
            Ok(metadata) => Ok(Some(metadata)),
            Err(error) if error.is_not_found() || error.status() == Some(400) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every connector type the org offers.
    pub(crate) async fn list_connectors(&self) -> Result<ConnectorList, ApiError> {
        self.json(Call::new(Method::GET, "ssot/connectors")).await
    }

    /// Every data stream, following `nextPageUrl`.
    pub(crate) async fn list_data_streams(&self) -> Result<Vec<LiveObject>, ApiError> {
        let mut call = Some(Call::new(Method::GET, "ssot/data-streams").query("limit", PAGE_SIZE.to_string()));
        let mut live = Vec::new();
        while let Some(current) = call.take() {
            let page: DataStreamList = self.json(current).await?;
            let empty = page.data_streams.is_empty();
            live.extend(page.data_streams.iter().map(convert::data_stream_from_wire));
            if let Some(next) = page.next_page_url.filter(|n| !n.is_empty() && !empty) {
                call = Some(Call {
                    method: Method::GET,
                    target: Target::Absolute(next_path(&next)),
                    query: Vec::new(),
                    body: None,
                });
            }
        }
        Ok(live)
    }

    /// A data stream by API name or id; `None` when it does not exist.
    pub(crate) async fn get_data_stream(&self, name: &str) -> Result<Option<LiveObject>, ApiError> {
        match self
            .json::<DataStreamOutput>(Call::new(Method::GET, format!("ssot/data-streams/{}", encode(name))))
            .await
        {
            Ok(output) => Ok(Some(convert::data_stream_from_wire(&output))),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub(crate) async fn create_data_stream(&self, stream: &DataStream) -> Result<LiveObject, ApiError> {
        let body = serde_json::to_value(convert::data_stream_input(stream)).unwrap_or_default();
        let output: DataStreamOutput = self
            .json(Call::new(Method::POST, "ssot/data-streams").body(body))
            .await?;
        Ok(convert::data_stream_from_wire(&output))
    }

    pub(crate) async fn update_data_stream(&self, name: &str, stream: &DataStream) -> Result<(), ApiError> {
        let body = serde_json::to_value(convert::data_stream_patch(stream)).unwrap_or_default();
        self.transport
            .send(&Call::new(Method::PATCH, format!("ssot/data-streams/{}", encode(name))).body(body))
            .await?;
        Ok(())
    }

    /// Deletes a data stream; the DLO is kept unless `delete_dlo`.
    pub(crate) async fn delete_data_stream(&self, name: &str, delete_dlo: bool) -> Result<(), ApiError> {
        let mut call = Call::new(Method::DELETE, format!("ssot/data-streams/{}", encode(name)));
        if delete_dlo {
            call = call.query("shouldDeleteDataLakeObject", "true");
        }
        self.transport.send(&call).await?;
        Ok(())
    }

    /// `GET /services/oauth2/userinfo`.
    pub(crate) async fn userinfo(&self) -> Result<UserInfo, ApiError> {
        self.json(Call {
            method: Method::GET,
            target: Target::Absolute("/services/oauth2/userinfo".into()),
            query: Vec::new(),
            body: None,
        })
        .await
    }

    /// Exchanges for a Data 360 token and runs the tenant sanity query (`SELECT 1`).
    pub(crate) async fn tenant_check(&self) -> Result<String, ApiError> {
        let mut tenant = self
            .transport
            .auth
            .exchange(&self.dataspace)
            .await
            .map_err(ApiError::Auth)?;
        let mut reexchanged = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.tenant_query(&tenant).await {
                Ok(()) => return Ok(tenant.tenant_url.to_string()),
                Err(error) => error,
            };
            if error.status() == Some(401) && !reexchanged {
                // The tenant token died with its core token: log in and exchange again.
                reexchanged = true;
                let core = self.transport.auth.token().await.map_err(ApiError::Auth)?;
                self.transport
                    .auth
                    .refresh(core.generation)
                    .await
                    .map_err(ApiError::Auth)?;
                tenant = self
                    .transport
                    .auth
                    .exchange(&self.dataspace)
                    .await
                    .map_err(ApiError::Auth)?;
                continue;
            }
            // `SELECT 1` reads nothing and changes nothing: safe to repeat.
            if !error.is_retryable(true) || attempt >= self.transport.max_attempts {
                return Err(error);
            }
            self.transport
                .stats
                .retries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let delay = match &error {
                ApiError::Status {
                    retry_after: Some(after),
                    ..
                } => *after,
                _ => Duration::from_millis(200u64.saturating_mul(1 << attempt.min(5))),
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// One `SELECT 1` on the tenant.
    async fn tenant_query(&self, tenant: &crate::auth::TenantToken) -> Result<(), ApiError> {
        let shown = "/api/v2/query";
        let url = tenant.tenant_url.join("api/v2/query").map_err(|e| ApiError::Decode {
            method: "POST".into(),
            path: shown.into(),
            detail: e.to_string(),
        })?;
        let transport_error = |e: &reqwest::Error| ApiError::Transport {
            method: "POST".into(),
            path: shown.into(),
            kind: if e.is_connect() {
                TransportKind::Connect
            } else if e.is_timeout() {
                TransportKind::Timeout
            } else {
                TransportKind::Dropped
            },
            detail: crate::auth::transport_detail(e),
        };
        let response = self
            .transport
            .http
            .post(url)
            .bearer_auth(secrecy::ExposeSecret::expose_secret(&tenant.access))
            .json(&serde_json::json!({ "sql": "SELECT 1" }))
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        let (code, message) = parse_error_body(&body);
        Err(ApiError::Status {
            method: "POST".into(),
            path: shown.into(),
            status,
            code,
            message,
            retry_after,
        })
    }
}

/// Percent-encodes one path segment.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `nextPageUrl` may be a path or a full URL; keep the path and query.
fn next_path(next: &str) -> String {
    match url::Url::parse(next) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => next.to_owned(),
    }
}
