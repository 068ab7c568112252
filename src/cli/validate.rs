//! `d360 validate [PATHS]`: parse, expand and check every manifest offline.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{CliError, GlobalArgs, Outcome, diagnostics, manifests};
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
    let org = global
        .manifests_for(global.single_org()?, manifests::Aws::Inventory)
        .org_values()?;
    let loaded = manifests::load_quiet(&args.paths, &org)?;
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
        Format::Json => {
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
            let report = serde_json::json!({
                "formatVersion": 1,
                "valid": valid,
                "files": loaded.files,
                "documents": loaded.documents,
                "resources": loaded.resources.iter().filter(|d| d.for_this_org()).count(),
                "diagnostics": diagnostics,
            });
            output::data(&super::to_json(&report)?);
        }
    }
    Ok(if valid { Outcome::Success } else { Outcome::Failure })
}
