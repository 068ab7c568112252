//! One signed HTTP client for one region: credentials from the SDK's chain (cached until
//! shortly before they expire), SigV4 signing, endpoint overrides, and retries on throttling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;

use super::AwsError;

/// What an item source asks of AWS: a region and a shared-config profile, each optional
/// (the chain's defaults then apply: `AWS_REGION`, `AWS_PROFILE`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Access {
    pub(crate) region: Option<String>,
    pub(crate) profile: Option<String>,
}

/// The AWS services d360 calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Rds,
    SecretsManager,
}

impl Service {
    fn signing_name(self) -> &'static str {
        match self {
            Service::Rds => "rds",
            Service::SecretsManager => "secretsmanager",
        }
    }

    /// The service-specific override variable, as the SDKs name it.
    fn endpoint_variable(self) -> &'static str {
        match self {
            Service::Rds => "AWS_ENDPOINT_URL_RDS",
            Service::SecretsManager => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        }
    }
}

/// One request to send: a POST to the service's endpoint root.
pub(crate) struct Request {
    pub(crate) call: &'static str,
    pub(crate) service: Service,
    pub(crate) content_type: &'static str,
    /// `X-Amz-Target` for JSON protocols.
    pub(crate) target: Option<&'static str>,
    pub(crate) body: String,
}

/// Attempts per call (the first included) before a throttled call gives up.
const ATTEMPTS: u32 = 8;
/// Credentials closer than this to their expiry are fetched again.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A signed client for one region and profile.
pub(crate) struct Client {
    http: reqwest::Client,
    provider: SharedCredentialsProvider,
    cached: tokio::sync::Mutex<Option<Credentials>>,
    region: String,
    /// `AWS_ENDPOINT_URL` (or `endpoint_url` in the profile), for every service.
    endpoint: Option<String>,
    requests: AtomicUsize,
    retries: AtomicUsize,
}

