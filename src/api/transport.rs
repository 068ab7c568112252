//! Sending one API call: the bearer token, retries with backoff and jitter (honouring
//! `Retry-After`), one re-login on an expired session, and the counters a report shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::error::{ApiError, TransportKind};
use super::limiter::{Limiter, Signal};
use crate::auth::{Authenticator, TenantToken, snippet, transport_detail};
use d360_wire::shapes::ApiErrorItem;

/// Counters of one client, shared by every clone.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) requests: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) reauths: AtomicU64,
    /// From the latest `Sforce-Limit-Info: api-usage=USED/LIMIT`.
    pub(crate) api_used: AtomicU64,
    pub(crate) api_limit: AtomicU64,
    /// The org answered 403 `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit exceeded": no call
    /// is sent any more.
    pub(crate) daily_limit_spent: std::sync::atomic::AtomicBool,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatsSnapshot {
    pub(crate) requests: u64,
    pub(crate) retries: u64,
    pub(crate) reauths: u64,
    pub(crate) api_used: u64,
    pub(crate) api_limit: u64,
    pub(crate) daily_limit_spent: bool,
}

impl Stats {
    #[must_use]
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            reauths: self.reauths.load(Ordering::Relaxed),
            api_used: self.api_used.load(Ordering::Relaxed),
            api_limit: self.api_limit.load(Ordering::Relaxed),
            daily_limit_spent: self.daily_limit_spent.load(Ordering::Relaxed),
        }
    }
}

/// Where a call goes: under `/services/data/vNN.0/`, a path the org gave (`nextPageUrl`), or
/// a path on the Data 360 tenant (with the tenant token of the exchange).
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Data(String),
    Absolute(String),
    Tenant(String),
}

/// The bearer token and base URL of one attempt, and the core login it came from.
struct Credential {
    access: SecretString,
    base: url::Url,
    generation: u64,
}

/// The Data 360 tenant token of one data space, exchanged on first use and again after a 401.
pub(crate) struct TenantSession {
    dataspace: String,
    current: Mutex<Option<Arc<(TenantToken, u64)>>>,
}

impl TenantSession {
    #[must_use]
    pub(crate) fn new(dataspace: &str) -> Self {
        Self {
            dataspace: dataspace.to_owned(),
            current: Mutex::new(None),
        }
    }

    /// The tenant URL of the current exchange, if one was made.
    pub(crate) async fn tenant_url(&self) -> Option<url::Url> {
        self.current
            .lock()
            .await
            .as_ref()
            .map(|current| current.0.tenant_url.clone())
    }
}

/// One call to make. Not `Debug`: its body may hold credential values.
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) method: reqwest::Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<serde_json::Value>,
    /// Whether sending it twice is harmless: GET, PUT and DELETE are; POST and PATCH only
    /// when the caller says so ([`Call::repeatable`]).
    pub(crate) idempotent: bool,
}

impl Call {
    #[must_use]
    pub(crate) fn new(method: reqwest::Method, path: impl Into<String>) -> Self {
        let idempotent = method != reqwest::Method::POST && method != reqwest::Method::PATCH;
        Self {
            method,
            target: Target::Data(path.into()),
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    /// A `GET` of a path the org gave (`nextPageUrl`, `/services/oauth2/userinfo`).
    #[must_use]
    pub(crate) fn absolute(path: impl Into<String>) -> Self {
        Self {
            target: Target::Absolute(path.into()),
            ..Self::new(reqwest::Method::GET, String::new())
        }
    }

    /// A call on the Data 360 tenant, with the tenant token.
    #[must_use]
    pub(crate) fn tenant(method: reqwest::Method, path: impl Into<String>) -> Self {
        Self {
            target: Target::Tenant(path.into()),
            ..Self::new(method, String::new())
        }
    }

    /// Marks a POST or PATCH as safe to send again (it reads, or its effect is the same).
    #[must_use]
    pub(crate) fn repeatable(mut self) -> Self {
        self.idempotent = true;
        self
    }

    #[must_use]
    pub(crate) fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    #[must_use]
    pub(crate) fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// An answer with a success status.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) body: bytes::Bytes,
}

/// Told of every HTTP answer the org gives (any status), by method and status code: how
/// `d360 watch` counts requests for its metrics.
pub(crate) type AnswerHook = Arc<dyn Fn(&str, u16) + Send + Sync>;

/// Sends calls for one org.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) tenant: TenantSession,
    pub(crate) limiter: Limiter,
    pub(crate) api_version: String,
    pub(crate) stats: Arc<Stats>,
    pub(crate) max_attempts: u32,
    pub(crate) backoff: ExponentialBuilder,
    pub(crate) on_answer: Option<AnswerHook>,
}

impl Transport {
    pub(crate) fn shown(&self, target: &Target) -> String {
        match target {
            Target::Data(path) => format!("/services/data/v{}/{}", self.api_version, path.trim_start_matches('/')),
            Target::Absolute(path) => path.split('?').next().unwrap_or(path).to_owned(),
            Target::Tenant(path) => format!("/{}", path.trim_start_matches('/')),
        }
    }

