//! Opening an org for a command: resolve `--org`, start the built-in emulator for `local`,
//! build the API client and open the state backend.

use std::time::Duration;

use super::{CliError, GlobalArgs};
use crate::api::{Client, RetrySettings};
use crate::config::{self, AuthMethod, DEFAULT_API_VERSION, OrgProfile, OrgSelection, StateConfig};
use crate::secret::SecretRef;
use crate::state::Store;
use d360_emulator::{self as emulator, Emulator};

/// An org ready to use: its client, its state store, and (for `local`) the emulator serving it.
pub(crate) struct Session {
    pub(crate) org: String,
    pub(crate) profile: OrgProfile,
    pub(crate) client: Client,
    pub(crate) store: std::sync::Arc<Store>,
    /// Kept alive for the whole command; dropped (stopped) with the session.
    emulator: Option<Emulator>,
}

impl Session {
    /// Stops the in-process emulator, if any, flushing its objects.
    pub(crate) async fn close(mut self) {
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await;
        }
    }
}

/// The profile selected by `--org` / `D360_ORG` (without starting anything).
pub(crate) fn select(global: &GlobalArgs) -> Result<OrgSelection, CliError> {
    Ok(config::select(global.org.as_deref(), global.config.as_deref())?)
}

/// Opens the selected org with the default retry settings.
pub(crate) async fn open(global: &GlobalArgs) -> Result<Session, CliError> {
    open_with(global, RetrySettings::from_env()).await
}

/// Opens the selected org.
pub(crate) async fn open_with(global: &GlobalArgs, retry: RetrySettings) -> Result<Session, CliError> {
    match select(global)? {
        OrgSelection::Remote(profile) => {
            let client = Client::new(&profile, retry)?;
            let store = Store::open(&profile.state, &profile.name).await?;
            Ok(Session {
                org: profile.name.clone(),
                profile: *profile,
                client,
                store: std::sync::Arc::new(store),
                emulator: None,
            })
        }
        OrgSelection::Local { data_dir, state } => open_local(data_dir, state, retry).await,
    }
}

async fn open_local(
    data_dir: std::path::PathBuf,
    state: StateConfig,
    retry: RetrySettings,
) -> Result<Session, CliError> {
    std::fs::create_dir_all(&data_dir).map_err(|source| CliError::Write {
        path: data_dir.display().to_string(),
        source,
    })?;
    let running = emulator::start(emulator::Options::new(&data_dir)).await?;
    let login = running.local_login();
    let url = config::parse_org_url(running.base_url())?;
    let profile = OrgProfile {
        name: "local".to_owned(),
        instance_url: url.clone(),
        login_url: url,
        api_version: DEFAULT_API_VERSION.to_owned(),
        dataspace: "default".to_owned(),
        auth: AuthMethod::Jwt {
            client_id: login.client_id,
            username: login.username,
            private_key: SecretRef::FromFile(login.private_key_path),
        },
        state,
        timeout: Duration::from_secs(60),
    };
    let client = Client::new(&profile, retry)?;
    let store = Store::open(&profile.state, "local").await?;
    Ok(Session {
        org: "local".to_owned(),
        profile,
        client,
        store: std::sync::Arc::new(store),
        emulator: Some(running),
    })
}
