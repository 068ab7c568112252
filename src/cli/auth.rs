//! `d360 auth keygen`: a private key and self-signed certificate for the connected app, and the
//! Setup steps to do with them.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use secrecy::ExposeSecret;

use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome};
use crate::output;
use d360_wire::keypair as keygen;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: AuthCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Write `d360.key` (mode 0600) and `d360.crt` for JWT bearer login.
    Keygen {
        /// Folder to write into.
        #[arg(long, default_value = "keys")]
        out: PathBuf,
        /// Certificate validity in days.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// The certificate's common name.
        #[arg(long, default_value = "d360")]
        common_name: String,
        /// Overwrite an existing key.
        #[arg(long)]
        force: bool,
    },
}

pub(crate) fn run(args: Args, _global: &GlobalArgs) -> Result<Outcome, CliError> {
    let AuthCommand::Keygen {
        out,
        days,
        common_name,
        force,
    } = args.command;
    let key_path = out.join("d360.key");
    let certificate_path = out.join("d360.crt");
    if key_path.exists() && !force {
        return Err(UsageError::KeyExists {
            path: key_path.display().to_string(),
        }
        .into());
    }
    std::fs::create_dir_all(&out).map_err(|source| CliError::Write {
        path: out.display().to_string(),
        source,
    })?;
    let pair = keygen::generate(&common_name, days).map_err(CliError::Keygen)?;
    keygen::write_private(&key_path, pair.private_key_pem.expose_secret().as_bytes()).map_err(|source| {
        CliError::Write {
            path: key_path.display().to_string(),
            source,
        }
    })?;
    crate::state::write_atomic(&certificate_path, pair.certificate_pem.as_bytes(), false).map_err(|source| {
        CliError::Write {
            path: certificate_path.display().to_string(),
            source,
        }
    })?;
    if let Some(warning) = unignored_in_git(&key_path) {
        output::message(&warning);
    }
    output::data(&format!(
        "Wrote {key} (private key, mode 0600: keep it out of git) and {crt} (certificate, valid {days} days).\n\n\
         Next, in Salesforce Setup:\n\
         1. App Manager > New Connected App (or External Client App): enable OAuth settings.\n\
         2. Tick 'Use digital signatures' and upload {crt}.\n\
         3. Scopes: 'Manage user data via APIs (api)', 'Perform requests at any time (refresh_token, offline_access)'\n   and the Data 360 scopes (cdp_api, cdp_ingest_api, cdp_query_api, cdp_profile_api).\n\
         4. Manage > Edit Policies: 'Admin approved users are pre-authorized'; add the integration user's profile or a permission set.\n\
         5. Copy the Consumer Key, then in d360.yaml:\n\
         \n    auth:\n      jwt: {{ clientId: {{ fromEnv: SF_CLIENT_ID }}, username: integration@example.com, privateKeyFile: {key} }}\n\
         \n6. Check it: d360 org check --org <name>",
        key = key_path.display(),
        crt = certificate_path.display(),
    ));
    Ok(Outcome::Success)
}

/// A warning when `key` lies inside a git work tree and git would not ignore it (so a
/// `git add .` would commit the private key). No git, or not a work tree: nothing to say.
fn unignored_in_git(key: &Path) -> Option<String> {
    let folder = key
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = key.file_name()?;
    let git = |arguments: &[&std::ffi::OsStr]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(folder)
            .args(arguments)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
    };
    let inside = git(&["rev-parse".as_ref(), "--is-inside-work-tree".as_ref()])?;
    if !inside.status.success() || String::from_utf8_lossy(&inside.stdout).trim() != "true" {
        return None;
    }
    // `check-ignore` exits 0 when ignored, 1 when not, 128 on an error.
    let ignored = git(&["check-ignore".as_ref(), "-q".as_ref(), file])?;
    (ignored.status.code() == Some(1)).then(|| {
        format!(
            "warning: {} is inside a git work tree and not ignored: a `git add` would commit the private key; add `{}/` to .gitignore (`d360 init` does), or write keys outside the repository with --out",
            key.display(),
            folder.display()
        )
    })
}
