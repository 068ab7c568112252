//! Opening an org for a command: resolve `--org`, start the built-in emulator for `local`,
//! build the API client and open the state backend. The `local` org's data folder serves one
//! process at a time: a second command waits for the first instead of failing.

use std::time::Duration;

use super::{CliError, GlobalArgs};
use crate::api::{Client, RetrySettings};
use crate::config::{self, AuthMethod, DEFAULT_API_VERSION, OrgProfile, OrgSelection, StateConfig};
use crate::output;
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
    Ok(config::select(global.single_org()?, global.config.as_deref())?)
}

/// The profile of the org `name` (one of `d360 watch`'s), without starting anything.
pub(crate) fn select_named(name: &str, global: &GlobalArgs) -> Result<OrgSelection, CliError> {
    Ok(config::select(Some(name), global.config.as_deref())?)
}

/// Opens the selected org with the default retry settings.
pub(crate) async fn open(global: &GlobalArgs) -> Result<Session, CliError> {
    open_with(global, RetrySettings::from_env()).await
}

/// Opens the selected org.
pub(crate) async fn open_with(global: &GlobalArgs, retry: RetrySettings) -> Result<Session, CliError> {
    open_selected(select(global)?, retry).await
}

/// Opens an org already selected.
pub(crate) async fn open_selected(selection: OrgSelection, retry: RetrySettings) -> Result<Session, CliError> {
    match selection {
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

/// Starts the in-process emulator over `data_dir`, waiting while another d360 command holds
/// it (the data folder serves one process at a time); says so after a second.
async fn start_when_free(data_dir: &std::path::Path) -> Result<Emulator, CliError> {
    let waiting_since = std::time::Instant::now();
    let mut said = false;
    loop {
        match emulator::start(emulator::Options::new(data_dir)).await {
            Err(d360_emulator::EmulatorError::InUse { .. }) => {
                if !said && waiting_since.elapsed() >= Duration::from_secs(1) {
                    output::message(&format!(
                        "Waiting for another d360 command using the `local` org (`{}`) to finish...",
                        data_dir.display()
                    ));
                    said = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return Ok(other?),
        }
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
    let first_contact = !data_dir.join("emulator.yaml").exists();
    let running = start_when_free(&data_dir).await?;
    if first_contact {
        let state_place = match &state {
            StateConfig::Local { path } => format!("`{}`", path.display()),
            StateConfig::Postgres { .. } => "the configured PostgreSQL database".to_owned(),
        };
        output::message(&format!(
            "Using the built-in `local` org: an emulator of the Data 360 API that d360 runs in-process, not Salesforce. \
             Its objects live in `{}`, d360's state in {state_place}. For a real org, pass --org NAME (see docs/src/real-org.md).",
            data_dir.display()
        ));
    }
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
