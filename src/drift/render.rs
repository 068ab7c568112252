//! Drift for people (text) and for pull requests and issues (markdown).
//!
//! A changed field reads `declared → live`: what the manifest says, then what the org has
//! now (the reverse of a plan, which reads from the org's value to the one it will set).
//! Marks: `~` changed, `!` missing, `?` credentials unverified, `*` unmanaged, `-` no longer
//! declared; `+` is left to plans, where it means "will be created".

use super::{Report, Status};
use crate::diff::FieldChange;
use crate::output::Paint;
use crate::plan::render_text::{change_lines, diff_lines};

/// The header above changed fields, in every human format.
pub(crate) const DIRECTION: &str =
    "Changed fields read declared → live: what the manifests say, then what the org has now.";

fn mark(status: Status, paint: Paint) -> String {
    match status {
        Status::Changed => paint.yellow("~"),
        Status::Missing => paint.red("!"),
        Status::SecretUnverified | Status::Unverifiable => paint.yellow("?"),
        Status::Unmanaged => paint.magenta("*"),
        Status::Undeclared => paint.dim("-"),
        Status::Unhealthy => paint.red("x"),
        Status::InSync => paint.green("="),
    }
}

/// A plan's change (live → declared) turned to read declared → live.
fn declared_to_live(change: &FieldChange) -> FieldChange {
    FieldChange {
        old: change.new.clone(),
        new: change.old.clone(),
        ..change.clone()
    }
}

fn has_changes(report: &Report) -> bool {
    report
        .items
        .iter()
        .any(|i| i.status.is_drift() && !i.changes.is_empty())
}

/// Text: every drifted resource with its field changes, then the summary line.
#[must_use]
pub(crate) fn render_text(report: &Report, paint: Paint) -> String {
    let mut out = String::new();
    if has_changes(report) {
        out.push_str(&paint.dim(DIRECTION));
        out.push_str("\n\n");
    }
    for entry in report.items.iter().filter(|i| i.status.is_drift()) {
        let id = entry.id.as_deref().map(|id| format!(" (id {id})")).unwrap_or_default();
        out.push_str(&format!(
            "{} {}{id}: {}\n",
            mark(entry.status, paint),
            paint.bold(&entry.key().to_string()),
            entry.status.describe()
        ));
        for change in &entry.changes {
            for line in change_lines(&declared_to_live(change), paint, "    ") {
                out.push_str(&line);
                out.push('\n');
            }
        }
        for detail in &entry.details {
            out.push_str(&format!("    {}\n", paint.dim(&format!("# {detail}"))));
        }
    }
    for note in &report.notes {
        out.push_str(&format!("{} {note}\n", paint.yellow("note:")));
    }
    out.push_str(&paint.bold(&report.summary_line()));
    out.push('\n');
    out
}

/// Markdown: a summary table and one collapsible section per drifted resource.
#[must_use]
pub(crate) fn render_markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!(
        "### d360 drift for `{}`\n\n**{}**\n\n",
        report.org,
        report.summary_line()
    );
    out.push_str("| changed | missing | credentials unverified | unmanaged | no longer declared | in sync |\n|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n\n",
        s.changed, s.missing, s.secret_unverified, s.unmanaged, s.undeclared, s.in_sync
    ));
    if has_changes(report) {
        out.push_str(&format!("{DIRECTION}\n\n"));
    }
    for entry in report.items.iter().filter(|i| i.status.is_drift()) {
        out.push_str(&format!(
            "<details><summary><code>{}</code>: {}</summary>\n\n```diff\n",
            entry.key(),
            entry.status.describe()
        ));
        for change in &entry.changes {
            for line in diff_lines(&declared_to_live(change)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        for detail in &entry.details {
            out.push_str(&format!("# {detail}\n"));
        }
        out.push_str("```\n\n</details>\n\n");
    }
    for note in &report.notes {
        out.push_str(&format!("> note: {}\n", note.replace('\n', " ")));
    }
    out
}
