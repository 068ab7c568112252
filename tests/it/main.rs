//! Integration tests: the real `d360` binary and real HTTP on 127.0.0.1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod apply;
mod aws;
mod bad_input;
mod book;
mod budget;
mod chaos;
mod checks;
mod commands;
mod contract;
mod drift;
mod emulator;
mod errors;
mod exposition;
mod first_steps;
mod fleet;
mod hostile;
mod import;
mod interrupt;
mod leaks;
mod listing;
mod local_org;
mod manifests;
mod multi_org;
mod not_kept;
mod org_access;
mod org_choice;
mod org_snapshot;
mod org_values;
mod pipelines;
mod plan_fixtures;
mod postgres;
mod promotion;
mod rendered;
mod replicas;
mod saved_plans;
mod state_loss;
mod support;
mod surprises;
mod unreported;
mod usage;
mod watch;
mod watch_examples;
