//! Manifests in: files and directories of YAML documents become validated `model` resources.
//!
//! `load` reads every file and parses it once into a position tree (`yaml_tree`), dispatches
//! each document on `apiVersion` and `kind`, reads it from the tree into the `raw` shapes
//! (`tree_deserializer`: unknown fields, types, missing fields and literal secrets become
//! problems with their YAML path, `problem`), interpolates `${env:…}` / `${item.…}` /
//! `${org.…}` (for the org it is loaded for, [`OrgValues`]), marks each resource for this org
//! or for others only (`metadata.orgs`, a set's `orgs` column: [`Declared::for_this_org`]),
//! expands `ConnectionSet`s, and checks everything it can offline. It never stops at the first
//! problem and never does I/O beyond reading the manifests and the CSV inventories they name.
//! Secret values are never read here: only their references are checked. Items listed from
//! AWS RDS come in from the caller ([`Inventory`]): an offline load checks such a set's
//! template against an example database and reports the queries ([`Loaded::aws_queries`])
//! for the caller to list.

pub(crate) mod digest;
mod files;
pub(crate) mod format;
pub(crate) mod render;
pub(crate) mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use crate::kinds::connection::set::{AwsItems, Inventory};
pub(crate) use crate::kinds::document::{Diagnostic, Diagnostics, OrgValues, Pos, Severity};
pub(crate) use files::{FilesError, discover};

use crate::kinds::document::{self as document, Checker, Related, Sink};
use crate::kinds::registry;
pub(crate) use crate::kinds::{Declarations, Declared, Origin};

use crate::model::ResourceKey;

use crate::kinds::Resource;

/// Everything `load` found.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Sorted by kind, then name.
    pub(crate) resources: Vec<Declared>,
    pub(crate) diagnostics: Diagnostics,
    pub(crate) files: usize,
    pub(crate) documents: usize,
    /// Sets whose items come from AWS RDS, and what was found.
    pub(crate) aws: Vec<AwsItems>,
    /// The digest of the files read as written (before values and selection; [`digest`]):
    /// the same in every org for the same files.
    pub(crate) digest: crate::model::SetDigest,
}

impl Loaded {
    /// The distinct AWS RDS inventories the sets ask for.
    #[must_use]
    pub(crate) fn aws_queries(&self) -> std::collections::BTreeSet<crate::aws::rds::Query> {
        self.aws.iter().map(|items| items.query.clone()).collect()
    }

