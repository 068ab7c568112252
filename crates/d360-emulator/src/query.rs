//! The query string as decoded pairs, extracted like the other request parts (rejecting in
//! Salesforce's shapes). Used by the routes and by `paging`; imports no route or state.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::responses::Reject;

/// The query string as decoded pairs, in order.
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Reject;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Reject> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Self(
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        ))
    }
}
