//! How the emulator answers: JSON bodies with Salesforce's content type, and [`Reject`], every
//! error answer a handler can give, in the shape Salesforce uses for that endpoint.
//!
//! Connect REST errors (`/services/data/...`) are a JSON array of `{errorCode, message}`; the
//! Data 360 tenant (`/api/...`) answers one `{errorCode, errorMessage}` object; the OAuth
//! endpoints answer `{error, error_description}` ([`OAuthReject`]). Messages follow the
//! reference where it quotes them, and Salesforce's usual wording otherwise.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use d360_wire::shapes::{ApiErrorItem, OAuthError};

/// The content type Salesforce sends with JSON.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// A JSON answer with `status`.
pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))],
            body,
        )
            .into_response(),
        Err(error) => Reject::unknown(&format!("cannot encode the answer: {error}")).into_response(),
    }
}

/// Which family of endpoint answers, and so which error shape it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `[{"errorCode": ..., "message": ...}]`
    Connect,
    /// `{"errorCode": ..., "errorMessage": ...}`
    Tenant,
    /// A bare text body (the identity endpoints' `Bad_OAuth_Token`).
    Text,
}

/// An error answer from the Connect REST API, the tenant API, or the identity endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Reject {
    status: StatusCode,
    code: &'static str,
    message: String,
    shape: Shape,
    retry_after: Option<u32>,
}

impl Reject {
    fn connect(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            shape: Shape::Connect,
            retry_after: None,
        }
    }

    /// 404 `NOT_FOUND`: unknown route, version, id or name.
    pub(crate) fn not_found() -> Self {
        Self::connect(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    /// 401 `INVALID_SESSION_ID`: no token, an unknown one, or one that expired.
    pub(crate) fn invalid_session() -> Self {
        Self::connect(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    }

    /// 401 `INVALID_SESSION_ID` for a token whose app lacks the `api` scope (what Salesforce
    /// answers a REST call made with such a token).
    pub(crate) fn not_for_rest_api() -> Self {
        Self::connect(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        )
    }

    /// 400 `JSON_PARSER_ERROR`: the body is not JSON or does not fit the resource's shape.
    pub(crate) fn json_parser(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, "JSON_PARSER_ERROR", message)
    }

    /// 400 `INVALID_INPUT`: well-formed JSON with values the resource refuses.
    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
    }

    /// 400 `ILLEGAL_QUERY_PARAMETER_VALUE`.
    pub(crate) fn illegal_query(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, "ILLEGAL_QUERY_PARAMETER_VALUE", message)
    }

    /// 400 with a source's own code (`INVALID_CONNECTION`, `INVALID_CREDENTIALS`): the
    /// metadata browsing calls when the source cannot be reached.
    pub(crate) fn source(code: &'static str, message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 `DUPLICATES_DETECTED`.
    pub(crate) fn duplicate(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, "DUPLICATES_DETECTED", message)
    }

    /// 400 `DELETE_FAILED`: the object is still referenced.
    pub(crate) fn delete_failed(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::BAD_REQUEST, "DELETE_FAILED", message)
    }

    /// 422 `LIMIT_EXCEEDED`: the org's connection limit.
    pub(crate) fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::connect(StatusCode::UNPROCESSABLE_ENTITY, "LIMIT_EXCEEDED", message)
    }

    /// 500 `UNKNOWN_EXCEPTION` with Salesforce's support-reference wording.
    pub(crate) fn unknown(detail: &str) -> Self {
        tracing::debug!(detail, "emulator answers UNKNOWN_EXCEPTION");
        Self::connect(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: \
             1683421372-61920 (-1054373215)",
        )
    }

    /// 503 `SERVER_UNAVAILABLE`.
    pub(crate) fn unavailable() -> Self {
        Self::connect(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_UNAVAILABLE",
            "Server temporarily unavailable, please try again later",
        )
    }

    /// 429 `REQUEST_LIMIT_EXCEEDED` with `Retry-After: 1`.
    pub(crate) fn too_many_requests() -> Self {
        let mut reject = Self::connect(
            StatusCode::TOO_MANY_REQUESTS,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded. Retry after 1 second.",
        );
        reject.retry_after = Some(1);
        reject
    }

    /// 403 `REQUEST_LIMIT_EXCEEDED`: the org's daily API allowance is spent.
    pub(crate) fn daily_limit() -> Self {
        Self::connect(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
    }

    /// 405 `METHOD_NOT_ALLOWED`, naming the methods the resource has.
    pub(crate) fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::connect(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        )
    }

    /// 403 `Bad_OAuth_Token` (text), as `/services/oauth2/userinfo` and the identity URL
    /// answer a missing or dead token.
    pub(crate) fn bad_oauth_token() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "Bad_OAuth_Token",
            message: String::new(),
            shape: Shape::Text,
            retry_after: None,
        }
    }

    /// 403 `Bad_Id` (text): an identity URL that is not the token's own.
    pub(crate) fn bad_id() -> Self {
        Self {
            code: "Bad_Id",
            ..Self::bad_oauth_token()
        }
    }

    /// The same error in the tenant's `{errorCode, errorMessage}` shape.
    pub(crate) fn for_tenant(mut self) -> Self {
        self.shape = Shape::Tenant;
        self
    }

    /// A tenant error with its own code.
    pub(crate) fn tenant(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::connect(status, code, message).for_tenant()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantError<'a> {
    error_code: &'a str,
    error_message: &'a str,
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        let mut response = match self.shape {
            Shape::Connect => json(
                self.status,
                &[ApiErrorItem {
                    error_code: self.code.to_owned(),
                    message: self.message,
                }],
            ),
            Shape::Tenant => json(
                self.status,
                &TenantError {
                    error_code: self.code,
                    error_message: &self.message,
                },
            ),
            Shape::Text => (self.status, self.code).into_response(),
        };
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An OAuth 2.0 error answer: 400 with `{error, error_description}`.
#[derive(Debug, Clone)]
pub(crate) struct OAuthReject {
    error: &'static str,
    description: String,
}

impl OAuthReject {
    pub(crate) fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }

    /// `invalid_grant` / `invalid assertion`.
    pub(crate) fn invalid_assertion() -> Self {
        Self::new("invalid_grant", "invalid assertion")
    }

    /// `invalid_grant` / `user hasn't approved this consumer`.
    pub(crate) fn not_approved() -> Self {
        Self::new("invalid_grant", "user hasn't approved this consumer")
    }

    /// `invalid_client_id` / `client identifier invalid`.
    pub(crate) fn unknown_client() -> Self {
        Self::new("invalid_client_id", "client identifier invalid")
    }

    /// `invalid_client` / `invalid client credentials`.
    pub(crate) fn bad_client_secret() -> Self {
        Self::new("invalid_client", "invalid client credentials")
    }

    /// `unsupported_grant_type` / `grant type not supported`.
    pub(crate) fn unsupported_grant() -> Self {
        Self::new("unsupported_grant_type", "grant type not supported")
    }
}

impl IntoResponse for OAuthReject {
    fn into_response(self) -> Response {
        let mut response = json(
            StatusCode::BAD_REQUEST,
            &OAuthError {
                error: self.error.to_owned(),
                error_description: self.description,
            },
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
