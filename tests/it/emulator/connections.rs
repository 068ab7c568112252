//! `/ssot/connections` and `/ssot/connectors`: every operation, every error, and 64 parallel
//! creates of one name.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Org, V, assert_error, connection_body, stream_body};

#[tokio::test]
async fn create_get_list_replace_delete() {
    let org = Org::start().await;
    let token = org.token().await;
    let id = org.create_connection(&token, "Clinic_A").await;
    let (status, got) = org
        .call(Method::GET, &format!("{V}/connections/{id}"), &token, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "Clinic_A");
    assert_eq!(got["connectorType"], "AwsRdsMySql");
    assert_eq!(got["params"][1], json!({"paramName": "DATABASE", "value": "clinic"}));
    assert!(got.get("parameters").is_none());
    // Credentials are write-only: names with masked values, never the secret.
    assert_eq!(got["credentials"][1]["paramName"], "password");
    assert!(!got.to_string().contains("s3cret-value"));

    let mut replaced = connection_body("Clinic_A");
    replaced["label"] = json!("New label");
    let (status, body) = org
        .call(Method::PUT, &format!("{V}/connections/{id}"), &token, Some(replaced))
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, got) = org
        .call(Method::GET, &format!("{V}/connections/{id}"), &token, None)
        .await;
    assert_eq!(got["label"], "New label");
    let mut renamed = connection_body("Other_Name");
    renamed["label"] = json!("x");
    assert_error(
        &org.call(Method::PUT, &format!("{V}/connections/{id}"), &token, Some(renamed))
            .await,
        400,
        "INVALID_INPUT",
    );

    // PATCH is for the families that document it, not data connectors.
    let patch = org
        .call(
            Method::PATCH,
            &format!("{V}/connections/{id}"),
            &token,
            Some(json!({"label": "p"})),
        )
        .await;
    assert_error(&patch, 400, "INVALID_INPUT");

    let (status, test) = org
        .call(
            Method::POST,
            &format!("{V}/connections/{id}/actions/test"),
            &token,
            None,
        )
        .await;
    assert_eq!((status, &test), (200, &json!({"success": true, "errors": []})));
    let mut unreachable = connection_body("Probe");
    unreachable["parameters"][0]["value"] = json!("mysql-host");
    let (status, test) = org
        .call(
            Method::POST,
            &format!("{V}/connections/actions/test"),
            &token,
            Some(unreachable),
        )
        .await;
    assert_eq!((status, &test["success"]), (200, &json!(false)));
    assert_eq!(test["errors"][0]["errorCode"], "INVALID_CONNECTION");

    let (status, _) = org
        .call(Method::DELETE, &format!("{V}/connections/{id}"), &token, None)
        .await;
    assert_eq!(status, 204);
    assert_error(
        &org.call(Method::GET, &format!("{V}/connections/{id}"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &org.call(Method::DELETE, &format!("{V}/connections/{id}"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn listing_needs_a_type_and_pages_with_next_page_url() {
    let org = Org::start().await;
    let token = org.token().await;
    for index in 0..5 {
        org.create_connection(&token, &format!("Conn_{index}")).await;
    }
    let list = |query: &str| org.call(Method::GET, &format!("{V}/connections{query}"), &token, None);
    assert_error(&list("").await, 400, "ILLEGAL_QUERY_PARAMETER_VALUE");
    let (status, wrong_case) = list("?connectorType=awsrdsmysql").await;
    assert_eq!(status, 400);
    assert_eq!(wrong_case[0]["message"], "ConnectorType [awsrdsmysql] is not supported");
    for bad in ["0", "201", "-1", "abc", "99999999999999999999999"] {
        assert_error(
            &list(&format!("?connectorType=AwsRdsMySql&limit={bad}")).await,
            400,
            "ILLEGAL_QUERY_PARAMETER_VALUE",
        );
    }

    let mut names = Vec::new();
    let mut next = Some(format!("{V}/connections?connectorType=AwsRdsMySql&limit=2"));
    while let Some(path) = next.take() {
        let (status, page) = org.call(Method::GET, &path, &token, None).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["totalSize"], 5);
        names.extend(
            page["connections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        next = page["nextPageUrl"].as_str().map(str::to_owned);
    }
    assert_eq!(names, ["Conn_0", "Conn_1", "Conn_2", "Conn_3", "Conn_4"]);

    let (_, found) = list("?connectorType=AwsRdsMySql&devName=Conn_3").await;
    assert_eq!(found["totalSize"], 1);
    assert_eq!(found["connections"][0]["name"], "Conn_3");
    assert!(found.get("nextPageUrl").is_none());
    let (_, other) = list("?connectorType=SNOWFLAKE").await;
    assert_eq!(other["totalSize"], 0);
    let (_, far) = list(&format!("?connectorType=AwsRdsMySql&offset={}", u64::MAX)).await;
    assert_eq!(far["connections"], json!([]));
}

#[tokio::test]
async fn bad_bodies_names_and_types() {
    let org = Org::start().await;
    let token = org.token().await;
    let path = format!("{V}/connections");
    let send = |body: &'static str| {
        org.request(Method::POST, &path, &token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for malformed in [
        "{",
        "",
        "[1]",
        "{\"label\": 5, \"connectorType\": \"AwsRdsMySql\"}",
        "{\"nope\": 1}",
    ] {
        let answer = super::read(send(malformed).await.unwrap()).await;
        assert_error(&answer, 400, "JSON_PARSER_ERROR");
    }
    let create = |body: Value| org.call(Method::POST, &path, &token, Some(body));
    assert_error(&create(json!({"label": "x"})).await, 400, "INVALID_INPUT");
    let mut body = connection_body("Bad");
    body["connectorType"] = json!("Snowflake");
    assert_error(&create(body).await, 400, "INVALID_INPUT");
    for bad_name in ["1abc", "a__b", "trailing_", "sp ace", "ünïcødé", &"x".repeat(81)] {
        assert_error(&create(connection_body(bad_name)).await, 400, "INVALID_INPUT");
    }
    let mut body = connection_body("No_Password");
    body["credentials"].as_array_mut().unwrap().pop();
    assert_error(&create(body).await, 400, "INVALID_INPUT");
    let mut body = connection_body("Extra_Param");
    body["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"paramName": "port", "value": "1"}));
    assert_error(&create(body).await, 400, "INVALID_INPUT");

    org.create_connection(&token, "Taken").await;
    let duplicate = create(connection_body("Taken")).await;
    assert_error(&duplicate, 400, "DUPLICATES_DETECTED");
    assert_eq!(
        duplicate.1[0]["message"],
        "A data connector with the provided name: Taken already exists"
    );

    let (status, metadata) = org
        .call(Method::GET, &format!("{V}/connectors/AwsRdsMySql"), &token, None)
        .await;
    assert_eq!(status, 200);
    let attributes: Vec<_> = metadata["connectionAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(
        attributes,
        [
            json!("jdbc_connection_url"),
            json!("DATABASE"),
            json!("user"),
            json!("password")
        ]
    );
    assert_eq!(metadata["connectionAttributes"][3]["secure"], true);
    let (status, list) = org.call(Method::GET, &format!("{V}/connectors"), &token, None).await;
    assert_eq!(status, 200);
    assert!(list["connectorInfoList"].as_array().unwrap().len() >= 13);
    assert_error(
        &org.call(Method::GET, &format!("{V}/connectors/Nope"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn sessions_versions_and_unknown_paths() {
    let org = Org::start().await;
    let token = org.token().await;
    let path = format!("{V}/connections?connectorType=AwsRdsMySql");
    let (status, body) = super::read(org.http.get(format!("{}{path}", org.url)).send().await.unwrap()).await;
    assert_error(&(status, body), 401, "INVALID_SESSION_ID");
    assert_error(
        &org.call(Method::GET, &path, "00Dforged!token", None).await,
        401,
        "INVALID_SESSION_ID",
    );
    assert_error(
        &org.call(Method::GET, "/services/data/v99.0/ssot/connectors", &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &org.call(Method::GET, "/services/data/v42.0/ssot/connectors", &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &org.call(Method::GET, "/services/data/vX/ssot/connectors", &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
    // Create appeared in v64.0.
    let old = org
        .call(
            Method::POST,
            "/services/data/v63.0/ssot/connections",
            &token,
            Some(connection_body("Old")),
        )
        .await;
    assert_error(&old, 404, "NOT_FOUND");
    assert_error(
        &org.call(Method::GET, &format!("{V}/nothing/here"), &token, None).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &org.call(Method::GET, &format!("{V}/nothing"), "bad", None).await,
        401,
        "INVALID_SESSION_ID",
    );
    assert_error(
        &org.call(Method::POST, &format!("{V}/connectors"), &token, None).await,
        405,
        "METHOD_NOT_ALLOWED",
    );
    let (status, versions) =
        super::read(org.http.get(format!("{}/services/data", org.url)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(versions.as_array().unwrap().iter().any(|v| v["version"] == "66.0"));
    let answer = org
        .request(Method::GET, &format!("{V}/connectors"), &token)
        .send()
        .await
        .unwrap();
    let usage = answer.headers()["sforce-limit-info"].to_str().unwrap().to_owned();
    assert!(usage.starts_with("api-usage=") && usage.ends_with("/15000"), "{usage}");
}

#[tokio::test]
async fn limits_and_quirks() {
    let org = Org::start_with(|options| {
        options.max_connections = Some(2);
        options.name_lock = NAME_LOCK;
        options.flaky_delete = true;
    })
    .await;
    let token = org.token().await;
    let first = org.create_connection(&token, "One").await;
    org.create_connection(&token, "Two").await;
    let full = org
        .call(
            Method::POST,
            &format!("{V}/connections"),
            &token,
            Some(connection_body("Three")),
        )
        .await;
    assert_error(&full, 422, "LIMIT_EXCEEDED");

    // A connection a stream uses cannot be deleted.
    let (status, _) = org
        .call(
            Method::POST,
            &format!("{V}/data-streams"),
            &token,
            Some(stream_body("Uses_One", "One")),
        )
        .await;
    assert_eq!(status, 200);
    let refused = org
        .call(Method::DELETE, &format!("{V}/connections/{first}"), &token, None)
        .await;
    assert_error(&refused, 400, "DELETE_FAILED");
    let stream = format!("{V}/data-streams/Uses_One");
    assert_error(
        &org.call(Method::DELETE, &stream, &token, None).await,
        500,
        "UNKNOWN_EXCEPTION",
    );
    assert_eq!(org.call(Method::DELETE, &stream, &token, None).await.0, 204);

    // --flaky-delete: the first delete answers 500, the retry works.
    let delete = format!("{V}/connections/{first}");
    assert_error(
        &org.call(Method::DELETE, &delete, &token, None).await,
        500,
        "UNKNOWN_EXCEPTION",
    );
    assert_eq!(org.call(Method::DELETE, &delete, &token, None).await.0, 204);
    let deleted = std::time::Instant::now();
    // --name-lock: the name stays taken for a while (long enough that a loaded machine still
    // asks within it), then frees up (polled, so a slow machine only takes longer).
    let again = org
        .call(
            Method::POST,
            &format!("{V}/connections"),
            &token,
            Some(connection_body("One")),
        )
        .await;
    assert_error(&again, 400, "DUPLICATES_DETECTED");
    loop {
        let (status, _) = org
            .call(
                Method::POST,
                &format!("{V}/connections"),
                &token,
                Some(connection_body("One")),
            )
            .await;
        if status == 201 {
            break;
        }
        assert!(deleted.elapsed() < NAME_LOCK * 10, "the name never freed up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(deleted.elapsed() >= NAME_LOCK, "freed after {:?}", deleted.elapsed());
}

/// How long `limits_and_quirks` keeps a deleted name taken.
const NAME_LOCK: std::time::Duration = std::time::Duration::from_secs(2);

#[tokio::test]
async fn sixty_four_parallel_creates_of_one_name_make_one_object() {
    let org = Org::start().await;
    let token = org.token().await;
    let creates = (0..64).map(|_| {
        org.call(
            Method::POST,
            &format!("{V}/connections"),
            &token,
            Some(connection_body("Racy")),
        )
    });
    let answers = futures::future::join_all(creates).await;
    let made = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused = answers
        .iter()
        .filter(|answer| answer.0 == 400 && answer.1[0]["errorCode"] == "DUPLICATES_DETECTED")
        .count();
    assert_eq!((made, refused), (1, 63));
    let list = org.rds_connections(&token, "&limit=200").await;
    assert_eq!(list["totalSize"], 1);
}
