//! The import run: read the org's objects of the kinds asked for ([`select`]), then write
//! their manifests and record them as managed ([`write`]), under the state lock the selection
//! took. Takes typed [`Options`], never command-line structs; says nothing itself: what it
//! chose and skipped comes back as values for the command to print.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::try_join_all;

use super::Imported;
use crate::api::{ApiError, Client};
use crate::kinds::{self, Listing, LiveObject};
use crate::model::{Kind, ResourceKey};
use crate::session::Session;
use crate::state::{State, StateError, StateLock};

/// What to import, and how.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches of one import, as the user gives them"
)]
pub(crate) struct Options {
    /// Folder to write manifests into.
    pub(crate) out: PathBuf,
    /// Connector types to read (empty: every type the org offers).
    pub(crate) connector_types: Vec<String>,
    /// Only objects whose API name matches.
    pub(crate) pattern: Option<regex::Regex>,
    /// Only these kinds (empty: every kind).
    pub(crate) kinds: Vec<Kind>,
    /// One file for everything (`imported.yaml`).
    pub(crate) single_file: bool,
    /// Overwrite existing files.
    pub(crate) force: bool,
    pub(crate) lock_timeout: Duration,
    /// Read and choose only: no lock, no file, no state.
    pub(crate) dry_run: bool,
    /// Also objects d360 already manages.
    pub(crate) include_managed: bool,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("not overwriting existing files (pass --force): {}", files.join(", "))]
    WouldOverwrite { files: Vec<String> },
    #[error("cannot write `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A live object whose manifest cannot be written: the org did not report `fields`.
pub(crate) struct Unreadable {
    pub(crate) key: ResourceKey,
    pub(crate) id: String,
    pub(crate) fields: Vec<String>,
}

/// One manifest file to write, with the objects it holds.
pub(crate) struct File {
    pub(crate) path: PathBuf,
    pub(crate) keys: Vec<ResourceKey>,
    /// Members: indexes into [`Selection::imported`].
    members: Vec<usize>,
}

/// What [`select`] chose and passed over, with the state lock (unless a dry run) that
/// [`write`] records under.
pub(crate) struct Selection {
    /// Objects of families d360 cannot manage, and what reads from them.
    pub(crate) unmanageable: Vec<ResourceKey>,
    pub(crate) unreadable: Vec<Unreadable>,
    /// How many matching objects d360 already manages (skipped without `include_managed`).
    pub(crate) already_managed: usize,
    pub(crate) imported: Vec<Imported>,
    pub(crate) files: Vec<File>,
    state: State,
    lock: Option<StateLock>,
}

impl Selection {
    /// What was passed over, one message each: objects d360 cannot manage, objects whose
    /// manifest cannot be written, objects already managed.
    #[must_use]
    pub(crate) fn notices(&self) -> Vec<String> {
        let mut notices = Vec::new();
        if !self.unmanageable.is_empty() {
            let names: Vec<String> = self.unmanageable.iter().map(ToString::to_string).collect();
            notices.push(format!(
                "Skipped {} object{} d360 cannot manage (connections of the Ingest API, Salesforce CRM, Marketing Cloud, streaming app and Account Engagement families, and the data streams reading from them): {}",
                names.len(),
                plural(names.len()),
                names.join(", ")
            ));
        }
        for object in &self.unreadable {
            notices.push(format!(
                "warning: {} (id {}): not imported: the org did not report {}, which a manifest needs",
                object.key,
                object.id,
                object.fields.join(", ")
            ));
        }
        if self.already_managed > 0 {
            notices.push(format!(
                "Skipped {} object{} d360 already manages (their manifests exist; pass --include-managed to write them again).",
                self.already_managed,
                plural(self.already_managed)
            ));
        }
        notices
    }
}

/// After writing: which variables the imported manifests read credentials from, if any.
#[must_use]
pub(crate) fn variables_hint(variables: &[String]) -> Option<String> {
    (!variables.is_empty()).then(|| {
        format!(
            "Credentials are write-only in the org, so the manifests read them from variables. Set these before `d360 apply` (the next plan shows them as `(unknown, will be set)`):\n  {}",
            variables.join("\n  ")
        )
    })
}

/// `s` unless one.
#[must_use]
pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Objects of a listing with every compared field: those the listing answered in part are
/// read again by id (an object deleted meanwhile is dropped).
async fn read_partial_by_id(
    driver: &dyn kinds::Driver,
    client: &Client,
    listed: Vec<LiveObject>,
) -> Result<Vec<LiveObject>, ApiError> {
    let mut complete = Vec::with_capacity(listed.len());
    for object in listed {
        if object.unreported.required().next().is_none() || object.id.is_empty() {
            complete.push(object);
        } else if let Some(read) = driver.read(client, &object.id).await? {
            complete.push(read);
        }
    }
    Ok(complete)
}

