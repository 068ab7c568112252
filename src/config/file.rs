//! `d360.yaml`: its serde shapes and their resolution into [`OrgProfile`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{AuthMethod, ConfigError, DEFAULT_API_VERSION, OrgProfile, StateConfig, default_state_path, parse_org_url};
use crate::secret::{SecretRef, SecretSource};

/// `d360.yaml`: the org profiles `--org` names.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// Org profiles by name (`--org NAME`); `local` and `env` are built in, `all` is reserved.
    #[serde(default)]
    pub(crate) orgs: BTreeMap<String, OrgRaw>,
}

/// A non-secret value given directly or by reference (`clientId: { fromEnv: SF_CLIENT_ID }`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Plain {
    Value(String),
    Reference(SecretSource),
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct OrgRaw {
    /// The org's My Domain URL (`https://acme.my.salesforce.com`); `http://` only to loopback.
    pub(crate) instance_url: String,
    /// Where to log in (default: the instance URL; `https://test.salesforce.com` for sandboxes).
    #[serde(default)]
    pub(crate) login_url: Option<String>,
    /// REST API version (default 66.0).
    #[serde(default)]
    pub(crate) api_version: Option<String>,
    /// Data space (default `default`).
    #[serde(default)]
    pub(crate) dataspace: Option<String>,
    /// How d360 logs in: exactly one of `jwt`, `clientCredentials`, `password`.
    pub(crate) auth: AuthRaw,
    /// Where the org's state lives (default: `.d360/state/<org>.json`).
    #[serde(default)]
    pub(crate) state: Option<StateRaw>,
    /// HTTP timeout per request (default 60, or `D360_TIMEOUT_SECONDS`).
    #[serde(default)]
    pub(crate) timeout_seconds: Option<u64>,
    /// Values manifests read: a string as `${org.NAME}` in text, a secret reference
    /// (`{ fromEnv }`, `{ fromFile }`, `{ fromAwsSecret }`) as a credential's `{ fromOrg: NAME }`.
    #[serde(default)]
    pub(crate) values: BTreeMap<String, Plain>,
    /// The org whose converged manifests this one applies after (`apply` refuses others).
    #[serde(default)]
    pub(crate) promote_from: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AuthRaw {
    /// OAuth 2.0 JWT bearer (recommended for CI).
    #[serde(default)]
    pub(crate) jwt: Option<JwtRaw>,
    /// OAuth 2.0 client credentials (External Client App with a run-as user).
    #[serde(default)]
    pub(crate) client_credentials: Option<ClientCredentialsRaw>,
    /// Legacy username-password flow.
    #[serde(default)]
    pub(crate) password: Option<PasswordRaw>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct JwtRaw {
    /// The connected app's consumer key.
    pub(crate) client_id: Plain,
    /// The integration user.
    pub(crate) username: Plain,
    /// PEM private key file, relative to d360.yaml (or `privateKey`).
    #[serde(default)]
    pub(crate) private_key_file: Option<String>,
    /// PEM private key by reference (or `privateKeyFile`).
    #[serde(default)]
    pub(crate) private_key: Option<SecretSource>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ClientCredentialsRaw {
    pub(crate) client_id: Plain,
    pub(crate) client_secret: SecretSource,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PasswordRaw {
    pub(crate) client_id: Plain,
    pub(crate) client_secret: SecretSource,
    pub(crate) username: Plain,
    pub(crate) password: SecretSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Backend {
    Local,
    Postgres,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StateRaw {
    /// `local` (a JSON file) or `postgres`.
    pub(crate) backend: Backend,
    /// The local state file, relative to d360.yaml.
    #[serde(default)]
    pub(crate) path: Option<String>,
    /// The PostgreSQL URL, by reference (`{ fromEnv: D360_STATE_URL }`).
    #[serde(default)]
    pub(crate) url: Option<SecretSource>,
}

/// Reads and parses a config file (its shapes only: `load_file` checks the rest).
pub(crate) fn parse_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|error| {
        let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
        let mut message = error.to_string();
        if let Some(index) = message.rfind(" at line ") {
            message.truncate(index);
        }
        // A literal secret's message already says what to write instead (`SecretSource`).
        if message.contains("did not match any variant of untagged enum Plain") {
            message = message.replace(
                "data did not match any variant of untagged enum Plain",
                "expected a string or { fromEnv: NAME } / { fromFile: path }",
            );
        }
        ConfigError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            message,
        }
    })
}

/// A secret reference of d360.yaml, or why it cannot be one there (`fromOrg` names an org
/// value: manifests only).
fn reference(org: &str, field: &str, source: &SecretSource, base: &Path) -> Result<SecretRef, ConfigError> {
    Ok(match source {
        SecretSource::FromEnv(name) => SecretRef::FromEnv(name.clone()),
        SecretSource::FromFile(file) => SecretRef::FromFile(PathBuf::from(file)).relative_to(base),
        // Resolving it reports that AWS secrets are read for manifests only.
        SecretSource::FromAwsSecret(source) => SecretRef::FromAwsSecret(crate::secret::aws::AwsSecretRef {
            id: source.id.clone(),
            key: source.key.clone(),
            region: source.region.clone(),
        }),
        SecretSource::FromOrg(_) => {
            return Err(ConfigError::Profile {
                org: org.to_owned(),
                message: format!(
                    "`{field}`: `fromOrg` names a value of the org and is for manifests; in d360.yaml write `{{ fromEnv: NAME }}` or `{{ fromFile: path }}`"
                ),
            });
        }
    })
}

fn plain(org: &str, field: &str, value: &Plain, base: &Path) -> Result<String, ConfigError> {
    match value {
        Plain::Value(text) => Ok(text.clone()),
        Plain::Reference(source) => {
            use secrecy::ExposeSecret;
            reference(org, field, source, base)?
                .resolve()
                .map(|secret| secret.expose_secret().to_owned())
                .map_err(|error| ConfigError::Profile {
                    org: org.to_owned(),
                    message: format!("`{field}`: {error}"),
                })
        }
    }
}

/// Where one org of the file keeps its state, resolving nothing else of the profile (its
/// credentials may not be set where another org's apply runs).
pub(crate) fn state_config(name: &str, raw: &OrgRaw, config_path: &Path) -> Result<StateConfig, ConfigError> {
    let base = config_path.parent().unwrap_or_else(|| Path::new("."));
    Ok(match &raw.state {
        None => StateConfig::Local {
            path: default_state_path(name),
        },
        Some(state) => match state.backend {
            Backend::Local => StateConfig::Local {
                path: state
                    .path
                    .as_ref()
                    .map_or_else(|| default_state_path(name), |p| base.join(p)),
            },
            Backend::Postgres => StateConfig::Postgres {
                url: match &state.url {
                    Some(url) => reference(name, "state.url", url, base)?,
                    None => {
                        return Err(ConfigError::Profile {
                            org: name.to_owned(),
                            message: "state backend `postgres` needs `url: { fromEnv: D360_STATE_URL }`".to_owned(),
                        });
                    }
                },
            },
        },
    })
}

/// Resolves one org of the file.
pub(crate) fn resolve(name: &str, raw: &OrgRaw, config_path: &Path) -> Result<OrgProfile, ConfigError> {
    let base = config_path.parent().unwrap_or_else(|| Path::new("."));
    let profile_error = |message: &str| ConfigError::Profile {
        org: name.to_owned(),
        message: message.to_owned(),
    };
    let instance_url = parse_org_url(&raw.instance_url)?;
    let login_url = match &raw.login_url {
        Some(login) => parse_org_url(login)?,
        None => instance_url.clone(),
    };
    let auth = match (&raw.auth.jwt, &raw.auth.client_credentials, &raw.auth.password) {
        (Some(jwt), None, None) => {
            let private_key = match (&jwt.private_key_file, &jwt.private_key) {
                (Some(file), None) => SecretRef::FromFile(base.join(file)),
                (None, Some(source)) => reference(name, "auth.jwt.privateKey", source, base)?,
                _ => {
                    return Err(profile_error(
                        "auth.jwt needs exactly one of `privateKeyFile` and `privateKey`",
                    ));
                }
            };
            AuthMethod::Jwt {
                client_id: plain(name, "auth.jwt.clientId", &jwt.client_id, base)?,
                username: plain(name, "auth.jwt.username", &jwt.username, base)?,
                private_key,
            }
        }
        (None, Some(cc), None) => AuthMethod::ClientCredentials {
            client_id: plain(name, "auth.clientCredentials.clientId", &cc.client_id, base)?,
            client_secret: reference(name, "auth.clientCredentials.clientSecret", &cc.client_secret, base)?,
        },
        (None, None, Some(pw)) => AuthMethod::Password {
            client_id: plain(name, "auth.password.clientId", &pw.client_id, base)?,
            client_secret: reference(name, "auth.password.clientSecret", &pw.client_secret, base)?,
            username: plain(name, "auth.password.username", &pw.username, base)?,
            password: reference(name, "auth.password.password", &pw.password, base)?,
        },
        _ => {
            return Err(profile_error(
                "`auth` needs exactly one of `jwt`, `clientCredentials` and `password`",
            ));
        }
    };
    let state = state_config(name, raw, config_path)?;
    Ok(OrgProfile {
        name: name.to_owned(),
        instance_url,
        login_url,
        api_version: raw
            .api_version
            .clone()
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
        dataspace: raw.dataspace.clone().unwrap_or_else(|| "default".to_owned()),
        auth,
        state,
        promote_from: raw.promote_from.clone(),
        timeout: raw
            .timeout_seconds
            .filter(|s| *s > 0)
            .map_or_else(super::timeout_from_env, Duration::from_secs),
    })
}

/// The values of one org of the file, as manifests read them. `name` is reserved: `${org.name}`
/// is the profile's name.
pub(crate) fn values(
    name: &str,
    raw: &OrgRaw,
    config_path: &Path,
) -> Result<crate::kinds::document::OrgValues, ConfigError> {
    if raw.values.contains_key("name") {
        return Err(ConfigError::Profile {
            org: name.to_owned(),
            message: "`values.name` is reserved: `${org.name}` is the profile's name; rename the value".to_owned(),
        });
    }
    let base = config_path.parent().unwrap_or_else(|| Path::new("."));
    let mut values = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for (key, value) in &raw.values {
        match value {
            Plain::Value(text) => {
                values.insert(key.clone(), text.clone());
            }
            Plain::Reference(source) => {
                secrets.insert(key.clone(), reference(name, &format!("values.{key}"), source, base)?);
            }
        }
    }
    Ok(crate::kinds::document::OrgValues {
        name: name.to_owned(),
        values,
        secrets,
        defined_in: format!("{}, orgs.{name}.values", config_path.display()),
        built_in: false,
        known: None,
    })
}
