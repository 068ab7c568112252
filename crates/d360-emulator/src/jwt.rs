//! Checking a JWT bearer assertion the way Salesforce does: the issuer names a known app with
//! the JWT flow, the RS256 signature verifies against that app's certificate, the audience is
//! a login URL of this org, `exp` is present, not past and at most three minutes ahead, and the
//! subject is a user the app pre-authorizes. Each failure maps to Salesforce's OAuth error.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::config::{Flow, Org};
use super::responses::OAuthReject;

/// How far ahead Salesforce lets `exp` be.
const MAX_LIFETIME_SECONDS: i64 = 180;
/// Clock skew forgiven on both sides.
const LEEWAY_SECONDS: i64 = 10;

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
}

/// The app and user indexes an assertion proves, or Salesforce's refusal.
pub(crate) fn verify(org: &Org, base_url: &str, assertion: &str, now: i64) -> Result<(usize, usize), OAuthReject> {
    // The claims are read before the signature is checked only to learn which app's
    // certificate to check it against; nothing else is trusted until it verifies.
    let claims: Claims =
        jsonwebtoken::dangerous::insecure_decode_claims(assertion).map_err(|_| OAuthReject::invalid_assertion())?;
    let issuer = claims.iss.as_deref().ok_or_else(OAuthReject::invalid_assertion)?;
    let app_index = org.app(issuer).ok_or_else(OAuthReject::unknown_client)?;
    let app = &org.apps[app_index];
    if !app.has_flow(Flow::Jwt) {
        return Err(OAuthReject::unsupported_grant());
    }
    let key = app.jwt_key.as_ref().ok_or_else(OAuthReject::invalid_assertion)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    jsonwebtoken::decode::<Value>(assertion, key, &validation).map_err(|_| OAuthReject::invalid_assertion())?;

    if !audience_ok(claims.aud.as_ref(), base_url) {
        return Err(OAuthReject::new("invalid_grant", "audience is invalid"));
    }
    let expiry = claims
        .exp
        .as_ref()
        .and_then(seconds)
        .ok_or_else(OAuthReject::invalid_assertion)?;
    if expiry < now - LEEWAY_SECONDS {
        return Err(OAuthReject::new("invalid_grant", "expired authorization code"));
    }
    if expiry > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
        return Err(OAuthReject::invalid_assertion());
    }
    let subject = claims.sub.as_deref().ok_or_else(OAuthReject::invalid_assertion)?;
    let user = org.user(subject).ok_or_else(OAuthReject::not_approved)?;
    if !app.approves(user) {
        return Err(OAuthReject::not_approved());
    }
    Ok((app_index, user))
}

/// `aud` (a string or a list of them) names this server or a Salesforce login host.
fn audience_ok(audience: Option<&Value>, base_url: &str) -> bool {
    let accepted = |candidate: &str| {
        candidate == base_url
            || candidate.strip_suffix('/') == Some(base_url)
            || candidate == "https://login.salesforce.com"
            || candidate == "https://test.salesforce.com"
    };
    match audience {
        Some(Value::String(single)) => accepted(single),
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).any(accepted),
        _ => false,
    }
}

/// Whole seconds from a JSON number (integers or floats, as some libraries write).
fn seconds(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}
