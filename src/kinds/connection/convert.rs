//! Raw connection specs into `model::Connection`, with every check a connection needs.

use crate::model::SmallMap;

use super::document::ConnectionSpec;
use super::{Connection, Method};
use crate::kinds::document::{Checker, Severity, check_name, did_you_mean};
use crate::kinds::document::{Metadata, SecretSource, convert_lifecycle};
use crate::model::ResourceSpec;
use crate::model::connector_types::{self, ConnectorType};
use crate::secret::SecretRef;

/// Parameter names that look like secrets: refused in `parameters`, where they would be sent
/// and read back in the clear.
fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "private_key",
        "privatekey",
        "api_key",
        "apikey",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

fn convert_secret(checker: &mut Checker<'_>, rel: &[&str], source: &SecretSource) -> SecretRef {
    match source {
        SecretSource::FromEnv(name) => {
            let mut key_rel: Vec<&str> = rel.to_vec();
            key_rel.push("fromEnv");
            let name = checker.text(&key_rel, name);
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                let diagnostic = checker
                    .error(&key_rel, format!("`{name}` is not a valid environment variable name"))
                    .with_help("use letters, digits and underscores, not starting with a digit");
                checker.push(diagnostic);
            }
            SecretRef::FromEnv(name)
        }
        SecretSource::FromFile(path) => {
            let mut key_rel: Vec<&str> = rel.to_vec();
            key_rel.push("fromFile");
            let path = checker.text(&key_rel, path);
            SecretRef::FromFile(checker.dir.join(path))
        }
        SecretSource::FromAwsSecret(source) => {
            let field = |name: &'static str| -> Vec<&str> {
                let mut path: Vec<&str> = rel.to_vec();
                path.extend(["fromAwsSecret", name]);
                path
            };
            let id = checker.text(&field("id"), &source.id);
            if id.trim().is_empty() {
                let diagnostic = checker
                    .error(&field("id"), "the AWS secret id is empty")
                    .with_help("give the secret's name or ARN, such as `rds/${item.identifier}`");
                checker.push(diagnostic);
            }
            let key = checker.optional_text(&field("key"), source.key.as_ref());
            let region = checker
                .optional_text(&field("region"), source.region.as_ref())
                .or_else(|| checker.item.and_then(|item| item.aws_region.clone()));
            SecretRef::FromAwsSecret(crate::secret::aws::AwsSecretRef { id, key, region })
        }
        SecretSource::FromOrg(value) => {
            let mut key_rel: Vec<&str> = rel.to_vec();
            key_rel.push("fromOrg");
            match checker.org.secret(value) {
                Ok(reference) => reference,
                Err(message) => {
                    let help = if checker.org.values.contains_key(value) || value == "name" {
                        format!(
                            "define `{value}` as `{{ fromEnv: VARIABLE }}` or `{{ fromFile: path }}` under `orgs.{}.values` in d360.yaml",
                            checker.org.name
                        )
                    } else {
                        checker.org.help_for_missing(value)
                    };
                    let diagnostic = checker.error(&key_rel, message).with_help(help);
                    checker.push(diagnostic);
                    // Never used: the error above fails the load.
                    SecretRef::FromEnv(String::new())
                }
            }
        }
    }
}

/// Converts one connection; `metadata` and `spec` live under the checker's prefix.
pub(crate) fn convert(checker: &mut Checker<'_>, metadata: &Metadata, spec: &ConnectionSpec) -> Connection {
    let name = checker.text(&["metadata", "name"], &metadata.name);
    check_name(checker, &["metadata", "name"], &name, "connection");
    let (connector_type, known) = connector_type(checker, spec);
    let label = label(checker, spec);
    let method = method(checker, spec, known);
    let parameters = parameters(checker, spec, known);
    let credentials = credentials(checker, spec, known);
    if let Some(known) = known {
        check_required(checker, spec, known);
    }
    let lifecycle = convert_lifecycle(checker, spec.lifecycle.as_ref(), &Connection::FIELDS.ignorable());
    Connection {
        name,
        labels: metadata.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        connector_type,
        label,
        method: method.into(),
        parameters,
        credentials,
        lifecycle,
    }
}

