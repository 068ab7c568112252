//! The login side: the three OAuth flows with Salesforce's error answers, userinfo, the
//! Data 360 exchange and the tenant endpoints, and token lifetimes.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{CLIENT_ID, Org, PASSWORD, SECRET, USERNAME, V, key_pair, read};

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn sign(key_pem: &str, claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256), claims, &key).unwrap()
}

async fn jwt(org: &Org, key_pem: &str, claims: &Value) -> (u16, Value) {
    read(
        org.token_form(&[("grant_type", JWT_GRANT), ("assertion", &sign(key_pem, claims))])
            .await,
    )
    .await
}

#[track_caller]
fn assert_oauth(answer: &(u16, Value), error: &str, description: &str) {
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(answer.1, json!({"error": error, "error_description": description}));
}

#[tokio::test]
async fn jwt_bearer_grants_a_token_with_salesforce_fields() {
    let org = Org::start().await;
    let claims = json!({"iss": CLIENT_ID, "sub": USERNAME, "aud": org.url, "exp": now() + 120});
    let (status, body) = jwt(&org, &key_pair().0, &claims).await;
    assert_eq!(status, 200, "{body}");
    for field in [
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    ] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["instance_url"], org.url.as_str());
    assert!(body["issued_at"].as_str().unwrap().parse::<u64>().is_ok());
    // The login hosts and the base URL with a trailing slash are valid audiences too.
    for aud in [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        &format!("{}/", org.url),
    ] {
        let claims = json!({"iss": CLIENT_ID, "sub": USERNAME, "aud": aud, "exp": now() + 60});
        assert_eq!(jwt(&org, &key_pair().0, &claims).await.0, 200, "{aud}");
    }
}

#[tokio::test]
async fn jwt_bearer_refusals_use_salesforce_codes() {
    let org = Org::start().await;
    let good = |changes: Value| {
        let mut claims = json!({"iss": CLIENT_ID, "sub": USERNAME, "aud": org.url, "exp": now() + 120});
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    // A key whose certificate is not the app's.
    let other = d360_wire::keypair::generate("someone else", 1).unwrap();
    let answer = jwt(&org, other.private_key_pem.expose_secret(), &good(json!({}))).await;
    assert_oauth(&answer, "invalid_grant", "invalid assertion");
    assert_oauth(
        &jwt(&org, &key_pair().0, &good(json!({"iss": "nobody"}))).await,
        "invalid_client_id",
        "client identifier invalid",
    );
    assert_oauth(
        &jwt(&org, &key_pair().0, &good(json!({"aud": "https://evil.example.com"}))).await,
        "invalid_grant",
        "audience is invalid",
    );
    assert_oauth(
        &jwt(&org, &key_pair().0, &good(json!({"exp": now() - 600}))).await,
        "invalid_grant",
        "expired authorization code",
    );
    assert_oauth(
        &jwt(&org, &key_pair().0, &good(json!({"exp": now() + 3600}))).await,
        "invalid_grant",
        "invalid assertion",
    );
    assert_oauth(
        &jwt(&org, &key_pair().0, &good(json!({"sub": "stranger@nowhere"}))).await,
        "invalid_grant",
        "user hasn't approved this consumer",
    );
    let garbage = read(
        org.token_form(&[("grant_type", JWT_GRANT), ("assertion", "not.a.jwt")])
            .await,
    )
    .await;
    assert_oauth(&garbage, "invalid_grant", "invalid assertion");
    let unknown = read(org.token_form(&[("grant_type", "magic")]).await).await;
    assert_oauth(&unknown, "unsupported_grant_type", "grant type not supported");
}

#[tokio::test]
async fn client_credentials_and_password_flows() {
    let org = Org::start().await;
    let basic = org
        .http
        .post(format!("{}/services/oauth2/token", org.url))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    let wrong = org
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "nope"),
        ])
        .await;
    assert_oauth(&read(wrong).await, "invalid_client", "invalid client credentials");
    let unknown = org
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "who"),
            ("client_secret", SECRET),
        ])
        .await;
    assert_oauth(&read(unknown).await, "invalid_client_id", "client identifier invalid");

    let password = |user: &'static str, secret: &'static str| {
        org.token_form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("username", user),
            ("password", secret),
        ])
    };
    let (status, body) = read(password(USERNAME, PASSWORD).await).await;
    assert_eq!(status, 200, "{body}");
    assert_oauth(
        &read(password(USERNAME, "wrong").await).await,
        "invalid_grant",
        "authentication failure",
    );
    assert_oauth(
        &read(password("ghost@local.d360", PASSWORD).await).await,
        "invalid_grant",
        "authentication failure",
    );
}

