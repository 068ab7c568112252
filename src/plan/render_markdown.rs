//! The plan as a pull-request comment: a summary table and a collapsible diff per resource.

use super::render_text::diff_lines;
use super::{ActionKind, Plan};

fn emoji(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Create => "🟢",
        ActionKind::Update => "🟡",
        ActionKind::Replace => "🟣",
        ActionKind::Delete => "🔴",
        ActionKind::Adopt | ActionKind::Forget => "⚪",
    }
}

/// Renders the plan as GitHub-flavoured markdown.
#[must_use]
pub(crate) fn render(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut out = format!("### d360 plan for `{}`\n\n", plan.org);
    if !plan.errors.is_empty() {
        out.push_str(&format!("**❌ Plan failed with {} error(s):**\n\n", plan.errors.len()));
        for error in &plan.errors {
            out.push_str(&format!("- {}\n", error.to_string().replace('|', "\\|")));
        }
        out.push('\n');
    }
    out.push_str(&format!("**{}**\n\n", plan.summary_line()));
    if plan.has_changes() {
        out.push_str(&format!("Applying it takes {}.\n\n", plan.api.describe()));
    }
    out.push_str("| create | update | replace | delete | adopt | unchanged |\n|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n\n",
        s.create, s.update, s.replace, s.delete, s.adopt, s.unchanged
    ));
    if !plan.actions.is_empty() {
        out.push_str("| | action | resource | fields |\n|---|---|---|---:|\n");
        for action in &plan.actions {
            out.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                emoji(action.action),
                action.action.verb(),
                action.key(),
                action.changes.len()
            ));
        }
        out.push('\n');
        for action in &plan.actions {
            out.push_str(&format!(
                "<details><summary><code>{} {}</code></summary>\n\n```diff\n",
                action.action.symbol(),
                action.key()
            ));
            for change in &action.changes {
                for line in diff_lines(change) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            for reason in &action.reasons {
                out.push_str(&format!("# {reason}\n"));
            }
            out.push_str("```\n\n</details>\n\n");
        }
    }
    if !plan.unmanaged.is_empty() {
        out.push_str("<details><summary>Not managed by d360 (never touched)</summary>\n\n");
        for object in &plan.unmanaged {
            out.push_str(&format!("- `{}/{}`\n", object.kind, object.name));
        }
        out.push_str("\n</details>\n\n");
    }
    if !plan.no_longer_declared.is_empty() {
        out.push_str("**No longer declared** (kept; plan with `--prune` to delete):\n\n");
        for object in &plan.no_longer_declared {
            out.push_str(&format!("- `{}/{}`\n", object.kind, object.name));
        }
        out.push('\n');
    }
    if !plan.protected.is_empty() {
        out.push_str("**Protected by `lifecycle.preventDestroy`** (no longer declared, will not be deleted):\n\n");
        for object in &plan.protected {
            out.push_str(&format!(
                "- `{}/{}`: protected, will not be deleted\n",
                object.kind, object.name
            ));
        }
        out.push('\n');
    }
    for (key, text) in plan.object_warnings() {
        out.push_str(&format!("> ⚠️ `{key}`: {text}\n"));
    }
    for warning in &plan.warnings {
        out.push_str(&format!("> ⚠️ {warning}\n"));
    }
    out
}
