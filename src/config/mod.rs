//! Org profiles: `d360.yaml`, the `D360_*` variables (`--org env`) and the built-in `local`,
//! and the `values:` of a profile that manifests read as `${org.NAME}` ([`org_values`]).
//!
//! Secrets are references only (`fromEnv` / `fromFile`); a literal secret in `d360.yaml` is
//! refused. Plain `http://` is allowed only for loopback hosts. Nothing here talks to a
//! network: `auth` and `api` take a resolved [`OrgProfile`].

mod file;
mod promotion;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use file::ConfigFile;

use crate::secret::SecretRef;

/// The default API version: the one the seeds and the reference use.
pub(crate) const DEFAULT_API_VERSION: &str = "66.0";

/// Problems with configuration. Messages name the file, place and field.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read `{path}`")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("org `{name}` is not defined{}", unknown_org_detail(.file, *.found, .known))]
    UnknownOrg {
        name: String,
        file: String,
        /// Whether the configuration file exists.
        found: bool,
        known: Vec<String>,
    },
    #[error("org `{org}`: {message}")]
    Profile { org: String, message: String },
    #[error("`{url}` is not an allowed URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("--org all: {}", no_profiles_detail(.file, *.found))]
    NoProfiles {
        file: String,
        /// Whether the configuration file exists.
        found: bool,
    },
    /// Every variable `--org env` needs that is not set, all at once (each in backticks).
    #[error("--org env: {} not set", describe_missing(.0))]
    EnvMissing(Vec<&'static str>),
}

/// How d360 logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    /// OAuth 2.0 JWT bearer: an RS256 assertion signed with the app's private key.
    Jwt {
        client_id: String,
        username: String,
        private_key: SecretRef,
    },
    /// OAuth 2.0 client credentials (External Client App with a run-as user).
    ClientCredentials {
        client_id: String,
        client_secret: SecretRef,
    },
    /// Legacy username-password flow.
    Password {
        client_id: String,
        client_secret: SecretRef,
        username: String,
        password: SecretRef,
    },
}

impl AuthMethod {
    #[must_use]
    pub(crate) fn flow_name(&self) -> &'static str {
        match self {
            AuthMethod::Jwt { .. } => "JWT bearer",
            AuthMethod::ClientCredentials { .. } => "client credentials",
            AuthMethod::Password { .. } => "username-password",
        }
    }
}

/// Where the state of an org lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StateConfig {
    Local { path: PathBuf },
    Postgres { url: SecretRef },
}

/// A fully resolved org: where it is, how to log in, where its state is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrgProfile {
    pub(crate) name: String,
    pub(crate) instance_url: url::Url,
    pub(crate) login_url: url::Url,
    pub(crate) api_version: String,
    pub(crate) dataspace: String,
    pub(crate) auth: AuthMethod,
    pub(crate) state: StateConfig,
    pub(crate) timeout: Duration,
    /// The org whose converged manifests this one must match before `apply` (`promoteFrom`).
    pub(crate) promote_from: Option<String>,
}

/// Which org a command runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrgSelection {
    /// The built-in emulator over `data_dir`, with its state at `state`.
    Local {
        data_dir: PathBuf,
        state: StateConfig,
    },
    Remote(Box<OrgProfile>),
}

/// The default state file of an org: `.d360/state/<org>.json`.
#[must_use]
pub(crate) fn default_state_path(org: &str) -> PathBuf {
    Path::new(".d360").join("state").join(format!("{org}.json"))
}

/// Whether a host is loopback (plain `http://` is allowed only there).
#[must_use]
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Parses an org URL: `https://` anywhere, `http://` only on loopback.
pub(crate) fn parse_org_url(text: &str) -> Result<url::Url, ConfigError> {
    let bad = |reason: &str| ConfigError::BadUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad("it has no host"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_host(host) => Ok(url),
        "http" => Err(bad(
            "plain http is only allowed to loopback (127.0.0.1, localhost); use https",
        )),
        other => Err(bad(&format!("scheme `{other}` is not supported; use https"))),
    }
}

