//! What can go wrong talking to AWS. Messages name the call and AWS's error code and
//! message; never a secret value, never a request's headers.

/// An AWS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AwsError {
    #[error("no AWS region: give `region` in the item source or set AWS_REGION")]
    NoRegion,
    #[error(
        "no AWS credentials found by the standard chain (environment, profile, web identity, container, instance metadata): {0}"
    )]
    NoCredentials(String),
    #[error("AWS endpoint `{url}` is refused: {reason}")]
    BadEndpoint { url: String, reason: String },
    #[error("cannot sign the {call} request: {detail}")]
    Sign { call: &'static str, detail: String },
    #[error("{call} could not reach AWS: {detail}")]
    Transport { call: &'static str, detail: String },
    /// AWS answered with an error.
    #[error("{call} failed: {code} (HTTP {status}): {message}")]
    Service {
        call: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot read the answer of {call}: {detail}")]
    Decode { call: &'static str, detail: String },
}

impl AwsError {
    /// Whether repeating the call may succeed: throttling, 5xx and connection failures.
    #[must_use]
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            AwsError::Service { status, code, .. } => {
                *status == 429
                    || *status >= 500
                    || matches!(
                        code.as_str(),
                        "Throttling"
                            | "ThrottlingException"
                            | "ThrottledException"
                            | "RequestLimitExceeded"
                            | "TooManyRequestsException"
                            | "RequestThrottled"
                            | "RequestThrottledException"
                            | "SlowDown"
                    )
            }
            AwsError::Transport { .. } => true,
            AwsError::NoRegion
            | AwsError::NoCredentials(_)
            | AwsError::BadEndpoint { .. }
            | AwsError::Sign { .. }
            | AwsError::Decode { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> AwsError {
        AwsError::Service {
            call: "GetSecretValue",
            status,
            code: code.to_owned(),
            message: String::new(),
        }
    }

    #[test]
    fn throttling_and_server_errors_are_retried_and_client_errors_are_not() {
        assert!(service(400, "ThrottlingException").is_retryable());
        assert!(service(400, "Throttling").is_retryable());
        assert!(service(503, "ServiceUnavailable").is_retryable());
        assert!(service(429, "Anything").is_retryable());
        assert!(!service(400, "ResourceNotFoundException").is_retryable());
        assert!(!service(403, "AccessDeniedException").is_retryable());
        assert!(!AwsError::NoRegion.is_retryable());
    }
}
