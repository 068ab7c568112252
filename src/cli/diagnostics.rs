//! How manifest problems are shown by any command: printed in full, summed up in a line, or
//! each on one line (`validate --format short`, `watch`'s `/status`); not a command itself.

use crate::manifest::Loaded;
use crate::output;

/// Prints diagnostics (errors and warnings) to stderr.
pub(crate) fn print(loaded: &Loaded) {
    if !loaded.diagnostics.items.is_empty() {
        output::message(loaded.diagnostics.render(output::stderr_color()).trim_end());
    }
}

/// `error: 3 problems in manifests (…)`.
#[must_use]
pub(crate) fn failure_summary(loaded: &Loaded) -> String {
    let errors = loaded.diagnostics.error_count();
    let warnings = loaded.diagnostics.warning_count();
    format!(
        "error: {errors} error{} and {warnings} warning{} in {} file{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        loaded.files,
        if loaded.files == 1 { "" } else { "s" },
    )
}

/// `file:line:col: severity: message (at `path`; help: ...)`.
pub(crate) fn short_line(d: &crate::manifest::Diagnostic) -> String {
    let severity = match d.severity {
        crate::manifest::Severity::Error => "error",
        crate::manifest::Severity::Warning => "warning",
    };
    let mut line = format!(
        "{}:{}:{}: {severity}: {}",
        d.file.display(),
        d.pos.line,
        d.pos.column,
        d.message.replace('\n', " ")
    );
    if !d.path.is_empty() {
        line.push_str(&format!(" (at `{}`)", d.path));
    }
    if let Some(help) = &d.help {
        line.push_str(&format!("; help: {}", help.replace('\n', " ")));
    }
    line
}

/// At most this many problems are named in [`failure_detail`].
const NAMED: usize = 20;

/// The summary followed by each problem, `file:line:col: severity: message`, on one line
/// (for `watch`'s `/status` and run log, where the diagnostics printed above are not seen).
#[must_use]
pub(crate) fn failure_detail(loaded: &Loaded) -> String {
    failure_joined(loaded, "; ")
}

/// The summary followed by each problem on a line of its own (one org's section of a
/// several-org plan, drift or validate).
#[must_use]
pub(crate) fn failure_lines(loaded: &Loaded) -> String {
    failure_joined(loaded, "\n")
}

fn failure_joined(loaded: &Loaded, separator: &str) -> String {
    let items = &loaded.diagnostics.items;
    let mut text = failure_summary(loaded);
    for diagnostic in items.iter().take(NAMED) {
        text.push_str(separator);
        text.push_str(&short_line(diagnostic));
    }
    if items.len() > NAMED {
        text.push_str(&format!("{separator}and {} more", items.len() - NAMED));
    }
    text
}
