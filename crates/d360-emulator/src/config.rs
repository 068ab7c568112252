//! `DIR/emulator.yaml`: the org the emulator plays (connected apps, users, data spaces, token
//! lifetime), written with DESIGN.md's defaults on first start and validated on every start.
//!
//! Beyond the defaults, optional keys let tests play a badly set-up org:
//! - per app `preAuthorizedUsers: [..]` (default: every user): JWT bearer for a user not in it
//!   fails `invalid_grant` / `user hasn't approved this consumer`, the password flow
//!   `invalid_app_access`;
//! - per app `scopes: [..]` (default `api cdp_api cdp_query_api cdp_profile_api
//!   cdp_ingest_api`): without a `cdp_*` scope the Data 360 exchange fails `invalid_scope`;
//!   without `api` the REST API answers 401 `INVALID_SESSION_ID` "This session is not valid for
//!   use with the REST API", as Salesforce does;
//! - per user `dataspaces: [..]` (default: every data space): exchanging for another data
//!   space fails `invalid_request`;
//! - `catalog:` what the sources behind data connections hold and accept (see `catalog`).
//!
//! Unknown keys are errors. Nothing here touches the network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::catalog::Catalog;
use super::files::write_atomically;
use super::{EmulatorError, ids, keys};

/// File name of the org description in the data directory.
pub(crate) const CONFIG_FILE: &str = "emulator.yaml";

/// What the first start writes: DESIGN.md section 7, with a note on the optional keys.
const DEFAULT_CONFIG: &str = "\
# The org the d360 emulator plays. Optional keys: per app `preAuthorizedUsers: [..]` and
# `scopes: [..]` (default: api cdp_api cdp_query_api cdp_profile_api cdp_ingest_api); per user
# `dataspaces: [..]`; `catalog: {hosts: [..]}` for connection tests and metadata browsing (see
# the book's emulator chapter, docs/src/emulator.md; below, the example clinics). Unknown keys are errors.
apps:
  - clientId: d360-local
    clientSecret: d360-local-secret      # client credentials and password flows
    certificate: local.crt               # X.509 PEM, relative to this directory; JWT assertions must verify against it
    flows: [jwt, clientCredentials, password]
    runAs: admin@local.d360              # the user of the client credentials flow
users:
  - { username: admin@local.d360, password: d360-local-password }
