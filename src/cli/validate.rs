//! `d360 validate [PATHS]`: parse, expand and check every manifest offline, for one org or,
//! with `--org` repeated or `--org all`, for each org with its values and selection.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{CliError, GlobalArgs, OrgChoice, Outcome, diagnostics, manifests};
use crate::manifest::Loaded;
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// `text` for people; `json` lists every diagnostic for editors and bots; `short` is one
    /// line per problem, `file:line:col: severity: message`, for editors and CI problem matchers.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Short,
}

pub(crate) fn run(args: &Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    match global.orgs()? {
        OrgChoice::One(org) => run_one(args, global, org.as_deref()),
        OrgChoice::Many(orgs) => run_several(args, global, &orgs),
    }
}

/// The manifests as loaded for `org` (its values, its selection), offline.
fn load(args: &Args, global: &GlobalArgs, org: Option<&str>) -> Result<Loaded, CliError> {
    let values = global.manifests_for(org, manifests::Aws::Inventory).org_values()?;
    manifests::load_quiet(&args.paths, &values)
}

fn run_one(args: &Args, global: &GlobalArgs, org: Option<&str>) -> Result<Outcome, CliError> {
    let loaded = load(args, global, org)?;
    let valid = !loaded.diagnostics.has_errors();
    match args.format {
        Format::Text => {
            diagnostics::print(&loaded);
            // Offline: say which sets are listed from AWS only when planned.
            for items in &loaded.aws {
                output::message(&items.to_string());
            }
            if valid {
                output::data(&format!("valid: {}", loaded.summary()));
            } else {
                output::message(&diagnostics::failure_summary(&loaded));
            }
        }
        Format::Short => {
            let lines: Vec<String> = loaded
                .diagnostics
                .items
                .iter()
                .map(super::diagnostics::short_line)
                .collect();
            if !lines.is_empty() {
                output::data(&lines.join("\n"));
            }
            if !valid {
                output::message(&diagnostics::failure_summary(&loaded));
            }
        }
        Format::Json => output::data(&super::to_json(&report(&loaded))?),
    }
    Ok(if valid { Outcome::Success } else { Outcome::Failure })
}

/// Each org's manifests checked with its values: text shows a section per org on stderr (its
/// diagnostics or error) and a result line per org on stdout; `short` each problem once;
/// JSON one document with a report (or error) per org. Invalid for any org: exit 1.
fn run_several(args: &Args, global: &GlobalArgs, orgs: &[String]) -> Result<Outcome, CliError> {
    let results: Vec<(&str, Result<Loaded, CliError>)> = orgs
        .iter()
        .map(|org| (org.as_str(), load(args, global, Some(org))))
        .collect();
    let valid =
        |result: &Result<Loaded, CliError>| result.as_ref().is_ok_and(|loaded| !loaded.diagnostics.has_errors());
    let all_valid = results.iter().all(|(_, result)| valid(result));
    match args.format {
        Format::Text => {
            let paint = output::Paint {
                enabled: output::stderr_color(),
            };
            let mut lines = Vec::new();
            for (org, result) in &results {
                match result {
                    Ok(loaded) => {
                        if !loaded.diagnostics.items.is_empty() {
                            output::message(&crate::plan::several::section_header(org, paint));
                            diagnostics::print(loaded);
                        }
                        lines.push(if valid(result) {
                            format!("{org}: valid: {}", loaded.summary())
                        } else {
                            format!("{org}: {}", diagnostics::failure_summary(loaded))
                        });
                    }
                    Err(error) => {
                        output::message(&crate::plan::several::section_header(org, paint));
                        output::message(&super::describe(error));
                        lines.push(format!("{org}: {}", super::describe(error)));
                    }
                }
            }
            output::data(&lines.join("\n"));
        }
        Format::Short => {
            let mut lines: Vec<String> = Vec::new();
            for (org, result) in &results {
                match result {
                    Ok(loaded) => {
                        for line in loaded.diagnostics.items.iter().map(diagnostics::short_line) {
                            if !lines.contains(&line) {
                                lines.push(line);
                            }
                        }
                        if !valid(result) {
                            output::message(&format!("{org}: {}", diagnostics::failure_summary(loaded)));
                        }
                    }
                    Err(error) => output::message(&format!("{org}: {}", super::describe(error))),
                }
            }
            if !lines.is_empty() {
                output::data(&lines.join("\n"));
            }
        }
        Format::Json => {
            let entries: Vec<serde_json::Value> = results
                .iter()
                .map(|(org, result)| match result {
                    Ok(loaded) => serde_json::json!({ "org": org, "report": report(loaded) }),
                    Err(error) => serde_json::json!({ "org": org, "error": { "message": super::describe(error) } }),
                })
                .collect();
            let document = serde_json::json!({
                "formatVersion": crate::plan::several::FORMAT_VERSION,
                "valid": all_valid,
                "orgs": entries,
            });
            output::data(&super::to_json(&document)?);
        }
    }
    Ok(if all_valid { Outcome::Success } else { Outcome::Failure })
}

/// `validate --format json` for one org's manifests.
fn report(loaded: &Loaded) -> serde_json::Value {
    let diagnostics: Vec<serde_json::Value> = loaded
        .diagnostics
        .items
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": match d.severity { crate::manifest::Severity::Error => "error", crate::manifest::Severity::Warning => "warning" },
                "file": d.file.display().to_string(),
                "line": d.pos.line,
                "column": d.pos.column,
                "path": d.path,
                "message": d.message,
                "help": d.help,
            })
        })
        .collect();
    serde_json::json!({
        "formatVersion": 1,
        "valid": !loaded.diagnostics.has_errors(),
        "files": loaded.files,
        "documents": loaded.documents,
        "resources": loaded.resources.iter().filter(|d| d.for_this_org()).count(),
        "diagnostics": diagnostics,
    })
}
