//! `--org` into an open [`Session`] (the `session` stage does the opening): shared by the
//! commands that talk to an org; not a command itself.

use super::{CliError, GlobalArgs};
use crate::api::RetrySettings;
use crate::config::{self, OrgSelection, StateConfig};
pub(crate) use crate::session::Session;

/// The profile selected by `--org` / `D360_ORG` (without starting anything).
pub(crate) fn select(global: &GlobalArgs) -> Result<OrgSelection, CliError> {
    Ok(config::select(global.single_org()?, global.config.as_deref())?)
}

/// The profile of the org `name` (one of `d360 watch`'s), without starting anything.
pub(crate) fn select_named(name: &str, global: &GlobalArgs) -> Result<OrgSelection, CliError> {
    Ok(config::select(Some(name), global.config.as_deref())?)
}

/// The selected org's name and state backend, without starting anything (`state`, `show`).
pub(crate) fn select_state(global: &GlobalArgs) -> Result<(String, StateConfig), CliError> {
    Ok(match select(global)? {
        OrgSelection::Local { state, .. } => ("local".to_owned(), state),
        OrgSelection::Remote(profile) => (profile.name.clone(), profile.state.clone()),
    })
}

/// Opens the selected org with the default retry settings.
pub(crate) async fn open(global: &GlobalArgs) -> Result<Session, CliError> {
    open_selected(select(global)?, RetrySettings::from_env()).await
}

/// Opens an org already selected.
pub(crate) async fn open_selected(selection: OrgSelection, retry: RetrySettings) -> Result<Session, CliError> {
    Ok(crate::session::open(selection, retry).await?)
}
