//! `ApiError`: what went wrong with one API call, in terms a user can act on.

use std::time::Duration;

use crate::auth::AuthError;

/// How a failed transport left the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// The connection could not be made: the request was never sent.
    Connect,
    /// No answer in time: the request may or may not have been carried out.
    Timeout,
    /// The connection closed without a (whole) answer: the request may have been carried out.
    Dropped,
}

/// Whether a call may be sent again after this error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Never: the request is wrong, or the org refused it for good.
    No,
    /// Always: the org did not carry it out (throttled, unavailable, never sent).
    Yes,
    /// Only when repeating the call is harmless (GET, PUT, DELETE); a create must first
    /// look the object up by name.
    IfIdempotent,
}

/// One API call failed. Holds the method and path, never headers, tokens or bodies with
/// secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    /// The org answered with an error status and (usually) a Salesforce error body.
    #[error("{method} {path}: HTTP {status} {code}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{method} {path}: {detail}")]
    Transport {
        method: String,
        path: String,
        kind: TransportKind,
        detail: String,
    },
    #[error("{method} {path}: unexpected answer: {detail}")]
    Decode {
        method: String,
        path: String,
        detail: String,
    },
    #[error("login failed")]
    Auth(#[source] AuthError),
    /// Not sent: the org's daily API allowance is spent (an earlier call was refused).
    #[error("{method} {path}: not sent: the org's daily API request allowance is spent")]
    DailyLimitSpent { method: String, path: String },
    #[error("{method} {path}: gave up after {attempts} attempts")]
    Exhausted {
        method: String,
        path: String,
        attempts: u32,
        #[source]
        last: Box<ApiError>,
    },
}

impl ApiError {
    /// The retry policy of this error. Every variant is matched, so a new one cannot slip
    /// through with the wrong policy.
    #[must_use]
    pub(crate) fn retry(&self) -> Retry {
        match self {
            ApiError::Status { .. } if self.is_daily_limit() => Retry::No,
            ApiError::Status { status, code, .. } => match (*status, code.as_str()) {
                (429 | 503, _) | (_, "REQUEST_LIMIT_EXCEEDED" | "SERVER_UNAVAILABLE") => Retry::Yes,
                (500 | 502 | 504, _) => Retry::IfIdempotent,
                _ => Retry::No,
            },
            ApiError::Transport { kind, .. } => match kind {
                TransportKind::Connect => Retry::Yes,
                TransportKind::Timeout | TransportKind::Dropped => Retry::IfIdempotent,
            },
            ApiError::Decode { .. }
            | ApiError::Auth(_)
            | ApiError::Exhausted { .. }
            | ApiError::DailyLimitSpent { .. } => Retry::No,
        }
    }

    /// Whether a call of this idempotency may be repeated after this error.
    #[must_use]
    pub(crate) fn is_retryable(&self, idempotent: bool) -> bool {
        match self.retry() {
            Retry::Yes => true,
            Retry::IfIdempotent => idempotent,
            Retry::No => false,
        }
    }

    /// The org's rolling 24-hour API allowance is spent (403 `REQUEST_LIMIT_EXCEEDED`
    /// "TotalRequests Limit exceeded"): retrying only adds to it. The same code for the
    /// concurrent-request limit says something else (`ConcurrentPerOrgLongTxn`, ...).
    #[must_use]
    pub(crate) fn is_daily_limit(&self) -> bool {
        match self {
            ApiError::Status {
                status, code, message, ..
            } => *status == 403 && code == "REQUEST_LIMIT_EXCEEDED" && message.contains("TotalRequests"),
            ApiError::Exhausted { last, .. } => last.is_daily_limit(),
            ApiError::DailyLimitSpent { .. } => true,
            _ => false,
        }
    }

    /// The org pushed back on load: 429, 503, or the concurrent-request limit.
    #[must_use]
    pub(crate) fn is_throttled(&self) -> bool {
        match self {
            ApiError::Status { status, code, .. } => {
                !self.is_daily_limit() && (matches!(*status, 429 | 503) || code == "REQUEST_LIMIT_EXCEEDED")
            }
            _ => false,
        }
    }

