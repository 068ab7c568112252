//! What a manifest declares: each resource with where it was written, as the kinds' document
//! loaders produce them for `manifest::load`.

use std::path::PathBuf;
use std::sync::Arc;

use super::Resource;
use super::connection::set::AwsItems;
pub(crate) use super::document::Placement;
use super::document::{Checker, Pos};

/// Where a resource was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
    /// For set members: which item (`row 3 of inventory/clinics.csv`).
    pub(crate) item: Option<String>,
    /// For a resource that names another it needs (a data stream's `spec.connection`): where
    /// that name is written (the kind's `reference_field`).
    pub(crate) reference_pos: Option<Pos>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.pos.line, self.pos.column)?;
        if let Some(item) = &self.item {
            write!(f, " ({item})")?;
        }
        Ok(())
    }
}

/// A desired resource and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declared {
    /// Shared with the plan's actions, so a plan of N changes holds each resource once.
    pub(crate) resource: Arc<Resource>,
    pub(crate) origin: Origin,
    /// Whether it goes to the org loaded for (`metadata.orgs`).
    pub(crate) placement: Placement,
}

impl Declared {
    /// Whether it goes to the org the manifests were loaded for.
    #[must_use]
    pub(crate) fn for_this_org(&self) -> bool {
        self.placement == Placement::ThisOrg
    }
}

impl Origin {
    /// The place of the value at `rel` under the checker's document.
    #[must_use]
    pub(crate) fn at(checker: &Checker<'_>, rel: &[&str], item: Option<String>) -> Self {
        Origin {
            file: checker.file.to_path_buf(),
            pos: checker.value_place(rel).0,
            item,
            reference_pos: None,
        }
    }
}

/// What the documents of a load declared so far.
#[derive(Debug, Default)]
pub(crate) struct Declarations {
    pub(crate) resources: Vec<Declared>,
    /// Sets whose items come from AWS RDS, and what was found.
    pub(crate) aws: Vec<AwsItems>,
    /// Files besides the manifests that the documents read (a set's CSV inventory), for the
    /// digest of the manifest set.
    pub(crate) read: Vec<ReadFile>,
}

/// A file a document read, as the path it was opened at and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadFile {
    pub(crate) path: PathBuf,
    pub(crate) sha256: [u8; 32],
}

impl ReadFile {
    /// The file read at `path`, with content `bytes`.
    #[must_use]
    pub(crate) fn new(path: PathBuf, bytes: &[u8]) -> Self {
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
        Self { path, sha256 }
    }
}

impl Declarations {
    pub(crate) fn declare(&mut self, resource: Resource, origin: Origin, placement: Placement) {
        self.resources.push(Declared {
            resource: Arc::new(resource),
            origin,
            placement,
        });
    }
}
