//! Request extractors that reject in Salesforce's shapes, never axum's plain-text ones: the
//! Connect REST call context (token to session, API version), the tenant call context, path
//! segments, query pairs, the raw body, and JSON body parsing with Salesforce's error codes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub(crate) use super::query::QueryPairs;
use super::responses::Reject;
use super::shared::Shared;
use super::tokens::{Audience, Session};

/// The oldest and newest API versions the emulated org serves.
pub(crate) const OLDEST_VERSION: u32 = 60;
pub(crate) const NEWEST_VERSION: u32 = 66;

/// The number of an API request, set by the server before routing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestNumber(pub u64);

/// The bearer token of a request (`Bearer x` or Salesforce's older `OAuth x`).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    ((scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")) && !token.is_empty())
        .then_some(token)
}

/// The API request number of `parts`, or the number the next one will get.
pub(crate) fn request_number(parts: &Parts, shared: &Shared) -> u64 {
    parts
        .extensions
        .get::<RequestNumber>()
        .map_or_else(|| shared.api_requests() + 1, |number| number.0)
}

/// `vNN.0` to `NN`, for versions the org serves.
pub(crate) fn parse_version(segment: &str) -> Option<u32> {
    let number: u32 = segment.strip_prefix('v')?.strip_suffix(".0")?.parse().ok()?;
    (OLDEST_VERSION..=NEWEST_VERSION).contains(&number).then_some(number)
}

/// An authenticated Connect REST call: who makes it and which API version it asks for.
pub(crate) struct CoreCall {
    pub session: Session,
    pub version: u32,
}

impl CoreCall {
    /// Refuses (404, as for an unknown resource) when the operation is newer than the version.
    pub(crate) fn require(&self, since: u32) -> Result<(), Reject> {
        if self.version >= since {
            Ok(())
        } else {
            Err(Reject::not_found())
        }
    }

    /// `/services/data/vNN.0`, for page URLs.
    pub(crate) fn base_path(&self) -> String {
        format!("/services/data/v{}.0", self.version)
    }
}

impl FromRequestParts<Arc<Shared>> for CoreCall {
    type Rejection = Reject;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Reject> {
        let number = request_number(parts, shared);
        let token = bearer(&parts.headers).ok_or_else(Reject::invalid_session)?;
        let session = shared
            .tokens
            .check(token, Audience::Core, number)
            .ok_or_else(Reject::invalid_session)?;
        if !shared.org.apps.get(session.app).is_some_and(|app| app.has_scope("api")) {
            return Err(Reject::not_for_rest_api());
        }
        let version = parts
            .uri
            .path()
            .split('/')
            .nth(3)
            .and_then(parse_version)
            .ok_or_else(Reject::not_found)?;
        Ok(Self { session, version })
    }
}

/// An authenticated Data 360 tenant call.
pub(crate) struct TenantCall {
    pub session: Session,
}

impl FromRequestParts<Arc<Shared>> for TenantCall {
    type Rejection = Reject;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Reject> {
        let number = request_number(parts, shared);
        let session = bearer(&parts.headers)
            .and_then(|token| shared.tokens.check(token, Audience::Tenant, number))
            .ok_or_else(|| Reject::invalid_session().for_tenant())?;
        Ok(Self { session })
    }
}

/// Path parameters; a value axum cannot decode reads as an unknown resource.
pub(crate) struct Segments<T>(pub T);

impl<S, T> FromRequestParts<S> for Segments<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Reject;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Reject> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Segments(value))
            .map_err(|_| Reject::not_found())
    }
}

/// The request body, whatever its content type.
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Reject;

    async fn from_request(request: Request, state: &S) -> Result<Self, Reject> {
        Bytes::from_request(request, state)
            .await
            .map(RawBody)
            .map_err(|rejection| Reject::json_parser(rejection.body_text()))
    }
}

/// Parses a JSON object body, refusing keys outside `allowed` as Salesforce does
/// (`JSON_PARSER_ERROR`, `Unrecognized field "x"`).
pub(crate) fn json_object(body: &[u8], allowed: &[&str]) -> Result<Map<String, Value>, Reject> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Reject::json_parser("The request body is missing"));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|error| Reject::json_parser(format!("Malformed JSON: {error}")))?;
    let Value::Object(object) = value else {
        return Err(Reject::json_parser("Expected a JSON object as the request body"));
    };
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(Reject::json_parser(format!(
            "Unrecognized field \"{unknown}\", not marked as ignorable"
        )));
    }
    Ok(object)
}

/// Refuses an object that lacks any of `required` (or holds `null` there).
pub(crate) fn require_fields(object: &Map<String, Value>, required: &[&str]) -> Result<(), Reject> {
    match required.iter().find(|key| object.get(**key).is_none_or(Value::is_null)) {
        Some(missing) => Err(Reject::invalid_input(format!("Required field is missing: {missing}"))),
        None => Ok(()),
    }
}

/// Reads a checked JSON object into its wire type; a type mismatch is a parser error that
/// names the field and says what it should hold, in the org's words, not Rust's.
pub(crate) fn typed<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, Reject> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|error| {
        let path = error.path().to_string();
        let problem = plain_words(&error.inner().to_string());
        if path.is_empty() || path == "." {
            Reject::json_parser(format!("Cannot deserialize the request body: {problem}"))
        } else {
            Reject::json_parser(format!("Cannot deserialize the request body at {path}: {problem}"))
        }
    })
}

/// serde's wording without Rust's types: `expected u32` reads "expected a whole number", an
/// untagged enum "a value of none of the accepted shapes", a struct "an object".
fn plain_words(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if message.contains("did not match any variant of untagged enum") {
        return "the value has none of the accepted shapes (see the API reference for this field)".to_owned();
    }
    let Some((found, expected)) = message.split_once(", expected ") else {
        return message.to_owned();
    };
    let expected = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        other if other.starts_with("struct ") || other.starts_with("map") => "an object".to_owned(),
        other if other.starts_with("enum ") => "one of the accepted values".to_owned(),
        other if other.starts_with("tuple") || other.starts_with("a sequence") => "a list".to_owned(),
        other => other.to_owned(),
    };
    format!("{found}, expected {expected}")
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn rust_types_become_words() {
        assert_eq!(
            plain_words("invalid type: string \"7\", expected u32"),
            "invalid type: string \"7\", expected a whole number, 0 or more"
        );
        assert!(!plain_words("data did not match any variant of untagged enum OneOrMany").contains("enum"));
        assert_eq!(
            plain_words("invalid type: integer `1`, expected struct Dlo"),
            "invalid type: integer `1`, expected an object"
        );
        assert_eq!(plain_words("missing field `label`"), "missing field `label`");
    }
}
