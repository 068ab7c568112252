//! Judging recorded exchanges by the spec: the operation exists for the method and path, the
//! query parameter names are declared, the request body and the answer validate against the
//! closed schemas for their operation and status, and nothing undeclared passes unless a named
//! gap allows it. The result counts validated requests per operation and gap uses.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use d360_wire::connectors::Family;

use super::gaps::{self, Finding};
use super::record::Exchange;
use super::spec::{Context, ResolverNotes, Spec};

/// Paths outside the excerpt that callers use: the OAuth endpoints, identity, the versions
/// list and the tenant API. Recorded and counted, never validated against the excerpt.
const OUTSIDE: [&str; 6] = [
    "/services/oauth2/token",
    "/services/oauth2/userinfo",
    "/services/a360/token",
    "/services/data",
    "/services/data/",
    "/api/v2/query",
];

/// What one run of the checks found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// `METHOD template` to validated requests.
    pub(crate) operations: BTreeMap<String, usize>,
    /// Gap name to uses.
    pub(crate) gaps: BTreeMap<&'static str, usize>,
    pub(crate) outside: usize,
    pub(crate) failures: Vec<String>,
}

/// `[{errorCode, message}]`: the Connect REST error body, which the spec does not describe.
fn error_body_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {"errorCode": {"type": "string"}, "message": {"type": "string"}},
            "required": ["errorCode", "message"],
            "additionalProperties": false
        }
    })
}

fn findings(schema: &Value, value: &Value) -> Result<Vec<Finding>, String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| format!("unusable resolved schema: {e}"))?;
    Ok(validator
        .iter_errors(value)
        .map(|error| Finding {
            keyword: error.kind().keyword().to_owned(),
            instance_path: error.instance_path().as_str().to_owned(),
            unexpected: match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => unexpected.clone(),
                _ => Vec::new(),
            },
            message: error.to_string(),
        })
        .collect())
}

/// The connector type of the connection a browsing path names, from the answers seen.
fn connection_types(exchanges: &[Exchange]) -> BTreeMap<String, String> {
    let mut types = BTreeMap::new();
    let mut note = |value: &Value| {
        if let (Some(id), Some(kind)) = (
            value.get("id").and_then(Value::as_str),
            value.get("connectorType").and_then(Value::as_str),
        ) {
            types.insert(id.to_owned(), kind.to_owned());
        }
    };
    for exchange in exchanges {
        if let Some(Ok(body)) = &exchange.response {
            note(body);
            for item in body.get("connections").and_then(Value::as_array).into_iter().flatten() {
                note(item);
            }
        }
    }
    types
}

impl Report {
    fn fail(&mut self, exchange: &Exchange, what: impl std::fmt::Display) {
        self.failures.push(format!(
            "{} {} -> {}: {what}",
            exchange.method, exchange.path, exchange.status
        ));
    }

    fn judge(
        &mut self,
        exchange: &Exchange,
        template: &str,
        request: bool,
        list: Vec<Finding>,
        notes: &ResolverNotes,
    ) -> bool {
        for note in notes {
            *self.gaps.entry(note).or_default() += 1;
        }
        let mut clean = true;
        for finding in list {
            if let Some(gap) = gaps::allowed(exchange, template, request, &finding) {
                *self.gaps.entry(gap).or_default() += 1;
            } else {
                clean = false;
                let side = if request { "request" } else { "answer" };
                self.fail(
                    exchange,
                    format!("{side} at `{}`: {}", finding.instance_path, finding.message),
                );
            }
        }
        clean
    }
}