#[tokio::test]
async fn a_flow_the_app_lacks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("emulator.yaml"),
        "apps:\n  - clientId: jwt-only\n    certificate: local.crt\n    flows: [jwt]\n  - clientId: cc\n    clientSecret: s\n    flows: [clientCredentials]\nusers:\n  - { username: a@b.c, password: p }\n",
    )
    .unwrap();
    let org = Org::start_in(dir, |_| {}).await;
    let answer = org
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cc"),
            ("client_secret", "s"),
        ])
        .await;
    assert_oauth(
        &read(answer).await,
        "invalid_grant",
        "no client credentials user enabled",
    );
    let answer = org
        .token_form(&[
            ("grant_type", "password"),
            ("client_id", "cc"),
            ("client_secret", "s"),
            ("username", "a@b.c"),
            ("password", "p"),
        ])
        .await;
    assert_oauth(
        &read(answer).await,
        "unsupported_grant_type",
        "grant type not supported",
    );
    let login = org.emulator.local_login();
    assert_eq!(
        (login.client_id.as_str(), login.username.as_str()),
        ("jwt-only", "a@b.c")
    );
}

#[tokio::test]
async fn userinfo_exchange_and_tenant_endpoints() {
    let org = Org::start().await;
    let token = org.token().await;
    let (status, user) = org.call(Method::GET, "/services/oauth2/userinfo", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(user["preferred_username"], USERNAME);
    assert!(user["user_id"].as_str().unwrap().starts_with("005"));
    assert!(user["organization_id"].as_str().unwrap().starts_with("00D"));
    let dead = org
        .request(Method::GET, "/services/oauth2/userinfo", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status(), 403);

    let exchange = |subject: String| {
        org.http.post(format!("{}/services/a360/token", org.url)).form(&[
            ("grant_type", "urn:salesforce:grant-type:external:cdp".to_owned()),
            ("subject_token", subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token".to_owned(),
            ),
            ("dataspace", "default".to_owned()),
        ])
    };
    let (status, tenant) = read(exchange(token.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{tenant}");
    assert_eq!(tenant["token_type"], "Bearer");
    assert_eq!(tenant["issued_token_type"], "urn:ietf:params:oauth:token-type:jwt");
    assert_eq!(tenant["instance_url"], org.url.as_str());
    assert!(tenant["expires_in"].as_u64().unwrap() > 7000);
    let bad = read(exchange("forged".to_owned()).send().await.unwrap()).await;
    assert_eq!((bad.0, bad.1["error"].as_str()), (400, Some("invalid_grant")));

    let tenant_token = tenant["access_token"].as_str().unwrap();
    let (status, rows) = org
        .call(
            Method::POST,
            "/api/v2/query",
            tenant_token,
            Some(json!({"sql": "SELECT 1"})),
        )
        .await;
    assert_eq!((status, &rows["data"]), (200, &json!([[1]])));
    let (status, metadata) = org.call(Method::GET, "/api/v1/metadata", tenant_token, None).await;
    assert_eq!(status, 200);
    assert!(metadata["metadata"].is_array());
    // Tokens do not cross hosts: the core token is no tenant token, and the reverse.
    let (status, error) = org
        .call(Method::POST, "/api/v2/query", &token, Some(json!({"sql": "SELECT 1"})))
        .await;
    assert_eq!((status, &error["errorCode"]), (401, &json!("INVALID_SESSION_ID")));
    let answer = org
        .call(Method::GET, &format!("{V}/connectors"), tenant_token, None)
        .await;
    super::assert_error(&answer, 401, "INVALID_SESSION_ID");
}

#[tokio::test]
async fn tokens_die_after_their_lifetime_and_with_expire_every() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("emulator.yaml"),
        "apps:\n  - clientId: d360-local\n    clientSecret: d360-local-secret\n    certificate: local.crt\n    flows: [jwt, clientCredentials]\n    runAs: admin@local.d360\nusers:\n  - { username: admin@local.d360, password: pw }\ntokenLifetimeSeconds: 1\n",
    )
    .unwrap();
    let org = Org::start_in(dir, |_| {}).await;
    let token = org.token().await;
    let path = format!("{V}/connectors");
    assert_eq!(org.call(Method::GET, &path, &token, None).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    super::assert_error(
        &org.call(Method::GET, &path, &token, None).await,
        401,
        "INVALID_SESSION_ID",
    );

    let org = Org::start_with(|options| options.expire_tokens_every = Some(3)).await;
    let token = org.token().await;
    for _ in 0..3 {
        assert_eq!(org.call(Method::GET, &path, &token, None).await.0, 200);
    }
    super::assert_error(
        &org.call(Method::GET, &path, &token, None).await,
        401,
        "INVALID_SESSION_ID",
    );
    let fresh = org.token().await;
    assert_eq!(org.call(Method::GET, &path, &fresh, None).await.0, 200);
}