fn timeout_from_env() -> Duration {
    std::env::var("D360_TIMEOUT_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// Reads a config file: its shapes, then what spans profiles (`promoteFrom`).
pub(crate) fn load_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let config = file::parse_file(path)?;
    promotion::check(&config, path)?;
    Ok(config)
}

/// The config file `--config` names (which must exist), else `./d360.yaml` when it exists.
fn read_config(config_path: Option<&Path>) -> Result<(PathBuf, Option<file::ConfigFile>), ConfigError> {
    let explicit = config_path.is_some();
    let path = config_path.map_or_else(|| PathBuf::from("d360.yaml"), Path::to_path_buf);
    let config = if explicit || path.is_file() {
        Some(load_file(&path)?)
    } else {
        None
    };
    Ok((path, config))
}

/// The `${org.…}` values of `--org` (or `local`): its profile's `values:`, none for the
/// built-in `local` and `env`. Reads no secret and needs no credential.
pub(crate) fn org_values(
    org: Option<&str>,
    config_path: Option<&Path>,
) -> Result<crate::kinds::document::OrgValues, ConfigError> {
    let name = org.unwrap_or("local");
    let (path, config) = read_config(config_path)?;
    let known = ["local", "env"]
        .into_iter()
        .map(str::to_owned)
        .chain(config.iter().flat_map(|c| c.orgs.keys().cloned()))
        .collect();
    if let Some(config) = &config
        && let Some(raw) = config.orgs.get(name)
    {
        let mut values = file::values(name, raw, &path)?;
        values.known = Some(known);
        return Ok(values);
    }
    match name {
        "local" | "env" => Ok(crate::kinds::document::OrgValues {
            known: Some(known),
            ..crate::kinds::document::OrgValues::built_in(name)
        }),
        other => Err(ConfigError::UnknownOrg {
            name: other.to_owned(),
            file: path.display().to_string(),
            found: config.is_some(),
            known: config.map(|c| c.orgs.keys().cloned().collect()).unwrap_or_default(),
        }),
    }
}

/// Every profile of the config file (`--org all`): not the built-in `local` and `env`, each
/// after the org it promotes from, otherwise by name. An error when there is none.
pub(crate) fn profile_names(config_path: Option<&Path>) -> Result<Vec<String>, ConfigError> {
    let (path, config) = read_config(config_path)?;
    let names = config.as_ref().map(promotion::order).unwrap_or_default();
    if names.is_empty() {
        return Err(ConfigError::NoProfiles {
            file: path.display().to_string(),
            found: config.is_some(),
        });
    }
    Ok(names)
}

/// The state backend of the profile `name` of the config file, and the org it promotes
/// from, without resolving its credentials (for reading another org's state).
pub(crate) fn state_of(name: &str, config_path: Option<&Path>) -> Result<(StateConfig, Option<String>), ConfigError> {
    let (path, config) = read_config(config_path)?;
    match config.as_ref().and_then(|config| config.orgs.get(name)) {
        Some(raw) => Ok((file::state_config(name, raw, &path)?, raw.promote_from.clone())),
        None => Err(ConfigError::UnknownOrg {
            name: name.to_owned(),
            file: path.display().to_string(),
            found: config.is_some(),
            known: config.map(|c| c.orgs.keys().cloned().collect()).unwrap_or_default(),
        }),
    }
}

/// Resolves `--org` (or `D360_ORG`, else `local`) against the config file and environment.
pub(crate) fn select(org: Option<&str>, config_path: Option<&Path>) -> Result<OrgSelection, ConfigError> {
    let name = org.unwrap_or("local");
    let (path, config) = read_config(config_path)?;
    if let Some(config) = &config
        && let Some(raw) = config.orgs.get(name)
    {
        file::values(name, raw, &path)?;
        return file::resolve(name, raw, &path).map(|p| OrgSelection::Remote(Box::new(p)));
    }
    match name {
        "local" => Ok(OrgSelection::Local {
            data_dir: Path::new(".d360").join("local"),
            state: StateConfig::Local {
                path: default_state_path("local"),
            },
        }),
        "env" => from_env().map(|p| OrgSelection::Remote(Box::new(p))),
        other => Err(ConfigError::UnknownOrg {
            name: other.to_owned(),
            file: path.display().to_string(),
            found: config.is_some(),
            known: config.map(|c| c.orgs.keys().cloned().collect()).unwrap_or_default(),
        }),
    }
}

/// What follows "org `X` is not defined": which file was read and the profiles it has.
fn unknown_org_detail(file: &str, found: bool, known: &[String]) -> String {
    if !found {
        format!(" (no {file} found; use `--org local`, `--org env`, or write {file}: see docs/src/real-org.md)")
    } else if known.is_empty() {
        format!(
            " in {file}: it has no org profile under `orgs:` (add one: see docs/src/real-org.md), and `local` and `env` are built in"
        )
    } else {
        format!(
            " in {file}: its profiles are {}, and `local` and `env` are built in",
            known.join(", ")
        )
    }
}

/// Why `--org all` found no profile.
fn no_profiles_detail(file: &str, found: bool) -> String {
    if found {
        format!(
            "{file} has no org profile under `orgs:` (`local` and `env` are not part of `all`); add one: see docs/src/real-org.md"
        )
    } else {
        format!("no {file} found: `all` means every org profile of d360.yaml; pass --config FILE or name the org")
    }
}

fn env(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `A is`, `A and B are`, `A, B and C are` (the names come quoted).
fn describe_missing(names: &[&'static str]) -> String {
    match names.split_last() {
        Some((last, [])) => format!("{last} is"),
        Some((last, rest)) => format!("{} and {last} are", rest.join(", ")),
        None => "nothing is".to_owned(),
    }
}

/// The variables `--org env` needs that are not set, for the flow the set ones choose.
fn missing_env() -> Vec<&'static str> {
    let key = env("D360_PRIVATE_KEY_FILE").is_some() || env("D360_PRIVATE_KEY").is_some();
    let secret = env("D360_CLIENT_SECRET").is_some();
    let needs_username = key || (secret && env("D360_PASSWORD").is_some());
    [
        ("`D360_INSTANCE_URL`", env("D360_INSTANCE_URL").is_none()),
        ("`D360_CLIENT_ID`", env("D360_CLIENT_ID").is_none()),
        ("`D360_USERNAME`", needs_username && env("D360_USERNAME").is_none()),
        (
            "`D360_PRIVATE_KEY_FILE` (JWT bearer) or `D360_CLIENT_SECRET` (client credentials)",
            !key && !secret,
        ),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect()
}

/// `--org env`: the org described by `D360_*` variables. The flow follows from what is set;
/// every missing variable is reported at once.
pub(crate) fn from_env() -> Result<OrgProfile, ConfigError> {
    let missing = missing_env();
    if !missing.is_empty() {
        return Err(ConfigError::EnvMissing(missing));
    }
    let instance = env("D360_INSTANCE_URL").ok_or(ConfigError::EnvMissing(vec!["`D360_INSTANCE_URL`"]))?;
    let instance_url = parse_org_url(&instance)?;
    let login_url = match env("D360_LOGIN_URL") {
        Some(login) => parse_org_url(&login)?,
        None => instance_url.clone(),
    };
    let client_id = env("D360_CLIENT_ID").ok_or(ConfigError::EnvMissing(vec!["`D360_CLIENT_ID`"]))?;
    let auth = if env("D360_PRIVATE_KEY_FILE").is_some() || env("D360_PRIVATE_KEY").is_some() {
        let username = env("D360_USERNAME").ok_or(ConfigError::EnvMissing(vec!["`D360_USERNAME`"]))?;
        let private_key = match env("D360_PRIVATE_KEY_FILE") {
            Some(file) => SecretRef::FromFile(PathBuf::from(file)),
            None => SecretRef::FromEnv("D360_PRIVATE_KEY".into()),
        };
        AuthMethod::Jwt {
            client_id,
            username,
            private_key,
        }
    } else if env("D360_CLIENT_SECRET").is_some() {
        let client_secret = SecretRef::FromEnv("D360_CLIENT_SECRET".into());
        if env("D360_PASSWORD").is_some() {
            let username = env("D360_USERNAME").ok_or(ConfigError::EnvMissing(vec!["`D360_USERNAME`"]))?;
            AuthMethod::Password {
                client_id,
                client_secret,
                username,
                password: SecretRef::FromEnv("D360_PASSWORD".into()),
            }
        } else {
            AuthMethod::ClientCredentials {
                client_id,
                client_secret,
            }
        }
    } else {
        return Err(ConfigError::Profile {
            org: "env".into(),
            message: "set D360_PRIVATE_KEY_FILE (JWT bearer) or D360_CLIENT_SECRET (client credentials)".into(),
        });
    };
    let state = match env("D360_STATE_URL") {
        Some(_) => StateConfig::Postgres {
            url: SecretRef::FromEnv("D360_STATE_URL".into()),
        },
        None => StateConfig::Local {
            path: default_state_path("env"),
        },
    };
    Ok(OrgProfile {
        name: "env".into(),
        instance_url,
        login_url,
        api_version: env("D360_API_VERSION").unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
        dataspace: env("D360_DATASPACE").unwrap_or_else(|| "default".to_owned()),
        auth,
        state,
        timeout: timeout_from_env(),
        promote_from: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(parse_org_url("http://127.0.0.1:8360").is_ok());
        assert!(parse_org_url("http://localhost:8360").is_ok());
        assert!(parse_org_url("http://[::1]:8360").is_ok());
        assert!(parse_org_url("https://acme.my.salesforce.com").is_ok());
        assert_eq!(
            parse_org_url("acme.my.salesforce.com")
                .map(|u| u.scheme().to_owned())
                .ok(),
            Some("https".into())
        );
        assert!(parse_org_url("http://acme.my.salesforce.com").is_err());
        assert!(parse_org_url("http://127.0.0.1.evil.com").is_err());
        assert!(parse_org_url("ftp://127.0.0.1").is_err());
    }
}
