//! `d360 watch PATHS --org NAME [--org NAME...]`: parses the flags into typed options, opens
//! each org's state and hands the orgs to [`crate::watch::run`], which reconciles them (the
//! reconcile, the scheduling, the sharing of orgs among replicas, metrics and endpoints are
//! [`crate::watch`]'s); what each run reads first is `watching`'s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::watching::Context;
use super::{CliError, GlobalArgs, OrgChoice, Outcome, manifests, planning, session};
use crate::apply::Reserve;
use crate::config::OrgSelection;
use crate::output;
use crate::plan::{self, DeleteLimit};
use crate::watch::{self, HealOptions, OrgWatch, ReconcileOptions, Shared};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Manifest files or folders, read again before every run (a git checkout that a tool
    /// such as git-sync keeps fresh). Default: ./manifests, else the current folder.
    pub(crate) paths: Vec<PathBuf>,
    /// Time between two runs of an org: `30s`, `5m`, `1h` (jitter adds up to 10%; after a
    /// failure the wait doubles, up to twice this).
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = super::values::parse_interval)]
    pub(crate) interval: Duration,
    /// Address of the HTTP endpoints: /metrics, /healthz, /readyz, /status. Port 0 picks a
    /// free one (the first line on stdout says which).
    #[arg(long, default_value = "127.0.0.1:9360", value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// Apply what each run's plan says (creates, updates, replaces; deletes only with
    /// `--prune`), under the state lock, the API budget guard (`--api-reserve`) and the
    /// mass-deletion guard (`--max-delete-fraction`). Without it, watch only detects.
    #[arg(long)]
    pub(crate) heal: bool,
    /// With `--heal`: also delete managed objects no manifest declares any more.
    #[arg(long, requires = "heal")]
    pub(crate) prune: bool,
    /// With `--prune`: the most one run may delete, a share of the managed objects (`0.25`,
    /// `25%`) or a count (`5`). A plan over it is refused (a failed run), never applied.
    #[arg(long, default_value = "0.25", value_name = "SHARE|COUNT", value_parser = planning::parse_delete_limit)]
    pub(crate) max_delete_fraction: DeleteLimit,
    /// With `--heal`: API requests of the org's daily allowance to leave unspent, a count
    /// (`500`) or a share (`10%`). A heal that would eat into it does not start.
    #[arg(long, default_value = "10%", value_name = "COUNT|SHARE", value_parser = Reserve::parse)]
    pub(crate) api_reserve: Reserve,
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let orgs = match global.orgs()? {
        OrgChoice::One(one) => vec![one.unwrap_or_else(|| "local".to_owned())],
        OrgChoice::Many(many) => many,
    };
    let options = ReconcileOptions {
        plan: plan::Options {
            prune: args.prune,
            delete_limit: args.max_delete_fraction,
            ..plan::Options::default()
        },
        heal: args.heal.then_some(HealOptions {
            api_reserve: args.api_reserve,
            max_parallelism: 32,
        }),
        lock_timeout: args.interval.min(Duration::from_secs(30)),
    };
    // Refuse a wrong path or a broken manifest now; later runs read the files again.
    for org in &orgs {
        let loaded = manifests::load(&args.paths, global.manifests_for(Some(org), manifests::Aws::Inventory)).await?;
        planning::refuse_empty(&args.paths, &loaded, &options.plan)?;
    }
    let shared = Arc::new(Shared::new(&orgs, args.interval));
    let mut watched = Vec::new();
    for org in &orgs {
        let selection = session::select_named(org, global)?;
        let state = match &selection {
            OrgSelection::Local { state, .. } => state.clone(),
            OrgSelection::Remote(profile) => profile.state.clone(),
        };
        let context = Arc::new(Context::new(org, selection, &args.paths, global, &options, &shared));
        let tick: watch::Tick = Box::new(move || {
            let context = Arc::clone(&context);
            Box::pin(async move { context.run().await })
        });
        watched.push(OrgWatch::open(org, &state, tick).await?);
    }
    let cannot_listen = |e: std::io::Error| CliError::Listen {
        address: args.listen.to_string(),
        problem: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(cannot_listen)?;
    let address = listener.local_addr().map_err(cannot_listen)?;
    output::data(&format!(
        "d360 watch: serving http://{address}/metrics (and /healthz, /readyz, /status) for {}",
        orgs.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
    ));
    watch::run(watched, shared, listener).await;
    Ok(Outcome::Success)
}
