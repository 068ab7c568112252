//! `d360 org check`: log in, exchange for a Data 360 token, run the tenant query, read the
//! user and count objects; when a step fails, say which and what to fix in Setup.

use clap::{Subcommand, ValueEnum};
use futures::future::try_join_all;
use serde::Serialize;

use super::session::{self, Session};
use super::{CliError, GlobalArgs, Outcome};
use crate::api::ApiError;
use crate::kinds::{self, Listing};
use crate::model::Kind;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// One checked step.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepReport {
    step: &'static str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckReport {
    format_version: u32,
    org: String,
    instance_url: String,
    api_version: String,
    dataspace: String,
    flow: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connections: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connector_types: Option<u64>,
    /// Connector types that have at least one connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    connector_types_in_use: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_streams: Option<u64>,
    /// `Sforce-Limit-Info`: API requests used in the last 24 hours, and the allowance.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_requests_used: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_requests_allowed: Option<u64>,
    steps: Vec<StepReport>,
}

impl CheckReport {
    fn pass(&mut self, step: &'static str, detail: String) {
        self.steps.push(StepReport {
            step,
            ok: true,
            detail: Some(detail),
            error: None,
            hint: None,
        });
    }

    fn fail(&mut self, step: &'static str, error: &ApiError) {
        let text = crate::output::chain(error);
        self.steps.push(StepReport {
            step,
            ok: false,
            detail: None,
            error: Some(text),
            hint: error.hint(),
        });
        self.ok = false;
    }
}

pub(crate) async fn run(args: Args, global: &GlobalArgs) -> Result<Outcome, CliError> {
    let OrgCommand::Check { format } = args.command;
    let session = session::open(global).await?;
    let report = check(&session).await;
    session.close().await;
    match format {
        Format::Json => {
            output::data(&serde_json::to_string_pretty(&report).map_err(CliError::Encode)?);
        }
        Format::Text => print(&report),
    }
    Ok(if report.ok { Outcome::Success } else { Outcome::Failure })
}

async fn check(session: &Session) -> CheckReport {
    let client = &session.client;
    let profile = &session.profile;
    let mut report = CheckReport {
        format_version: 1,
        org: session.org.clone(),
        instance_url: profile.instance_url.to_string(),
        api_version: client.api_version().to_owned(),
        dataspace: client.dataspace().to_owned(),
        flow: profile.auth.flow_name().to_owned(),
        ok: true,
        ..CheckReport::default()
    };
    match client.auth().token().await {
        Ok(token) => report.pass(
            "login",
            format!("{} flow; instance {}", profile.auth.flow_name(), token.instance_url),
        ),
        Err(error) => {
            report.fail("login", &ApiError::Auth(error));
            return report;
        }
    }
    match client.userinfo().await {
        Ok(user) => {
            report.pass(
                "identity",
                format!(
                    "{} (user {}, org {})",
                    user.preferred_username, user.user_id, user.organization_id
                ),
            );
            report.user = Some(user.preferred_username);
            report.organization_id = Some(user.organization_id);
        }
        Err(error) => {
            report.fail("identity", &error);
            return report;
        }
    }
    match client.tenant_check().await {
        Ok(tenant) => report.pass("data360", format!("token exchange and `SELECT 1` on tenant {tenant}")),
        Err(error) => {
            report.fail("data360", &error);
            return report;
        }
    }
    match count_connections(session).await {
        Ok(ConnectionCount {
            offered,
            in_use,
            connections,
        }) => {
            report.pass(
                "connections",
                if connections == 0 {
                    format!(
                        "no connections yet (the org offers {offered} connector type{})",
                        plural(offered)
                    )
                } else {
                    format!(
                        "{connections} connection{} of {in_use} connector type{} (the org offers {offered})",
                        plural(connections),
                        plural(in_use)
                    )
                },
            );
            report.connections = Some(connections);
            report.connector_types = Some(offered);
            report.connector_types_in_use = Some(in_use);
        }
        Err(error) => {
            report.fail("connections", &error);
            return report;
        }
    }
    let streams = Listing {
        kind: Kind::DataStream,
        scope: None,
    };
    match kinds::driver(Kind::DataStream).list(client, &streams).await {
        Ok(streams) => {
            let count = streams.len() as u64;
            report.pass("dataStreams", format!("{count} data stream{}", plural(count)));
            report.data_streams = Some(count);
        }
        Err(error) => report.fail("dataStreams", &error),
    }
    let stats = client.stats();
    if stats.api_limit > 0 {
        report.pass(
            "apiLimits",
            format!(
                "{} of {} API requests left today ({} used)",
                stats.api_limit.saturating_sub(stats.api_used),
                stats.api_limit,
                stats.api_used
            ),
        );
        report.api_requests_used = Some(stats.api_used);
        report.api_requests_allowed = Some(stats.api_limit);
    }
    report
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Connector types offered by the org, and the connections of all of them.
/// Connector types the org offers, those with a connection, and the connections.
struct ConnectionCount {
    offered: u64,
    in_use: u64,
    connections: u64,
}

async fn count_connections(session: &Session) -> Result<ConnectionCount, ApiError> {
    let client = &session.client;
    let driver = kinds::driver(Kind::Connection);
    let listings = driver.discover(client).await?;
    let lists = try_join_all(listings.iter().map(|listing| driver.list(client, listing))).await?;
    Ok(ConnectionCount {
        offered: listings.len() as u64,
        in_use: lists.iter().filter(|l| !l.is_empty()).count() as u64,
        connections: lists.iter().map(|l| l.len() as u64).sum(),
    })
}

fn print(report: &CheckReport) {
    let paint = Paint {
        enabled: output::stdout_color(),
    };
    let mut text = format!(
        "org `{}` at {} (API v{}, data space `{}`)\n",
        report.org, report.instance_url, report.api_version, report.dataspace
    );
    for step in &report.steps {
        if step.ok {
            text.push_str(&format!(
                "  {}   {:<12} {}\n",
                paint.green("ok"),
                step.step,
                step.detail.as_deref().unwrap_or("")
            ));
        } else {
            text.push_str(&format!(
                "  {} {:<12} {}\n",
                paint.red("FAIL"),
                step.step,
                step.error.as_deref().unwrap_or("")
            ));
            if let Some(hint) = step.hint {
                text.push_str(&format!("       {} {hint}\n", paint.yellow("hint:")));
            }
        }
    }
    text.push_str(if report.ok {
        "Org check passed.\n"
    } else {
        "Org check failed.\n"
    });
    output::data(text.trim_end());
}
