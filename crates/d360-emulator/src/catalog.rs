//! What the sources behind data connections hold, as `emulator.yaml`'s optional `catalog`
//! describes them: per host (read from a connection's `jdbc_connection_url`, `host` or
//! `connection_url` parameter) whether it is reachable, which credentials are right, and its
//! databases, schemas, objects (tables and views), fields with types, and a few records.
//!
//! The connection tests and the metadata browsing routes answer from here, and a host's
//! optional `status` is what its connections report (`NeedsReAuth`, `Failed`, ...). With no catalog
//! every well-formed host is reachable with any credentials and holds nothing; with one, a host
//! it does not list is unreachable. No network here: hosts are names, never dialled.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use d360_wire::shapes::Param;

/// The field types a source field may have (`BaseConnectionFieldRepresentation.type`).
pub(crate) const FIELD_TYPES: [&str; 11] = [
    "Boolean",
    "Currency",
    "Date",
    "DateTime",
    "Email",
    "Number",
    "Percent",
    "Phone",
    "Text",
    "Unsupported",
    "Url",
];

/// The statuses a data connection may report (`DataConnectionRepresentation.status`).
pub(crate) const CONNECTION_STATUSES: [&str; 4] = ["Connected", "Disconnected", "Failed", "NeedsReAuth"];

/// `catalog:` in `emulator.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Catalog {
    #[serde(default)]
    pub hosts: Vec<Host>,
}

/// One database server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Host {
    /// The host name, as in `jdbc:mysql://HOST:3306`.
    #[serde(rename = "host")]
    pub name: String,
    #[serde(default = "yes")]
    pub reachable: bool,
    /// The right credentials by name (`user`, `password`); absent: any are accepted.
    #[serde(default)]
    pub credentials: Option<BTreeMap<String, String>>,
    /// The `status` connections to this host report (one of [`CONNECTION_STATUSES`]);
    /// absent: `Connected`. `NeedsReAuth` plays a password rotated on the database side.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub databases: Vec<Database>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Database {
    pub name: String,
    #[serde(default)]
    pub schemas: Vec<Schema>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Schema {
    pub name: String,
    #[serde(default)]
    pub objects: Vec<Object>,
}

/// A table or view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Object {
    pub name: String,
    /// `TABLE` (default) or `VIEW`.
    #[serde(default = "table", rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub primary_keys: Vec<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Rows the preview answers, field name to value.
    #[serde(default)]
    pub records: Vec<serde_json::Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Field {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// One of [`FIELD_TYPES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The source's own type name (`VARCHAR`); default: the type upper-cased.
    #[serde(default)]
    pub original_type: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub format: Option<String>,
}

fn yes() -> bool {
    true
}

fn table() -> String {
    "TABLE".to_owned()
}

/// Why a connection cannot reach its source: the test actions' `errorCode` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreachable {
    pub code: &'static str,
    pub message: String,
}