/// `spec.connectorType`, and its entry in the connector table when d360 knows it offline
/// (a wrong casing is an error, an unknown type a warning: `plan` checks it against the org).
fn connector_type(checker: &mut Checker<'_>, spec: &ConnectionSpec) -> (String, Option<&'static ConnectorType>) {
    let connector_type = checker.text(&["spec", "connectorType"], &spec.connector_type);
    let known = connector_types::find(&connector_type);
    if known.is_none() {
        if let Some(correct) = connector_types::case_mismatch(&connector_type) {
            let diagnostic = checker
                .error(
                    &["spec", "connectorType"],
                    format!("connector type `{connector_type}` is spelled `{correct}` by the org"),
                )
                .with_help(format!(
                    "write `connectorType: {correct}`: the org rejects other casings"
                ))
                .with_label("wrong casing");
            checker.push(diagnostic);
        } else if !connector_types::all_names().any(|n| n == connector_type) {
            let mut diagnostic = checker.warning(
                &["spec", "connectorType"],
                format!(
                    "connector type `{connector_type}` is not one d360 knows offline; `plan` checks it against the org"
                ),
            );
            if let Some(close) = did_you_mean(&connector_type, connector_types::all_names()) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            checker.push(diagnostic);
        }
    }

    (connector_type, known)
}

/// `spec.label`: not empty, at most 80 characters.
fn label(checker: &mut Checker<'_>, spec: &ConnectionSpec) -> String {
    let label = checker.text(&["spec", "label"], &spec.label);
    if label.trim().is_empty() {
        let diagnostic = checker.error(&["spec", "label"], "the label cannot be empty");
        checker.push(diagnostic);
    } else if label.chars().count() > 80 {
        let diagnostic = checker.error(
            &["spec", "label"],
            format!(
                "the label has {} characters; the org allows at most 80",
                label.chars().count()
            ),
        );
        checker.push(diagnostic);
    }

    label
}

/// `spec.method` (default `Ingress`), one the connector type supports.
fn method(checker: &mut Checker<'_>, spec: &ConnectionSpec, known: Option<&ConnectorType>) -> Method {
    let method = spec.method.unwrap_or(Method::Ingress);
    if let Some(known) = known
        && !known.methods.contains(&method)
    {
        let diagnostic = checker
            .error(
                &["spec", "method"],
                format!(
                    "connector type `{}` does not support method `{}`",
                    known.name,
                    method.as_str()
                ),
            )
            .with_help(format!("use `method: {}`", known.methods_joined(" | ")));
        checker.push(diagnostic);
    }

    method
}

