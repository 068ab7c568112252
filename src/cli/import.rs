//! `d360 import`: write manifests for live objects and record them as managed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use futures::future::try_join_all;

use super::apply::parse_duration;
use super::session;
use super::{CliError, GlobalArgs, Outcome};
use crate::import::{self, Imported};
use crate::kinds::{self, Listing, LiveObject};
use crate::model::{Kind, ResourceKey};
use crate::output;

#[derive(Debug, clap::Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the flags a user gives import, each its own switch"
)]
pub(crate) struct Args {
    /// Folder to write manifests into.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Connector types to read (repeatable; default: every type the org offers).
    #[arg(long, value_name = "TYPE")]
    pub(crate) connector_type: Vec<String>,
    /// Only objects whose API name matches this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub(crate) pattern: Option<String>,
    /// Only this kind (repeatable; default: both).
    #[arg(long, value_parser = kind_parser())]
    pub(crate) kind: Vec<Kind>,
    /// One file for everything (`imported.yaml`) instead of one file per resource.
    #[arg(long)]
    pub(crate) single_file: bool,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
    /// How long to wait for the state lock.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
    /// Read the org and list what would be written and recorded; write no file, leave state
    /// alone (no lock taken).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Also write manifests for objects d360 already manages (by default they are skipped:
    /// their manifests exist, and their credentials' fingerprints would be lost).
    #[arg(long)]
    pub(crate) include_managed: bool,
}

/// `--kind`: every registered kind, spelled as in manifests and `--target`, or one of its
/// other spellings.
fn kind_parser() -> impl clap::builder::TypedValueParser<Value = Kind> {
    let values = crate::kinds::registry::KINDS.iter().map(|entry| {
        let value = PossibleValue::new(entry.kind.as_str()).aliases(entry.spellings.iter().copied());
        match entry.flag_help {
            Some(help) => value.help(help),
            None => value,
        }
    });
    PossibleValuesParser::new(values)
        .try_map(|text| Kind::parse(&text).ok_or_else(|| format!("`{text}` is not a kind")))
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let pattern = args
        .pattern
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| CliError::Usage(format!("--match: not a valid regular expression: {e}")))?;
    let session = session::open(global).await?;
    let result = import_from(&args, pattern.as_ref(), &session).await;
    session.close().await;
    result
}

