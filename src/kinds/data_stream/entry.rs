//! The `DataStream` kind's line in the registry: its document, how import writes it, its
//! listing record in a plan file, and the connection it names.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::schema_for;

use super::document::DataStreamDocument;
use crate::kinds::Resource;
use crate::kinds::connection::set::Inventory;
use crate::kinds::declared::{Declarations, Origin};
use crate::kinds::document::{self, Checker};
use crate::kinds::registry::{DocumentEntry, KindEntry, ListingRecord};
use crate::model::{Kind, Listing};

pub(crate) const ENTRY: KindEntry = KindEntry {
    kind: Kind::DataStream,
    driver: &super::DataStreamDriver,
    nouns: ("data stream", "data streams"),
    documents: &[DocumentEntry {
        name: "DataStream",
        schema_file: "data-stream.json",
        schema: || schema_for!(DataStreamDocument),
        load,
    }],
    spellings: &["data-stream", "datastream"],
    flag_help: None,
    file_stem: "data-stream",
    prepare_import: |_, _| BTreeMap::new(),
    render,
    listings: ListingRecord {
        field: "dataStreamsListed",
        save: save_listings,
        load: load_listings,
    },
    reference_field: Some("spec.connection"),
    #[cfg(test)]
    example: || Resource::DataStream(Box::new(super::DataStream::example("Example_Stream"))),
};

fn load(checker: &mut Checker<'_>, _: Inventory<'_>, declared: &mut Declarations) {
    if let Some(raw) = document::read_named::<DataStreamDocument>(checker) {
        let stream = super::convert::convert(checker, &raw.metadata, &raw.spec);
        let placement = document::placement(checker, &["metadata"], raw.metadata.orgs.as_deref());
        let mut origin = Origin::at(checker, &["metadata", "name"], None);
        origin.reference_pos = Some(checker.value_place(&["spec", "connection"]).0);
        declared.declare(Resource::DataStream(Box::new(stream)), origin, placement);
    }
}

fn render(resource: &Resource, _base: Option<&Path>) -> Result<serde_json::Value, String> {
    let Resource::DataStream(stream) = resource else {
        return Err(format!("{} is not a data stream", resource.key()));
    };
    let document = super::render::document(stream).map_err(|error| error.to_string())?;
    serde_json::to_value(document).map_err(|error| error.to_string())
}

/// `dataStreamsListed`: whether the data streams were listed (one listing covers them all).
fn save_listings(listings: &[&Listing]) -> serde_json::Value {
    serde_json::Value::Bool(!listings.is_empty())
}

fn load_listings(value: &serde_json::Value) -> Result<Vec<Listing>, String> {
    let listed: bool = serde_json::from_value(value.clone()).map_err(|error| error.to_string())?;
    Ok(listed
        .then_some(Listing {
            kind: Kind::DataStream,
            scope: None,
        })
        .into_iter()
        .collect())
}
