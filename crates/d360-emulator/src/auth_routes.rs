//! The login side of the org: `POST /services/oauth2/token` (JWT bearer, client credentials,
//! username-password), `GET /services/oauth2/userinfo`, the identity URL `/id/{org}/{user}`,
//! and the Data 360 exchange `POST /services/a360/token`.
//!
//! These are never faulted or delayed (`--fault`, `--latency` apply to API requests only), so
//! tests and benchmarks always log in. Answers and error texts follow reference sections 2
//! and 3; the `instance_url` of both token answers is this server's base URL with its scheme.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::config::Flow;
use super::extract::{QueryPairs, RawBody, Segments, bearer};
use super::jwt;
use super::responses::{OAuthReject, Reject, json};
use super::shared::Shared;
use super::tokens::{Audience, Session};
use d360_wire::shapes::{ExchangeResponse, TokenResponse};

const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const DATA_CLOUD_GRANT: &str = "urn:salesforce:grant-type:external:cdp";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Form fields from the body, then from the query string (Salesforce reads both).
fn form(body: &[u8], query: Vec<(String, String)>) -> HashMap<String, String> {
    let mut fields: HashMap<String, String> = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body).into_owned().chain(query) {
        fields.entry(key).or_insert(value);
    }
    fields
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str).filter(|value| !value.is_empty())
}

/// `POST /services/oauth2/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    QueryPairs(query): QueryPairs,
    RawBody(body): RawBody,
) -> Response {
    let fields = form(&body, query);
    let granted = match field(&fields, "grant_type") {
        Some(JWT_BEARER_GRANT) => jwt_bearer(&shared, &fields),
        Some("client_credentials") => client_credentials(&shared, &headers, &fields),
        Some("password") => password(&shared, &fields),
        _ => Err(OAuthReject::unsupported_grant()),
    };
    match granted {
        Ok((app, user)) => grant(&shared, app, user),
        Err(reject) => reject.into_response(),
    }
}

fn jwt_bearer(shared: &Shared, fields: &HashMap<String, String>) -> Result<(usize, usize), OAuthReject> {
    let assertion = field(fields, "assertion").ok_or_else(OAuthReject::invalid_assertion)?;
    jwt::verify(&shared.org, &shared.base_url, assertion, unix_seconds())
}

/// Finds the app and checks its secret: an unknown id, then a wrong secret.
fn authenticate_client(shared: &Shared, client_id: Option<&str>, secret: Option<&str>) -> Result<usize, OAuthReject> {
    let app = client_id
        .and_then(|id| shared.org.app(id))
        .ok_or_else(OAuthReject::unknown_client)?;
    let expected = shared.org.apps[app].client_secret.as_deref();
    match (expected, secret) {
        (Some(expected), Some(given)) if constant_time_eq(expected, given) => Ok(app),
        _ => Err(OAuthReject::bad_client_secret()),
    }
}

fn client_credentials(
    shared: &Shared,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
) -> Result<(usize, usize), OAuthReject> {
    let basic = basic_credentials(headers);
    let (client_id, secret) = match &basic {
        Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
        None => (field(fields, "client_id"), field(fields, "client_secret")),
    };
    let app = authenticate_client(shared, client_id, secret)?;
    let settings = &shared.org.apps[app];
    if !settings.has_flow(Flow::ClientCredentials) {
        return Err(OAuthReject::unsupported_grant());
    }
    let user = settings
        .run_as
        .ok_or_else(|| OAuthReject::new("invalid_grant", "no client credentials user enabled"))?;
    Ok((app, user))
}

fn password(shared: &Shared, fields: &HashMap<String, String>) -> Result<(usize, usize), OAuthReject> {
    let app = authenticate_client(shared, field(fields, "client_id"), field(fields, "client_secret"))?;
    let settings = &shared.org.apps[app];
    if !settings.has_flow(Flow::Password) {
        return Err(OAuthReject::unsupported_grant());
    }
    let failure = || OAuthReject::new("invalid_grant", "authentication failure");
    let user = field(fields, "username")
        .and_then(|name| shared.org.user(name))
        .ok_or_else(failure)?;
    let given = field(fields, "password").unwrap_or_default();
    if !constant_time_eq(&shared.org.users[user].password, given) {
        return Err(failure());
    }
    if !settings.approves(user) {
        return Err(OAuthReject::new(
            "invalid_app_access",
            "user is not admin approved to access this app",
        ));
    }
    Ok((app, user))
}

/// `Authorization: Basic base64(client_id:client_secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn constant_time_eq(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

/// The token answer for `user` through `app`.
fn grant(shared: &Shared, app: usize, user: usize) -> Response {
    let session = Session {
        app,
        user,
        expires_at: Instant::now() + shared.org.token_lifetime,
        dataspace: None,
    };
    let access_token = shared
        .tokens
        .issue(Audience::Core, session, shared.api_requests(), &shared.org.id);
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis())
        .to_string();
    let id = shared.identity_url(user);
    let settings = &shared.org.apps[app];
    let key_material = settings.client_secret.as_deref().unwrap_or(&settings.client_id);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key_material.as_bytes());
    let signature = aws_lc_rs::hmac::sign(&key, format!("{id}{issued_at}").as_bytes());
    let answer = TokenResponse {
        access_token,
        instance_url: shared.base_url.clone(),
        id,
        token_type: "Bearer".to_owned(),
        issued_at,
        signature: base64::engine::general_purpose::STANDARD.encode(signature.as_ref()),
        scope: Some(settings.scopes.join(" ")),
    };
    no_store(json(StatusCode::OK, &answer))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The live core session of a request, for the identity endpoints.
