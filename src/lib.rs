//! d360: Salesforce Data 360 connections and data streams as code.
//!
//! The pipeline, in the order data flows through it:
//!
//! ```text
//! manifests ──> manifest (load, interpolate, expand sets, diagnose) ──> model (typed desired resources)
//! org ──> config ──> auth (OAuth flows, tokens) ──> api (typed HTTP client) ──> model (live resources)
//! diff (pure compare) ──> plan (order, render, save/load) ──> apply (concurrent executor) ──> state
//! ```
//!
//! - [`model`]: resource kinds, identities, the connector table; no I/O.
//! - [`manifest`]: YAML files in, validated [`model`] resources out, with diagnostics.
//! - [`config`]: `d360.yaml` and `D360_*` variables into org profiles.
//! - [`auth`]: the OAuth 2.0 flows and the token cache.
//! - [`api`]: the only module that speaks HTTP to an org; wire shapes stay inside it.
//! - [`state`]: what d360 remembers per org (managed resources, ids, secret fingerprints), and its lock.
//! - [`diff`]: pure comparison of desired and live resources.
//! - [`plan`]: ordered actions, their rendering and their saved form.
//! - [`apply`]: carries out a plan concurrently and records the results in state.
//! - [`drift`]: classifies how the org differs from manifests and state (scheduled checks).
//! - [`import`]: live objects into manifests and state.
//! - [`emulator`]: the Data 360 API served locally (tests, the `local` org, users' CI).
//! - [`cli`]: one file per subcommand, thin.
//! - [`output`]: the one place that writes to stdout and stderr.

pub(crate) mod api;
pub(crate) mod apply;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod config;
pub(crate) mod diff;
pub(crate) mod drift;
pub(crate) mod kinds;

pub(crate) mod import;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod refresh;
pub(crate) mod secret;
pub(crate) mod state;
