//! The HTTP client of the Data 360 Connect REST API: the only module that speaks HTTP to an
//! org. It knows no resource kind: a kind names its collection through [`Collection`] (path,
//! answer and page shapes, from `d360_wire`) and the client lists (following
//! `nextPageUrl`), gets, creates, replaces, updates and deletes over it. Retries, backoff,
//! re-login and the tenant token live in `transport`.

mod error;
mod limiter;
mod paging;
mod transport;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use backon::ExponentialBuilder;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) use error::ApiError;
pub(crate) use limiter::{Concurrency, ConcurrencyReport};
pub(crate) use transport::{AnswerHook, Stats, StatsSnapshot};

use crate::auth::Authenticator;
use crate::config::OrgProfile;
use d360_wire::shapes::UserInfo;
use transport::{Call, TenantSession, Transport};

/// One kind's collection in the Connect REST API (`ssot/connections`, `ssot/data-streams`).
pub(crate) trait Collection {
    /// The collection's path under `/services/data/vNN.0/`.
    const PATH: &'static str;
    /// The `orderBy` that keeps a listing's order stable while it is read by offset (new
    /// objects last), when the operation takes one.
    const ORDER_BY: Option<&'static str>;
    /// What the org answers for one object.
    type Item: DeserializeOwned + Send;
    /// What the org answers for one page of a listing.
    type Page: DeserializeOwned + Page<Item = Self::Item> + Send;
    /// What tells two objects of one listing apart.
    fn identity(item: &Self::Item) -> &str;
}

/// One page of a listing: its objects, the link to the next page and the listing's size.
pub(crate) trait Page {
    type Item;
    /// `totalSize`: how many objects the whole listing holds, when the org says.
    fn total(&self) -> Option<u64>;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

/// The cap of adaptive concurrency unless `--max-parallelism` says otherwise.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 32;

/// Page size for listings (the API's maximum for data streams; the spec gives connections
/// none).
pub(crate) const PAGE_SIZE: usize = 200;

/// A client for one org.
pub(crate) struct Client {
    transport: Transport,
    dataspace: String,
    /// A listing found that the org does not honour `offset`: later ones follow `nextPageUrl`.
    offsets_ignored: AtomicBool,
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
                tenant: TenantSession::new(dataspace),
                api_version: api_version.trim_start_matches('v').to_owned(),
                stats: Arc::new(Stats::default()),
                max_attempts: retry.max_attempts.max(1),
                backoff,
                limiter: limiter::Limiter::new(Concurrency::Auto {
                    max: DEFAULT_MAX_CONCURRENCY,
                }),
                on_answer: None,
            },
            dataspace: dataspace.to_owned(),
            offsets_ignored: AtomicBool::new(false),
        }
    }

    /// Calls `hook` with the method and status code of every answer from now on.
    pub(crate) fn on_answer(&mut self, hook: AnswerHook) {
        self.transport.on_answer = Some(hook);
    }

    /// How many requests this client keeps in flight from now on.
    pub(crate) fn set_concurrency(&self, concurrency: Concurrency) {
        self.transport.limiter.configure(concurrency);
    }

    /// The concurrency reached and the throttled answers so far.
    #[must_use]
    pub(crate) fn concurrency(&self) -> ConcurrencyReport {
        self.transport.limiter.report()
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
        let shown = self.transport.shown(&call.target);
        decode(&call, &shown, &answer.body)
    }

    /// Encodes a request body; a body that cannot be encoded is an error, never `null`.
    fn body(method: &Method, path: &str, body: &impl Serialize) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(body).map_err(|e| ApiError::Decode {
            method: method.to_string(),
            path: path.to_owned(),
            detail: format!("cannot encode the request body: {e}"),
        })
    }

    fn item_path<C: Collection>(address: &str) -> String {
        format!("{}/{}", C::PATH, encode(address))
    }

    /// The first page of a collection matching `query` (a lookup that matches at most a few).
    pub(crate) async fn search<C: Collection>(&self, query: &[(&str, &str)]) -> Result<Vec<C::Item>, ApiError> {
        let mut call = Call::new(Method::GET, C::PATH);
        for (key, value) in query {
            call = call.query(key, *value);
        }
        let page: C::Page = self.json(call).await?;
        Ok(page.into_parts().0)
    }

    /// One object by id or API name; `None` when the org answers 404.
    pub(crate) async fn get<C: Collection>(&self, address: &str) -> Result<Option<C::Item>, ApiError> {
        self.read(&Self::item_path::<C>(address)).await
    }

    /// A JSON document under `/services/data/vNN.0/` that must exist.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.json(Call::new(Method::GET, path)).await
    }

    /// Any JSON document under `/services/data/vNN.0/`; `None` when the org answers 404.
    pub(crate) async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, ApiError> {
        match self.json(Call::new(Method::GET, path)).await {
            Ok(found) => Ok(Some(found)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A `POST` that only reads (a connection test, a metadata browse): safe to send again.
    pub(crate) async fn ask<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ApiError> {
        let body = Self::body(&Method::POST, path, body)?;
        self.json(Call::new(Method::POST, path).body(body).repeatable()).await
    }

    /// A `POST` without a body that only reads (the test of a stored connection).
    pub(crate) async fn ask_bare<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.json(Call::new(Method::POST, path).repeatable()).await
    }

    /// Creates an object. Not retried after an ambiguous failure: the caller looks the name
    /// up first.
    pub(crate) async fn create<C: Collection>(&self, body: &impl Serialize) -> Result<C::Item, ApiError> {
        let body = Self::body(&Method::POST, C::PATH, body)?;
        self.json(Call::new(Method::POST, C::PATH).body(body)).await
    }

    /// Changes an object in place: `PUT` replaces it whole, `PATCH` changes the fields sent.
    pub(crate) async fn write<C: Collection>(
        &self,
        method: Method,
        address: &str,
        body: &impl Serialize,
    ) -> Result<(), ApiError> {
        let path = Self::item_path::<C>(address);
        let body = Self::body(&method, &path, body)?;
        self.transport.send(&Call::new(method, path).body(body)).await?;
        Ok(())
    }

    /// Deletes an object.
    pub(crate) async fn delete<C: Collection>(&self, address: &str, query: &[(&str, &str)]) -> Result<(), ApiError> {
        let mut call = Call::new(Method::DELETE, Self::item_path::<C>(address));
        for (key, value) in query {
            call = call.query(key, *value);
        }
        self.transport.send(&call).await?;
        Ok(())
    }

    /// `GET /services/oauth2/userinfo`.
    pub(crate) async fn userinfo(&self) -> Result<UserInfo, ApiError> {
        self.json(Call::absolute("/services/oauth2/userinfo")).await
    }

    /// Exchanges for a Data 360 token and runs the tenant sanity query (`SELECT 1`, which
    /// reads and changes nothing, so it is retried like any idempotent call). Returns the
    /// tenant URL.
    pub(crate) async fn tenant_check(&self) -> Result<String, ApiError> {
        let call = Call::tenant(Method::POST, "api/v2/query")
            .body(serde_json::json!({ "sql": "SELECT 1" }))
            .repeatable();
        self.transport.send(&call).await?;
        match self.transport.tenant.tenant_url().await {
            Some(url) => Ok(url.to_string()),
            None => Err(ApiError::Decode {
                method: "POST".into(),
                path: "/api/v2/query".into(),
                detail: "no tenant URL after the exchange".into(),
            }),
        }
    }
}

/// Percent-encodes one path segment.
pub(crate) fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
