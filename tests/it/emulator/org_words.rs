//! Error answers in the org's words: Salesforce's `[{errorCode, message}]` shape, the field
//! named, and no Rust type names (serde's "untagged enum", "expected u32", "struct ...");
//! the spec's `currencyIsoCodeInfo` accepted on a data stream create; a query value the spec
//! types as Boolean refused unless it is `true` or `false`.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Org, V, assert_error, stream_body};

/// Words that would leak the emulator's Rust implementation into an API answer.
const RUST_WORDS: [&str; 8] = ["untagged", "enum ", "struct ", "u32", "u64", "usize", "i64", "serde"];

#[track_caller]
fn assert_plain(answer: &(u16, Value)) {
    let message = answer.1[0]["message"].as_str().unwrap_or_default();
    for word in RUST_WORDS {
        assert!(!message.contains(word), "`{word}` in {}", answer.1);
    }
}

#[tokio::test]
async fn type_errors_name_the_field_without_rust_types() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;

    let mut one_or_many = stream_body("Bad_Dlo", "Source");
    one_or_many["dataLakeObjectInfo"] = json!("Patients");
    let answer = org
        .call(Method::POST, &format!("{V}/data-streams"), &token, Some(one_or_many))
        .await;
    assert_error(&answer, 400, "JSON_PARSER_ERROR");
    assert_plain(&answer);
    assert!(
        answer.1[0]["message"].as_str().unwrap().contains("dataLakeObjectInfo"),
        "{}",
        answer.1
    );

    let mut hours = stream_body("Bad_Hours", "Source");
    hours["refreshConfig"]["frequency"]["hours"] = json!(["two"]);
    let answer = org
        .call(Method::POST, &format!("{V}/data-streams"), &token, Some(hours))
        .await;
    assert_error(&answer, 400, "JSON_PARSER_ERROR");
    assert_plain(&answer);
    assert!(
        answer.1[0]["message"]
            .as_str()
            .unwrap()
            .contains("refreshConfig.frequency"),
        "{}",
        answer.1
    );
}

#[tokio::test]
async fn currency_iso_code_info_is_accepted_on_a_create() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    let mut body = stream_body("With_Currency", "Source");
    body["currencyIsoCodeInfo"] = json!({"currencyIsoCode": "USD"});
    let (status, created) = org
        .call(Method::POST, &format!("{V}/data-streams"), &token, Some(body))
        .await;
    assert_eq!(status, 200, "{created}");

    let mut bad = stream_body("Bad_Currency", "Source");
    bad["currencyIsoCodeInfo"] = json!({"currencyIsoCode": "dollars"});
    let answer = org
        .call(Method::POST, &format!("{V}/data-streams"), &token, Some(bad))
        .await;
    assert_error(&answer, 400, "INVALID_INPUT");
    assert!(
        answer.1[0]["message"].as_str().unwrap().contains("currencyIsoCode"),
        "{}",
        answer.1
    );
}

#[tokio::test]
async fn a_run_refuses_an_interactive_value_that_is_not_boolean() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    let (status, body) = org
        .call(
            Method::POST,
            &format!("{V}/data-streams"),
            &token,
            Some(stream_body("Runs", "Source")),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let run = format!("{V}/data-streams/Runs/actions/run");
    for value in ["null", "yes", ""] {
        let answer = org
            .call(Method::POST, &format!("{run}?interactive={value}"), &token, None)
            .await;
        assert_error(&answer, 400, "ILLEGAL_QUERY_PARAMETER_VALUE");
        assert!(
            answer.1[0]["message"].as_str().unwrap().contains("interactive"),
            "{}",
            answer.1
        );
    }
    for value in ["true", "false"] {
        let (status, body) = org
            .call(Method::POST, &format!("{run}?interactive={value}"), &token, None)
            .await;
        assert_eq!(status, 200, "{value}: {body}");
    }
}
