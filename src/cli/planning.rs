//! The flags `plan`, `apply` and `drift` share (which resources to consider), the one call
//! that makes a plan against the session's org, and the duration flags' parser.

use std::path::PathBuf;
use std::time::Duration;

use super::CliError;
use super::session::Session;
use super::usage_error::UsageError;
use crate::manifest::Declared;
use crate::plan::{self, DeleteLimit};
use crate::refresh::HttpOrg;

/// Manifests and the part of them to act on.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Selection {
    /// Manifest files or folders (default: ./manifests, else the current folder).
    pub(crate) paths: Vec<PathBuf>,
    /// Only this resource (and what it depends on). Repeatable. `Connection/AWS_RDS_c01`, or
    /// a bare name (`AWS_RDS_c01`) when only one resource has it.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) target: Vec<String>,
    /// Leave this resource out, whatever else selects it (it is neither changed nor pruned).
    /// Repeatable; `KIND/NAME` or a bare name.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) exclude: Vec<String>,
    /// Delete and create this resource again even if nothing changed (Terraform's
    /// `-replace`); its streams are replaced with it. Repeatable; `KIND/NAME` or a bare name.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) replace: Vec<String>,
    /// Only resources with this label (and what they depend on). Repeatable; all must match.
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) selector: Vec<String>,
    /// Delete managed resources that no manifest declares any more.
    #[arg(long)]
    pub(crate) prune: bool,
    /// Plan even when no manifest declares anything (with `--prune`: delete every managed object).
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// The most a plan may delete without `--allow-mass-delete`: a share of the managed
    /// objects (`0.25`, `25%`) or a count (`5`). Deleting one object is always allowed.
    #[arg(long, default_value = "0.25", value_name = "SHARE|COUNT", value_parser = parse_delete_limit)]
    pub(crate) max_delete_fraction: DeleteLimit,
    /// Allow a plan that deletes more than `--max-delete-fraction` of the managed objects.
    #[arg(long)]
    pub(crate) allow_mass_delete: bool,
}

/// A `--target`/`--exclude` value: `KIND/NAME` or a bare name.
fn address(flag: &'static str, text: &str) -> Result<plan::Address, CliError> {
    plan::Address::parse(text).ok_or_else(|| {
        UsageError::Address {
            flag,
            text: text.to_owned(),
        }
        .into()
    })
}

/// `--max-delete-fraction`: `0.25` or `25%` is a share, a whole number `5` a count.
pub(crate) fn parse_delete_limit(text: &str) -> Result<DeleteLimit, String> {
    let text = text.trim();
    let refused = || format!("`{text}` is neither a share such as `0.25` or `25%` nor a count such as `5`");
    if let Some(percent) = text.strip_suffix('%') {
        return match percent.trim().parse::<f64>() {
            Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(DeleteLimit::Fraction(percent / 100.0)),
            _ => Err(refused()),
        };
    }
    if let Ok(count) = text.parse::<usize>() {
        return Ok(DeleteLimit::Count(count));
    }
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(DeleteLimit::Fraction(share)),
        _ => Err(refused()),
    }
}

/// Refuses a declaration with no resource before any org is contacted (unless `--allow-empty`).
pub(crate) fn refuse_empty(
    paths: &[PathBuf],
    loaded: &crate::manifest::Loaded,
    options: &plan::Options,
) -> Result<(), CliError> {
    if plan::refuse_empty(&loaded.resources, options).is_none() {
        return Ok(());
    }
    let read: Vec<String> = super::manifests::default_paths(paths)
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect();
    Err(UsageError::NothingDeclared {
        paths: read,
        files: loaded.files,
    }
    .into())
}

impl Selection {
    /// The plan options these flags ask for.
    pub(crate) fn options(&self) -> Result<plan::Options, CliError> {
        let targets = self
            .target
            .iter()
            .map(|text| address("--target", text))
            .collect::<Result<Vec<_>, _>>()?;
        let replace = self
            .replace
            .iter()
            .map(|text| address("--replace", text))
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = self
            .exclude
            .iter()
            .map(|text| address("--exclude", text))
            .collect::<Result<Vec<_>, _>>()?;
        let selector = self
            .selector
            .iter()
            .flat_map(|text| text.split(','))
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| UsageError::Selector { pair: pair.to_owned() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(plan::Options {
            prune: self.prune,
            targets,
            exclude,
            replace,
            selector,
            check: false,
            allow_empty: self.allow_empty,
            delete_limit: self.max_delete_fraction,
            allow_mass_delete: self.allow_mass_delete,
            fingerprint_key_created: false,
            destroy: false,
        })
    }
}

/// Makes the plan of `desired` against the session's org.
pub(crate) async fn make(
    session: &Session,
    desired: &[Declared],
    options: &plan::Options,
) -> Result<plan::Planned, CliError> {
    let org = HttpOrg {
        client: &session.client,
    };
    Ok(plan::make(&session.org, &org, &session.store, desired, options).await?)
}

/// Parses `0`, `500ms`, `30s`, `5m`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30s` or `5m`"))?;
    let seconds = |n: u64| Duration::from_secs(n);
    match unit {
        "" | "s" => Ok(seconds(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "m" => Ok(seconds(number.saturating_mul(60))),
        "h" => Ok(seconds(number.saturating_mul(3600))),
        other => Err(format!("unknown unit `{other}` in `{text}`: use ms, s, m or h")),
    }
}