    /// A one-line summary of what was read.
    #[must_use]
    pub(crate) fn summary(&self) -> String {
        let counts: Vec<String> = registry::KINDS
            .iter()
            .map(|entry| {
                let count = self
                    .resources
                    .iter()
                    .filter(|d| d.for_this_org() && d.resource.kind() == entry.kind)
                    .count();
                let (one, many) = entry.nouns;
                format!("{count} {}", if count == 1 { one } else { many })
            })
            .collect();
        let elsewhere = self.resources.iter().filter(|d| !d.for_this_org()).count();
        let other_orgs = if elsewhere == 0 {
            String::new()
        } else {
            format!(" ({elsewhere} more for other orgs only)")
        };
        format!(
            "{} file{}, {} document{}: {}{other_orgs}",
            self.files,
            plural(self.files),
            self.documents,
            plural(self.documents),
            counts.join(", "),
        )
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Reads and checks every manifest under `paths` for the built-in `local` org. A path that
/// does not exist is an error; problems inside files are diagnostics in the result.
#[cfg(test)]
pub(crate) fn load(paths: &[PathBuf]) -> Result<Loaded, FilesError> {
    load_with(paths, Inventory::Offline, &OrgValues::default())
}

/// [`load`] for `org` (its `${org.…}` values), with the AWS RDS inventories listed for the
/// sets that ask for them.
pub(crate) fn load_with(paths: &[PathBuf], inventory: Inventory<'_>, org: &OrgValues) -> Result<Loaded, FilesError> {
    let files = files::discover(paths)?;
    let mut sink = Sink::default();
    let mut declared = Declarations::default();
    let mut documents = 0;
    for file in &files {
        documents += load_file(file, inventory, org, &mut sink, &mut declared);
    }
    let set_digest = digest::of(paths, &declared.read);
    let Declarations { mut resources, aws, .. } = declared;
    // Two orgs may each have their own resource of one name: checks see this org's.
    let here: Vec<&Declared> = resources.iter().filter(|d| d.for_this_org()).collect();
    check_duplicates(&here, &mut sink);
    check_references(&here, &mut sink);
    resources.sort_by(|a, b| (a.resource.kind(), a.resource.name()).cmp(&(b.resource.kind(), b.resource.name())));
    resources.shrink_to_fit();
    let mut diagnostics = sink.finish();
    diagnostics.sort();
    Ok(Loaded {
        resources,
        diagnostics,
        files: files.len(),
        documents,
        aws,
        digest: set_digest,
    })
}

fn load_file(
    file: &Path,
    inventory: Inventory<'_>,
    org: &OrgValues,
    sink: &mut Sink,
    declared: &mut Declarations,
) -> usize {
    let start = Pos {
        line: 1,
        column: 1,
        offset: 0,
    };
    let text = match std::fs::read(file) {
        Ok(bytes) => {
            declared
                .read
                .push(crate::kinds::ReadFile::new(file.to_path_buf(), &bytes));
            if let Ok(text) = String::from_utf8(bytes) {
                Arc::new(text)
            } else {
                sink.push(Diagnostic::error(file, start, "", "the file is not valid UTF-8").hiding_source());
                return 0;
            }
        }
        Err(error) => {
            sink.push(
                Diagnostic::error(
                    file,
                    start,
                    "",
                    format!("cannot read the file: {}", d360_wire::files::plain(&error)),
                )
                .hiding_source(),
            );
            return 0;
        }
    };
    load_source(file, &text, inventory, org, sink, declared)
}

/// Reads the documents of `text`, the content of `file` (which places diagnostics and is the
/// base of relative paths).
fn load_source(
    file: &Path,
    text: &Arc<String>,
    inventory: Inventory<'_>,
    org: &OrgValues,
    sink: &mut Sink,
    declared: &mut Declarations,
) -> usize {
    sink.diagnostics.add_source(file, Arc::clone(text));
    let tree = match document::parse(text) {
        Ok(tree) => tree,
        Err(error) => {
            sink.push(
                Diagnostic::error(file, error.pos, "", format!("invalid YAML: {}", error.message))
                    .with_label("here")
                    .with_help("check the indentation and quoting around this place"),
            );
            return 0;
        }
    };
    for duplicate in &tree.duplicates {
        let key = &duplicate.key;
        sink.push(
            Diagnostic::error(
                file,
                duplicate.second,
                document::path_text(&duplicate.path),
                format!("duplicate key `{key}`"),
            )
            .with_len(key.chars().count())
            .with_label("second definition")
            .with_help("YAML keeps only one of them; remove the other")
            .with_related(Related {
                file: file.to_path_buf(),
                pos: duplicate.first,
                len: key.chars().count(),
                label: "first defined here".into(),
            }),
        );
    }
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    let names = registry::document_names();
    let mut count = 0;
    for document in &tree.documents {
        if document.root.is_null() {
            continue;
        }
        count += 1;
        let mut checker = Checker {
            file,
            dir,
            root: &document.root,
            text,
            prefix: Vec::new(),
            item: None,
            org,
            sink,
        };
        let Some(kind) = document::kind_of(&mut checker, &names) else {
            continue;
        };
        if let Some(entry) = registry::documents().find(|entry| entry.name == kind) {
            (entry.load)(&mut checker, inventory, declared);
        }
    }
    count
}

/// Checks resources that were not read from manifests here (a saved plan's) exactly as
/// `validate` checks manifests: each is written as its manifest document and read again, so
/// every manifest check applies, and one that does not read back as itself is refused too (a
/// value no manifest can declare). Returns the problems, each with its resource, in order.
#[must_use]
pub(crate) fn check_resources(resources: &[&Resource]) -> Vec<(ResourceKey, String)> {
    let mut problems = Vec::new();
    let mut all: Vec<Declared> = Vec::with_capacity(resources.len());
    for resource in resources {
        let key = resource.key();
        let text = match render::document_text(resource) {
            Ok(text) => text,
            Err(reason) => {
                problems.push((key, reason));
                continue;
            }
        };
        // A bare file name: relative `fromFile` paths read back as they were written.
        let file = PathBuf::from("resource.yaml");
        let mut sink = Sink::default();
        let mut loaded = Declarations::default();
        load_source(
            &file,
            &Arc::new(text),
            Inventory::Offline,
            &OrgValues::default(),
            &mut sink,
            &mut loaded,
        );
        let loaded = loaded.resources;
        let errors: Vec<String> = sink
            .diagnostics
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                let mut text = format!("`{}`: {}", d.path, d.message);
                if let Some(help) = &d.help {
                    text.push_str(&format!(" (help: {help})"));
                }
                text
            })
            .collect();
        if !errors.is_empty() {
            problems.extend(errors.into_iter().map(|error| (key.clone(), error)));
        } else if loaded.len() != 1 || *loaded[0].resource != **resource {
            problems.push((
                key,
                "holds values no manifest declares this way (it does not read back as itself)".to_owned(),
            ));
        } else {
            all.extend(loaded);
        }
    }
    // Names are unique per kind, as `check_duplicates` says of manifests.
    let mut seen = std::collections::HashSet::new();
    for declared in &all {
        let key = declared.resource.key();
        if !seen.insert(key.clone()) {
            problems.push((key, "is in the plan twice".to_owned()));
        }
    }
    problems
}

