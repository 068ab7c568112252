//! The command line: one file per subcommand, each with an `Args` struct and a `run` fn.
//!
//! Commands are thin: they parse, call the modules that hold the logic, and hand results to
//! `output`. Exit codes are decided in one place, [`Outcome::code`].

mod apply;
mod auth;
mod completions;
mod destroy;
mod drift;
mod emulator;
mod fmt;
mod import;
mod init;
mod man;
mod manifests;
mod org;
mod plan;
mod planning;
mod progress;
mod reference;
mod render;
mod schema;
mod session;
mod show;
mod state;
mod usage;
mod usage_error;
mod validate;
mod version;
mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::output;
use usage_error::UsageError;

/// Salesforce Data 360 connections and data streams as code.
#[derive(Debug, Parser)]
#[command(name = "d360", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct GlobalArgs {
    /// Org profile to use: a name from d360.yaml, `env`, or `local` (the built-in emulator).
    /// `d360 watch` takes it more than once, one org each.
    #[arg(long, global = true, env = "D360_ORG", action = clap::ArgAction::Append, value_name = "NAME")]
    pub(crate) org: Vec<String>,
    /// Configuration file (default: ./d360.yaml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). `RUST_LOG` also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// No ANSI colour (also when `NO_COLOR` is set or output is not a terminal).
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// AWS Secrets Manager reads in flight at once (`fromAwsSecret`).
    #[arg(long, global = true, env = "D360_AWS_PARALLELISM", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub(crate) aws_parallelism: u16,
}

impl GlobalArgs {
    /// What a command that plans needs from AWS: inventories and secrets.
    pub(crate) fn aws_secrets(&self) -> manifests::Aws {
        manifests::Aws::Secrets {
            parallelism: usize::from(self.aws_parallelism),
        }
    }

    /// The one org `--org` names (`None`: the default); refused when given more than once.
    pub(crate) fn single_org(&self) -> Result<Option<&str>, CliError> {
        match self.org.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            many => Err(UsageError::SeveralOrgs { count: many.len() }.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Parse, expand and check manifests offline.
    Validate(validate::Args),
    /// Print the expanded resources (after sets and interpolation; secrets as references).
    Render(render::Args),
    /// Write the JSON Schemas of the manifest documents.
    Schema(schema::Args),
    /// Read the org, diff it against the manifests and print the plan.
    Plan(plan::Args),
    /// Carry out a plan: from manifests, or a plan file saved by `plan --out`.
    Apply(apply::Args),
    /// Delete managed objects (all, or the targets), guarded like `apply --prune`.
    Destroy(destroy::Args),
    /// Report objects changed, deleted or created outside d360 (exit 2 on drift).
    Drift(drift::Args),
    /// Write manifests for live objects and record them as managed.
    Import(import::Args),
    /// Inspect and repair state.
    State(state::Args),
    /// Check access to an org and diagnose its setup.
    Org(org::Args),
    /// Make a key pair for the connected app (JWT bearer).
    Auth(auth::Args),
    /// Serve the Data 360 emulator.
    Emulator(emulator::Args),
    /// Rewrite manifests in one layout (schema key order, two-space indent, comments kept);
    /// `--check` for CI.
    Fmt(fmt::Args),
    /// Start a project: d360.yaml, manifests/ with an example, `.d360/` in .gitignore.
    Init(init::Args),
    /// Print a plan saved by `plan --out`, warning when it looks stale.
    Show(show::Args),
    /// Reconcile continuously: every interval, plan and check drift for each org (and with
    /// `--heal` apply), serving Prometheus metrics and health endpoints.
    Watch(watch::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print the manual page, or write one page per command with `--out DIR`.
    Man(man::Args),
    /// Print d360's version (`--format json` for scripts).
    Version(version::Args),
    /// Write the book's generated references (commands, manifest fields); for maintainers.
    #[command(hide = true)]
    Reference(reference::Args),
}

/// How a command ended; the process exit code follows from it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done, nothing to report.
    Success,
    /// Done, and there are changes or drift (`--detailed-exitcode`, `drift`).
    Changes,
    /// Invalid input, an API error, or a partial apply.
    Failure,
    /// Stopped by Ctrl-C or SIGTERM after saving state.
    Interrupted,
}

impl Outcome {
    /// The one mapping from outcomes to exit codes.
    #[must_use]
    pub(crate) fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failure => 1,
            Outcome::Changes => 2,
            Outcome::Interrupted => 130,
        }
    }
}

/// Errors that reach the command line. Each wraps one module's error type.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Problems already printed (manifest diagnostics): nothing more to say.
    #[error("{0}")]
    Reported(String),
    #[error(transparent)]
    Manifest(#[from] crate::manifest::FilesError),
    #[error(transparent)]
    Emulator(#[from] d360_emulator::EmulatorError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Aws(#[from] crate::aws::AwsError),
    #[error("cannot list the AWS RDS databases ({query})")]
    AwsInventory {
        query: String,
        #[source]
        source: crate::aws::AwsError,
    },
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Repair(#[from] crate::state::repair::RepairError),
    #[error(transparent)]
    PlanFile(#[from] crate::plan::PlanFileError),
    #[error(transparent)]
    Planning(#[from] crate::plan::PlanningError),
    #[error(transparent)]
    StalePlan(#[from] crate::apply::StalePlan),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("cannot generate a key: {0}")]
    Keygen(String),
    #[error("cannot listen on {address}: {problem}")]
    Listen { address: String, problem: String },
    #[error("cannot read the answer: {0}")]
    Answer(String),
    #[error("drift --accept could not write state: {0}")]
    AcceptNotRecorded(String),
    #[error("cannot encode the output as JSON")]
    Encode(#[source] serde_json::Error),
    #[error("cannot write `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

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

impl CliError {
    /// The API error behind this one, if any (for its hint).
    pub(crate) fn api(&self) -> Option<&crate::api::ApiError> {
        match self {
            CliError::Api(error)
            | CliError::Session(crate::session::SessionError::Api(error))
            | CliError::Planning(crate::plan::PlanningError::Api(error))
            | CliError::StalePlan(crate::apply::StalePlan::Api(error)) => Some(error),
            _ => None,
        }
    }
}

/// Pretty JSON for stdout.
pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(CliError::Encode)
}

/// Prints an error and its causes to stderr.
pub(crate) fn report(error: &CliError) {
    if let CliError::Reported(summary) = error {
        if !summary.is_empty() {
            output::message(summary);
        }
        return;
    }
    let paint = output::Paint {
        enabled: output::stderr_color(),
    };
    let causes = output::causes(error);
    let mut text = format!("{} {}", paint.red(&paint.bold("error:")), causes[0]);
    for cause in &causes[1..] {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    if let Some(hint) = error.api().and_then(crate::api::ApiError::hint) {
        text.push_str(&format!("\n  hint: {hint}"));
    }
    output::message(&text);
}
