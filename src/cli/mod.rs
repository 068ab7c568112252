//! The command line: one file per subcommand, each with an `Args` struct and a `run` fn.
//!
//! Commands are thin: they parse, call the modules that hold the logic, and hand results to
//! `output`. No command file imports another: what several share (`execution` and `reporter`
//! for `apply` and `destroy`, `plan_output`, `planning`, `session`, `several_orgs`, `values`, `manifests`,
//! `progress`) lives in helper modules that are not commands. Exit codes are decided in one place, [`Outcome::code`].

mod apply;
mod args;
mod auth;
mod completions;
mod destroy;
mod diagnostics;
mod drift;
mod emulator;
mod error;
mod execution;
mod fmt;
mod import;
mod init;
mod man;
mod manifests;
mod org;
mod plan;
mod plan_output;
mod planning;
mod progress;
mod reference;
mod render;
mod reporter;
mod schema;
mod session;
mod several_orgs;
mod show;
mod state;
mod status;
mod usage;
mod usage_error;
mod validate;
mod values;
mod version;
mod watch;
mod watching;

use crate::output;
pub(crate) use args::{Cli, Command, GlobalArgs, LogFormat, OrgChoice, TextOrJson};
pub(crate) use error::{CliError, Outcome, describe, report, to_json};

/// Sets up `tracing` on stderr: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` wins.
pub(crate) fn init_tracing(global: &GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    if global.no_color {
        output::disable_color();
    }
    output::set_verbosity(global.verbose);
    let default = match global.verbose {
        0 => "warn",
        1 => "warn,d360=info",
        2 => "info,d360=debug",
        _ => "debug,d360=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let _ = match global.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(output::stderr_color()).try_init(),
    };
}

/// The whole program: parse the command line (a refused one exits 1, see [`usage`]), set up
/// logging, run the command, and map its outcome to the process exit code.
#[must_use]
pub fn main() -> std::process::ExitCode {
    let cli = match usage::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(outcome) => return std::process::ExitCode::from(outcome.code()),
    };
    init_tracing(&cli.global);
    std::process::ExitCode::from(run(cli).code())
}

/// Whether `words` (the program name first) is a command line d360 accepts, without running
/// it; the deployment examples (the Kubernetes container args) are checked with this.
///
/// # Errors
/// The command line is refused, with clap's explanation.
pub fn check_arguments<I, T>(words: I) -> Result<(), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    Cli::try_parse_from(words).map(drop)
}

/// Runs a parsed command line and decides the outcome.
pub(crate) fn run(cli: Cli) -> Outcome {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::message(&format!("error: cannot start the async runtime: {error}"));
            return Outcome::Failure;
        }
    };
    let global = cli.global;
    if !cli.command.takes_several_orgs()
        && let Err(error) = global.single_org()
    {
        report(&error);
        return Outcome::Failure;
    }
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Validate(args) => validate::run(&args, &global),
            Command::Render(args) => render::run(&args, &global).await,
            Command::Schema(args) => schema::run(&args),
            Command::Plan(args) => plan::run(args, &global).await,
            Command::Apply(args) => apply::run(args, &global).await,
            Command::Destroy(args) => destroy::run(args, &global).await,
            Command::Drift(args) => drift::run(args, &global).await,
            Command::Import(args) => import::run(args, &global).await,
            Command::State(args) => state::run(args, &global).await,
            Command::Status(args) => status::run(args, &global).await,
            Command::Org(args) => org::run(args, &global).await,
            Command::Auth(args) => auth::run(args, &global),
            Command::Emulator(args) => emulator::run(args, &global).await,
            Command::Show(args) => show::run(args, &global).await,
            Command::Init(args) => init::run(&args),
            Command::Fmt(args) => fmt::run(&args),
            Command::Watch(args) => watch::run(args, &global).await,
            Command::Completions(args) => Ok(completions::run(&args)),
            Command::Man(args) => man::run(&args),
            Command::Version(args) => version::run(&args),
            Command::Reference(args) => reference::run(&args),
        }
    });
    match result {
        Ok(outcome) => outcome,
        Err(error) => {
            report(&error);
            Outcome::Failure
        }
    }
}
