//! Secrets Manager: `GetSecretValue` for every secret a run needs, once per secret, at most
//! `parallelism` at a time per region, retried on throttling.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use secrecy::SecretString;

use super::AwsError;
use super::client::{Access, Client, Request, Service};
use crate::secret::aws::{Fetched, SecretId};

/// What fetching cost.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub(crate) secrets: usize,
    pub(crate) requests: usize,
    pub(crate) retries: usize,
}

/// Fetches each of `secrets` once. A secret AWS refuses (not found, access denied) is kept as
/// its reason; a region with no credentials or endpoint fails the whole fetch.
pub(crate) async fn fetch(secrets: &BTreeSet<SecretId>, parallelism: usize) -> Result<(Fetched, Cost), AwsError> {
    let mut by_region: BTreeMap<Option<String>, Vec<&SecretId>> = BTreeMap::new();
    for secret in secrets {
        by_region.entry(secret.region.clone()).or_default().push(secret);
    }
    let mut fetched = Fetched::new();
    let mut cost = Cost {
        secrets: secrets.len(),
        ..Cost::default()
    };
    for (region, ids) in by_region {
        let client = Client::connect(&Access { region, profile: None }).await?;
        let client = &client;
        let answers: Vec<(SecretId, Result<SecretString, AwsError>)> = futures::stream::iter(ids)
            .map(|secret| async move { (secret.clone(), get(client, &secret.id).await) })
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await;
        for (secret, answer) in answers {
            let kept = match answer {
                Ok(value) => Ok(value),
                Err(AwsError::Service { code, message, .. }) if message.is_empty() => Err(code),
                Err(AwsError::Service { code, message, .. }) => Err(format!("{code}: {message}")),
                Err(other) => Err(other.to_string()),
            };
            fetched.insert(secret, kept);
        }
        cost.requests += client.requests();
        cost.retries += client.retries();
    }
    Ok((fetched, cost))
}

/// One secret's string (`SecretString`, or `SecretBinary` when it is UTF-8).
pub(crate) async fn get(client: &Client, id: &str) -> Result<SecretString, AwsError> {
    let request = Request {
        call: "GetSecretValue",
        service: Service::SecretsManager,
        content_type: "application/x-amz-json-1.1",
        target: Some("secretsmanager.GetSecretValue"),
        body: serde_json::json!({ "SecretId": id }).to_string(),
    };
    let body = SecretString::from(client.send(&request).await?);
    value_of(&body)
}

/// The secret string of a `GetSecretValue` answer. The answer holds the value, so errors
/// say only what is missing.
fn value_of(body: &SecretString) -> Result<SecretString, AwsError> {
    use base64::Engine;
    use secrecy::ExposeSecret;
    let decode = |detail: &str| AwsError::Decode {
        call: "GetSecretValue",
        detail: detail.to_owned(),
    };
    let answer: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body.expose_secret()).map_err(|_| decode("the answer is not a JSON object"))?;
    if let Some(text) = answer.get("SecretString").and_then(serde_json::Value::as_str) {
        return Ok(SecretString::from(text.to_owned()));
    }
    let binary = answer
        .get("SecretBinary")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| decode("the answer has neither `SecretString` nor `SecretBinary`"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(binary)
        .map_err(|_| decode("`SecretBinary` is not base64"))?;
    String::from_utf8(bytes)
        .map(SecretString::from)
        .map_err(|_| decode("`SecretBinary` is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn answers_give_the_string_or_decoded_binary_and_errors_hide_the_value() {
        let answer = |json: &str| value_of(&SecretString::from(json.to_owned()));
        let text = answer(r#"{"Name":"rds/a","SecretString":"{\"password\":\"pw\"}"}"#).expect("a string");
        assert_eq!(text.expose_secret(), r#"{"password":"pw"}"#);
        let binary = answer(r#"{"SecretBinary":"cHc="}"#).expect("binary");
        assert_eq!(binary.expose_secret(), "pw");
        let error = answer(r#"{"Name":"pw-is-here"}"#).expect_err("no value");
        assert!(!error.to_string().contains("pw-is-here"), "{error}");
    }
}
