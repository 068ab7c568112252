//! `d360 status [PATHS]`: for each org (`--org`, default every profile of d360.yaml, else
//! `local`), the manifest set its last converged apply recorded (commit, time, digest), how it
//! stands against the org it promotes from, and drift (each org read concurrently, through the
//! drift stage); `--offline` reads state only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures::future::join_all;

use super::session::{self, Session};
use super::{CliError, GlobalArgs, OrgChoice, Outcome, TextOrJson, planning, several_orgs};
use crate::config::{self, OrgSelection, StateConfig};
use crate::manifest::Loaded;
use crate::output;
use crate::promotion::status::{self, DriftStatus, OrgStatus};
use crate::promotion::{self, Standing};
use crate::state::Converged;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders to compare each org with for drift (default: ./manifests,
    /// else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// `text` (a table) or `json` (stable, versioned).
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub(crate) format: TextOrJson,
    /// Read state only: no org is logged in to, and the drift column says `not read`.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Exit 2 when an org is behind the org it promotes from, or has drifted; 0 otherwise;
    /// 1 when an org or its state could not be read.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
}

/// Where an org keeps its state and the org it promotes from.
struct Org {
    name: String,
    state: Result<(StateConfig, Option<String>), String>,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let names = match global.orgs()? {
        OrgChoice::Many(names) => names,
        OrgChoice::One(Some(name)) => vec![name],
        // No profile (or no d360.yaml): the built-in org; a file that does not read is an error.
        OrgChoice::One(None) => match config::profile_names(global.config.as_deref()) {
            Ok(names) => names,
            Err(config::ConfigError::NoProfiles { .. }) => vec!["local".to_owned()],
            Err(error) => return Err(error.into()),
        },
    };
    let orgs: Vec<Org> = names
        .iter()
        .map(|name| Org {
            name: name.clone(),
            state: state_of(name, global).map_err(|error| output::chain(&error)),
        })
        .collect();
    // Every state the table needs: the orgs' own and those they promote from.
    let mut wanted: BTreeMap<String, Result<StateConfig, String>> = BTreeMap::new();
    for org in &orgs {
        match &org.state {
            Ok((state, from)) => {
                wanted.insert(org.name.clone(), Ok(state.clone()));
                if let Some(from) = from
                    && !wanted.contains_key(from)
                {
                    let from_state = state_of(from, global)
                        .map(|(state, _)| state)
                        .map_err(|error| output::chain(&error));
                    wanted.insert(from.clone(), from_state);
                }
            }
            Err(error) => {
                wanted.insert(org.name.clone(), Err(error.clone()));
            }
        }
    }
    let records = read_records(wanted).await;
    let drifts: Vec<DriftStatus> = if args.offline {
        orgs.iter().map(|_| DriftStatus::NotRead).collect()
    } else {
        drifts(&names, &args.paths, global).await
    };
    let rows: Vec<OrgStatus> = orgs
        .into_iter()
        .zip(drifts)
        .map(|(org, drift)| row(org, drift, &records))
        .collect();
    let report = status::Report {
        format_version: status::FORMAT_VERSION,
        orgs: rows,
    };
    match args.format {
        TextOrJson::Text => output::data(status::render_text(&report).trim_end()),
        TextOrJson::Json => output::data(&super::to_json(&report)?),
    }
    Ok(if report.orgs.iter().any(OrgStatus::failed) {
        Outcome::Failure
    } else if args.detailed_exitcode && report.orgs.iter().any(OrgStatus::needs_attention) {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// The state backend and `promoteFrom` of org `name`, resolving none of its credentials;
/// `local` and `env` (built in unless d360.yaml has such a profile) promote from none.
fn state_of(name: &str, global: &GlobalArgs) -> Result<(StateConfig, Option<String>), CliError> {
    match config::state_of(name, global.config.as_deref()) {
        Ok(found) => Ok(found),
        Err(error) if name == "local" || name == "env" => match session::select_named(name, global) {
            Ok(OrgSelection::Local { state, .. }) => Ok((state, None)),
            Ok(OrgSelection::Remote(profile)) => Ok((profile.state.clone(), profile.promote_from.clone())),
            Err(_) => Err(error.into()),
        },
        Err(error) => Err(error.into()),
    }
}

/// Each org's converged record, read concurrently (read-only, no lock).
async fn read_records(
    wanted: BTreeMap<String, Result<StateConfig, String>>,
) -> BTreeMap<String, Result<Option<Converged>, String>> {
    let reads = wanted.into_iter().map(|(name, state)| async move {
        let record = match state {
            Ok(state) => promotion::converged_of(&name, &state)
                .await
                .map_err(|error| output::chain(&error)),
            Err(error) => Err(error),
        };
        (name, record)
    });
    join_all(reads).await.into_iter().collect()
}

/// One org's row from the records read.
fn row(org: Org, drift: DriftStatus, records: &BTreeMap<String, Result<Option<Converged>, String>>) -> OrgStatus {
    let promote_from = org.state.as_ref().ok().and_then(|(_, from)| from.clone());
    let own = records
        .get(&org.name)
        .cloned()
        .unwrap_or_else(|| Err("not read".to_owned()));
    let (converged, state_error) = match own {
        Ok(converged) => (converged, None),
        Err(error) => (None, Some(error)),
    };
    let promotion = match &promote_from {
        None => Standing::None,
        Some(from) => match records.get(from) {
            Some(Ok(theirs)) => Standing::of(from, converged.as_ref(), theirs.as_ref()),
            Some(Err(error)) => Standing::Unreadable {
                from: from.clone(),
                error: error.clone(),
            },
            None => Standing::Unreadable {
                from: from.clone(),
                error: "not read".to_owned(),
            },
        },
    };
    OrgStatus {
        org: org.name,
        promote_from,
        converged,
        state_error,
        promotion,
        drift,
    }
}

/// Reads every org at once (each with its manifests' values, its own session and limiter) and
/// classifies its drift as `d360 drift` does; an org that cannot be read gives its error.
async fn drifts(names: &[String], paths: &[PathBuf], global: &GlobalArgs) -> Vec<DriftStatus> {
    let options = crate::plan::Options {
        allow_empty: true,
        ..crate::plan::Options::default()
    };
    let runs = several_orgs::run(
        names,
        global,
        paths,
        &options,
        async |session: &Session, loaded: &Loaded| {
            let planned = planning::make(session, &loaded.resources, &options).await?;
            Ok(planning::drift_report(loaded, &planned))
        },
    )
    .await;
    runs.iter()
        .map(|run| match run.outcome() {
            Ok(report) => DriftStatus::of(report),
            Err(message) => DriftStatus::Error {
                error: message.to_owned(),
            },
        })
        .collect()
}
