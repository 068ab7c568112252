//! `d360 emulator`: serve the Data 360 emulator over a data directory until Ctrl-C or
//! SIGTERM. Prints one line, `d360 emulator listening on URL`, to stdout once it listens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{CliError, GlobalArgs, Outcome};
use crate::output;
use d360_emulator::{self as emulator, Fault, OmitField, Options};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8360", value_name = "ADDR")]
    pub(crate) addr: SocketAddr,
    /// Data directory: `emulator.yaml` (the org), its key pair, and the objects.
    #[arg(long = "data", default_value = ".d360/emulator", value_name = "DIR")]
    pub(crate) data: PathBuf,
    /// Milliseconds added to every API request.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) latency: u64,
    /// Inject a fault into a share of API requests: 503, 500, 429, drop, drop-before or
    /// drop-after, e.g. `--fault 503=0.1` (repeatable).
    #[arg(long = "fault", value_name = "KIND=RATE")]
    pub(crate) faults: Vec<Fault>,
    /// Every token dies after each N API requests.
    #[arg(long, value_name = "N")]
    pub(crate) expire_tokens_every: Option<u64>,
    /// Seed for repeatable faults.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Append one JSON line per request to FILE (no header or body values).
    #[arg(long, value_name = "FILE")]
    pub(crate) log_requests: Option<PathBuf>,
    /// A deleted connection's name stays taken this many seconds.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub(crate) name_lock: u64,
    /// The first delete of each object answers 500 `UNKNOWN_EXCEPTION`.
    #[arg(long)]
    pub(crate) flaky_delete: bool,
    /// The org's connection limit (creates beyond it answer 422).
    #[arg(long, value_name = "N")]
    pub(crate) max_connections: Option<usize>,
    /// API requests served at once at most; more answer 429 with `Retry-After` at once.
    #[arg(long, value_name = "K")]
    pub(crate) max_inflight: Option<usize>,
    /// The daily API request allowance (`Sforce-Limit-Info`); once spent, API requests answer
    /// 403 `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit exceeded".
    #[arg(long, value_name = "N", default_value_t = emulator::DEFAULT_DAILY_LIMIT)]
    pub(crate) daily_limit: u64,
    /// Requests of the allowance already spent when it starts.
    #[arg(long, value_name = "U", default_value_t = 0)]
    pub(crate) daily_used: u64,
    /// Leave a field out of every answer about objects of a kind, as an org may for any field
    /// the published spec does not require: `connection:params`, `data-stream:connectorInfo`,
    /// `data-stream:dataLakeObjectInfo.category` (a dotted path goes into nested objects;
    /// repeatable).
    #[arg(long = "omit-field", value_name = "KIND:FIELD")]
    pub(crate) omit_fields: Vec<OmitField>,
    /// Keep the labels of written objects cut to N characters, as an org that shortens them
    /// does (reads show the short label).
    #[arg(long, value_name = "N")]
    pub(crate) truncate_labels: Option<usize>,
    /// List endpoints ignore `offset` (their `nextPageUrl` carries a page token instead), as
    /// an org that does not honour it would.
    #[arg(long)]
    pub(crate) ignore_offset: bool,
    /// The first N requests for a later page of a connection listing each create a
    /// connection first (`Listed_During_K`, a copy of the type's first): objects that appear
    /// while a client lists.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) create_while_listing: u64,
}

pub(crate) async fn run(args: Args, _global: &GlobalArgs) -> Result<Outcome, CliError> {
    let options = Options {
        addr: args.addr,
        data_dir: args.data,
        latency: Duration::from_millis(args.latency),
        faults: args.faults,
        expire_tokens_every: args.expire_tokens_every,
        seed: args.seed,
        log_requests: args.log_requests,
        name_lock: Duration::from_secs(args.name_lock),
        flaky_delete: args.flaky_delete,
        max_connections: args.max_connections,
        max_inflight: args.max_inflight,
        daily_limit: args.daily_limit,
        daily_used: args.daily_used,
        omit_fields: args.omit_fields,
        truncate_labels: args.truncate_labels,
        ignore_offset: args.ignore_offset,
        create_while_listing: args.create_while_listing,
    };
    let running = emulator::start(options).await?;
    output::data(&format!("d360 emulator listening on {}", running.base_url()));
    stop_signal().await;
    running.shutdown().await;
    Ok(Outcome::Success)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