/// Checks every exchange.
pub(crate) fn check(spec: &Spec, exchanges: &[Exchange]) -> Report {
    let mut report = Report::default();
    let types = connection_types(exchanges);
    for exchange in exchanges {
        if OUTSIDE.contains(&exchange.path.as_str()) {
            report.outside += 1;
            continue;
        }
        let Some(relative) = exchange
            .path
            .strip_prefix("/services/data/v")
            .and_then(|rest| rest.split_once('/'))
            .map(|(_, rest)| format!("/{rest}"))
        else {
            report.fail(
                exchange,
                "a path outside the Connect REST API and the known login endpoints",
            );
            continue;
        };
        let Some((template, operation)) = spec.operation(&exchange.method, &relative) else {
            report.fail(
                exchange,
                format!("no operation `{} {relative}` in the spec", exchange.method),
            );
            continue;
        };
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let mut ok = true;
        for (name, _) in &exchange.query {
            if !declared.contains(&name.as_str()) {
                report.fail(exchange, format!("query parameter `{name}` is not declared"));
                ok = false;
            }
        }
        let connection_id = relative.split('/').nth(3).map(str::to_owned);
        let context = Context {
            patch: exchange.method == "PATCH",
            connection_type: connection_id.and_then(|id| types.get(&id).cloned()),
            ..Context::default()
        };
        // The request body.
        let body_schema = &operation["requestBody"]["schema"];
        match (&exchange.request, body_schema.is_null()) {
            (None, _) => {
                if operation["requestBody"]["required"] == true {
                    report.fail(exchange, "the required request body is missing");
                    ok = false;
                }
            }
            (Some(Err(text)), _) => {
                report.fail(exchange, format!("the request body is not JSON: {text:.80}"));
                ok = false;
            }
            (Some(Ok(body)), true) => {
                if body != &json!({}) {
                    report.fail(exchange, "a request body where the spec declares none");
                    ok = false;
                }
            }
            (Some(Ok(body)), false) => {
                let mut notes = ResolverNotes::new();
                let schema = spec.resolve(body_schema, body, &context, &mut notes);
                match findings(&schema, body) {
                    Ok(list) => ok &= report.judge(exchange, &template, true, list, &notes),
                    Err(error) => {
                        report.fail(exchange, error);
                        ok = false;
                    }
                }
            }
        }
        // The answer, by status.
        let status = exchange.status.to_string();
        let declared_answer = operation["responses"].get(&status);
        let data_streams = template.starts_with("/ssot/data-streams");
        match (declared_answer, &exchange.response) {
            (None, Some(Ok(body))) if data_streams && exchange.status >= 400 => {
                *report.gaps.entry("data-stream-error-statuses").or_default() += 1;
                ok &= validate_error(&mut report, exchange, body);
            }
            (None, _) => {
                report.fail(exchange, format!("status {status} is not declared for the operation"));
                ok = false;
            }
            (Some(answer), response) => {
                let schema = &answer["schema"];
                match response {
                    None if exchange.status == 204 && !schema.is_null() => {
                        *report.gaps.entry("no-content-204").or_default() += 1;
                    }
                    None if schema.is_null() => {}
                    None => {
                        report.fail(exchange, "an empty answer where the spec declares a body");
                        ok = false;
                    }
                    Some(Err(text)) => {
                        report.fail(exchange, format!("the answer is not JSON: {text:.80}"));
                        ok = false;
                    }
                    Some(Ok(body)) if schema.is_null() && exchange.status >= 400 => {
                        *report.gaps.entry("error-bodies-undescribed").or_default() += 1;
                        ok &= validate_error(&mut report, exchange, body);
                    }
                    Some(Ok(_)) if schema.is_null() => {
                        report.fail(exchange, "an answer body where the spec declares none");
                        ok = false;
                    }
                    Some(Ok(body)) => {
                        let mut notes = ResolverNotes::new();
                        let resolved = spec.resolve(schema, body, &context, &mut notes);
                        match findings(&resolved, body) {
                            Ok(list) => ok &= report.judge(exchange, &template, false, list, &notes),
                            Err(error) => {
                                report.fail(exchange, error);
                                ok = false;
                            }
                        }
                    }
                }
            }
        }
        if ok {
            *report
                .operations
                .entry(format!("{} {template}", exchange.method))
                .or_default() += 1;
        }
    }
    report
}

fn validate_error(report: &mut Report, exchange: &Exchange, body: &Value) -> bool {
    match findings(&error_body_schema(), body) {
        Ok(list) if list.is_empty() => true,
        Ok(list) => {
            for finding in list {
                report.fail(
                    exchange,
                    format!("error body at `{}`: {}", finding.instance_path, finding.message),
                );
            }
            false
        }
        Err(error) => {
            report.fail(exchange, error);
            false
        }
    }
}

/// Connector types of every family, for listings.
pub(crate) fn family_types() -> [&'static str; 6] {
    Family::ALL.map(|family| match family {
        Family::DataConnector => "AwsRdsMySql",
        Family::IngestApi => "IngestApi",
        Family::SalesforceDotCom => "SalesforceDotCom",
        Family::SalesforceMarketingCloud => "SalesforceMarketingCloud",
        Family::StreamingApp => "StreamingApp",
        Family::AccountEngagement => "AccountEngagement",
    })
}
