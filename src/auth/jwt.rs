//! The JWT bearer assertion: RS256, `iss` = client id, `sub` = username, `aud` = login URL,
//! `exp` under three minutes ahead.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::AuthError;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
}

/// Salesforce accepts an `exp` at most three minutes ahead; stay well inside it.
const LIFETIME_SECONDS: u64 = 150;

/// Signs an assertion. `login_url` is used as the audience without a trailing slash.
pub(crate) fn assertion(
    client_id: &str,
    username: &str,
    login_url: &str,
    key_pem: &SecretString,
) -> Result<SecretString, AuthError> {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.expose_secret().as_bytes())
        .map_err(|_| AuthError::BadPrivateKey)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims {
        iss: client_id,
        sub: username,
        aud: login_url.trim_end_matches('/'),
        exp: now + LIFETIME_SECONDS,
    };
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &claims, &key)
        .map(SecretString::from)
        .map_err(|e| AuthError::Signing(e.to_string()))
}