/// `spec.parameters`: no secrets among them, values the connector type accepts, names it has.
fn parameters(
    checker: &mut Checker<'_>,
    spec: &ConnectionSpec,
    known: Option<&ConnectorType>,
) -> SmallMap<String, String> {
    let mut parameters = SmallMap::new();
    for (param, value) in &spec.parameters {
        let rel = ["spec", "parameters", param.as_str()];
        let is_credential = known.is_some_and(|k| k.credentials.iter().any(|c| c.name == param));
        if is_credential || looks_secret(param) {
            let diagnostic = checker
                .key_error(&rel, format!("`{param}` is a secret and cannot be a plain parameter"))
                .with_help(format!(
                    "move it under `spec.credentials` as `{param}: {{ fromEnv: VARIABLE }}` or `{{ fromFile: path }}`"
                ))
                .hiding_source();
            checker.push(diagnostic);
            continue;
        }
        let raw = &value.0;
        let interpolated = checker.interpolated(&rel, raw);
        // A value whose `${…}` was reported is not checked against its pattern as well.
        let value = interpolated.clone().unwrap_or_else(|| raw.clone());
        if let Some(known) = known
            && interpolated.is_some()
            && let Some(attribute) = known.parameters.iter().find(|p| p.name == param)
            && let Some(problem) =
                crate::kinds::connection::value_problem(&value, attribute.pattern, attribute.max_length)
        {
            let cells = checker.item.map(|item| item.cells_in(raw)).unwrap_or_default();
            let from = if cells.is_empty() {
                String::new()
            } else {
                format!("; the value comes from {}", cells.join(", "))
            };
            let diagnostic = checker
                .error(
                    &rel,
                    format!(
                        "parameter `{param}` value `{value}` {problem} (connector type `{}`){from}",
                        known.name
                    ),
                )
                .with_help(format!("for example `{param}: {}`", attribute.example));
            checker.push(diagnostic);
        }
        if let Some(known) = known
            && !known.parameters.iter().any(|p| p.name == param)
        {
            let names: Vec<&str> = known.parameters.iter().map(|p| p.name).collect();
            let mut diagnostic = checker.key_error(
                &rel,
                format!("connector type `{}` has no parameter `{param}`", known.name),
            );
            diagnostic.severity = Severity::Warning;
            diagnostic = match did_you_mean(param, names.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!("its parameters are: {}", names.join(", "))),
            };
            checker.push(diagnostic);
        }
        parameters.insert(param.clone(), value);
    }

    parameters
}

/// `spec.credentials` as references, with names the connector type has.
fn credentials(
    checker: &mut Checker<'_>,
    spec: &ConnectionSpec,
    known: Option<&ConnectorType>,
) -> SmallMap<String, SecretRef> {
    let mut credentials = SmallMap::new();
    for (credential, source) in &spec.credentials {
        let rel = ["spec", "credentials", credential.as_str()];
        let reference = convert_secret(checker, &rel, source);
        if let Some(known) = known
            && !known.credentials.iter().any(|c| c.name == credential)
        {
            let names: Vec<&str> = known.credentials.iter().map(|c| c.name).collect();
            let mut diagnostic = checker.key_error(
                &rel,
                format!("connector type `{}` has no credential `{credential}`", known.name),
            );
            diagnostic.severity = Severity::Warning;
            diagnostic = match did_you_mean(credential, names.iter().copied()) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(format!("its credentials are: {}", names.join(", "))),
            };
            checker.push(diagnostic);
        }
        credentials.insert(credential.clone(), reference);
    }

    credentials
}

/// The parameters and credentials the connector type requires are all given.
fn check_required(checker: &mut Checker<'_>, spec: &ConnectionSpec, known: &ConnectorType) {
    for required in known.required_parameters() {
        if !spec.parameters.contains_key(required) {
            let example = known
                .parameters
                .iter()
                .find(|p| p.name == required)
                .map_or("", |p| p.example);
            let rel: &[&str] = if spec.parameters.is_empty() {
                &["spec"]
            } else {
                &["spec", "parameters"]
            };
            let diagnostic = checker
                .key_error(
                    rel,
                    format!(
                        "missing required parameter `{required}` for connector type `{}`",
                        known.name
                    ),
                )
                .with_help(format!("add `{required}: {example}` under `spec.parameters`"));
            checker.push(diagnostic);
        }
    }
    for required in known.required_credentials() {
        if !spec.credentials.contains_key(required) {
            let rel: &[&str] = if spec.credentials.is_empty() {
                &["spec"]
            } else {
                &["spec", "credentials"]
            };
            let diagnostic = checker
                .key_error(
                    rel,
                    format!(
                        "missing required credential `{required}` for connector type `{}`",
                        known.name
                    ),
                )
                .with_help(format!(
                    "add `{required}: {{ fromEnv: VARIABLE }}` under `spec.credentials`"
                ));
            checker.push(diagnostic);
        }
    }
}
