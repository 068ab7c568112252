//! Logging in to an org: the three OAuth 2.0 flows, the token cache and the Data 360 token
//! exchange.
//!
//! Tokens live only in memory, inside `SecretString`s; they are never written to disk,
//! logged or put in a URL. Concurrent callers share one refresh: a caller that saw a token
//! fail passes its generation to [`Authenticator::refresh`], and only the first such caller
//! logs in again. `api` is the only user of this module.

mod diagnose;
mod jwt;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

pub(crate) use diagnose::hint_for;

use crate::config::{AuthMethod, parse_org_url};
use crate::secret::SecretError;
use d360_wire::shapes::{ExchangeResponse, OAuthError, TokenResponse};

/// A login failed. Never carries a token, secret or private key.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("cannot read the {what} for the {flow} flow: {source}")]
    Secret {
        flow: &'static str,
        what: &'static str,
        #[source]
        source: SecretError,
    },
    #[error("the private key is not a usable RSA key in PEM form (PKCS#8 or PKCS#1)")]
    BadPrivateKey,
    #[error("cannot sign the JWT assertion: {0}")]
    Signing(String),
    #[error("{flow} login refused by {url}: {error}: {description}")]
    Rejected {
        flow: &'static str,
        url: String,
        error: String,
        description: String,
    },
    #[error("cannot reach the token endpoint {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("unexpected answer from {url} (HTTP {status}): {detail}")]
    Unexpected { url: String, status: u16, detail: String },
    #[error("the token answer names instance URL `{url}`, which d360 will not use: {reason}")]
    BadInstanceUrl { url: String, reason: String },
}

impl AuthError {
    /// What to do about it, in Setup terms, when known.
    #[must_use]
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            AuthError::Rejected {
                error,
                description,
                flow,
                ..
            } => hint_for(flow, error, description),
            AuthError::BadPrivateKey => Some(
                "give the PEM private key whose certificate was uploaded to the connected app (`d360 auth keygen` makes a pair)",
            ),
            AuthError::Unreachable { .. } => Some(
                "check the login URL (https://login.salesforce.com, https://test.salesforce.com for sandboxes, or your My Domain URL) and your network",
            ),
            _ => None,
        }
    }
}

/// A core access token and what came with it.
pub(crate) struct Token {
    pub(crate) access: SecretString,
    pub(crate) instance_url: url::Url,
    pub(crate) obtained: Instant,
    /// Increases with every login; callers pass it back to [`Authenticator::refresh`].
    pub(crate) generation: u64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access", &"[redacted]")
            .field("instance_url", &self.instance_url.as_str())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// A Data 360 (tenant) token from the exchange.
pub(crate) struct TenantToken {
    pub(crate) access: SecretString,
    pub(crate) tenant_url: url::Url,
}

impl std::fmt::Debug for TenantToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantToken")
            .field("tenant_url", &self.tenant_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Sends a form to an OAuth endpoint and decodes its answer; OAuth error bodies become
/// [`AuthError::Rejected`]. `shown_url` has no query and no secret.
async fn send_form<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    shown_url: &str,
    flow: &'static str,
    what: &str,
) -> Result<T, AuthError> {
    let unreachable = |e: &reqwest::Error| AuthError::Unreachable {
        url: shown_url.to_owned(),
        detail: transport_detail(e),
    };
    let response = request.send().await.map_err(|e| unreachable(&e))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| unreachable(&e))?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<OAuthError>(&body) {
            Ok(error) => AuthError::Rejected {
                flow,
                url: shown_url.to_owned(),
                error: error.error,
                description: error.error_description,
            },
            Err(_) => AuthError::Unexpected {
                url: shown_url.to_owned(),
                status: status.as_u16(),
                detail: snippet(&body),
            },
        });
    }
    serde_json::from_slice(&body).map_err(|e| AuthError::Unexpected {
        url: shown_url.to_owned(),
        status: status.as_u16(),
        detail: format!("not {what}: {e}"),
    })
}

/// Logs in with one method and caches the token.
pub(crate) struct Authenticator {
    http: reqwest::Client,
    method: AuthMethod,
    login_url: url::Url,
    current: Mutex<Option<Arc<Token>>>,
    generation: std::sync::atomic::AtomicU64,
    /// Tokens older than this are renewed before use (Salesforce does not say when they expire).
    max_age: Duration,
}

impl Authenticator {
    #[must_use]
    pub(crate) fn new(http: reqwest::Client, method: AuthMethod, login_url: url::Url) -> Self {
        Self {
            http,
            method,
            login_url,
            current: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
            max_age: Duration::from_secs(90 * 60),
        }
    }

