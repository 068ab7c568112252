//! AWS access: the inventory of RDS databases and the values of Secrets Manager secrets.
//!
//! Credentials and the region come from the SDK's standard chain (`aws-config`: environment,
//! shared profile, web identity, container and instance metadata); the two calls d360 needs,
//! the RDS Query API's `DescribeDBInstances` / `DescribeDBClusters` and Secrets Manager's
//! `GetSecretValue`, are signed with SigV4 (`aws-sigv4`) and sent with the same `reqwest`
//! client as every other call, so the large generated SDK crates are not built.
//! `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_RDS`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`)
//! points them elsewhere; plain `http://` only to loopback.
//!
//! This module knows no manifest and no Salesforce: `manifest` turns [`rds::Database`]s into
//! set items, and `cli` fetches the secrets a run needs into the [`crate::secret`] store. A
//! secret value never appears in a log line or an error from here.

mod client;
mod connector;
mod error;
pub(crate) mod rds;
pub(crate) mod secrets;

pub(crate) use client::Access;
pub(crate) use error::AwsError;
