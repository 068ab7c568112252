//! `d360 init [DIR]`: a starter project: `d360.yaml` (the `local` org needs none; a real org
//! commented out), `manifests/` with one example connection, and `.d360/` in `.gitignore`.
//! Never overwrites a file.

use std::path::{Path, PathBuf};

use super::{CliError, Outcome};
use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The project folder (default: the current folder).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
}

const CONFIG: &str = r"# d360 configuration. The built-in `local` org (the default) needs nothing here.
# For a real org, uncomment and fill in (see README: Configuration and Setting up a real org).
orgs: {}
#  prod:
#    instanceUrl: https://acme.my.salesforce.com
#    loginUrl: https://login.salesforce.com      # https://test.salesforce.com for sandboxes
#    auth:
#      jwt: { clientId: { fromEnv: SF_CLIENT_ID }, username: integration@acme.com, privateKeyFile: keys/d360.key }
#    state: { backend: local }
";

const EXAMPLE: &str = r"# One AWS RDS MySQL connection. Credentials are references only: export RDS_USER and
# RDS_PASSWORD before `d360 plan` (or use { fromFile: path }).
apiVersion: d360/v1
kind: Connection
metadata:
  name: Example_RDS_MySQL
  labels: { team: example }
spec:
  connectorType: AwsRdsMySql
  label: Example RDS MySQL
  parameters:
    jdbc_connection_url: jdbc:mysql://db.example.internal:3306
    DATABASE: example
  credentials:
    user: { fromEnv: RDS_USER }
    password: { fromEnv: RDS_PASSWORD }
";

/// Writes `text` to `path` unless it exists; says which.
fn create(path: &Path, text: &str) -> Result<bool, CliError> {
    if path.exists() {
        output::message(&format!("kept {} (it exists)", path.display()));
        return Ok(false);
    }
    crate::state::write_atomic(path, text.as_bytes(), false).map_err(|source| CliError::Write {
        path: path.display().to_string(),
        source,
    })?;
    output::message(&format!("wrote {}", path.display()));
    Ok(true)
}

pub(crate) fn run(args: &Args) -> Result<Outcome, CliError> {
    let dir = &args.dir;
    let config = create(&dir.join("d360.yaml"), CONFIG)?;
    let manifests = dir.join("manifests");
    let example = if manifests.exists() {
        output::message(&format!("kept {} (it exists)", manifests.display()));
        false
    } else {
        create(&manifests.join("example-connection.yaml"), EXAMPLE)?
    };
    let gitignore = dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&gitignore) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(CliError::Write {
                path: gitignore.display().to_string(),
                source,
            });
        }
    };
    let ignored = existing
        .lines()
        .any(|line| matches!(line.trim(), ".d360" | ".d360/" | "/.d360/"));
    if !ignored {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# d360: the local org, state files and the state's fingerprint key\n.d360/\n");
        crate::state::write_atomic(&gitignore, text.as_bytes(), false).map_err(|source| CliError::Write {
            path: gitignore.display().to_string(),
            source,
        })?;
        output::message(&format!("added .d360/ to {}", gitignore.display()));
    }
    if !config && !example {
        return Err(CliError::Usage(format!(
            "{} already holds a d360 project (d360.yaml and manifests/); nothing written",
            dir.display()
        )));
    }
    output::message(
        "Next: export RDS_USER=demo RDS_PASSWORD=demo, then `d360 plan` (against the built-in `local` org) and `d360 apply`.",
    );
    Ok(Outcome::Success)
}