/// Every live object of the kinds asked for, split into those d360 can manage and those it
/// cannot (families it does not manage, and what reads from them).
async fn read_org(client: &Client, options: &Options) -> Result<(Vec<LiveObject>, Vec<LiveObject>), ApiError> {
    let mut objects: Vec<LiveObject> = Vec::new();
    let mut skipped: Vec<LiveObject> = Vec::new();
    let wanted = Kind::ALL
        .into_iter()
        .filter(|kind| options.kinds.is_empty() || options.kinds.contains(kind));
    // Kinds in dependency order, so what a skipped object's dependents are is known in time.
    for kind in wanted {
        let driver = kinds::driver(kind);
        let listings = if kind == Kind::Connection && !options.connector_types.is_empty() {
            options
                .connector_types
                .iter()
                .map(|connector_type| Listing {
                    kind,
                    scope: Some(connector_type.clone()),
                })
                .collect()
        } else {
            driver.discover(client).await?
        };
        let lists = try_join_all(listings.iter().map(|listing| async move {
            let listed = driver.list(client, listing, &kinds::keep_all).await?;
            read_partial_by_id(driver, client, listed).await
        }))
        .await?;
        let skipped_keys: BTreeSet<ResourceKey> = skipped.iter().map(LiveObject::key).collect();
        for (listing, listed) in listings.iter().zip(lists) {
            // Families d360 cannot manage (Ingest API, CRM, Marketing Cloud, streaming apps,
            // Account Engagement) are read only to name what is skipped, and so is what reads
            // from them.
            let (kept, unmanageable): (Vec<LiveObject>, Vec<LiveObject>) = listed.into_iter().partition(|object| {
                driver.manages(listing) && !object.resource.depends_on().iter().any(|d| skipped_keys.contains(d))
            });
            objects.extend(kept);
            skipped.extend(unmanageable);
        }
    }
    Ok((objects, skipped))
}

/// Reads the org and chooses what to import; takes the state lock unless a dry run.
pub(crate) async fn select(session: &Session, options: &Options) -> Result<Selection, ImportError> {
    let lock = if options.dry_run {
        None
    } else {
        Some(session.store.lock("d360 import", options.lock_timeout).await?)
    };
    let state = session.store.load().await?;
    let (mut objects, mut skipped) = read_org(&session.client, options).await?;
    let matches = |object: &LiveObject| {
        options
            .pattern
            .as_ref()
            .is_none_or(|p| p.is_match(object.resource.name()))
    };
    skipped.retain(matches);
    objects.retain(matches);
    // A field every object has but the org did not report cannot be written into a manifest;
    // an optional one left out is left out of the manifest too (never compared either way).
    let (unreadable, mut objects): (Vec<LiveObject>, Vec<LiveObject>) = objects
        .into_iter()
        .partition(|o| o.unreported.required().next().is_some());
    let mut already_managed = 0;
    if !options.include_managed {
        let before = objects.len();
        objects.retain(|o| state.get(&o.key()).is_none());
        already_managed = before - objects.len();
    }
    let mut seen = BTreeSet::new();
    objects.retain(|o| seen.insert(o.key()));
    objects.sort_by_key(LiveObject::key);
    let imported: Vec<Imported> = objects.iter().map(super::prepare).collect();
    Ok(Selection {
        unmanageable: skipped.iter().map(LiveObject::key).collect(),
        unreadable: unreadable
            .iter()
            .map(|object| Unreadable {
                key: object.key(),
                id: object.id.clone(),
                fields: object.unreported.required().map(str::to_owned).collect(),
            })
            .collect(),
        already_managed,
        files: files(&imported, options),
        imported,
        state,
        lock,
    })
}

fn files(imported: &[Imported], options: &Options) -> Vec<File> {
    let file = |path: PathBuf, members: Vec<usize>| File {
        keys: members.iter().map(|&i| imported[i].resource.key()).collect(),
        path,
        members,
    };
    if options.single_file {
        if imported.is_empty() {
            return Vec::new();
        }
        vec![file(options.out.join("imported.yaml"), (0..imported.len()).collect())]
    } else {
        (0..imported.len())
            .map(|i| file(super::file_for(&options.out, &imported[i]), vec![i]))
            .collect()
    }
}

/// Writes the selection's manifests (`written` is told each file as it is written) and
/// records its objects as managed. Refuses to overwrite files unless `force`.
pub(crate) async fn write(
    session: &Session,
    mut selection: Selection,
    options: &Options,
    mut written: impl FnMut(&std::path::Path),
) -> Result<(), ImportError> {
    let existing: Vec<String> = selection
        .files
        .iter()
        .filter(|file| file.path.exists())
        .map(|file| file.path.display().to_string())
        .collect();
    if !existing.is_empty() && !options.force {
        return Err(ImportError::WouldOverwrite { files: existing });
    }
    let cannot_write = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| ImportError::Write { path, source }
    };
    std::fs::create_dir_all(&options.out).map_err(cannot_write(&options.out))?;
    for file in &selection.files {
        let members: Vec<&Imported> = file.members.iter().map(|&i| &selection.imported[i]).collect();
        let text = super::manifest_text(&members, &session.org);
        crate::state::write_atomic(&file.path, text.as_bytes(), false).map_err(cannot_write(&file.path))?;
        written(&file.path);
    }
    for entry in &selection.imported {
        selection.state.put(super::managed(entry));
    }
    session.store.save(&mut selection.state).await?;
    drop(selection.lock);
    Ok(())
}