impl Catalog {
    /// Checks the catalog itself: field types, unique names, known primary keys.
    pub(crate) fn check(&self) -> Result<(), String> {
        for host in &self.hosts {
            if let Some(status) = host.status.as_deref()
                && !CONNECTION_STATUSES.contains(&status)
            {
                return Err(format!(
                    "catalog host `{}`: status `{status}` is not one of {}",
                    host.name,
                    CONNECTION_STATUSES.join(", ")
                ));
            }
            for database in &host.databases {
                for schema in &database.schemas {
                    for object in &schema.objects {
                        let at = format!("{}/{}/{}/{}", host.name, database.name, schema.name, object.name);
                        if !["TABLE", "VIEW"].contains(&object.kind.as_str()) {
                            return Err(format!("catalog object `{at}`: type must be TABLE or VIEW"));
                        }
                        for field in &object.fields {
                            if !FIELD_TYPES.contains(&field.kind.as_str()) {
                                return Err(format!(
                                    "catalog field `{at}.{}`: type `{}` is not one of {}",
                                    field.name,
                                    field.kind,
                                    FIELD_TYPES.join(", ")
                                ));
                            }
                        }
                        if let Some(key) = object
                            .primary_keys
                            .iter()
                            .find(|key| object.fields.iter().all(|f| &f.name != *key))
                        {
                            return Err(format!("catalog object `{at}`: primary key `{key}` is not a field"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The host a connection's parameters name.
    pub(crate) fn host_of(params: &[Param]) -> Option<String> {
        let value = |name: &str| {
            params
                .iter()
                .find(|p| p.param_name.eq_ignore_ascii_case(name))
                .map(|p| p.value.as_str())
        };
        if let Some(host) = value("host").filter(|h| !h.is_empty()) {
            return Some(host.to_owned());
        }
        let url = value("jdbc_connection_url").or_else(|| value("connection_url"))?;
        let rest = url.strip_prefix("jdbc:").unwrap_or(url);
        let (_, after) = rest.split_once("://")?;
        let authority = after.split(['/', '?', ';']).next()?;
        let authority = authority.rsplit('@').next()?;
        let host = authority.split(':').next()?;
        (!host.is_empty()).then(|| host.to_owned())
    }

    /// The host entry a connection reaches with these credentials, or why it cannot.
    /// `Ok(None)`: no catalog, so reachable and empty.
    pub(crate) fn reach(&self, params: &[Param], credentials: &[Param]) -> Result<Option<&Host>, Unreachable> {
        let host = Self::host_of(params);
        let has_url = params.iter().any(|p| {
            ["host", "jdbc_connection_url", "connection_url"]
                .iter()
                .any(|n| p.param_name.eq_ignore_ascii_case(n))
        });
        if has_url && host.is_none() {
            return Err(Unreachable {
                code: "INVALID_CONNECTION",
                message: "Could not connect to the URL provided: it isn't a valid <scheme>://host[:port] URL"
                    .to_owned(),
            });
        }
        if self.hosts.is_empty() {
            return Ok(None);
        }
        let Some(host) = host else {
            return Ok(None);
        };
        let entry = self
            .hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&host))
            .filter(|h| h.reachable)
            .ok_or_else(|| Unreachable {
                code: "INVALID_CONNECTION",
                message: format!("Could not connect to the URL provided: host {host} is unreachable"),
            })?;
        if let Some(right) = &entry.credentials {
            let given = |name: &str| {
                credentials
                    .iter()
                    .find(|c| c.param_name == name)
                    .map(|c| c.value.as_str())
            };
            if right.iter().any(|(name, value)| given(name) != Some(value.as_str())) {
                return Err(Unreachable {
                    code: "INVALID_CREDENTIALS",
                    message: "User credentials are invalid".to_owned(),
                });
            }
        }
        Ok(Some(entry))
    }
}

impl Catalog {
    /// The status the catalog gives connections with these parameters, when it gives one.
    pub(crate) fn status_of(&self, params: &[Param]) -> Option<&str> {
        let host = Self::host_of(params)?;
        self.hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&host))?
            .status
            .as_deref()
    }
}

impl Host {
    pub(crate) fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, value: &str) -> Param {
        Param {
            param_name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn hosts_come_from_jdbc_urls() {
        for (url, host) in [
            ("jdbc:mysql://db.example.internal:3306", Some("db.example.internal")),
            ("jdbc:postgresql://u@pg.local/clinic?ssl=true", Some("pg.local")),
            ("https://abcd.123.com:443", Some("abcd.123.com")),
            ("not a url", None),
        ] {
            assert_eq!(
                Catalog::host_of(&[param("jdbc_connection_url", url)]).as_deref(),
                host,
                "{url}"
            );
        }
    }

    #[test]
    fn unlisted_hosts_and_wrong_credentials_fail() {
        let catalog: Catalog = serde_yaml::from_str(
            "hosts:\n  - host: db\n    credentials: { user: u, password: p }\n  - { host: down, reachable: false }\n",
        )
        .expect("catalog");
        let url = |host: &str| vec![param("jdbc_connection_url", &format!("jdbc:mysql://{host}:3306"))];
        let right = [param("user", "u"), param("password", "p")];
        assert!(catalog.reach(&url("db"), &right).is_ok());
        let wrong = [param("user", "u"), param("password", "x")];
        assert_eq!(
            catalog.reach(&url("db"), &wrong).map(|_| ()).map_err(|e| e.code),
            Err("INVALID_CREDENTIALS")
        );
        for host in ["down", "elsewhere"] {
            assert_eq!(
                catalog.reach(&url(host), &right).map(|_| ()).map_err(|e| e.code),
                Err("INVALID_CONNECTION")
            );
        }
    }
}
