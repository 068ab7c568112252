//! The flags `plan`, `apply` and `drift` share (which resources to consider) and the one call
//! that makes a plan against the session's org.

use std::path::PathBuf;

use super::CliError;
use super::session::Session;
use crate::manifest::Declared;
use crate::model::ResourceKey;
use crate::plan;
use crate::refresh::HttpOrg;

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
            check: false,
        })
    }
}

/// Makes the plan of `desired` against the session's org.
pub(crate) async fn make(
    session: &Session,
    desired: &[Declared],
    options: &plan::Options,
) -> Result<plan::Planned, CliError> {
    let org = HttpOrg {
        client: &session.client,
    };
    Ok(plan::make(&session.org, &org, &session.store, desired, options).await?)
}
