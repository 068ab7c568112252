//! The `Connection` kind's line in the registry: its documents (`Connection`,
//! `ConnectionSet`), how import writes it, its listing record in a plan file.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::schema_for;

use super::document::ConnectionDocument;
use super::set::{self, Inventory};
use super::set_document::ConnectionSetDocument;
use crate::kinds::Resource;
use crate::kinds::declared::{Declarations, Origin, Placement};
use crate::kinds::document::{self, Checker};
use crate::kinds::registry::{DocumentEntry, KindEntry, ListingRecord};
use crate::model::{Kind, Listing};
use crate::secret::SecretRef;

pub(crate) const ENTRY: KindEntry = KindEntry {
    kind: Kind::Connection,
    driver: &super::ConnectionDriver,
    nouns: ("connection", "connections"),
    documents: &[
        DocumentEntry {
            name: "Connection",
            schema_file: "connection.json",
            schema: || schema_for!(ConnectionDocument),
            load: load_connection,
        },
        DocumentEntry {
            name: "ConnectionSet",
            schema_file: "connection-set.json",
            schema: || schema_for!(ConnectionSetDocument),
            load: load_set,
        },
    ],
    spellings: &["connection"],
    flag_help: Some("Spelled as in manifests and `--target`; `connection` works too"),
    file_stem: "connection",
    prepare_import,
    render,
    listings: ListingRecord {
        field: "connectorTypes",
        save: save_listings,
        load: load_listings,
    },
    reference_field: None,
    #[cfg(test)]
    example,
};

fn load_connection(checker: &mut Checker<'_>, _: Inventory<'_>, declared: &mut Declarations) {
    if let Some(raw) = document::read_named::<ConnectionDocument>(checker) {
        let connection = super::convert::convert(checker, &raw.metadata, &raw.spec);
        let placement = document::placement(checker, &["metadata"], raw.metadata.orgs.as_deref());
        let origin = Origin::at(checker, &["metadata", "name"], None);
        declared.declare(Resource::Connection(connection), origin, placement);
    }
}

fn load_set(checker: &mut Checker<'_>, inventory: Inventory<'_>, declared: &mut Declarations) {
    let Some(raw) = document::read::<ConnectionSetDocument>(checker) else {
        return;
    };
    let set::Items { items, aws, read } = set::items(checker, &raw, inventory);
    declared.aws.extend(aws);
    declared.read.extend(read);
    let connections = set::expand(checker, &raw, &items);
    // The set's, the template's and each item's `orgs` must all name the org.
    let for_set = document::placement(checker, &["metadata"], raw.metadata.orgs.as_deref());
    let for_template = document::placement(
        checker,
        &["spec", "template", "metadata"],
        raw.spec.template.metadata.orgs.as_deref(),
    );
    // An example item (AWS offline) is only checked: it declares nothing.
    for (connection, item) in connections.into_iter().zip(&items).filter(|(_, item)| !item.example) {
        let origin = Origin::at(
            checker,
            &["spec", "template", "metadata", "name"],
            Some(item.label.clone()),
        );
        let placement = if [for_set, for_template, set::item_placement(checker, item)].contains(&Placement::OtherOrgs) {
            Placement::OtherOrgs
        } else {
            Placement::ThisOrg
        };
        declared.declare(Resource::Connection(connection), origin, placement);
    }
}

/// `D360_<NAME>_<CREDENTIAL>` in upper snake case.
#[must_use]
fn variable_name(resource: &str, credential: &str) -> String {
    let upper = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("D360_{}_{}", upper(resource), upper(credential))
}

/// Write-only credentials become `fromEnv` references to `D360_<NAME>_<CREDENTIAL>`.
fn prepare_import(resource: &mut Resource, credential_names: &[String]) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    if let Resource::Connection(connection) = resource {
        for credential in credential_names {
            let variable = variable_name(&connection.name, credential);
            connection
                .credentials
                .insert(credential.clone(), SecretRef::FromEnv(variable.clone()));
            variables.insert(credential.clone(), variable);
        }
    }
    variables
}

fn render(resource: &Resource, base: Option<&Path>) -> Result<serde_json::Value, String> {
    let Resource::Connection(connection) = resource else {
        return Err(format!("{} is not a connection", resource.key()));
    };
    let document = super::render::document(connection, base).map_err(|error| error.to_string())?;
    serde_json::to_value(document).map_err(|error| error.to_string())
}

/// `connectorTypes`: the connector types listed (a listing of every type is not saved).
fn save_listings(listings: &[&Listing]) -> serde_json::Value {
    listings
        .iter()
        .filter_map(|listing| listing.scope.clone())
        .map(serde_json::Value::String)
        .collect()
}

fn load_listings(value: &serde_json::Value) -> Result<Vec<Listing>, String> {
    let types: Vec<String> = serde_json::from_value(value.clone()).map_err(|error| error.to_string())?;
    Ok(types
        .into_iter()
        .map(|connector_type| Listing {
            kind: Kind::Connection,
            scope: Some(connector_type),
        })
        .collect())
}

#[cfg(test)]
fn example() -> Resource {
    Resource::Connection(super::Connection {
        name: "Example_Connection".to_owned(),
        labels: crate::model::SmallMap::new(),
        connector_type: "AwsRdsMySql".to_owned(),
        label: "Example".to_owned(),
        method: super::Method::Ingress.into(),
        parameters: crate::model::SmallMap::new(),
        credentials: crate::model::SmallMap::new(),
        lifecycle: crate::model::Lifecycle::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::variable_name;

    #[test]
    fn variable_names_are_upper_snake_case() {
        assert_eq!(variable_name("AWS_RDS_c01", "password"), "D360_AWS_RDS_C01_PASSWORD");
        assert_eq!(variable_name("x", "api-key"), "D360_X_API_KEY");
    }
}