/// Objects of a listing with every compared field: those the listing answered in part are
/// read again by id (an object deleted meanwhile is dropped).
async fn read_partial_by_id(
    driver: &dyn kinds::Driver,
    client: &crate::api::Client,
    listed: Vec<LiveObject>,
) -> Result<Vec<LiveObject>, crate::api::ApiError> {
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

async fn import_from(
    args: &Args,
    pattern: Option<&regex::Regex>,
    session: &session::Session,
) -> Result<Outcome, CliError> {
    let wants = |kind: Kind| args.kind.is_empty() || args.kind.contains(&kind);
    let client = &session.client;
    let lock = if args.dry_run {
        None
    } else {
        Some(session.store.lock("d360 import", args.lock_timeout).await?)
    };
    let mut state = session.store.load().await?;
    let mut objects: Vec<LiveObject> = Vec::new();
    let mut skipped: Vec<LiveObject> = Vec::new();
    // Kinds in dependency order, so what a skipped object's dependents are is known in time.
    for kind in Kind::ALL.into_iter().filter(|kind| wants(*kind)) {
        let driver = kinds::driver(kind);
        let listings = if kind == Kind::Connection && !args.connector_type.is_empty() {
            args.connector_type
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
            let listed = driver.list(client, listing).await?;
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
    skipped.retain(|o| pattern.is_none_or(|p| p.is_match(o.resource.name())));
    if !skipped.is_empty() {
        let names: Vec<String> = skipped.iter().map(|o| o.key().to_string()).collect();
        output::message(&format!(
            "Skipped {} object{} d360 cannot manage (connections of the Ingest API, Salesforce CRM, Marketing Cloud, streaming app and Account Engagement families, and the data streams reading from them): {}",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    objects.retain(|o| pattern.is_none_or(|p| p.is_match(o.resource.name())));
    // A field every object has but the org did not report cannot be written into a manifest;
    // an optional one left out is left out of the manifest too (never compared either way).
    let (unreadable, readable): (Vec<LiveObject>, Vec<LiveObject>) = objects
        .into_iter()
        .partition(|o| o.unreported.required().next().is_some());
    objects = readable;
    for object in &unreadable {
        let fields: Vec<&str> = object.unreported.required().collect();
        output::message(&format!(
            "warning: {} (id {}): not imported: the org did not report {}, which a manifest needs",
            object.key(),
            object.id,
            fields.join(", ")
        ));
    }
    if !args.include_managed {
        let (managed, unmanaged): (Vec<LiveObject>, Vec<LiveObject>) =
            objects.into_iter().partition(|o| state.get(&o.key()).is_some());
        objects = unmanaged;
        if !managed.is_empty() {
            output::message(&format!(
                "Skipped {} object{} d360 already manages (their manifests exist; pass --include-managed to write them again).",
                managed.len(),
                if managed.len() == 1 { "" } else { "s" }
            ));
        }
    }
    let mut seen = BTreeSet::new();
    objects.retain(|o| seen.insert(o.key()));
    objects.sort_by_key(LiveObject::key);
    if objects.is_empty() {
        output::message("Nothing to import: no live object matched.");
        return Ok(Outcome::Success);
    }
    let imported: Vec<Imported> = objects.iter().map(import::prepare).collect();
    let files: Vec<(PathBuf, Vec<&Imported>)> = if args.single_file {
        vec![(args.out.join("imported.yaml"), imported.iter().collect())]
    } else {
        imported
            .iter()
            .map(|i| (import::file_for(&args.out, i), vec![i]))
            .collect()
    };
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if args.dry_run {
        for (path, members) in &files {
            let keys: Vec<String> = members.iter().map(|m| m.resource.key().to_string()).collect();
            let note = if path.exists() && !args.force {
                " (exists: needs --force)"
            } else {
                ""
            };
            output::data(&format!("would write {} ({}){note}", path.display(), keys.join(", ")));
        }
        output::message(&format!(
            "Dry run: would import {} object{} and record them as managed; nothing was written.",
            imported.len(),
            if imported.len() == 1 { "" } else { "s" }
        ));
        return Ok(Outcome::Success);
    }
    if !existing.is_empty() && !args.force {
        return Err(CliError::Usage(format!(
            "not overwriting existing files (pass --force): {}",
            existing.join(", ")
        )));
    }
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Write {
        path: args.out.display().to_string(),
        source,
    })?;
    for (path, members) in &files {
        crate::state::write_atomic(path, import::manifest_text(members, &session.org).as_bytes(), false).map_err(
            |source| CliError::Write {
                path: path.display().to_string(),
                source,
            },
        )?;
        output::data(&format!("wrote {}", path.display()));
    }
    for entry in &imported {
        state.put(import::managed(entry));
    }
    session.store.save(&mut state).await?;
    drop(lock);
    let variables: Vec<&String> = imported.iter().flat_map(|i| i.variables.values()).collect();
    output::message(&format!(
        "Imported {} object{} and recorded them as managed.",
        imported.len(),
        if imported.len() == 1 { "" } else { "s" }
    ));
    if !variables.is_empty() {
        output::message(&format!(
            "Credentials are write-only in the org, so the manifests read them from variables. Set these before `d360 apply` (the next plan shows them as `(unknown, will be set)`):\n  {}",
            variables.iter().map(|v| v.as_str()).collect::<Vec<_>>().join("\n  ")
        ));
    }
    Ok(Outcome::Success)
}
