//! How d360 reaches connections in the org: the `ssot/connections` collection (listed per
//! connector type, looked up by `devName`, replaced whole with `PUT` because credentials are
//! write-only) and the checks of declared connections against `/ssot/connectors/{type}`.

use std::collections::BTreeMap;

use futures::FutureExt;
use futures::future::{BoxFuture, try_join_all};
use reqwest::Method as HttpMethod;

use super::collection::Connections;
use super::spec::Connection;
use super::wire::{connection_from_wire, connection_input};
use crate::api::{ApiError, Client, Collection};
use crate::kinds::{
    CheckContext, CheckOutcome, Credentials, DeclaredAt, Driver, Finding, Keep, Listing, LiveObject, Operations,
    Request, Resource, not_encodable,
};
use crate::model::Kind;
use d360_wire::shapes::{ConnectionOutput, ConnectorAttribute, ConnectorList, ConnectorMetadata};

/// A lookup by name may answer the listing's short form (without `params`): such an answer is
/// read again by id. (Listings are completed the same way by `refresh`.)
async fn complete(client: &Client, outputs: Vec<ConnectionOutput>) -> Result<Vec<LiveObject>, ApiError> {
    let mut live = Vec::with_capacity(outputs.len());
    for output in outputs {
        let output = match output.params {
            Some(_) => output,
            None if output.id.is_empty() => output,
            None => match client.get::<Connections>(&output.id).await? {
                Some(full) => full,
                // Deleted between the listing and the read: not live any more.
                None => continue,
            },
        };
        live.push(connection_from_wire(&output));
    }
    Ok(live)
}

/// The connection with API name `name` of `connector_type`, if any.
async fn find_by_name(client: &Client, connector_type: &str, name: &str) -> Result<Option<LiveObject>, ApiError> {
    let found: Vec<ConnectionOutput> = client
        .search::<Connections>(&[("connectorType", connector_type), ("devName", name)])
        .await?
        .into_iter()
        // An answer without a name is the one `devName` selected.
        .filter(|c| c.name == name || c.name.is_empty())
        .collect();
    Ok(complete(client, found).await?.into_iter().next())
}

/// The driver of the `Connection` kind.
pub(crate) struct ConnectionDriver;

impl Driver for ConnectionDriver {
    fn describe(&self, listing: &Listing) -> String {
        match &listing.scope {
            Some(connector_type) => format!("connector type `{connector_type}`"),
            None => "connections of every connector type".to_owned(),
        }
    }

    fn manages(&self, listing: &Listing) -> bool {
        listing
            .scope
            .as_deref()
            .is_some_and(|connector_type| d360_wire::connectors::Family::of(connector_type).is_manageable())
    }

    fn discover<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Vec<Listing>, ApiError>> {
        async move {
            let connectors: ConnectorList = client.fetch("ssot/connectors").await?;
            Ok(connectors
                .connector_info_list
                .into_iter()
                .map(|connector| Listing {
                    kind: Kind::Connection,
                    scope: Some(connector.name),
                })
                .collect())
        }
        .boxed()
    }

    fn list<'a>(
        &'a self,
        client: &'a Client,
        listing: &'a Listing,
        keep: Keep<'a>,
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>> {
        async move {
            // The API lists connections per connector type; no scope means every type offered.
            let types = match &listing.scope {
                Some(connector_type) => vec![connector_type.clone()],
                None => self
                    .discover(client)
                    .await?
                    .into_iter()
                    .filter_map(|l| l.scope)
                    .collect(),
            };
            let mut live = Vec::new();
            for connector_type in &types {
                let sift = |output| keep(connection_from_wire(&output));
                live.extend(
                    client
                        .list::<Connections, _, _>(&[("connectorType", connector_type)], &sift)
                        .await?,
                );
            }
            Ok(live)
        }
        .boxed()
    }