    /// The current token, logging in when there is none or it is old.
    pub(crate) async fn token(&self) -> Result<Arc<Token>, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && token.obtained.elapsed() < self.max_age
        {
            return Ok(Arc::clone(token));
        }
        let token = Arc::new(self.login().await?);
        *current = Some(Arc::clone(&token));
        Ok(token)
    }

    /// Logs in again because the token of `generation` was refused. When another caller
    /// already refreshed it, the newer token is returned without a second login.
    pub(crate) async fn refresh(&self, generation: u64) -> Result<Arc<Token>, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref()
            && token.generation > generation
        {
            return Ok(Arc::clone(token));
        }
        tracing::debug!(flow = self.method.flow_name(), "session expired; logging in again");
        let token = Arc::new(self.login().await?);
        *current = Some(Arc::clone(&token));
        Ok(token)
    }

    async fn login(&self) -> Result<Token, AuthError> {
        let flow = self.method.flow_name();
        let url = self
            .login_url
            .join("services/oauth2/token")
            .map_err(|e| AuthError::Unreachable {
                url: self.login_url.to_string(),
                detail: e.to_string(),
            })?;
        let secret = |what: &'static str, reference: &crate::secret::SecretRef| {
            reference
                .resolve()
                .map_err(|source| AuthError::Secret { flow, what, source })
        };
        let request = match &self.method {
            AuthMethod::Jwt {
                client_id,
                username,
                private_key,
            } => {
                let key = secret("private key", private_key)?;
                let assertion = jwt::assertion(client_id, username, self.login_url.as_str(), &key)?;
                self.http.post(url.clone()).form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", assertion.expose_secret()),
                ])
            }
            AuthMethod::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let client_secret = secret("client secret", client_secret)?;
                self.http.post(url.clone()).form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose_secret()),
                ])
            }
            AuthMethod::Password {
                client_id,
                client_secret,
                username,
                password,
            } => {
                tracing::warn!("the username-password flow is legacy and discouraged by Salesforce; prefer JWT bearer");
                let client_secret = secret("client secret", client_secret)?;
                let password = secret("password", password)?;
                self.http.post(url.clone()).form(&[
                    ("grant_type", "password"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose_secret()),
                    ("username", username.as_str()),
                    ("password", password.expose_secret()),
                ])
            }
        };
        let answer: TokenResponse = send_form(request, url.as_str(), flow, "a token answer").await?;
        let instance_url = parse_org_url(&answer.instance_url).map_err(|e| AuthError::BadInstanceUrl {
            url: answer.instance_url.clone(),
            reason: e.to_string(),
        })?;
        let generation = self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        tracing::debug!(flow, instance_url = %instance_url, generation, "logged in");
        Ok(Token {
            access: SecretString::from(answer.access_token),
            instance_url,
            obtained: Instant::now(),
            generation,
        })
    }

    /// Exchanges the core token for a Data 360 token (`/services/a360/token`).
    pub(crate) async fn exchange(&self, dataspace: &str) -> Result<TenantToken, AuthError> {
        let core = self.token().await?;
        let url = core
            .instance_url
            .join("services/a360/token")
            .map_err(|e| AuthError::Unreachable {
                url: core.instance_url.to_string(),
                detail: e.to_string(),
            })?;
        let request = self.http.post(url.clone()).form(&[
            ("grant_type", "urn:salesforce:grant-type:external:cdp"),
            ("subject_token", core.access.expose_secret()),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
            ("dataspace", dataspace),
        ]);
        let answer: ExchangeResponse =
            send_form(request, url.as_str(), "Data 360 token exchange", "an exchange answer").await?;
        // Real answers often carry the bare tenant host: add the scheme.
        let tenant_url = parse_org_url(&answer.instance_url).map_err(|e| AuthError::BadInstanceUrl {
            url: answer.instance_url.clone(),
            reason: e.to_string(),
        })?;
        Ok(TenantToken {
            access: SecretString::from(answer.access_token),
            tenant_url,
        })
    }
}

/// A transport error in words, without the URL's query or any header.
#[must_use]
pub(crate) fn transport_detail(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the answer was cut off"
    } else if error.is_request() {
        "the request failed"
    } else {
        "transport error"
    };
    // The error's own text names the URL (with any query); its causes say what happened.
    match std::error::Error::source(error) {
        Some(cause) => format!("{kind}: {}", crate::output::chain(cause)),
        None => kind.to_owned(),
    }
}

/// The start of a body, for errors about answers that are not JSON.
#[must_use]
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed: String = text.trim().chars().take(200).collect();
    if trimmed.is_empty() {
        "(empty body)".to_owned()
    } else {
        trimmed
    }
}