impl Client {
    /// Resolves the region and the credential chain; no request is sent yet.
    pub(crate) async fn connect(access: &Access) -> Result<Self, AwsError> {
        let http = crate::api::http_client(Duration::from_secs(60)).map_err(|error| AwsError::Transport {
            call: "connect",
            detail: error.to_string(),
        })?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(super::connector::Reqwest { http: http.clone() });
        if let Some(region) = &access.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &access.profile {
            loader = loader.profile_name(profile);
        }
        let config = loader.load().await;
        let region = config.region().map(ToString::to_string).ok_or(AwsError::NoRegion)?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| AwsError::NoCredentials("no provider is configured".to_owned()))?;
        Ok(Self {
            http,
            provider,
            cached: tokio::sync::Mutex::new(None),
            region,
            endpoint: config.endpoint_url().map(str::to_owned),
            requests: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
        })
    }

    /// The region calls go to.
    #[must_use]
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    /// HTTP requests sent so far (retries included).
    #[must_use]
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests repeated after throttling or a transient failure.
    #[must_use]
    pub(crate) fn retries(&self) -> usize {
        self.retries.load(Ordering::Relaxed)
    }

    /// The endpoint of `service`: its own variable, else `AWS_ENDPOINT_URL`, else AWS's.
    fn endpoint(&self, service: Service) -> Result<url::Url, AwsError> {
        let text = std::env::var(service.endpoint_variable())
            .ok()
            .filter(|value| !value.is_empty())
            .or_else(|| self.endpoint.clone())
            .unwrap_or_else(|| format!("https://{}.{}.amazonaws.com", service.signing_name(), self.region));
        endpoint_url(&text)
    }

    async fn credentials(&self) -> Result<Credentials, AwsError> {
        let mut cached = self.cached.lock().await;
        if let Some(credentials) = cached.as_ref() {
            let fresh = credentials
                .expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_MARGIN);
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let credentials = self
            .provider
            .provide_credentials()
            .await
            .map_err(|error| AwsError::NoCredentials(error_chain(&error)))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// Sends `request`, retrying throttling, 5xx and connection failures with exponential
    /// backoff and jitter. Returns the answer's body.
    pub(crate) async fn send(&self, request: &Request) -> Result<String, AwsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.send_once(request).await {
                Err(error) if error.is_retryable() && attempt < ATTEMPTS => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    let delay = backoff(attempt);
                    tracing::debug!(call = request.call, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying an AWS call");
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, request: &Request) -> Result<String, AwsError> {
        let url = self.endpoint(request.service)?;
        let credentials = self.credentials().await?;
        let mut headers: Vec<(&str, &str)> = vec![("content-type", request.content_type)];
        if let Some(target) = request.target {
            headers.push(("x-amz-target", target));
        }
        let identity: Identity = credentials.into();
        let sign_error = |detail: String| AwsError::Sign {
            call: request.call,
            detail,
        };
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(request.service.signing_name())
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| sign_error(error.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(request.body.as_bytes()),
        )
        .map_err(|error| sign_error(error.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|error| sign_error(error.to_string()))?
            .into_parts();
        let mut builder = self.http.post(url.clone()).body(request.body.clone());
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            builder = builder.header(name, value);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transport = |error: reqwest::Error| AwsError::Transport {
            call: request.call,
            detail: error_chain(&error),
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(transport)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let (code, message) = service_error(request.service, error_type.as_deref(), &body);
        Err(AwsError::Service {
            call: request.call,
            status,
            code,
            message,
        })
    }
}

/// Parses an endpoint: `https://` anywhere, `http://` only to loopback.
fn endpoint_url(text: &str) -> Result<url::Url, AwsError> {
    let bad = |reason: &str| AwsError::BadEndpoint {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(text).map_err(|error| bad(&error.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad("it has no host"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if crate::config::is_loopback_host(host) => Ok(url),
        "http" => Err(bad(
            "plain http is only allowed to loopback (127.0.0.1, localhost); use https",
        )),
        other => Err(bad(&format!("scheme `{other}` is not supported; use https"))),
    }
}

/// AWS's error code and message from an error answer: the Query protocol's XML
/// (`<Error><Code>`) or the JSON protocol's `__type` and `message`.
fn service_error(service: Service, header: Option<&str>, body: &str) -> (String, String) {
    let short = |code: &str| {
        code.rsplit('#')
            .next()
            .unwrap_or(code)
            .split(':')
            .next()
            .unwrap_or(code)
            .to_owned()
    };
    match service {
        Service::Rds => {
            let document = roxmltree::Document::parse(body).ok();
            let text_of = |name: &str| {
                document.as_ref().and_then(|document| {
                    document
                        .descendants()
                        .find(|node| node.has_tag_name(name))
                        .and_then(|node| node.text())
                        .map(str::to_owned)
                })
            };
            let code = text_of("Code")
                .or_else(|| header.map(short))
                .unwrap_or_else(|| "Unknown".to_owned());
            (code, text_of("Message").unwrap_or_default())
        }
        Service::SecretsManager => {
            let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            let code = value
                .get("__type")
                .and_then(serde_json::Value::as_str)
                .or(header)
                .map_or_else(|| "Unknown".to_owned(), short);
            let message = value
                .get("message")
                .or_else(|| value.get("Message"))
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (code, message)
        }
    }
}

/// Exponential backoff from 100 ms, capped at 5 s, with full jitter.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 100u64.saturating_mul(1 << attempt.min(6)).min(5_000);
    Duration::from_millis(fastrand::u64(ceiling / 2..=ceiling))
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_allow_plain_http_only_to_loopback() {
        assert!(endpoint_url("http://127.0.0.1:5000").is_ok());
        assert!(endpoint_url("http://localhost:5000/").is_ok());
        assert!(endpoint_url("https://rds.eu-west-1.amazonaws.com").is_ok());
        let error = endpoint_url("http://rds.example.com").expect_err("plain http elsewhere is refused");
        assert!(error.to_string().contains("loopback"), "{error}");
    }

    #[test]
    fn error_codes_are_read_from_both_protocols() {
        let xml = r"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert_eq!(
            service_error(Service::Rds, None, xml),
            ("Throttling".to_owned(), "Rate exceeded".to_owned())
        );
        let json = r#"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#;
        let (code, message) = service_error(Service::SecretsManager, None, json);
        assert_eq!(code, "ResourceNotFoundException");
        assert!(message.contains("can't find"));
        assert_eq!(
            service_error(Service::SecretsManager, Some("ThrottlingException:http://x"), "").0,
            "ThrottlingException"
        );
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 1..20 {
            let delay = backoff(attempt);
            assert!(delay <= Duration::from_secs(5), "{delay:?}");
            assert!(delay >= Duration::from_millis(100), "{delay:?}");
        }
    }
}
