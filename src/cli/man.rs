//! `d360 man [--out DIR]`: the manual page (clap_mangen), on stdout or as one page per
//! command in a folder.

use std::path::PathBuf;

use clap::CommandFactory;

use super::{Cli, CliError, Outcome};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Write `d360.1` and one page per command (`d360-plan.1`, ...) into this folder instead
    /// of printing `d360(1)` to stdout.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let command = Cli::command();
    if let Some(dir) = &args.out {
        let failed = |source| CliError::Write {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        clap_mangen::generate_to(command, dir).map_err(failed)?;
        output::message(&format!("wrote the manual pages into {}", dir.display()));
    } else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|source| CliError::Write {
                path: "stdout".to_owned(),
                source,
            })?;
        output::data(&String::from_utf8_lossy(&page));
    }
    Ok(Outcome::Success)
}
