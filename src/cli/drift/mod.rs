//! `d360 drift [PATHS]`: report objects changed, deleted or created outside d360. With
//! several orgs (`--org` repeated, `--org all`), one report per org, checked at once, shown
//! together.

use std::path::PathBuf;

use clap::ValueEnum;

mod accept;

use super::planning;
use super::session::{self, Session};
use super::{CliError, GlobalArgs, OrgChoice, Outcome, manifests, several_orgs};
use crate::drift;
use crate::manifest::Loaded;
use crate::output;
use crate::plan::several::OrgOutcome;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// `text`, `json` (stable, versioned), `markdown` (an issue or PR comment) or `junit`
    /// (one test case per resource).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the report to this file instead of stdout (the summary line still goes to stderr).
    /// With several orgs, the one report of them all.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Check even when no manifest declares anything (every managed object then shows as no
    /// longer declared).
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// Which kinds of drift make exit code 2 (comma-separated). Everything is reported
    /// either way; an object someone made by hand (`unmanaged`) fails only when listed.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "changed,missing,unhealthy",
        value_name = "LIST"
    )]
    pub(crate) fail_on: Vec<FailOn>,
    /// Record in state what is already true in the org and agrees with the manifests, and
    /// nothing else: objects that match their manifest but are not in state yet (adopted), and
    /// managed objects deleted outside d360 that no manifest declares any more (forgotten).
    /// Never writes to the org or the manifests, and never accepts changed fields, missing
    /// objects, unmanaged objects or credentials (see the README).
    #[arg(long)]
    pub(crate) accept: bool,
    /// With `--accept`: how long to wait for another command's state lock (`0`, `30s`, `5m`).
    #[arg(long, default_value = "0s", value_parser = super::planning::parse_duration, requires = "accept")]
    pub(crate) lock_timeout: std::time::Duration,
}

/// A kind of drift `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Live fields differ from the manifest.
    Changed,
    /// Declared or managed but gone from the org.
    Missing,
    /// In the org, not managed by d360.
    Unmanaged,
    /// Managed, in the org, no longer declared.
    Undeclared,
    /// Credentials that cannot be verified.
    SecretUnverified,
    /// Declared fields the org does not report (not compared).
    Unverifiable,
    /// A managed connection the org reports as not working (status not `Connected`).
    Unhealthy,
}

impl FailOn {
    fn status(self) -> drift::Status {
        match self {
            FailOn::Changed => drift::Status::Changed,
            FailOn::Missing => drift::Status::Missing,
            FailOn::Unmanaged => drift::Status::Unmanaged,
            FailOn::Undeclared => drift::Status::Undeclared,
            FailOn::SecretUnverified => drift::Status::SecretUnverified,
            FailOn::Unverifiable => drift::Status::Unverifiable,
            FailOn::Unhealthy => drift::Status::Unhealthy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Markdown,
    Junit,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let options = crate::plan::Options {
        allow_empty: args.allow_empty,
        ..crate::plan::Options::default()
    };
    let orgs = match global.orgs()? {
        OrgChoice::One(_) => return run_one(&args, global, &options).await,
        OrgChoice::Many(orgs) => orgs,
    };
    let runs = several_orgs::run(
        &orgs,
        global,
        &args.paths,
        &options,
        async |session: &Session, loaded: &Loaded| check(&args, session, loaded, &options).await,
    )
    .await;
    let reports: Vec<OrgOutcome<'_, drift::Report>> = runs
        .iter()
        .map(|run| OrgOutcome {
            org: &run.org,
            outcome: run.outcome(),
        })
        .collect();
    let to_file = args.out.is_some();
    let text = match args.format {
        Format::Text => drift::several::render_text_sections(
            &reports,
            output::Paint {
                enabled: !to_file && output::stdout_color(),
            },
        ),
        Format::Markdown => drift::several::render_markdown_comment(&reports),
        Format::Junit => drift::several::render_junit(&reports),
        Format::Json => super::to_json(&crate::plan::several::document("report", &reports).map_err(CliError::Encode)?)?,
    };
    show(&args, &text, &drift::several::tally(&reports).line("drift"))?;
    let checked: Vec<&drift::Report> = reports.iter().filter_map(|entry| entry.outcome.ok()).collect();
    Ok(if checked.len() < reports.len() {
        Outcome::Failure
    } else if exit_on(&args, &checked) {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// One org, as `drift` always did.
async fn run_one(args: &Args, global: &GlobalArgs, options: &crate::plan::Options) -> Result<Outcome, CliError> {
    let loaded = manifests::load(&args.paths, global.manifests_to_plan()).await?;
    planning::refuse_empty(&args.paths, &loaded, options)?;
    let session = session::open(global).await?;
    let report = check(args, &session, &loaded, options).await;
    session.close().await;
    let report = report?;
    let to_file = args.out.is_some();
    let text = match args.format {
        Format::Text => drift::render_text(
            &report,
            output::Paint {
                enabled: !to_file && output::stdout_color(),
            },
        ),
        Format::Markdown => drift::render_markdown(&report),
        Format::Junit => drift::render_junit(&report),
        Format::Json => serde_json::to_string_pretty(&report).map_err(CliError::Encode)?,
    };
    show(args, &text, &report.summary_line())?;
    Ok(if exit_on(args, &[&report]) {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// The drift of the session's org: a plan (or, with `--accept`, what accepting leaves), classified.
async fn check(
    args: &Args,
    session: &Session,
    loaded: &Loaded,
    options: &crate::plan::Options,
) -> Result<drift::Report, CliError> {
    let planned = if args.accept {
        accept::run(session, &loaded.resources, options, args.lock_timeout).await
    } else {
        planning::make(session, &loaded.resources, options).await
    }?;
    Ok(planning::drift_report(loaded, &planned))
}

/// Prints the report to stdout, or writes it to `--out` and says so with `summary` on stderr.
fn show(args: &Args, text: &str, summary: &str) -> Result<(), CliError> {
    match &args.out {
        Some(path) => {
            crate::state::write_atomic(path, text.as_bytes(), false).map_err(|source| CliError::Write {
                path: path.display().to_string(),
                source,
            })?;
            output::message(&format!("{summary} (report written to {})", path.display()));
        }
        None => output::data(text.trim_end()),
    }
    Ok(())
}

/// Whether any report has drift of a kind `--fail-on` lists (exit 2); says so when drift of
/// other kinds alone is why it does not.
fn exit_on(args: &Args, reports: &[&drift::Report]) -> bool {
    let fail_on: Vec<drift::Status> = args.fail_on.iter().map(|f| f.status()).collect();
    let fails = reports.iter().any(|report| report.fails_on(&fail_on));
    if !fails && reports.iter().any(|report| report.drift) {
        let names: Vec<String> = args
            .fail_on
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_owned()))
            .collect();
        output::message(&format!(
            "Exit 0: none of this drift is of a kind --fail-on lists ({}).",
            names.join(",")
        ));
    }
    fails
}