    fn read<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        async move { Ok(client.get::<Connections>(id).await?.as_ref().map(connection_from_wire)) }.boxed()
    }

    fn exists<'a>(&'a self, client: &'a Client, id: &'a str, _name: &'a str) -> BoxFuture<'a, Result<bool, ApiError>> {
        async move { Ok(client.get::<Connections>(id).await?.is_some()) }.boxed()
    }

    fn delete<'a>(&'a self, client: &'a Client, id: &'a str, _name: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        client.delete::<Connections>(id, &[]).boxed()
    }

    fn check_in_org<'a>(
        &'a self,
        client: &'a Client,
        declared: &'a [DeclaredAt<'a>],
    ) -> BoxFuture<'a, Result<Vec<Finding>, ApiError>> {
        async move {
            let mut by_type: BTreeMap<&str, Vec<(&Connection, &str)>> = BTreeMap::new();
            for (resource, origin) in declared {
                if let Resource::Connection(connection) = resource {
                    by_type
                        .entry(connection.connector_type.as_str())
                        .or_default()
                        .push((connection, origin.as_str()));
                }
            }
            let metadata = try_join_all(
                by_type
                    .keys()
                    .map(|connector_type| connector_metadata(client, connector_type)),
            )
            .await?;
            let mut findings = Vec::new();
            for ((connector_type, members), metadata) in by_type.iter().zip(metadata) {
                findings.extend(check_type(connector_type, members, metadata.as_ref()));
            }
            Ok(findings)
        }
        .boxed()
    }
}

/// A connector type's metadata; `None` when the org does not know the type (404 or 400).
async fn connector_metadata(client: &Client, connector_type: &str) -> Result<Option<ConnectorMetadata>, ApiError> {
    let path = format!("ssot/connectors/{}", crate::api::encode(connector_type));
    match client.read(&path).await {
        Err(error) if error.status() == Some(400) => Ok(None),
        other => other,
    }
}

