//! `d360 import`: write manifests for live objects and record them as managed.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use super::planning::parse_duration;
use super::session;
use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome};
use crate::import::run::{self as import, Options, Selection, plural};
use crate::model::Kind;
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
        .map_err(|e| UsageError::Pattern { problem: e.to_string() })?;
    let options = Options {
        out: args.out,
        connector_types: args.connector_type,
        pattern,
        kinds: args.kind.into_iter().collect(),
        single_file: args.single_file,
        force: args.force,
        lock_timeout: args.lock_timeout,
        dry_run: args.dry_run,
        include_managed: args.include_managed,
    };
    let session = session::open(global).await?;
    let result = match import::select(&session, &options).await {
        Ok(selection) => carry_out(&session, selection, &options).await,
        Err(error) => Err(error.into()),
    };
    session.close().await;
    result
}

/// Says what was passed over, then writes (or with `--dry-run` lists) the manifests.
async fn carry_out(session: &session::Session, selection: Selection, options: &Options) -> Result<Outcome, CliError> {
    for notice in selection.notices() {
        output::message(&notice);
    }
    let count = selection.imported.len();
    if count == 0 {
        output::message("Nothing to import: no live object matched.");
        return Ok(Outcome::Success);
    }
    if options.dry_run {
        for file in &selection.files {
            let keys: Vec<String> = file.keys.iter().map(ToString::to_string).collect();
            let note = if file.path.exists() && !options.force {
                " (exists: needs --force)"
            } else {
                ""
            };
            output::data(&format!(
                "would write {} ({}){note}",
                file.path.display(),
                keys.join(", ")
            ));
        }
        output::message(&format!(
            "Dry run: would import {count} object{} and record them as managed; nothing was written.",
            plural(count)
        ));
        return Ok(Outcome::Success);
    }
    let variables: Vec<String> = selection
        .imported
        .iter()
        .flat_map(|i| i.variables.values().cloned())
        .collect();
    import::write(session, selection, options, |path| {
        output::data(&format!("wrote {}", path.display()));
    })
    .await?;
    output::message(&format!(
        "Imported {count} object{} and recorded them as managed.",
        plural(count)
    ));
    if let Some(hint) = import::variables_hint(&variables) {
        output::message(&hint);
    }
    Ok(Outcome::Success)
}
