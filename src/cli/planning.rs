//! The flags `plan`, `apply` and `drift` share (which resources to consider) and the one call
//! that makes a plan against the session's org.

use std::path::PathBuf;

use super::CliError;
use super::session::Session;
use super::usage_error::UsageError;
pub(crate) use super::values::{parse_delete_limit, parse_duration};
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

/// The promotion check, before logging in to the org: when its profile says `promoteFrom`,
/// that org's state (read-only, no lock, no login) must record a converged apply of `set`.
/// `watch --heal` asks it before each heal, and `plan` to warn.
pub(crate) async fn check_promotion(
    selection: &crate::config::OrgSelection,
    set: Option<&crate::model::SetVersion>,
    skip: bool,
    config: Option<&std::path::Path>,
) -> Result<crate::promotion::Promotion, CliError> {
    let crate::config::OrgSelection::Remote(profile) = selection else {
        return Ok(crate::promotion::Promotion::None);
    };
    let Some(from) = &profile.promote_from else {
        return Ok(crate::promotion::Promotion::None);
    };
    if skip {
        return Ok(crate::promotion::Promotion::Skipped { from: from.clone() });
    }
    let (from_state, _) = crate::config::state_of(from, config)?;
    Ok(crate::promotion::check(&profile.name, from, &from_state, set).await?)
}

/// The warning a plan for `org` (`None`: the default) carries when an apply of these
/// manifests would be refused by [`check_promotion`] (a state that cannot be read is said
/// too: the apply would stop on it); `None` when the org promotes from none, or it would go on.
pub(crate) async fn promotion_pending(
    org: Option<&str>,
    global: &super::GlobalArgs,
    paths: &[PathBuf],
    loaded: &crate::manifest::Loaded,
) -> Result<Option<plan::Warning>, CliError> {
    let config = global.config.as_deref();
    let selection = crate::config::select(org, config)?;
    // The commit is asked of git only for an org that promotes from another.
    let crate::config::OrgSelection::Remote(profile) = &selection else {
        return Ok(None);
    };
    if profile.promote_from.is_none() {
        return Ok(None);
    }
    let set = super::manifests::set_version(&super::manifests::default_paths(paths), loaded);
    match check_promotion(&selection, Some(&set), false, config).await {
        Ok(_) => Ok(None),
        Err(CliError::Promotion(refusal)) => Ok(Some(plan::Warning::PromotionPending {
            from: refusal.promoted_from().to_owned(),
            reason: crate::output::chain(&refusal),
        })),
        Err(other) => Err(other),
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

/// The drift of the session's org as `planned` (a plan of `loaded`) shows it: the drift
/// stage's classification, every resource declared for this org included.
#[must_use]
pub(crate) fn drift_report(loaded: &crate::manifest::Loaded, planned: &plan::Planned) -> crate::drift::Report {
    let declared: Vec<_> = loaded
        .resources
        .iter()
        .filter(|d| d.for_this_org())
        .map(|d| d.resource.key())
        .collect();
    crate::drift::from_plan(&planned.plan, &declared, &planned.state, &planned.live)
}
