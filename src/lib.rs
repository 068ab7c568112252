//! d360: Salesforce Data 360 connections and data streams as code.
//!
//! The workspace: this crate (the engine and the `d360` binary), `d360-wire` (the Connect
//! REST JSON shapes, the connector table, API-name rules, key pairs and the atomic file write:
//! the bottom layer, importing nothing of ours) and `d360-emulator` (the org served locally;
//! it depends on `d360-wire` only, never on the client). The pipeline, in the order data
//! flows through it:
//!
//! ```text
//! manifests ──> manifest (parse once with spans, interpolate, expand sets, diagnose) ──> kinds::Resource (desired)
//! org ──> config ──> auth (OAuth, tokens) ──> api (generic client over a kind's Collection)
//! refresh (LiveRead: HTTP through each kind's Driver, or in memory) ──> LiveSnapshot
//! plan::build (pure: desired + live + state + resolved secrets + clock) ──> Plan ──> apply ──> state
//! ```
//!
//! Imports only point down this list:
//! - [`secret`]: references to secret values and their fingerprints; no stage.
//! - [`model`]: identities (`Kind`, `ResourceKey`), lifecycle, comparable fields; nothing of one kind.
//! - [`config`]: `d360.yaml` and `D360_*` variables into org profiles, and a profile's `values:`
//!   that manifests read as `${org.NAME}`.
//! - [`auth`]: the OAuth 2.0 flows, the token cache and the Data 360 token exchange.
//! - [`api`]: the only module that speaks HTTP to an org; knows no kind.
//! - [`aws`]: RDS inventories and Secrets Manager values (SigV4 over the same HTTP client);
//!   knows no manifest.
//! - [`state`]: what d360 remembers per org (managed resources, ids, secret fingerprints), and its lock.
//! - [`session`]: an org opened for a stage: its API client, its state store and, for
//!   `local`, the in-process emulator.
//! - [`kinds`]: one folder per resource kind (model type, wire conversion, driver, and its
//!   manifest side: document types, conversion, set expansion, render) behind one trait, over
//!   `kinds::document` (YAML with positions and diagnostics, knowing no kind).
//! - [`manifest`]: YAML files in, validated resources out: loads files and dispatches each
//!   document to its kind.
//! - [`credentials`]: the `fromAwsSecret` values the resources name, fetched once before a plan.
//! - [`diff`]: pure comparison of a desired resource with its live object.
//! - [`refresh`]: reading the live org for a plan through the `LiveRead` trait.
//! - [`plan`]: the pure planner, its inputs, its rendering and its saved form.
//! - [`apply`]: carries out a plan concurrently, re-checks saved plans, records results in state;
//!   `apply::run` is one whole apply (`ApplyOptions` in, `ApplyOutcome` out, a `Reporter` the
//!   command implements for what the user sees).
//! - [`drift`]: classifies how the org differs from manifests and state (scheduled checks).
//! - [`promotion`]: promotion order between orgs (`promoteFrom`): the check `apply` runs
//!   against the other org's converged record in state, the git commit of the manifests, and
//!   `status`'s report.
//! - [`import`]: live objects into manifests and state.
//! - [`org`]: the org as a whole: whether d360 can log in and use Data 360 there (`org check`).
//! - [`watch`]: continuous reconcile: one org's reconcile (plan, drift, heal through the apply
//!   stage) from typed options, per-org scheduling, orgs shared among replicas, Prometheus
//!   metrics and the HTTP endpoints; `cli::watch` hands it the manifests and the opened org.
//! - [`cli`]: one file per subcommand, thin: parse arguments, call one stage, print.
//! - [`output`]: the one place that writes to stdout and stderr.

pub(crate) mod api;
pub(crate) mod apply;
pub(crate) mod auth;
pub(crate) mod aws;
pub mod cli;
pub(crate) mod config;
pub(crate) mod credentials;
pub(crate) mod diff;
pub(crate) mod drift;
pub(crate) mod import;
pub(crate) mod kinds;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod org;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod promotion;
pub(crate) mod refresh;
pub(crate) mod secret;
pub(crate) mod session;
pub(crate) mod state;
pub(crate) mod watch;
