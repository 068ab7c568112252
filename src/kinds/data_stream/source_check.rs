//! A stream's source checked through its connection's metadata browsing, before the stream is
//! created or changed (`--check`): the database (`POST /ssot/connections/{id}/databases`), the
//! schema where one is declared (`/database-schemas`), the object (`/objects`), and each
//! declared field with a type that can hold the source's (`/objects/{name}/fields`).
//!
//! Every browse goes through the run's [`CheckCache`], so a hundred streams on one connection
//! and database list its objects once. Needs the connection's record id: a stream whose
//! connection does not exist yet is deferred (the plan says so; `apply --check` checks it
//! right before creating it).

use std::collections::BTreeMap;

use serde_json::json;

use super::spec::DataStream;
use crate::api::{ApiError, Client, encode};
use crate::kinds::{CheckContext, CheckFailure, CheckOutcome};
use crate::model::{Kind, ResourceKey};
use d360_wire::shapes::{ConnectionFieldList, ConnectionObjectList, DatabaseList, DatabaseSchemaList};

/// Checks `stream`'s source; `Deferred` when its connection has no record id yet.
pub(super) async fn check(
    client: &Client,
    stream: &DataStream,
    context: &CheckContext<'_>,
) -> Result<CheckOutcome, ApiError> {
    let connection = ResourceKey::new(Kind::Connection, stream.connection.clone());
    let Some(id) = context.dependencies.get(&connection) else {
        return Ok(CheckOutcome::Deferred(format!(
            "its connection `{}` does not exist yet, so its source cannot be browsed; `d360 apply --check` checks it right before creating it",
            stream.connection
        )));
    };
    match browse(client, stream, id, context).await {
        Ok(failures) if failures.is_empty() => Ok(CheckOutcome::Passed),
        Ok(failures) => Ok(CheckOutcome::Failed(failures)),
        Err(error) => match CheckFailure::from_refusal(&error) {
            Some(failure) => Ok(CheckOutcome::Failed(vec![failure])),
            None => Err(error),
        },
    }
}

async fn browse(
    client: &Client,
    stream: &DataStream,
    id: &str,
    context: &CheckContext<'_>,
) -> Result<Vec<CheckFailure>, ApiError> {
    let base = format!("ssot/connections/{}", encode(id));
    let cache = context.cache;
    let source = &stream.source;
    let mut scope = BTreeMap::new();
    let mut within = format!("connection `{}`", stream.connection);
    if let Some(database) = &source.database {
        let listed: DatabaseList = cache.ask(client, &format!("{base}/databases"), None).await?;
        if !contains(&listed.databases, database) {
            return Ok(vec![not_found("database", database, &within, listed.databases)]);
        }
        scope.insert("databaseName", database.clone());
        within = format!("database `{database}`");
    }
    if let Some(schema) = &source.schema {
        let body = json!({ "advancedAttributes": scope });
        let listed: DatabaseSchemaList = cache
            .ask(client, &format!("{base}/database-schemas"), Some(&body))
            .await?;
        if !contains(&listed.database_schemas, schema) {
            return Ok(vec![not_found("schema", schema, &within, listed.database_schemas)]);
        }
        scope.insert("schemaName", schema.clone());
        within = format!("schema `{schema}`");
    }
    let body = json!({ "advancedAttributes": scope });
    let listed: ConnectionObjectList = cache.ask(client, &format!("{base}/objects"), Some(&body)).await?;
    let names: Vec<String> = listed.objects.into_iter().map(|o| o.name).collect();
    let Some(object) = names.iter().find(|n| n.eq_ignore_ascii_case(&source.object)) else {
        return Ok(vec![not_found("object", &source.object, &within, names)]);
    };
    let path = format!("{base}/objects/{}/fields", encode(object));
    let listed: ConnectionFieldList = cache.ask(client, &path, Some(&body)).await?;
    let available: Vec<String> = listed.fields.iter().map(|f| f.name.clone()).collect();
    let mut failures = Vec::new();
    for field in &stream.fields {
        let declared = field.field_type.as_str();
        match listed.fields.iter().find(|f| f.name.eq_ignore_ascii_case(&field.name)) {
            None => failures.push(not_found(
                "field",
                &field.name,
                &format!("object `{object}`"),
                available.clone(),
            )),
            Some(found) if !fits(declared, &found.field_type) => failures.push(CheckFailure::TypeMismatch {
                field: field.name.clone(),
                declared: declared.to_owned(),
                source: found.field_type.clone(),
            }),
            Some(_) => {}
        }
    }
    Ok(failures)
}

fn contains(listed: &[String], name: &str) -> bool {
    listed.iter().any(|l| l.eq_ignore_ascii_case(name))
}

fn not_found(what: &'static str, name: &str, within: &str, available: Vec<String>) -> CheckFailure {
    CheckFailure::NotFound {
        what,
        name: name.to_owned(),
        within: within.to_owned(),
        available,
    }
}

/// Whether a declared field type holds the source field's: the same type; text holds anything
/// readable; the text-like types hold each other, as the numeric ones do; a date-time holds a
/// date. `Unsupported` source fields fit nothing.
fn fits(declared: &str, source: &str) -> bool {
    const TEXT_LIKE: [&str; 4] = ["Text", "Email", "Phone", "Url"];
    const NUMERIC: [&str; 3] = ["Number", "Percent", "Currency"];
    if source == "Unsupported" {
        return false;
    }
    declared == source
        || declared == "Text"
        || (TEXT_LIKE.contains(&declared) && TEXT_LIKE.contains(&source))
        || (NUMERIC.contains(&declared) && NUMERIC.contains(&source))
        || (declared == "DateTime" && source == "Date")
}

#[cfg(test)]
mod tests {
    use super::fits;

    #[track_caller]
    fn case(declared: &str, source: &str, expected: bool) {
        assert_eq!(fits(declared, source), expected, "{declared} from {source}");
    }

    #[test]
    fn declared_types_hold_what_they_can() {
        case("Text", "Number", true);
        case("Email", "Text", true);
        case("Currency", "Number", true);
        case("DateTime", "Date", true);
        case("Number", "Text", false);
        case("Date", "DateTime", false);
        case("Boolean", "Text", false);
        case("Text", "Unsupported", false);
    }
}