    /// A create that failed this way may or may not have happened: look it up by name.
    #[must_use]
    pub(crate) fn is_ambiguous(&self) -> bool {
        match self {
            ApiError::Exhausted { last, .. } => last.is_ambiguous(),
            other => other.retry() == Retry::IfIdempotent,
        }
    }

    /// The Salesforce `errorCode`, when the org sent one.
    #[must_use]
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status { code, .. } => Some(code),
            ApiError::Exhausted { last, .. } => last.code(),
            _ => None,
        }
    }

    /// The HTTP status, when there was an answer.
    #[must_use]
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Exhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    #[must_use]
    pub(crate) fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// What to do about it, when known.
    #[must_use]
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match (self.status(), self.code()) {
            (_, Some("INSUFFICIENT_ACCESS")) => {
                Some("the integration user needs a Data 360 permission set with access to the data space")
            }
            (_, Some("FUNCTIONALITY_NOT_ENABLED")) => {
                Some("Data 360 is not provisioned in this org, or the API version is too old")
            }
            _ if self.is_daily_limit() => Some(
                "the org's daily API allowance is spent; it refills over 24 hours (Setup > System Overview shows it). Run `d360 apply` again later: finished work is recorded",
            ),
            (_, Some("REQUEST_LIMIT_EXCEEDED")) => {
                Some("the org limits concurrent requests; d360 lowers its concurrency (or pin it with --parallelism)")
            }
            (Some(404), Some("NOT_FOUND")) => {
                Some("check the API version (apiVersion in d360.yaml): connections need v64.0 or later to create")
            }
            _ => match self {
                ApiError::Auth(error) => error.hint(),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: &str) -> ApiError {
        ApiError::Status {
            method: "GET".into(),
            path: "/x".into(),
            status,
            code: code.into(),
            message: String::new(),
            retry_after: None,
        }
    }

    fn transport(kind: TransportKind) -> ApiError {
        ApiError::Transport {
            method: "POST".into(),
            path: "/x".into(),
            kind,
            detail: String::new(),
        }
    }

    #[track_caller]
    fn check(error: &ApiError, idempotent: bool, expected: bool) {
        assert_eq!(
            error.is_retryable(idempotent),
            expected,
            "{error:?} idempotent={idempotent}"
        );
    }

    #[test]
    fn retry_classification() {
        check(&status(429, "REQUEST_LIMIT_EXCEEDED"), false, true);
        check(&status(503, "SERVER_UNAVAILABLE"), false, true);
        check(&status(403, "REQUEST_LIMIT_EXCEEDED"), false, true);
        let daily = ApiError::Status {
            method: "POST".into(),
            path: "/x".into(),
            status: 403,
            code: "REQUEST_LIMIT_EXCEEDED".into(),
            message: "TotalRequests Limit exceeded.".into(),
            retry_after: None,
        };
        check(&daily, true, false);
        assert!(daily.is_daily_limit() && !daily.is_throttled());
        assert!(status(403, "REQUEST_LIMIT_EXCEEDED").is_throttled());
        assert!(status(429, "").is_throttled() && !status(500, "").is_throttled());
        check(&status(500, "UNKNOWN_EXCEPTION"), true, true);
        check(&status(500, "UNKNOWN_EXCEPTION"), false, false);
        check(&status(400, "DUPLICATES_DETECTED"), true, false);
        check(&status(404, "NOT_FOUND"), true, false);
        check(&status(401, "INVALID_SESSION_ID"), true, false);
        check(&transport(TransportKind::Connect), false, true);
        check(&transport(TransportKind::Timeout), false, false);
        check(&transport(TransportKind::Timeout), true, true);
        check(&transport(TransportKind::Dropped), true, true);
        assert!(transport(TransportKind::Dropped).is_ambiguous());
        assert!(!status(400, "INVALID_INPUT").is_ambiguous());
    }
}