fn identity_session(shared: &Shared, headers: &HeaderMap) -> Result<Session, Reject> {
    bearer(headers)
        .and_then(|token| shared.tokens.check(token, Audience::Core, shared.api_requests() + 1))
        .ok_or_else(Reject::bad_oauth_token)
}

/// `GET|POST /services/oauth2/userinfo`: the OpenID Connect user.
pub(crate) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Result<Response, Reject> {
    let session = identity_session(&shared, &headers)?;
    let user = &shared.org.users[session.user];
    let urls = urls(&shared);
    Ok(json(
        StatusCode::OK,
        &json!({
            "sub": shared.identity_url(session.user),
            "user_id": user.id,
            "organization_id": shared.org.id,
            "preferred_username": user.username,
            "nickname": nickname(&user.username),
            "name": user.username,
            "email": user.username,
            "email_verified": true,
            "zoneinfo": "Etc/UTC",
            "profile": format!("{}/{}", shared.base_url, user.id),
            "active": true,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "updated_at": super::store::timestamp(),
            "is_app_installed": true,
            "urls": urls,
        }),
    ))
}

/// `GET|POST /id/{orgId}/{userId}`: the identity URL of a token answer.
pub(crate) async fn identity(
    State(shared): State<Arc<Shared>>,
    Segments((org_id, user_id)): Segments<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Reject> {
    let session = identity_session(&shared, &headers)?;
    let user = &shared.org.users[session.user];
    if org_id != shared.org.id || user_id != user.id {
        return Err(Reject::bad_id());
    }
    Ok(json(
        StatusCode::OK,
        &json!({
            "id": shared.identity_url(session.user),
            "asserted_user": true,
            "user_id": user.id,
            "organization_id": shared.org.id,
            "username": user.username,
            "nick_name": nickname(&user.username),
            "display_name": user.username,
            "email": user.username,
            "email_verified": true,
            "active": true,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "is_app_installed": true,
            "urls": urls(&shared),
        }),
    ))
}

fn nickname(username: &str) -> &str {
    username.split('@').next().unwrap_or(username)
}

fn urls(shared: &Shared) -> serde_json::Value {
    let base = &shared.base_url;
    let newest = super::extract::NEWEST_VERSION;
    json!({
        "rest": format!("{base}/services/data/v{{version}}/"),
        "sobjects": format!("{base}/services/data/v{{version}}/sobjects/"),
        "query": format!("{base}/services/data/v{{version}}/query/"),
        "custom_domain": base,
        "ssot": format!("{base}/services/data/v{newest}.0/ssot/"),
    })
}

/// `POST /services/a360/token`: a core token in, a Data 360 tenant token out.
pub(crate) async fn exchange(
    State(shared): State<Arc<Shared>>,
    QueryPairs(query): QueryPairs,
    RawBody(body): RawBody,
) -> Response {
    match exchange_token(&shared, &form(&body, query)) {
        Ok(answer) => no_store(json(StatusCode::OK, &answer)),
        Err(reject) => reject.into_response(),
    }
}

fn exchange_token(shared: &Shared, fields: &HashMap<String, String>) -> Result<ExchangeResponse, OAuthReject> {
    if field(fields, "grant_type") != Some(DATA_CLOUD_GRANT) {
        return Err(OAuthReject::unsupported_grant());
    }
    if field(fields, "subject_token_type") != Some(ACCESS_TOKEN_TYPE) {
        return Err(OAuthReject::new("invalid_request", "invalid subject_token_type"));
    }
    let subject = field(fields, "subject_token")
        .ok_or_else(|| OAuthReject::new("invalid_request", "subject_token is required"))?;
    let core = shared
        .tokens
        .check(subject, Audience::Core, shared.api_requests() + 1)
        .ok_or_else(|| OAuthReject::new("invalid_grant", "invalid subject token"))?;
    if !shared.org.apps[core.app].has_data_cloud_scope() {
        return Err(OAuthReject::new(
            "invalid_scope",
            "the subject token was issued without a Data 360 (cdp_*) scope",
        ));
    }
    let dataspace = match field(fields, "dataspace") {
        Some(name) => name.to_owned(),
        None => default_dataspace(shared),
    };
    if !shared.org.dataspaces.contains(&dataspace) {
        return Err(OAuthReject::new(
            "invalid_request",
            format!("unknown data space: {dataspace}"),
        ));
    }
    if !shared.org.users[core.user].may_use_dataspace(&dataspace) {
        return Err(OAuthReject::new(
            "invalid_request",
            format!("user has no access to the data space: {dataspace}"),
        ));
    }
    let expires_in = core.expires_at.saturating_duration_since(Instant::now()).as_secs();
    let session = Session {
        dataspace: Some(dataspace),
        ..core
    };
    let access_token = shared
        .tokens
        .issue(Audience::Tenant, session, shared.api_requests(), &shared.org.id);
    Ok(ExchangeResponse {
        access_token,
        instance_url: shared.base_url.clone(),
        token_type: "Bearer".to_owned(),
        issued_token_type: JWT_TOKEN_TYPE.to_owned(),
        expires_in,
    })
}

/// `default` when the org has it, else its first data space.
pub(crate) fn default_dataspace(shared: &Shared) -> String {
    shared
        .org
        .dataspaces
        .iter()
        .find(|name| *name == "default")
        .or_else(|| shared.org.dataspaces.first())
        .cloned()
        .unwrap_or_else(|| "default".to_owned())
}
