//! The org check (`d360 org check`): log in, exchange for a Data 360 token, run the tenant
//! query, read the user and count objects; a failed step carries the API's error and a hint
//! of what to fix in Setup. Reads only; the report is rendered by `org::render`.

use futures::future::try_join_all;
use serde::Serialize;

use crate::api::{ApiError, Client};
use crate::kinds::{self, Listing};
use crate::model::Kind;
use crate::session::Session;

/// One checked step.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StepReport {
    pub(crate) step: &'static str,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckReport {
    pub(crate) format_version: u32,
    pub(crate) org: String,
    pub(crate) instance_url: String,
    pub(crate) api_version: String,
    pub(crate) dataspace: String,
    pub(crate) flow: String,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connections: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connector_types: Option<u64>,
    /// Connector types that have at least one connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connector_types_in_use: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_streams: Option<u64>,
    /// `Sforce-Limit-Info`: API requests used in the last 24 hours, and the allowance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_requests_used: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_requests_allowed: Option<u64>,
    pub(crate) steps: Vec<StepReport>,
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

/// Logs in, exchanges for a Data 360 token, runs the tenant query, reads the user and
/// counts objects; stops at the first step of the login that fails.
pub(crate) async fn check(session: &Session) -> CheckReport {
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
    if login(session, &mut report).await && connections(session, &mut report).await {
        data_streams(client, &mut report).await;
        api_limits(client, &mut report);
    }
    report
}

/// The login, the user it logs in as, and the Data 360 token exchange; whether all passed.
async fn login(session: &Session, report: &mut CheckReport) -> bool {
    let client = &session.client;
    match client.auth().token().await {
        Ok(token) => report.pass(
            "login",
            format!(
                "{} flow; instance {}",
                session.profile.auth.flow_name(),
                token.instance_url
            ),
        ),
        Err(error) => {
            report.fail("login", &ApiError::Auth(error));
            return false;
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
            return false;
        }
    }
    match client.tenant_check().await {
        Ok(tenant) => report.pass("data360", format!("token exchange and `SELECT 1` on tenant {tenant}")),
        Err(error) => {
            report.fail("data360", &error);
            return false;
        }
    }
    true
}

/// Connections and connector types; whether they could be counted.
async fn connections(session: &Session, report: &mut CheckReport) -> bool {
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
            true
        }
        Err(error) => {
            report.fail("connections", &error);
            false
        }
    }
}

async fn data_streams(client: &Client, report: &mut CheckReport) {
    let streams = Listing {
        kind: Kind::DataStream,
        scope: None,
    };
    match kinds::driver(Kind::DataStream)
        .list(client, &streams, &kinds::keep_all)
        .await
    {
        Ok(streams) => {
            let count = streams.len() as u64;
            report.pass("dataStreams", format!("{count} data stream{}", plural(count)));
            report.data_streams = Some(count);
        }
        Err(error) => report.fail("dataStreams", &error),
    }
}

/// The org's daily allowance, when its answers said (`Sforce-Limit-Info`).
fn api_limits(client: &Client, report: &mut CheckReport) {
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
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

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
    let lists = try_join_all(
        listings
            .iter()
            .map(|listing| driver.list(client, listing, &kinds::keep_all)),
    )
    .await?;
    Ok(ConnectionCount {
        offered: listings.len() as u64,
        in_use: lists.iter().filter(|l| !l.is_empty()).count() as u64,
        connections: lists.iter().map(|l| l.len() as u64).sum(),
    })
}