dataspaces: [default]
tokenLifetimeSeconds: 7200
# What the example clinics' databases hold, for `d360 plan --check` (connection tests and
# metadata browsing). A host not listed is unreachable. Per host: `reachable: false`,
# `credentials: { user: .., password: .. }` (absent: any are right), `status: NeedsReAuth`
# (what its connections report; also Failed, Disconnected; default Connected).
catalog:
  hosts:
    - host: spike.example.internal
      databases:
        - name: clinic
          schemas:
            - name: public
              objects: &clinic_tables
                - name: patients
                  primaryKeys: [patient_id]
                  fields:
                    - { name: patient_id, type: Text, originalType: VARCHAR }
                    - { name: full_name, type: Text, originalType: VARCHAR }
                    - { name: birth_date, type: Date }
                    - { name: updated_at, type: DateTime, format: 'yyyy-MM-dd HH:mm:ss' }
                  records:
                    - { patient_id: p1, full_name: Ada Lovelace, birth_date: '1815-12-10', updated_at: '2024-05-01 10:00:00' }
                - name: appointments
                  primaryKeys: [appointment_id]
                  fields:
                    - { name: appointment_id, type: Text }
                    - { name: patient_id, type: Text }
                    - { name: starts_at, type: DateTime }
    - { host: boston-clinic.db.example.internal, databases: [{ name: clinic_c01, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: denver-clinic.db.example.internal, databases: [{ name: clinic_c02, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: austin-clinic.db.example.internal, databases: [{ name: clinic_c03, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: seattle-clinic.db.example.internal, databases: [{ name: clinic_c04, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: miami-clinic.db.example.internal, databases: [{ name: clinic_c05, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: chicago-clinic.db.example.internal, databases: [{ name: clinic_c06, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: phoenix-clinic.db.example.internal, databases: [{ name: clinic_c07, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: atlanta-clinic.db.example.internal, databases: [{ name: clinic_c08, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: portland-clinic.db.example.internal, databases: [{ name: clinic_c09, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: dallas-clinic.db.example.internal, databases: [{ name: clinic_c10, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: detroit-clinic.db.example.internal, databases: [{ name: clinic_c11, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: tampa-clinic.db.example.internal, databases: [{ name: clinic_c12, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: omaha-clinic.db.example.internal, databases: [{ name: clinic_c13, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: tucson-clinic.db.example.internal, databases: [{ name: clinic_c14, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: fresno-clinic.db.example.internal, databases: [{ name: clinic_c15, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: mesa-clinic.db.example.internal, databases: [{ name: clinic_c16, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: raleigh-clinic.db.example.internal, databases: [{ name: clinic_c17, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: oakland-clinic.db.example.internal, databases: [{ name: clinic_c18, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: tulsa-clinic.db.example.internal, databases: [{ name: clinic_c19, schemas: [{ name: public, objects: *clinic_tables }] }] }
    - { host: reno-clinic.db.example.internal, databases: [{ name: clinic_c20, schemas: [{ name: public, objects: *clinic_tables }] }] }
";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigFile {
    apps: Vec<AppFile>,
    users: Vec<UserFile>,
    #[serde(default = "default_dataspaces")]
    dataspaces: Vec<String>,
    #[serde(default = "default_token_lifetime")]
    token_lifetime_seconds: u64,
    #[serde(default)]
    catalog: Catalog,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AppFile {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    certificate: Option<PathBuf>,
    flows: Vec<Flow>,
    #[serde(default)]
    run_as: Option<String>,
    #[serde(default)]
    pre_authorized_users: Option<Vec<String>>,
    #[serde(default = "default_scopes")]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserFile {
    username: String,
    password: String,
    #[serde(default)]
    dataspaces: Option<Vec<String>>,
}

/// An OAuth flow an app may have enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Flow {
    Jwt,
    ClientCredentials,
    Password,
}

fn default_dataspaces() -> Vec<String> {
    vec!["default".to_owned()]
}

fn default_token_lifetime() -> u64 {
    7200
}

fn default_scopes() -> Vec<String> {
    ["api", "cdp_api", "cdp_query_api", "cdp_profile_api", "cdp_ingest_api"]
        .map(str::to_owned)
        .to_vec()
}

/// The validated org: apps with their verification keys, users with their ids.
pub(crate) struct Org {
    pub id: String,
    pub apps: Vec<App>,
    pub users: Vec<User>,
    pub dataspaces: Vec<String>,
    pub token_lifetime: Duration,
    pub catalog: Catalog,
}

/// A connected app.
pub(crate) struct App {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The RS256 key of the app's certificate (apps with the JWT flow).
    pub jwt_key: Option<DecodingKey>,
    pub flows: Vec<Flow>,
    /// Index into [`Org::users`] of the client credentials run-as user.
    pub run_as: Option<usize>,
    /// Indexes of pre-authorized users; `None` means every user.
    pub pre_authorized: Option<Vec<usize>>,
    pub scopes: Vec<String>,
}

/// A user of the org.
pub(crate) struct User {
    pub id: String,
    pub username: String,
    pub password: String,
    /// Data spaces the user may use; `None` means every one.
    pub dataspaces: Option<Vec<String>>,
}

impl App {
    pub(crate) fn has_flow(&self, flow: Flow) -> bool {
        self.flows.contains(&flow)
    }

    pub(crate) fn approves(&self, user: usize) -> bool {
        self.pre_authorized.as_ref().is_none_or(|users| users.contains(&user))
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    pub(crate) fn has_data_cloud_scope(&self) -> bool {
        self.scopes.iter().any(|granted| granted.starts_with("cdp_"))
    }
}

impl User {
    pub(crate) fn may_use_dataspace(&self, dataspace: &str) -> bool {
        self.dataspaces
            .as_ref()
            .is_none_or(|granted| granted.iter().any(|d| d == dataspace))
    }
}

impl Org {
    /// The app with this client id.
    pub(crate) fn app(&self, client_id: &str) -> Option<usize> {
        self.apps.iter().position(|app| app.client_id == client_id)
    }

    /// The user with this username (usernames are case-insensitive in Salesforce).
    pub(crate) fn user(&self, username: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|user| user.username.eq_ignore_ascii_case(username))
    }
}

/// Reads `DIR/emulator.yaml`, first writing it (and the key pair) when absent.
pub(crate) fn load_or_init(dir: &Path) -> Result<Org, EmulatorError> {
    let path = dir.join(CONFIG_FILE);
    if !path.exists() {
        keys::ensure_key_pair(dir)?;
        write_atomically(&path, DEFAULT_CONFIG.as_bytes())?;
    }
    let text = std::fs::read_to_string(&path).map_err(|source| EmulatorError::Read {
        path: path.clone(),
        source,
    })?;
    let file: ConfigFile = serde_yaml::from_str(&text).map_err(|error| EmulatorError::Config {
        path: path.clone(),
        message: error.to_string(),
    })?;
    resolve(dir, &path, file)
}

fn resolve(dir: &Path, path: &Path, file: ConfigFile) -> Result<Org, EmulatorError> {
    let invalid = |message: String| EmulatorError::Config {
        path: path.to_path_buf(),
        message,
    };
    if file.apps.is_empty() {
        return Err(invalid("`apps` needs at least one app".to_owned()));
    }
    if file.users.is_empty() {
        return Err(invalid("`users` needs at least one user".to_owned()));
    }
    if file.dataspaces.is_empty() {
        return Err(invalid("`dataspaces` needs at least one data space".to_owned()));
    }
    file.catalog.check().map_err(invalid)?;
    if file.token_lifetime_seconds == 0 {
        return Err(invalid("`tokenLifetimeSeconds` must be at least 1".to_owned()));
    }
    let users = resolve_users(file.users, &file.dataspaces).map_err(invalid)?;
    let mut apps: Vec<App> = Vec::with_capacity(file.apps.len());
    for app in file.apps {
        if apps.iter().any(|known| known.client_id == app.client_id) {
            return Err(invalid(format!("app `{}` is listed twice", app.client_id)));
        }
        apps.push(resolve_app(dir, app, &users, &invalid)?);
    }
    Ok(Org {
        id: ids::record_id(ids::ORG_PREFIX, 1),
        apps,
        users,
        dataspaces: file.dataspaces,
        token_lifetime: Duration::from_secs(file.token_lifetime_seconds),
        catalog: file.catalog,
    })
}

/// The users, each once, naming only data spaces the org has; numbered in file order.
fn resolve_users(listed: Vec<UserFile>, dataspaces: &[String]) -> Result<Vec<User>, String> {
    let mut users = Vec::with_capacity(listed.len());
    for (index, user) in listed.into_iter().enumerate() {
        if users
            .iter()
            .any(|known: &User| known.username.eq_ignore_ascii_case(&user.username))
        {
            return Err(format!("user `{}` is listed twice", user.username));
        }
        for dataspace in user.dataspaces.iter().flatten() {
            if !dataspaces.contains(dataspace) {
                return Err(format!(
                    "user `{}` names the data space `{dataspace}`, which `dataspaces` lacks",
                    user.username
                ));
            }
        }
        users.push(User {
            id: ids::record_id(ids::USER_PREFIX, index as u64 + 1),
            username: user.username,
            password: user.password,
            dataspaces: user.dataspaces,
        });
    }
    Ok(users)
}

/// One connected app: its users found by name, its certificate read for the JWT flow, a
/// secret where another flow needs one.
fn resolve_app(
    dir: &Path,
    app: AppFile,
    users: &[User],
    invalid: &dyn Fn(String) -> EmulatorError,
) -> Result<App, EmulatorError> {
    let find_user = |username: &str, role: &str| {
        users
            .iter()
            .position(|user| user.username.eq_ignore_ascii_case(username))
            .ok_or_else(|| {
                invalid(format!(
                    "app `{}` names `{username}` as {role}, but no user has that name",
                    app.client_id
                ))
            })
    };
    let run_as = app
        .run_as
        .as_deref()
        .map(|username| find_user(username, "`runAs`"))
        .transpose()?;
    let pre_authorized = app
        .pre_authorized_users
        .as_ref()
        .map(|names| {
            names
                .iter()
                .map(|username| find_user(username, "a pre-authorized user"))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let jwt_key = if app.flows.contains(&Flow::Jwt) {
        let certificate = app.certificate.as_deref().ok_or_else(|| {
            invalid(format!(
                "app `{}` has the `jwt` flow but no `certificate`",
                app.client_id
            ))
        })?;
        Some(keys::certificate_key(&keys::resolve(dir, certificate))?)
    } else {
        None
    };
    let needs_secret = app.flows.iter().any(|flow| *flow != Flow::Jwt);
    if needs_secret && app.client_secret.is_none() {
        return Err(invalid(format!(
            "app `{}` has the `clientCredentials` or `password` flow but no `clientSecret`",
            app.client_id
        )));
    }
    Ok(App {
        client_id: app.client_id,
        client_secret: app.client_secret,
        jwt_key,
        flows: app.flows,
        run_as,
        pre_authorized,
        scopes: app.scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let file: ConfigFile = serde_yaml::from_str(DEFAULT_CONFIG).expect("defaults parse");
        assert_eq!(file.apps[0].client_id, "d360-local");
        assert_eq!(file.apps[0].flows, [Flow::Jwt, Flow::ClientCredentials, Flow::Password]);
        assert_eq!(file.apps[0].run_as.as_deref(), Some("admin@local.d360"));
        assert_eq!(file.users[0].password, "d360-local-password");
        assert_eq!(file.dataspaces, ["default"]);
        assert_eq!(file.token_lifetime_seconds, 7200);
        assert!(file.apps[0].scopes.iter().any(|scope| scope == "api"));
        // The example clinics: the spike host and twenty clinics, each with its own database
        // holding the shared tables.
        assert_eq!(file.catalog.hosts.len(), 21);
        assert!(file.catalog.check().is_ok());
        let denver = &file.catalog.hosts[2];
        assert_eq!(denver.name, "denver-clinic.db.example.internal");
        assert_eq!(denver.databases[0].name, "clinic_c02");
        assert_eq!(denver.databases[0].schemas[0].objects[0].fields.len(), 4);
    }

    #[test]
    fn a_host_status_must_be_a_connection_status() {
        let text = DEFAULT_CONFIG.replace(
            "- host: spike.example.internal",
            "- host: spike.example.internal\n      status: Expired",
        );
        let file: ConfigFile = serde_yaml::from_str(&text).expect("parses");
        let error = file.catalog.check().expect_err("refused");
        assert!(
            error.contains("status `Expired` is not one of Connected, Disconnected, Failed, NeedsReAuth"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = DEFAULT_CONFIG.replace("runAs:", "runAss:");
        let error = serde_yaml::from_str::<ConfigFile>(&text).err().expect("an error");
        assert!(error.to_string().contains("unknown field `runAss`"), "{error}");
    }
}
