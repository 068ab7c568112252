//! `d360 emulator`: serve the Data 360 emulator (placeholder until the emulator lands).

use super::{CliError, GlobalArgs, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args, _global: &GlobalArgs) -> Result<Outcome, CliError> {
    Err(CliError::Usage("the emulator is not built yet".into()))
}