    async fn credential(&self, target: &Target) -> Result<Credential, ApiError> {
        match target {
            Target::Data(_) | Target::Absolute(_) => {
                let token = self.auth.token().await.map_err(ApiError::Auth)?;
                Ok(Credential {
                    access: token.access.clone(),
                    base: token.instance_url.clone(),
                    generation: token.generation,
                })
            }
            Target::Tenant(_) => {
                let mut current = self.tenant.current.lock().await;
                let exchanged = if let Some(exchanged) = current.as_ref() {
                    Arc::clone(exchanged)
                } else {
                    let generation = self.auth.token().await.map_err(ApiError::Auth)?.generation;
                    let token = self
                        .auth
                        .exchange(&self.tenant.dataspace)
                        .await
                        .map_err(ApiError::Auth)?;
                    let exchanged = Arc::new((token, generation));
                    *current = Some(Arc::clone(&exchanged));
                    exchanged
                };
                Ok(Credential {
                    access: exchanged.0.access.clone(),
                    base: exchanged.0.tenant_url.clone(),
                    generation: exchanged.1,
                })
            }
        }
    }

    /// After a 401: log in again (once for all callers of the same login), and for tenant
    /// calls exchange again, since the tenant token dies with its core token.
    async fn renew(&self, target: &Target, generation: u64) -> Result<(), ApiError> {
        self.auth.refresh(generation).await.map_err(ApiError::Auth)?;
        if let Target::Tenant(_) = target {
            *self.tenant.current.lock().await = None;
        }
        Ok(())
    }

