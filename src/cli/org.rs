//! `d360 org check`: log in, exchange for a Data 360 token, run the tenant query, read the
//! user and count objects; when a step fails, say which and what to fix in Setup.

use clap::Subcommand;

use super::session;
use super::{CliError, GlobalArgs, Outcome, TextOrJson as Format};
use crate::org;
use crate::output::{self, Paint};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: OrgCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Check that d360 can log in and use Data 360; diagnose the setup when it cannot.
    Check {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let OrgCommand::Check { format } = args.command;
    let session = session::open(global).await?;
    let report = org::check(&session).await;
    session.close().await;
    match format {
        Format::Json => {
            output::data(&serde_json::to_string_pretty(&report).map_err(CliError::Encode)?);
        }
        Format::Text => output::data(
            org::render_text(
                &report,
                Paint {
                    enabled: output::stdout_color(),
                },
            )
            .trim_end(),
        ),
    }
    Ok(if report.ok { Outcome::Success } else { Outcome::Failure })
}
