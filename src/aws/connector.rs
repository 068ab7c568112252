//! The HTTP client `aws-config`'s credential providers use (STS for web identity, container
//! and instance metadata): our `reqwest` client behind the SDK's `HttpClient` trait, so the
//! SDK's own hyper-based client (and a second HTTP/2 and TLS setup) is not built.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// `reqwest` as the SDK's HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Reqwest {
    pub(crate) http: reqwest::Client,
}

impl HttpClient for Reqwest {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Reqwest {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let http = self.http.clone();
        HttpConnectorFuture::new(async move { send(&http, &request).await })
    }
}

async fn send(http: &reqwest::Client, request: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
    let other = |error: String| ConnectorError::other(error.into(), None);
    let method = reqwest::Method::from_bytes(request.method().as_bytes()).map_err(|e| other(e.to_string()))?;
    let mut builder = http.request(method, request.uri());
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let body = request.body().bytes().map(<[u8]>::to_vec).unwrap_or_default();
    let response = builder.body(body).send().await.map_err(|error| {
        if error.is_timeout() {
            ConnectorError::timeout(error.into())
        } else {
            ConnectorError::io(error.into())
        }
    })?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| ConnectorError::io(error.into()))?;
    let status = status
        .try_into()
        .map_err(|_| other(format!("HTTP status {status} is not valid")))?;
    let mut answer = HttpResponse::new(status, SdkBody::from(bytes.to_vec()));
    for (name, value) in headers {
        answer.headers_mut().append(name, value);
    }
    Ok(answer)
}
