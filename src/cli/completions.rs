//! `d360 completions SHELL`: a shell completion script on stdout (clap_complete).

use clap::CommandFactory;

use super::{Cli, Outcome};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

pub(crate) fn run(args: &Args) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "d360", &mut script);
    output::data(&String::from_utf8_lossy(&script));
    Outcome::Success
}
