//! Loading manifests for any command: default paths, printing diagnostics, and what the
//! manifests need from AWS (the RDS inventories of `fromAwsRds` sets, the secrets of
//! `fromAwsSecret` credentials), fetched here because `manifest` does no network I/O.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::CliError;
use super::diagnostics;
use crate::credentials::{self, FetchError};
use crate::manifest::{self, Inventory, Loaded, OrgValues};
use crate::output;

/// What a load is for: which org's `${org.…}` values the manifests read (`--org`, else
/// `local`; the first when several are given) and what to fetch from AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Load {
    pub(crate) aws: Aws,
    pub(crate) org: Option<String>,
    pub(crate) config: Option<PathBuf>,
}

impl Load {
    /// The values of the org this load is for.
    pub(crate) fn org_values(&self) -> Result<OrgValues, CliError> {
        Ok(crate::config::org_values(self.org.as_deref(), self.config.as_deref())?)
    }
}

/// What a command needs from AWS besides the manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aws {
    /// The RDS inventories only (`render`).
    Inventory,
    /// The inventories and every `fromAwsSecret` value, at most `parallelism` reads at a time.
    Secrets { parallelism: usize },
}

/// The paths to read: those given, else `manifests/` when it exists, else the current folder.
#[must_use]
pub(crate) fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    let manifests = PathBuf::from("manifests");
    if manifests.is_dir() {
        vec![manifests]
    } else {
        vec![PathBuf::from(".")]
    }
}

/// Loads manifests, listing AWS RDS for the sets that ask, and prints every diagnostic and
/// where AWS items came from to stderr. Fails when any diagnostic is an error. With
/// [`Aws::Secrets`], also fetches the `fromAwsSecret` values (see [`fetch_secrets`]).
pub(crate) async fn load(paths: &[PathBuf], load: Load) -> Result<Loaded, CliError> {
    let loaded = gather(paths, &load).await?;
    diagnostics::print(&loaded);
    if loaded.diagnostics.has_errors() {
        return Err(CliError::Reported(diagnostics::failure_summary(&loaded)));
    }
    fetch_for(&loaded, load.aws).await?;
    Ok(loaded)
}

/// Loads manifests for one of several orgs: as [`load`], but the diagnostics are not printed;
/// errors among them fail the load with each problem on a line (for that org's section of the
/// output), and warnings are left in the result for the caller to show.
pub(crate) async fn load_for_section(paths: &[PathBuf], load: Load) -> Result<Loaded, CliError> {
    let loaded = gather(paths, &load).await?;
    if loaded.diagnostics.has_errors() {
        return Err(CliError::Reported(diagnostics::failure_lines(&loaded)));
    }
    fetch_for(&loaded, load.aws).await?;
    Ok(loaded)
}

/// The manifests with the org's values and the AWS inventories they ask for, diagnostics
/// unprinted (where AWS items came from is printed).
async fn gather(paths: &[PathBuf], load: &Load) -> Result<Loaded, CliError> {
    let org = load.org_values()?;
    let mut loaded = load_quiet(paths, &org)?;
    let queries = loaded.aws_queries();
    if !queries.is_empty() && !loaded.diagnostics.has_errors() {
        let mut fetched = BTreeMap::new();
        for query in queries {
            let discovery = crate::aws::rds::list(&query)
                .await
                .map_err(|source| CliError::AwsInventory {
                    query: query.to_string(),
                    source,
                })?;
            fetched.insert(query, discovery);
        }
        loaded = manifest::load_with(&default_paths(paths), Inventory::Fetched(&fetched), &org)?;
        for items in &loaded.aws {
            output::message(&items.to_string());
        }
    }
    Ok(loaded)
}

/// The `fromAwsSecret` values of the resources for this org, when `aws` asks for them.
async fn fetch_for(loaded: &Loaded, aws: Aws) -> Result<(), CliError> {
    if let Aws::Secrets { parallelism } = aws {
        fetch_secrets(
            loaded
                .resources
                .iter()
                .filter(|d| d.for_this_org())
                .map(|d| &*d.resource),
            parallelism,
        )
        .await?;
    }
    Ok(())
}

/// [`credentials::fetch`]; unreadable credentials are reported, one line per problem.
pub(crate) async fn fetch_secrets<'a>(
    resources: impl Iterator<Item = &'a crate::kinds::Resource>,
    parallelism: usize,
) -> Result<(), CliError> {
    credentials::fetch(resources, parallelism)
        .await
        .map_err(|error| match error {
            FetchError::Aws(error) => CliError::Aws(error),
            FetchError::Unreadable(lines) => CliError::Reported(lines.join("\n")),
        })
}

/// The manifest set `loaded` was read from `paths` as: its digest and git commit.
#[must_use]
pub(crate) fn set_version(paths: &[PathBuf], loaded: &Loaded) -> crate::model::SetVersion {
    crate::model::SetVersion {
        digest: loaded.digest.clone(),
        commit: crate::promotion::commit_of(paths),
    }
}

/// Loads manifests for `org` without printing anything.
pub(crate) fn load_quiet(paths: &[PathBuf], org: &OrgValues) -> Result<Loaded, CliError> {
    Ok(manifest::load_with(&default_paths(paths), Inventory::Offline, org)?)
}
