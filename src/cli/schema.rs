//! `d360 schema [--out DIR] [--check]`: write (or check) the JSON Schemas.

use std::path::PathBuf;

use super::{CliError, Outcome};
use crate::manifest::schema;
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder to write the schemas into.
    #[arg(long, default_value = "schemas", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Do not write: fail (exit 1) when the files in DIR differ from what would be written.
    #[arg(long)]
    pub(crate) check: bool,
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let mut stale = Vec::new();
    if !args.check {
        std::fs::create_dir_all(&args.out).map_err(|source| CliError::Write {
            path: args.out.display().to_string(),
            source,
        })?;
    }
    for (name, value) in schema::all() {
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
