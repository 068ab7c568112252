//! `d360 schema [--out DIR] [--check]`: write (or check) the JSON Schemas.

use std::path::PathBuf;

use super::{CliError, Outcome};
use crate::manifest::schema;
use crate::{drift, output};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder to write the schemas into.
    #[arg(long, default_value = "schemas", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Do not write: fail (exit 1) when the files in DIR differ from what would be written.
    #[arg(long)]
    pub(crate) check: bool,
}

/// Every schema file: the manifests', then the drift report's and d360.yaml's.
pub(super) fn all() -> Result<Vec<(&'static str, serde_json::Value)>, serde_json::Error> {
    let mut all = schema::all()?;
    all.push((
        "drift-report.json",
        schema::with_id::<drift::Report>("drift-report.json", "d360 drift report (`d360 drift --format json`)")?,
    ));
    all.push((
        "d360-config.json",
        schema::with_id::<crate::config::ConfigFile>("d360-config.json", "d360 configuration (`d360.yaml`)")?,
    ));
    Ok(all)
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let mut stale = Vec::new();
    if !args.check {
        std::fs::create_dir_all(&args.out).map_err(|source| CliError::Write {
            path: args.out.display().to_string(),
            source,
        })?;
    }
    let schemas =
        all().map_err(|error| CliError::Reported(format!("error: cannot generate the JSON Schemas: {error}")))?;
    for (name, value) in schemas {
        let path = args.out.join(name);
        let text = schema::to_text(&value);
        if args.check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::write(&path, text).map_err(|source| CliError::Write {
                path: path.display().to_string(),
                source,
            })?;
            output::data(&format!("wrote {}", path.display()));
        }
    }
    if stale.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(CliError::Reported(format!(
            "error: stale schemas: {}\n  run `d360 schema --out {}` and commit the result",
            stale.join(", "),
            args.out.display()
        )))
    }
}