/// Unknown types, and unknown or missing parameters and credentials of one connector type.
fn check_type(
    connector_type: &str,
    members: &[(&Connection, &str)],
    metadata: Option<&ConnectorMetadata>,
) -> Vec<Finding> {
    let Some(metadata) = metadata else {
        return vec![Finding {
            warning: false,
            listing: Some(Listing {
                kind: Kind::Connection,
                scope: Some(connector_type.to_owned()),
            }),
            message: format!(
                "connector type `{connector_type}` is not available in this org ({} {} it, first at {})",
                members.len(),
                if members.len() == 1 {
                    "connection uses"
                } else {
                    "connections use"
                },
                members.first().map_or("", |(_, origin)| origin)
            ),
        }];
    };
    if metadata.connection_attributes.is_empty() {
        return Vec::new();
    }
    let (credentials, parameters): (Vec<&ConnectorAttribute>, Vec<&ConnectorAttribute>) =
        metadata.connection_attributes.iter().partition(|a| a.secret);
    let mut findings: Vec<Finding> = table_disagreement(connector_type, metadata)
        .map(|message| Finding {
            message,
            listing: None,
            warning: true,
        })
        .into_iter()
        .collect();
    for (connection, origin) in members {
        let mut problems = Vec::new();
        compare(&parameters, connection.parameters.keys(), "parameter", &mut problems);
        compare(&credentials, connection.credentials.keys(), "credential", &mut problems);
        for (name, value) in &connection.parameters {
            let Some(attribute) = parameters.iter().find(|a| &a.name == name) else {
                continue;
            };
            if let Some(problem) = super::value_problem(value, attribute.pattern.as_deref(), attribute.max_length) {
                problems.push(format!("parameter `{name}` value `{value}` {problem}"));
            }
        }
        if !problems.is_empty() {
            findings.push(Finding {
                warning: false,
                listing: None,
                message: format!(
                    "Connection/{} ({origin}): {} (the org's `{connector_type}` takes: {})",
                    connection.name,
                    problems.join(", "),
                    metadata
                        .connection_attributes
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    findings
}

/// How d360's offline table (`validate`) differs from the org's metadata for `connector_type`,
/// in words; the org's metadata is what the plan checks against.
fn table_disagreement(connector_type: &str, metadata: &ConnectorMetadata) -> Option<String> {
    let known = d360_wire::connectors::find(connector_type)?;
    let mut differences = Vec::new();
    let offline: Vec<&d360_wire::connectors::Attribute> = known.parameters.iter().chain(known.credentials).collect();
    for attribute in &offline {
        let Some(org) = metadata.connection_attributes.iter().find(|a| a.name == attribute.name) else {
            differences.push(format!("the org does not list `{}`", attribute.name));
            continue;
        };
        if org.required != attribute.required {
            differences.push(format!(
                "`{}` is {} in the org",
                attribute.name,
                if org.required { "required" } else { "optional" }
            ));
        }
        if org.pattern.as_deref() != attribute.pattern {
            differences.push(format!(
                "`{}` has pattern {} in the org, {} in d360",
                attribute.name,
                shown(org.pattern.as_deref()),
                shown(attribute.pattern)
            ));
        }
        if org.max_length != attribute.max_length {
            differences.push(format!(
                "`{}` has maxLength {} in the org, {} in d360",
                attribute.name,
                org.max_length.map_or_else(|| "none".to_owned(), |n| n.to_string()),
                attribute
                    .max_length
                    .map_or_else(|| "none".to_owned(), |n| n.to_string())
            ));
        }
    }
    for org in &metadata.connection_attributes {
        if !offline.iter().any(|a| a.name == org.name) {
            differences.push(format!("the org also lists `{}`", org.name));
        }
    }
    (!differences.is_empty()).then(|| {
        format!(
            "d360's table of connector type `{connector_type}` differs from the org's metadata ({}); the org's is used",
            differences.join("; ")
        )
    })
}

fn shown(pattern: Option<&str>) -> String {
    pattern.map_or_else(|| "none".to_owned(), |p| format!("`{p}`"))
}

/// Declared names the connector does not take, and required ones not declared.
fn compare<'a>(
    attributes: &[&ConnectorAttribute],
    declared: impl Iterator<Item = &'a String>,
    what: &str,
    problems: &mut Vec<String>,
) {
    let declared: Vec<&String> = declared.collect();
    for name in &declared {
        if !attributes.iter().any(|a| &a.name == *name) {
            problems.push(format!("unknown {what} `{name}`"));
        }
    }
    for attribute in attributes.iter().filter(|a| a.required) {
        if !declared.iter().any(|name| **name == attribute.name) {
            problems.push(format!("missing required {what} `{}`", attribute.name));
        }
    }
}

impl Operations for Connection {
    fn listing(&self) -> Listing {
        Listing {
            kind: Kind::Connection,
            scope: Some(self.connector_type.clone()),
        }
    }

    fn find<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        find_by_name(client, &self.connector_type, &self.name).boxed()
    }

    fn create<'a>(
        &'a self,
        client: &'a Client,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<String, ApiError>> {
        async move {
            let body = connection_input(self, credentials)
                .map_err(|error| not_encodable(&HttpMethod::POST, Connections::PATH, &error))?;
            let created = client.create::<Connections>(&body).await?;
            if !created.id.is_empty() {
                return Ok(created.id);
            }
            // The spec does not require `id` in the answer: learn it by name.
            match find_by_name(client, &self.connector_type, &self.name).await? {
                Some(found) if !found.id.is_empty() => Ok(found.id),
                _ => Err(ApiError::Decode {
                    method: HttpMethod::POST.to_string(),
                    path: Connections::PATH.to_owned(),
                    detail: format!(
                        "the org created `{}` but answered without its record id, and a lookup by name did not give one",
                        self.name
                    ),
                }),
            }
        }
        .boxed()
    }

    fn update<'a>(
        &'a self,
        client: &'a Client,
        id: &'a str,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            let body = connection_input(self, credentials)
                .map_err(|error| not_encodable(&HttpMethod::PUT, &format!("{}/{id}", Connections::PATH), &error))?;
            client.write::<Connections>(HttpMethod::PUT, id, &body).await
        }
        .boxed()
    }

    fn request(&self, id: Option<&str>, credentials: &Credentials) -> Result<Request, String> {
        let body = connection_input(self, credentials).map_err(|error| error.to_string())?;
        let body = serde_json::to_value(&body).map_err(|error| error.to_string())?;
        Ok(match id {
            None => Request {
                method: "POST",
                path: Connections::PATH.to_owned(),
                body,
            },
            Some(id) => Request {
                method: "PUT",
                path: format!("{}/{id}", Connections::PATH),
                body,
            },
        })
    }

    fn update_note(&self) -> Option<&'static str> {
        (!self.credentials.is_empty())
            .then_some("a connection update replaces the whole object (PUT): its credentials are sent again")
    }

    fn replace_note(&self) -> Option<&'static str> {
        None
    }

    fn check<'a>(
        &'a self,
        client: &'a Client,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        super::check::test_before(client, self, &context.credentials).boxed()
    }

    fn verify<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        super::check::test_stored(client, self, id).boxed()
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::model::Lifecycle;

    fn attribute(name: &str, required: bool, pattern: Option<&str>, max_length: Option<u32>) -> ConnectorAttribute {
        ConnectorAttribute {
            name: name.to_owned(),
            label: name.to_owned(),
            required,
            secret: false,
            data_type: None,
            pattern: pattern.map(str::to_owned),
            max_length,
        }
    }

    fn metadata(name: &str, attributes: Vec<ConnectorAttribute>) -> ConnectorMetadata {
        ConnectorMetadata {
            name: name.to_owned(),
            label: name.to_owned(),
            description: None,
            icon_url: None,
            features: Vec::new(),
            connection_attributes: attributes,
            advanced_attributes: Vec::new(),
        }
    }

    fn connection(connector_type: &str, parameters: &[(&str, &str)]) -> Connection {
        Connection {
            name: "C".to_owned(),
            labels: crate::model::SmallMap::new(),
            connector_type: connector_type.to_owned(),
            label: "C".to_owned(),
            method: crate::kinds::Method::Ingress.into(),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            credentials: crate::model::SmallMap::new(),
            lifecycle: Lifecycle::default(),
        }
    }

    #[test]
    fn the_orgs_patterns_are_enforced_at_plan_time() {
        let declared = connection("Databricks", &[("host", "bad host!")]);
        let org = metadata(
            "Databricks",
            vec![attribute("host", true, Some("^[a-z.-]+$"), Some(64))],
        );
        let findings = check_type("Databricks", &[(&declared, "m/a.yaml:1:1")], Some(&org));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(!findings[0].warning);
        assert!(
            findings[0]
                .message
                .contains("parameter `host` value `bad host!` does not match the pattern `^[a-z.-]+$`"),
            "{findings:?}"
        );
    }

    #[test]
    fn the_org_wins_over_the_table_and_the_plan_says_so() {
        let known = d360_wire::connectors::find("AwsRdsMySql").expect("in the table");
        let mut attributes: Vec<ConnectorAttribute> = known
            .parameters
            .iter()
            .chain(known.credentials)
            .map(|a| ConnectorAttribute {
                secret: a.secret,
                ..attribute(a.name, a.required, a.pattern, a.max_length)
            })
            .collect();
        assert_eq!(
            table_disagreement("AwsRdsMySql", &metadata("AwsRdsMySql", attributes.clone())),
            None
        );
        // The org allows longer database names and no pattern: a value the table refuses passes.
        attributes[1].pattern = None;
        attributes[1].max_length = Some(256);
        let org = metadata("AwsRdsMySql", attributes);
        let mut declared = connection(
            "AwsRdsMySql",
            &[
                ("jdbc_connection_url", "jdbc:mysql://h:3306"),
                ("DATABASE", "clinic db"),
            ],
        );
        for name in ["user", "password"] {
            declared
                .credentials
                .insert(name.to_owned(), crate::secret::SecretRef::FromEnv("X".to_owned()));
        }
        let findings = check_type("AwsRdsMySql", &[(&declared, "m/a.yaml:1:1")], Some(&org));
        let warnings: Vec<&Finding> = findings.iter().filter(|f| f.warning).collect();
        assert_eq!(findings.len(), 1, "only the warning: {findings:?}");
        assert!(
            warnings[0]
                .message
                .contains("`DATABASE` has maxLength 256 in the org, 128 in d360")
                && warnings[0].message.contains("the org's is used"),
            "{warnings:?}"
        );
    }
}
