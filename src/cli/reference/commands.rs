//! The command reference page, walked from clap's `Command` tree: every visible command with
//! its usage, its arguments (help, default, accepted values, environment variable) and its
//! subcommands. Global options are listed once.

use std::fmt::Write as _;

use clap::CommandFactory;

use super::{GENERATED, cell};
use crate::cli::Cli;

/// The whole page.
pub(super) fn page() -> String {
    let root = Cli::command();
    let mut text = format!("{GENERATED}\n\n# Command reference\n\n");
    text.push_str(
        "Every command of `d360`, as `d360 COMMAND --help` describes it. Exit codes: see \
         [Exit codes](../exit-codes.md).\n\n",
    );
    text.push_str("## Global options\n\nEvery command takes these.\n\n");
    arguments(&mut text, &root);
    for command in root.get_subcommands().filter(|command| !command.is_hide_set()) {
        section(&mut text, command, &format!("d360 {}", command.get_name()), 2);
    }
    text
}

fn section(text: &mut String, command: &clap::Command, path: &str, depth: usize) {
    let hashes = "#".repeat(depth.min(6));
    let _ = write!(text, "{hashes} `{path}`\n\n");
    if let Some(about) = command.get_long_about().or_else(|| command.get_about()) {
        let _ = write!(text, "{}\n\n", about.to_string().trim());
    }
    let usage = command.clone().bin_name(path).render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = write!(text, "```text\n{usage}\n```\n\n");
    arguments(text, command);
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        section(text, sub, &format!("{path} {}", sub.get_name()), depth + 1);
    }
}

/// The table of a command's own arguments (not the globals), if it has any.
fn arguments(text: &mut String, command: &clap::Command) {
    let visible: Vec<&clap::Arg> = command
        .get_arguments()
        .filter(|argument| !argument.is_hide_set())
        .filter(|argument| !matches!(argument.get_id().as_str(), "help" | "version"))
        .collect();
    if visible.is_empty() {
        return;
    }
    text.push_str("| argument | description |\n|---|---|\n");
    for argument in visible {
        let _ = writeln!(text, "| {} | {} |", cell(&name(argument)), cell(&description(argument)));
    }
    text.push('\n');
}

fn name(argument: &clap::Arg) -> String {
    let value = argument
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| argument.get_id().as_str().to_uppercase(), ToString::to_string);
    let takes_value = argument.get_action().takes_values();
    let mut words = Vec::new();
    if let Some(short) = argument.get_short() {
        words.push(format!("`-{short}`"));
    }
    if let Some(long) = argument.get_long() {
        if takes_value {
            words.push(format!("`--{long} <{value}>`"));
        } else {
            words.push(format!("`--{long}`"));
        }
    }
    if words.is_empty() {
        let many = matches!(argument.get_num_args(), Some(range) if range.max_values() > 1);
        let dots = if many { "..." } else { "" };
        return if argument.is_required_set() {
            format!("`<{value}>{dots}`")
        } else {
            format!("`[{value}]{dots}`")
        };
    }
    words.join(", ")
}

fn description(argument: &clap::Arg) -> String {
    let mut text = argument
        .get_long_help()
        .or_else(|| argument.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    // clap drops a doc comment's final period; put it back before more sentences follow.
    if !text.is_empty() && !text.ends_with(['.', '?', '!', ':']) {
        text.push('.');
    }
    let values: Vec<String> = argument
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| format!("`{}`", value.get_name()))
        .collect();
    if !values.is_empty() && argument.get_action().takes_values() {
        let _ = write!(text, " Values: {}.", values.join(", "));
    }
    let defaults: Vec<String> = argument
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && argument.get_action().takes_values() {
        let _ = write!(text, " Default: `{}`.", defaults.join(","));
    }
    if let Some(variable) = argument.get_env() {
        let _ = write!(text, " Environment: `{}`.", variable.to_string_lossy());
    }
    text.trim().to_owned()
}
