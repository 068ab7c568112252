//! `d360 state list|show NAME|rm NAME|unlock`: inspect and repair state. Never prints secrets
//! (state holds none; fingerprints are not shown either).

use clap::{Subcommand, ValueEnum};

use super::planning::parse_duration;
use super::session;
use super::{CliError, GlobalArgs, Outcome, TextOrJson as Format};
use crate::output;
use crate::refresh::renamed;
use crate::state::Store;
use crate::state::repair::{self, Moved};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: StateCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List managed resources.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one managed resource (`Kind/name`, or a name that is unique).
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Stop managing a resource. The object stays in the org.
    Rm {
        name: String,
        /// How long to wait for the state lock.
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Record a managed resource under another name (the same kind): for an object renamed or
    /// recreated in the org under NEW. Its id, credential fingerprints and preventDestroy
    /// move with it; nothing is sent to the org. Refused when NEW is already in state.
    Mv {
        /// `Kind/name`, or a name that is unique in state.
        from: String,
        /// `Kind/name` (of the same kind) or a bare name.
        to: String,
        /// How long to wait for the state lock.
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Remove a stale lock left by a process that is gone.
    Unlock,
    /// Copy the state (and its fingerprint key) between backends, e.g. local to postgres.
    Migrate {
        #[arg(long, value_enum)]
        from: Backend,
        #[arg(long, value_enum)]
        to: Backend,
    },
}

/// A state backend kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// The JSON file: the org's configured path, else `.d360/state/<org>.json`.
    Local,
    /// The org's configured database, else the URL in `D360_STATE_URL`.
    Postgres,
}

impl From<Backend> for repair::Backend {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Local => repair::Backend::Local,
            Backend::Postgres => repair::Backend::Postgres,
        }
    }
}

/// After `state mv`: warns when the org's object lacks the new name (the move stays done).
async fn check_moved(global: &GlobalArgs, moved: &Moved) {
    let checked = match session::open(global).await {
        Ok(session) => {
            let checked = renamed::check(&session.client, &moved.to, &moved.id).await;
            session.close().await;
            checked.map_err(|error| output::chain(&error))
        }
        Err(error) => Err(output::chain(&error)),
    };
    let warning = match checked {
        Ok(found) => found.warning(&moved.to, &moved.id),
        Err(error) => Some(format!("warning: could not check the org for {}: {error}", moved.to)),
    };
    if let Some(warning) = warning {
        output::message(&warning);
    }
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let (org, config) = session::select_state(global)?;
    if let StateCommand::Migrate { from, to } = args.command {
        let copied = repair::migrate(&org, &config, from.into(), to.into()).await?;
        output::message(&copied.to_string());
        return Ok(Outcome::Success);
    }
    let store = Store::open(&config, &org).await?;
    match args.command {
        StateCommand::List { format } => {
            let state = store.load().await?;
            match format {
                Format::Json => output::data(&super::to_json(&repair::listing(&org, &state))?),
                Format::Text if state.resources.is_empty() => output::message(&format!(
                    "No managed resources in the state of org `{org}` ({}).",
                    store.describe()
                )),
                Format::Text => {
                    for managed in state.resources.values() {
                        output::data(&format!("{}\t{}", managed.key(), managed.id));
                    }
                }
            }
        }
        StateCommand::Show { name, format } => {
            let state = store.load().await?;
            let managed = repair::find(&state, &name)?;
            output::data(&match format {
                Format::Json => super::to_json(&repair::public_view(managed))?,
                Format::Text => repair::render_text(managed),
            });
        }
        StateCommand::Rm { name, lock_timeout } => {
            let key = repair::remove(&store, &name, lock_timeout).await?;
            output::message(&format!(
                "Removed {key} from state. The object stays in the org; the next plan shows it as not managed (or adopts it if a manifest declares it)."
            ));
        }
        StateCommand::Mv { from, to, lock_timeout } => {
            let moved = repair::rename(&store, &from, &to, lock_timeout).await?;
            output::message(&moved.to_string());
            check_moved(global, &moved).await;
        }
        StateCommand::Migrate { .. } => {}
        StateCommand::Unlock => match store.unlock().await? {
            Some(holder) => output::message(&format!("Removed the stale lock of {holder}.")),
            None => output::message("State is not locked."),
        },
    }
    Ok(Outcome::Success)
}
