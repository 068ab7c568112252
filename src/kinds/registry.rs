//! The one list of kinds: what the stages that are not a kind's own (`manifest::load`, the
//! `schema` and `reference` commands, `fmt`, `import`, `--kind` flags, the plan file's
//! listing record, load-time references) need from each kind, so none of them names one.
//!
//! Adding a kind is a folder under `kinds/` with its `entry.rs`, one line in [`KINDS`], and
//! its routes module in the emulator. `tests` below fails when a registered kind lacks a part.

use std::path::Path;

use super::document::Checker;
use super::{Declarations, Resource, connection, data_stream};
use crate::model::{Kind, Listing};

/// Every kind, in [`Kind::ALL`] order (the order creates run in).
pub(crate) const KINDS: &[&KindEntry] = &[&connection::ENTRY, &data_stream::ENTRY];

/// What one kind contributes outside its model type and driver.
pub(crate) struct KindEntry {
    pub(crate) kind: Kind,
    /// What the stages do with the kind as a whole (listings, read, delete, org checks).
    pub(crate) driver: &'static dyn super::Driver,
    /// One object of the kind and many, in summaries (`connection`, `connections`).
    pub(crate) nouns: (&'static str, &'static str),
    /// The manifest documents that declare it: its own, then sets of it.
    pub(crate) documents: &'static [DocumentEntry],
    /// Other spellings accepted by `--kind` (the kind's name is always accepted), and the
    /// help shown with the name, if any.
    pub(crate) spellings: &'static [&'static str],
    pub(crate) flag_help: Option<&'static str>,
    /// `import` writes `<file_stem>-<name>.yaml`.
    pub(crate) file_stem: &'static str,
    /// How `import` prepares a live object: write-only values become references; returns the
    /// environment variables (by credential name) the written manifest reads.
    pub(crate) prepare_import: fn(&mut Resource, &[String]) -> std::collections::BTreeMap<String, String>,
    /// The resource as the JSON value of its manifest document, or why it has none.
    pub(crate) render: fn(&Resource, Option<&Path>) -> Result<serde_json::Value, String>,
    /// Its record in a plan file's `listings`.
    pub(crate) listings: ListingRecord,
    /// Where a declared resource names another it needs (`spec.connection`), if it can.
    pub(crate) reference_field: Option<&'static str>,
    /// A valid resource of the kind, for the registry's own tests.
    #[cfg(test)]
    pub(crate) example: fn() -> Resource,
}

/// One kind of manifest document (`Connection`, `ConnectionSet`, `DataStream`).
pub(crate) struct DocumentEntry {
    /// The value of `kind:`.
    pub(crate) name: &'static str,
    /// Its JSON Schema file, with `$id` and title `d360 <name>`.
    pub(crate) schema_file: &'static str,
    pub(crate) schema: fn() -> schemars::Schema,
    /// Reads the document under the checker and declares what it holds.
    pub(crate) load: fn(&mut Checker<'_>, crate::kinds::connection::set::Inventory<'_>, &mut Declarations),
}

/// A kind's field in the plan file's `listings`: the listings it saves and reads back.
pub(crate) struct ListingRecord {
    pub(crate) field: &'static str,
    pub(crate) save: fn(&[&Listing]) -> serde_json::Value,
    pub(crate) load: fn(&serde_json::Value) -> Result<Vec<Listing>, String>,
}

/// The entry of `kind`. Every kind has one (the first test below fails otherwise), so the
/// fallback to the first entry is never taken.
#[must_use]
pub(crate) fn entry(kind: Kind) -> &'static KindEntry {
    KINDS
        .iter()
        .copied()
        .find(|entry| entry.kind == kind)
        .unwrap_or(KINDS[0])
}

/// Every manifest document kind, in registry order.
pub(crate) fn documents() -> impl Iterator<Item = &'static DocumentEntry> {
    KINDS.iter().flat_map(|entry| entry.documents.iter())
}

/// The names `kind:` may have, in registry order.
#[must_use]
pub(crate) fn document_names() -> Vec<&'static str> {
    documents().map(|document| document.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_in_dependency_order() {
        let registered: Vec<Kind> = KINDS.iter().map(|entry| entry.kind).collect();
        assert_eq!(registered, Kind::ALL, "one registry line per kind, in Kind::ALL order");
    }

    #[test]
    fn every_registered_kind_has_every_part() {
        let schemas = crate::manifest::schema::all().expect("schemas");
        let order = crate::manifest::format::Schemas::load().expect("fmt order");
        for entry in KINDS {
            let name = entry.kind.as_str();
            assert!(!entry.documents.is_empty(), "{name}: no manifest document");
            assert_eq!(entry.documents[0].name, name, "{name}: its own document comes first");
            for document in entry.documents {
                let schema = schemas
                    .iter()
                    .find(|(file, _)| *file == document.schema_file)
                    .map(|(_, schema)| schema);
                assert!(schema.is_some(), "{}: no schema file", document.name);
                assert!(
                    order.knows(document.name),
                    "{}: fmt has no key order for it",
                    document.name
                );
            }
            assert!(!entry.file_stem.is_empty(), "{name}: import has no file name");
            assert!(!entry.listings.field.is_empty(), "{name}: no listing record");
            let example = (entry.example)();
            assert_eq!(example.kind(), entry.kind, "{name}: its example is another kind");
            let rendered = (entry.render)(&example, None);
            assert!(rendered.is_ok(), "{name}: import cannot write it: {rendered:?}");
            let saved = (entry.listings.save)(&[]);
            assert!(
                (entry.listings.load)(&saved).is_ok(),
                "{name}: listing record does not read back"
            );
        }
    }

    /// A registered kind whose routes module the emulator lacks fails here: every listing its
    /// driver discovers is read from an emulated org.
    #[test]
    fn the_emulator_serves_every_registered_kind() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let running = d360_emulator::start(d360_emulator::Options::new(dir.path()))
                .await
                .expect("emulator starts");
            let client = emulated_client(&running, dir.path());
            for entry in KINDS {
                let name = entry.kind.as_str();
                let driver = crate::kinds::driver(entry.kind);
                let listings = driver.discover(&client).await;
                let listings = listings.unwrap_or_else(|error| panic!("{name}: the emulator lists nothing: {error}"));
                assert!(!listings.is_empty(), "{name}: no listing discovered");
                for listing in &listings {
                    if let Err(error) = driver.list(&client, listing, &crate::kinds::keep_all).await {
                        panic!("{name}: the emulator does not serve {listing}: {error}");
                    }
                }
            }
            running.shutdown().await;
        });
    }

    fn emulated_client(running: &d360_emulator::Emulator, dir: &Path) -> crate::api::Client {
        let state = crate::config::StateConfig::Local {
            path: dir.join("state.json"),
        };
        let profile =
            crate::session::local_profile(running, state, std::time::Duration::from_secs(30)).expect("emulator URL");
        crate::api::Client::new(&profile, crate::api::RetrySettings::default()).expect("client")
    }
}
