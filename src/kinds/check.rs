//! Checks of a resource against its source before it is written (`plan --check`,
//! `apply --check`) and after (`apply --verify`): what a check needs ([`CheckContext`]), what
//! it finds ([`CheckOutcome`], [`CheckFailure`]), and the per-run memo of read-only answers
//! ([`CheckCache`]) that makes one browse per connection and database enough for a fleet.
//!
//! Which requests a check sends is the kind's business (`connection::check`,
//! `data_stream::source_check`); turning failures into plan errors (with a did-you-mean) is the
//! planner's.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::Credentials;
use crate::api::{ApiError, Client};
use crate::model::ResourceKey;

/// What one check of one resource found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CheckOutcome {
    Passed,
    Failed(Vec<CheckFailure>),
    /// Cannot be checked yet (the connection it reads through is created by the same plan).
    Deferred(String),
}

/// One problem a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CheckFailure {
    /// The org answered the check with an error: `INVALID_CREDENTIALS`, `INVALID_CONNECTION`.
    Org { code: String, message: String },
    /// A declared name the source does not have; `available` is what the org listed.
    NotFound {
        what: &'static str,
        name: String,
        within: String,
        available: Vec<String>,
    },
    /// A declared field type that cannot hold the source field's.
    TypeMismatch {
        field: String,
        declared: String,
        source: String,
    },
}

impl CheckFailure {
    /// The org's refusal of a check request, when it is one (a 4xx with an `errorCode`); other
    /// errors (the network, 5xx after retries, a spent allowance) stop the plan.
    #[must_use]
    pub(crate) fn from_refusal(error: &ApiError) -> Option<Self> {
        match error {
            ApiError::Status {
                status, code, message, ..
            } if (400..500).contains(status) && !matches!(status, 401 | 403 | 429) => Some(Self::Org {
                code: code.clone(),
                message: message.clone(),
            }),
            _ => None,
        }
    }
}

/// What a check needs besides the resource: resolved credentials (for a connection test) and
/// the record ids of the live objects it depends on (a stream's connection), and the memo.
pub(crate) struct CheckContext<'a> {
    pub(crate) credentials: Credentials,
    pub(crate) dependencies: BTreeMap<ResourceKey, String>,
    pub(crate) cache: &'a CheckCache,
}

/// Read-only answers by request (path and body), shared by every check of one run, so
/// streams on one connection and database browse it once. Failed requests are not kept.
#[derive(Default)]
pub(crate) struct CheckCache {
    answers: Mutex<HashMap<String, Arc<OnceCell<Value>>>>,
}

impl CheckCache {
    /// `POST path` with `body` (none for calls that take none) through `client`, or the answer
    /// an identical request already had. Never for a body that holds a secret (the key keeps it).
    pub(crate) async fn ask<T: DeserializeOwned>(
        &self,
        client: &Client,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let key = format!("{path} {}", body.map(Value::to_string).unwrap_or_default());
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(answers.entry(key).or_default())
        };
        let value = cell
            .get_or_try_init(|| async {
                match body {
                    Some(body) => client.ask::<Value>(path, body).await,
                    None => client.ask_bare::<Value>(path).await,
                }
            })
            .await?;
        serde_json::from_value(value.clone()).map_err(|error| ApiError::Decode {
            method: "POST".to_owned(),
            path: path.to_owned(),
            detail: error.to_string(),
        })
    }
}
