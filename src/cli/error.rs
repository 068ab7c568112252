//! How a command ends: its [`Outcome`] (and so the exit code), or a [`CliError`] that wraps
//! one stage's error and is printed with its causes and, for API errors, a hint.

use super::usage_error::UsageError;
use crate::output;

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
    Import(#[from] crate::import::run::ImportError),
    #[error(transparent)]
    Repair(#[from] crate::state::repair::RepairError),
    #[error(transparent)]
    PlanFile(#[from] crate::plan::PlanFileError),
    #[error(transparent)]
    Planning(#[from] crate::plan::PlanningError),
    #[error(transparent)]
    StalePlan(#[from] crate::apply::StalePlan),
    #[error(transparent)]
    Promotion(#[from] crate::promotion::PromotionError),
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

impl From<crate::apply::PrepareError> for CliError {
    fn from(error: crate::apply::PrepareError) -> Self {
        match error {
            crate::apply::PrepareError::State(error) => CliError::State(error),
            crate::apply::PrepareError::Stale(error) => CliError::StalePlan(error),
            crate::apply::PrepareError::Planning(error) => CliError::Planning(error),
        }
    }
}

impl CliError {
    /// The API error behind this one, if any (for its hint).
    pub(crate) fn api(&self) -> Option<&crate::api::ApiError> {
        match self {
            CliError::Api(error)
            | CliError::Session(crate::session::SessionError::Api(error))
            | CliError::Import(crate::import::run::ImportError::Api(error))
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
    output::message(&format!(
        "{} {}",
        paint.red(&paint.bold("error:")),
        causes_and_hint(error)
    ));
}

/// What [`report`] prints, without colour: one org's error in the output of a command run on
/// several orgs.
#[must_use]
pub(crate) fn describe(error: &CliError) -> String {
    match error {
        CliError::Reported(summary) => summary.clone(),
        other => format!("error: {}", causes_and_hint(other)),
    }
}

/// The message, each cause on a line of its own (`  caused by: …`) and, for API errors, a hint.
fn causes_and_hint(error: &CliError) -> String {
    let causes = output::causes(error);
    let mut text = causes[0].clone();
    for cause in &causes[1..] {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    if let Some(hint) = error.api().and_then(crate::api::ApiError::hint) {
        text.push_str(&format!("\n  hint: {hint}"));
    }
    text
}
