//! Opening an org for a stage: from a selected org profile (`config::select`), start the
//! built-in emulator for `local`, build the API client and open the state backend. The
//! `local` org's data folder serves one process at a time: a second command waits for the
//! first instead of failing.
//!
//! Comes after `config` (which profile) and before every stage that reads or writes an org
//! (`plan`, `apply`, `drift`, `import`, `watch`). Knows no command-line flag: `cli::session`
//! turns `--org` into the selection.

use std::time::Duration;

use crate::api::{ApiError, Client, RetrySettings};
use crate::config::{self, AuthMethod, ConfigError, DEFAULT_API_VERSION, OrgProfile, OrgSelection, StateConfig};
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

/// Why an org could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Emulator(#[from] d360_emulator::EmulatorError),
    #[error("cannot write `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Opens an org already selected.
pub(crate) async fn open(selection: OrgSelection, retry: RetrySettings) -> Result<Session, SessionError> {
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
async fn start_when_free(data_dir: &std::path::Path) -> Result<Emulator, SessionError> {
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

/// The profile of the built-in `local` org served by `running`: JWT login with the key the
/// emulator made, state in `state`.
pub(crate) fn local_profile(
    running: &Emulator,
    state: StateConfig,
    timeout: Duration,
) -> Result<OrgProfile, ConfigError> {
    let login = running.local_login();
    let url = config::parse_org_url(running.base_url())?;
    Ok(OrgProfile {
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
        timeout,
        promote_from: None,
    })
}

async fn open_local(
    data_dir: std::path::PathBuf,
    state: StateConfig,
    retry: RetrySettings,
) -> Result<Session, SessionError> {
    std::fs::create_dir_all(&data_dir).map_err(|source| SessionError::Write {
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
    let profile = local_profile(&running, state, Duration::from_secs(60))?;
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
