//! The steps `plan`, `apply` and `drift` share: which resources to consider, reading the
//! org and state, and building the plan.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::CliError;
use super::session::Session;
use crate::manifest::Declared;
use crate::model::{Resource, ResourceKey};
use crate::plan::{self, LiveSnapshot, Plan, SecretProbe};
use crate::state::State;

/// Manifests and the part of them to act on.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Selection {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// Only this resource (and what it depends on). Repeatable. Example: `Connection/AWS_RDS_c01`.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) target: Vec<String>,
    /// Only resources with this label (and what they depend on). Repeatable; all must match.
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) selector: Vec<String>,
    /// Delete managed resources that no manifest declares any more.
    #[arg(long)]
    pub(crate) prune: bool,
}

impl Selection {
    /// The plan options these flags ask for.
    pub(crate) fn options(&self) -> Result<plan::Options, CliError> {
        let targets = self
            .target
            .iter()
            .map(|text| {
                ResourceKey::parse(text).ok_or_else(|| {
                    CliError::Usage(format!("--target `{text}`: expected KIND/NAME such as `Connection/AWS_RDS_c01` or `DataStream/Clinic_c01_Patients`"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let selector = self
            .selector
            .iter()
            .flat_map(|text| text.split(','))
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| {
                        CliError::Usage(format!("--selector `{pair}`: expected KEY=VALUE such as `region=eu`"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(plan::Options {
            prune: self.prune,
            targets,
            selector,
        })
    }
}

/// A plan and what it was made from.
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) state: State,
    pub(crate) live: LiveSnapshot,
    pub(crate) probe: SecretProbe,
}

/// Reads state and the live org, checks connector types, and builds the plan.
pub(crate) async fn make(
    session: &Session,
    desired: &[Declared],
    options: &plan::Options,
) -> Result<Planned, CliError> {
    let state = session.store.load().await?;
    let probe = SecretProbe {
        key: session.store.fingerprint_key().await?,
    };
    let (types, streams) = plan::live::kinds_in_play(desired, &state);
    let (live, mut type_errors) = futures::try_join!(
        plan::live::read(&session.client, &types, streams),
        plan::live::check_connector_types(&session.client, desired),
    )?;
    for (connector_type, message) in &live.unsupported_types {
        let mentioned = format!("connector type `{connector_type}`");
        if !type_errors.iter().any(|e| e.contains(&mentioned)) {
            type_errors.push(format!("{mentioned} cannot be listed in this org: {message}"));
        }
    }
    let plan = plan::build(&session.org, desired, &live, &state, &probe, options, type_errors);
    Ok(Planned {
        plan,
        state,
        live,
        probe,
    })
}

/// The connection each live data stream uses, by stream name.
#[must_use]
pub(crate) fn stream_connections(live: &LiveSnapshot) -> BTreeMap<String, String> {
    live.objects
        .values()
        .filter_map(|object| match &object.resource {
            Resource::DataStream(stream) => Some((stream.name.clone(), stream.connection.clone())),
            Resource::Connection(_) => None,
        })
        .collect()
}