fn check_duplicates(resources: &[&Declared], sink: &mut Sink) {
    let mut first: BTreeMap<ResourceKey, &Origin> = BTreeMap::new();
    for declared in resources {
        let key = declared.resource.key();
        match first.get(&key) {
            None => {
                first.insert(key, &declared.origin);
            }
            Some(previous) => {
                let origin = &declared.origin;
                let mut message = format!("{} `{}` is declared twice", key.kind, key.name);
                if let Some(item) = &origin.item {
                    message.push_str(&format!(" ({item})"));
                }
                let label = match &previous.item {
                    Some(item) => format!("first declared here ({item})"),
                    None => "first declared here".to_owned(),
                };
                sink.push(
                    Diagnostic::error(&origin.file, origin.pos, "metadata.name", message)
                        .with_len(key.name.chars().count())
                        .with_label("declared again")
                        .with_help("names are unique per kind in an org; rename or remove one")
                        .with_related(Related {
                            file: previous.file.clone(),
                            pos: previous.pos,
                            len: key.name.chars().count(),
                            label,
                        }),
                );
            }
        }
    }
}

/// A declared resource that names one no manifest declares is a warning, at the place the
/// name is written: `plan` looks for it in the org.
fn check_references(resources: &[&Declared], sink: &mut Sink) {
    let declared: std::collections::HashSet<ResourceKey> = resources.iter().map(|d| d.resource.key()).collect();
    for resource in resources {
        let origin = &resource.origin;
        let entry = registry::entry(resource.resource.kind());
        for needed in resource.resource.depends_on() {
            if declared.contains(&needed) {
                continue;
            }
            let (noun, _) = entry.nouns;
            let (needed_noun, _) = registry::entry(needed.kind).nouns;
            sink.push(
                Diagnostic::warning(
                    &origin.file,
                    origin.reference_pos.unwrap_or(origin.pos),
                    entry.reference_field.unwrap_or("metadata.name"),
                    format!(
                        "{noun} `{}` uses {needed_noun} `{}`, which no manifest declares",
                        resource.resource.name(),
                        needed.name
                    ),
                )
                .with_len(needed.name.chars().count())
                .with_help("`plan` looks for it in the org; declare it here to manage it with d360"),
            );
        }
    }
}
