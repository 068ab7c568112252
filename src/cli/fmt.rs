//! `d360 fmt [PATHS]`: rewrite manifest files in one layout (schema key order, two-space
//! indentation, comments kept); `--check` lists the files that would change and exits 1.

use std::path::PathBuf;

use super::{CliError, Outcome, manifests};
use crate::manifest::format::{self, Schemas};
use crate::manifest::{self as manifest_files};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 when there are any.
    #[arg(long)]
    pub(crate) check: bool,
    /// Also print what would change, as a unified diff.
    #[arg(long)]
    pub(crate) diff: bool,
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let schemas = Schemas::load().map_err(CliError::Encode)?;
    let files = manifest_files::discover(&manifests::default_paths(&args.paths))?;
    let (mut changed, mut failed) = (0usize, 0usize);
    for path in &files {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| manifest_files::FilesError::Unreadable {
            path: shown.clone(),
            source,
        })?;
        let formatted = match format::format(&text, &schemas) {
            Ok(formatted) => formatted,
            Err(error) => {
                failed += 1;
                output::message(&format!("error: {shown}: {error}"));
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.diff {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            output::data(
                diff.unified_diff()
                    .header(&shown, &format!("{shown} (formatted)"))
                    .to_string()
                    .trim_end(),
            );
        }
        if args.check {
            output::message(&format!("not formatted: {shown}"));
        } else {
            crate::state::write_atomic(path, formatted.as_bytes(), false).map_err(|source| CliError::Write {
                path: shown.clone(),
                source,
            })?;
            output::message(&format!("formatted {shown}"));
        }
    }
    let verb = if args.check { "need formatting" } else { "formatted" };
    output::message(&format!(
        "{} file{} read, {changed} {verb}{}.",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if failed > 0 {
            format!(", {failed} left as written (see above)")
        } else {
            String::new()
        }
    ));
    if args.check && changed > 0 {
        output::message(&format!(
            "Run `d360 fmt` to format {}.",
            if changed == 1 { "it" } else { "them" }
        ));
    }
    Ok(if failed > 0 || (args.check && changed > 0) {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
