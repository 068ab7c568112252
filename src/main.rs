//! The `d360` binary: parse arguments, set up logging, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = d360::cli::Cli::parse();
    d360::cli::init_tracing(&cli.global);
    let outcome = d360::cli::run(cli);
    ExitCode::from(outcome.code())
}
