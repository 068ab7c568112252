//! `d360 import`: write manifests for live objects and record them as managed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::ValueEnum;
use futures::future::try_join_all;

use super::apply::parse_duration;
use super::session;
use super::{CliError, GlobalArgs, Outcome};
use crate::import::{self, Imported};
use crate::model::{Kind, LiveObject, Resource};
use crate::output;

#[derive(Debug, clap::Args)]
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
    #[arg(long, value_enum)]
    pub(crate) kind: Vec<KindArg>,
    /// One file for everything (`imported.yaml`) instead of one file per resource.
    #[arg(long)]
    pub(crate) single_file: bool,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
    /// How long to wait for the state lock.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub(crate) lock_timeout: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    Connection,
    DataStream,
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

async fn import_from(
    args: &Args,
    pattern: Option<&regex::Regex>,
    session: &session::Session,
) -> Result<Outcome, CliError> {
    let wants = |kind: Kind| {
        args.kind.is_empty()
            || args.kind.iter().any(|k| {
                matches!(
                    (k, kind),
                    (KindArg::Connection, Kind::Connection) | (KindArg::DataStream, Kind::DataStream)
                )
            })
    };
    let client = &session.client;
    let lock = session.store.lock("d360 import", args.lock_timeout).await?;
    let mut state = session.store.load().await?;
    let mut objects: Vec<LiveObject> = Vec::new();
    let mut skipped: Vec<LiveObject> = Vec::new();
    if wants(Kind::Connection) {
        let types: Vec<String> = if args.connector_type.is_empty() {
            client
                .list_connectors()
                .await?
                .connector_info_list
                .into_iter()
                .map(|c| c.name)
                .collect()
        } else {
            args.connector_type.clone()
        };
        // Families d360 cannot manage (Ingest API, CRM, Marketing Cloud, streaming apps,
        // Account Engagement) are read only to name what is skipped and why.
        let (managed_types, other_types): (Vec<&String>, Vec<&String>) = types
            .iter()
            .partition(|t| d360_wire::connectors::Family::of(t).is_manageable());
        objects.extend(
            try_join_all(managed_types.iter().map(|t| client.list_connections(t)))
                .await?
                .into_iter()
                .flatten(),
        );
        skipped.extend(
            try_join_all(other_types.iter().map(|t| client.list_connections(t)))
                .await?
                .into_iter()
                .flatten(),
        );
    }
    if wants(Kind::DataStream) {
        let skipped_names: BTreeSet<String> = skipped.iter().map(|o| o.resource.name().to_owned()).collect();
        let (reading_skipped, streams): (Vec<LiveObject>, Vec<LiveObject>) = client
            .list_data_streams()
            .await?
            .into_iter()
            .partition(|o| match &o.resource {
                Resource::DataStream(stream) => skipped_names.contains(&stream.connection),
                Resource::Connection(_) => false,
            });
        objects.extend(streams);
        skipped.extend(reading_skipped);
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
