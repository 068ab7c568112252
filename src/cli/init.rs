//! `d360 init [DIR]`: a starter project: `d360.yaml` (the `local` org needs none; a real org
//! commented out), `manifests/` with one example connection, and `.d360/` and `keys/` in
//! `.gitignore`. Safe to re-run: never overwrites a file, says what it kept, exits 0.

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
# For a real org, uncomment and fill in: docs/src/real-org.md (Connect a real org) walks
# through `d360 auth keygen`, the connected app and `d360 org check --org prod`.
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

/// The folders `.gitignore` must exclude, and why.
const IGNORED: [(&str, &str); 2] = [
    (".d360", "the local org, state files and the state's fingerprint key"),
    ("keys", "private keys (`d360 auth keygen --out keys`)"),
];

/// Whether a `.gitignore` line ignores the top-level `folder`.
fn ignores(line: &str, folder: &str) -> bool {
    let line = line.trim().trim_start_matches('/').trim_end_matches('/');
    line == folder
}

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
    let missing: Vec<&(&str, &str)> = IGNORED
        .iter()
        .filter(|(folder, _)| !existing.lines().any(|line| ignores(line, folder)))
        .collect();
    if missing.is_empty() {
        output::message(&format!(
            "kept {} (it already ignores .d360/ and keys/)",
            gitignore.display()
        ));
    } else {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for (folder, why) in &missing {
            text.push_str(&format!("# d360: {why}\n{folder}/\n"));
        }
        crate::state::write_atomic(&gitignore, text.as_bytes(), false).map_err(|source| CliError::Write {
            path: gitignore.display().to_string(),
            source,
        })?;
        let folders: Vec<String> = missing.iter().map(|(folder, _)| format!("{folder}/")).collect();
        output::message(&format!("added {} to {}", folders.join(" and "), gitignore.display()));
    }
    if !config && !example {
        output::message(&format!(
            "{} already holds a d360 project: nothing overwritten",
            dir.display()
        ));
    }
    output::message(
        "Next: export RDS_USER=demo RDS_PASSWORD=demo, then `d360 plan` (against the built-in `local` org) and `d360 apply`.",
    );
    Ok(Outcome::Success)
}
