//! `d360 destroy [--target KIND/NAME]...`: delete managed objects (all of them, or the
//! targets) with the same guards as `apply --prune`: the mass-deletion limit, objects
//! `preventDestroy` protects kept, a stream's connection not deleted under it, confirmation.
//! Manifests are not read: what d360 manages is what state records. Unmanaged objects are
//! never touched.

use super::execution::Execution;
use super::planning::parse_delete_limit;
use super::session;
use super::usage_error::UsageError;
use super::{CliError, GlobalArgs, Outcome};
use crate::apply::Source;
use crate::plan::{self, Address, DeleteLimit};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this managed resource (`KIND/NAME` or a bare name). Repeatable; default: all.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) target: Vec<String>,
    /// Keep this managed resource. Repeatable.
    #[arg(long, value_name = "KIND/NAME")]
    pub(crate) exclude: Vec<String>,
    /// The most it may delete without `--allow-mass-delete`: a share of the managed objects
    /// (`0.25`, `25%`) or a count (`5`). Deleting one object is always allowed.
    #[arg(long, default_value = "0.25", value_name = "SHARE|COUNT", value_parser = parse_delete_limit)]
    pub(crate) max_delete_fraction: DeleteLimit,
    /// Allow deleting more than `--max-delete-fraction` of the managed objects (needed to
    /// destroy everything).
    #[arg(long)]
    pub(crate) allow_mass_delete: bool,
    #[command(flatten)]
    pub(crate) execution: Execution,
}

fn addresses(flag: &str, values: &[String]) -> Result<Vec<Address>, CliError> {
    values
        .iter()
        .map(|text| {
            Address::parse(text).ok_or_else(|| {
                UsageError::KindSlashName {
                    given: format!("{flag} `{text}`"),
                }
                .into()
            })
        })
        .collect()
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let options = plan::Options {
        prune: true,
        targets: addresses("--target", &args.target)?,
        exclude: addresses("--exclude", &args.exclude)?,
        replace: Vec::new(),
        selector: Vec::new(),
        allow_empty: true,
        delete_limit: args.max_delete_fraction,
        allow_mass_delete: args.allow_mass_delete,
        destroy: true,
        // Deletes write nothing to check.
        check: false,
        fingerprint_key_created: false,
    };
    let session = session::open(global).await?;
    let result = args
        .execution
        .carry_out(
            "d360 destroy",
            &session,
            Source::Desired(&[]),
            options,
            super::execution::Promotion {
                forget: true,
                ..super::execution::Promotion::default()
            },
        )
        .await;
    session.close().await;
    result
}