    /// Sends `call`, retrying what is safe to retry. POST and PATCH are retried only after
    /// errors that prove the org did not carry them out (429, 503, connect failures).
    pub(crate) async fn send(&self, call: &Call) -> Result<Answer, ApiError> {
        let method = call.method.to_string();
        let path = self.shown(&call.target);
        let idempotent = call.idempotent;
        let mut backoff = self.backoff.build();
        let mut attempts = 0;
        let mut reauthenticated = false;
        loop {
            attempts += 1;
            if self.stats.daily_limit_spent.load(Ordering::Relaxed) {
                // Sending more only adds to the 403s for up to a day.
                return Err(ApiError::DailyLimitSpent { method, path });
            }
            let credential = self.credential(&call.target).await?;
            let error = match self.attempt(call, &credential, &method, &path).await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            if error.status() == Some(401) && !reauthenticated {
                reauthenticated = true;
                self.stats.reauths.fetch_add(1, Ordering::Relaxed);
                self.renew(&call.target, credential.generation).await?;
                continue;
            }
            if error.is_daily_limit() {
                self.stats.daily_limit_spent.store(true, Ordering::Relaxed);
                return Err(error);
            }
            if !error.is_retryable(idempotent) {
                return Err(error);
            }
            if attempts >= self.max_attempts {
                return Err(ApiError::Exhausted {
                    method,
                    path,
                    attempts,
                    last: Box::new(error),
                });
            }
            let retry_after = match &error {
                ApiError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let delay = retry_after.or_else(|| backoff.next()).unwrap_or(Duration::from_secs(1));
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%method, %path, attempt = attempts, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, holding a place in flight from the limiter while it is on the wire.
    async fn attempt(
        &self,
        call: &Call,
        credential: &Credential,
        method: &str,
        path: &str,
    ) -> Result<Answer, ApiError> {
        // Held, not acquired: a caller that drops this future part way still frees the place.
        let held = self.limiter.hold().await;
        let started = Instant::now();
        let result = self.exchange(call, credential, method, path).await;
        let signal = match &result {
            Err(error) if error.is_throttled() => Signal::Throttled,
            Ok(_) | Err(ApiError::Status { .. }) => Signal::Answered(started.elapsed()),
            Err(_) => Signal::Lost,
        };
        held.release(signal);
        result
    }

    async fn exchange(
        &self,
        call: &Call,
        credential: &Credential,
        method: &str,
        path: &str,
    ) -> Result<Answer, ApiError> {
        let relative = match &call.target {
            Target::Data(p) => format!("services/data/v{}/{}", self.api_version, p.trim_start_matches('/')),
            Target::Absolute(p) | Target::Tenant(p) => p.trim_start_matches('/').to_owned(),
        };
        let url = credential.base.join(&relative).map_err(|e| ApiError::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            detail: format!("bad URL: {e}"),
        })?;
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(credential.access.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let transport = |error: &reqwest::Error| {
            let kind = if error.is_connect() {
                TransportKind::Connect
            } else if error.is_timeout() {
                TransportKind::Timeout
            } else {
                TransportKind::Dropped
            };
            ApiError::Transport {
                method: method.to_owned(),
                path: path.to_owned(),
                kind,
                detail: transport_detail(error),
            }
        };
        let response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status().as_u16();
        if let Some(hook) = &self.on_answer {
            hook(method, status);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds.min(120)));
        if let Some(usage) = response
            .headers()
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
        {
            self.record_usage(usage);
        }
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        tracing::debug!(%method, %path, status, elapsed_ms = started.elapsed().as_millis() as u64, "api call");
        if (200..300).contains(&status) {
            return Ok(Answer { body });
        }
        let (code, message) = parse_error_body(&body);
        Err(ApiError::Status {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code,
            message,
            retry_after,
        })
    }

    fn record_usage(&self, header: &str) {
        let Some(usage) = header
            .split(';')
            .find_map(|part| part.trim().strip_prefix("api-usage="))
        else {
            return;
        };
        if let Some((used, limit)) = usage.split_once('/')
            && let (Ok(used), Ok(limit)) = (used.trim().parse(), limit.trim().parse())
        {
            self.stats.api_used.store(used, Ordering::Relaxed);
            self.stats.api_limit.store(limit, Ordering::Relaxed);
        }
    }
}

/// Salesforce's error body: a JSON array of `{errorCode, message}`, sometimes one object,
/// sometimes the OAuth shape, sometimes HTML from a proxy.
#[must_use]
pub(crate) fn parse_error_body(body: &[u8]) -> (String, String) {
    if let Ok(items) = serde_json::from_slice::<Vec<ApiErrorItem>>(body)
        && let Some(first) = items.into_iter().next()
    {
        return (first.error_code, first.message);
    }
    if let Ok(item) = serde_json::from_slice::<ApiErrorItem>(body) {
        return (item.error_code, item.message);
    }
    if let Ok(oauth) = serde_json::from_slice::<d360_wire::shapes::OAuthError>(body) {
        return (oauth.error, oauth.error_description);
    }
    ("UNKNOWN".to_owned(), snippet(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape() {
        assert_eq!(
            parse_error_body(br#"[{"errorCode":"NOT_FOUND","message":"gone"}]"#),
            ("NOT_FOUND".into(), "gone".into())
        );
        assert_eq!(
            parse_error_body(br#"{"errorCode":"X","errorMessage":"y"}"#),
            ("X".into(), "y".into())
        );
        assert_eq!(
            parse_error_body(br#"{"error":"invalid_grant","error_description":"z"}"#),
            ("invalid_grant".into(), "z".into())
        );
        assert_eq!(parse_error_body(b"<html>bad gateway</html>").0, "UNKNOWN");
    }
}
