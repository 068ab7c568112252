//! The plan for people: `+`, `~`, `-/+`, `-`, a field-level diff, a line diff for long
//! strings, and the summary line. Secret values never appear; only their notes.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::{Action, ActionKind, Plan};
use crate::diff::FieldChange;
use crate::output::Paint;

/// A value as shown in a plan.
#[must_use]
pub(crate) fn show_value(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(Value::String(text)) => format!("{text:?}"),
        Some(other) => other.to_string(),
    }
}

fn long_text(value: Option<&Value>) -> Option<&str> {
    match value {
        Some(Value::String(text)) if text.contains('\n') => Some(text),
        _ => None,
    }
}

/// A credential's note, and whether the apply sets it from nothing (`(sensitive, fromEnv: X)`
/// on a create) rather than changing or comparing it.
fn sensitive_note(change: &FieldChange) -> (&str, bool) {
    let note = change.note.as_deref().unwrap_or("(sensitive)");
    (note, change.old.is_none() && note.starts_with("(sensitive,"))
}

/// One change line (or block, for multi-line strings).
#[must_use]
pub(crate) fn change_lines(change: &FieldChange, paint: Paint, indent: &str) -> Vec<String> {
    if change.sensitive {
        let (note, set) = sensitive_note(change);
        let sign = if set { "+" } else { "~" };
        return vec![format!(
            "{indent}{} {}: {}",
            paint.yellow(sign),
            change.field,
            paint.dim(note)
        )];
    }
    let suffix = if change.forces_replacement {
        format!("  {}", paint.red("# forces replacement"))
    } else {
        String::new()
    };
    match (&change.old, &change.new) {
        (None, Some(new)) => vec![format!(
            "{indent}{} {} = {}{suffix}",
            paint.green("+"),
            change.field,
            show_value(Some(new))
        )],
        (Some(old), None) => vec![format!(
            "{indent}{} {} = {}{suffix}",
            paint.red("-"),
            change.field,
            show_value(Some(old))
        )],
        (old, new) => {
            if let (Some(before), Some(after)) = (long_text(old.as_ref()), long_text(new.as_ref())) {
                let mut lines = vec![format!("{indent}{} {}:{suffix}", paint.yellow("~"), change.field)];
                for line in TextDiff::from_lines(before, after).iter_all_changes() {
                    let text = line.value().trim_end_matches('\n');
                    lines.push(match line.tag() {
                        ChangeTag::Delete => format!("{indent}    {}", paint.red(&format!("- {text}"))),
                        ChangeTag::Insert => format!("{indent}    {}", paint.green(&format!("+ {text}"))),
                        ChangeTag::Equal => format!("{indent}      {text}"),
                    });
                }
                lines
            } else {
                vec![format!(
                    "{indent}{} {}: {} → {}{suffix}",
                    paint.yellow("~"),
                    change.field,
                    show_value(old.as_ref()),
                    show_value(new.as_ref())
                )]
            }
        }
    }
}

/// One field change as lines of a ```` ```diff ```` block, which GitHub and GitLab colour
/// by their first character: `-` the value now, `+` the value after, `!` a note.
pub(crate) fn diff_lines(change: &FieldChange) -> Vec<String> {
    if change.sensitive {
        let (note, set) = sensitive_note(change);
        let sign = if set { "+" } else { "!" };
        return vec![format!("{sign} {}: {note}", change.field)];
    }
    let suffix = if change.forces_replacement {
        "  # forces replacement"
    } else {
        ""
    };
    let old = change.old.as_ref();
    let new = change.new.as_ref();
    if let (Some(before), Some(after)) = (long_text(old), long_text(new)) {
        let mut lines = vec![format!("! {}:{suffix}", change.field)];
        for line in TextDiff::from_lines(before, after).iter_all_changes() {
            let text = line.value().trim_end_matches('\n');
            lines.push(match line.tag() {
                ChangeTag::Delete => format!("-     {text}"),
                ChangeTag::Insert => format!("+     {text}"),
                ChangeTag::Equal => format!("      {text}"),
            });
        }
        return lines;
    }
    let mut lines = Vec::new();
    if old.is_some() {
        lines.push(format!("- {}: {}{suffix}", change.field, show_value(old)));
    }
    if new.is_some() {
        lines.push(format!("+ {}: {}{suffix}", change.field, show_value(new)));
    }
    lines
}

fn symbol(kind: ActionKind, paint: Paint) -> String {
    let text = kind.symbol();
    match kind {
        ActionKind::Create => paint.green(text),
        ActionKind::Update => paint.yellow(text),
        ActionKind::Replace => paint.magenta(text),
        ActionKind::Delete => paint.red(text),
        ActionKind::Adopt | ActionKind::Forget => paint.dim(text),
    }
}

/// Each distinct line once, in first-seen order, with how often it came.
fn distinct(lines: &[String]) -> Vec<(&str, usize)> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for line in lines {
        match seen.iter_mut().find(|(kept, _)| *kept == line.as_str()) {
            Some((_, count)) => *count += 1,
            None => seen.push((line.as_str(), 1)),
        }
    }
    seen
}

/// Above this many actions, a plan on a terminal is shown compact unless asked otherwise
/// (`--no-compact`, `-v`): a first apply of the examples (41 actions) fits one screen.
pub(crate) const COMPACT_ABOVE: usize = 15;

/// `(3 fields)`, `(1 field)`, or nothing.
fn field_count(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " (1 field)".to_owned(),
        n => format!(" ({n} fields)"),
    }
}

/// A list of objects: each on its line, or (compact) only how many.
fn objects(out: &mut String, heading: &str, list: &[super::LiveRef], compact: bool, paint: Paint) {
    if list.is_empty() {
        return;
    }
    if compact {
        out.push_str(&format!(
            "{} {} object{}\n\n",
            paint.bold(heading),
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        ));
        return;
    }
    out.push_str(&paint.bold(heading));
    out.push('\n');
    for object in list {
        out.push_str(&format!("  {}/{} (id {})\n", object.kind, object.name, object.id));
    }
    out.push('\n');
}

/// Renders the whole plan as text; `compact`: one line per resource with the number of
/// changed fields, and counts instead of object lists.
#[must_use]
pub(crate) fn render(plan: &Plan, paint: Paint, compact: bool) -> String {
    let mut out = String::new();
    for action in &plan.actions {
        render_action(&mut out, action, paint, compact);
    }
    if compact && !plan.actions.is_empty() {
        out.push('\n');
    }
    objects(
        &mut out,
        "Not managed by d360 (never touched):",
        &plan.unmanaged,
        compact,
        paint,
    );
    objects(
        &mut out,
        "No longer declared (kept; plan with --prune to delete):",
        &plan.no_longer_declared,
        compact,
        paint,
    );
    protected(&mut out, plan, paint);
    problems(&mut out, plan, paint);
    conclusion(&mut out, plan, paint);
    out
}

/// One action: its headline, then (unless `compact`) its changed fields and reasons.
fn render_action(out: &mut String, action: &Action, paint: Paint, compact: bool) {
    let id = action.id.as_deref().map(|id| format!(" (id {id})")).unwrap_or_default();
    let what = match action.action {
        ActionKind::Create => "will be created",
        ActionKind::Update => "will be updated in place",
        ActionKind::Replace => "must be replaced",
        ActionKind::Delete => "will be deleted",
        ActionKind::Adopt => "will be adopted into state (no change in the org)",
        ActionKind::Forget => "will be forgotten (already gone from the org)",
    };
    if compact {
        out.push_str(&format!(
            "{} {}{id} {}{}\n",
            symbol(action.action, paint),
            paint.bold(&action.key().to_string()),
            paint.dim(what),
            field_count(action.changes.len())
        ));
        return;
    }
    out.push_str(&format!(
        "{} {}{id} {}\n",
        symbol(action.action, paint),
        paint.bold(&action.key().to_string()),
        paint.dim(what)
    ));
    for change in &action.changes {
        for line in change_lines(change, paint, "    ") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    for reason in &action.reasons {
        out.push_str(&format!("    {}\n", paint.dim(&format!("# {reason}"))));
    }
    out.push('\n');
}

/// Objects `lifecycle.preventDestroy` keeps although they are no longer declared.
fn protected(out: &mut String, plan: &Plan, paint: Paint) {
    if plan.protected.is_empty() {
        return;
    }
    out.push_str(&paint.bold("Protected by lifecycle.preventDestroy (no longer declared, will not be deleted):"));
    out.push('\n');
    for object in &plan.protected {
        out.push_str(&format!(
            "  {} {}/{} (id {}) {}\n",
            paint.dim("#"),
            object.kind,
            object.name,
            object.id,
            paint.dim("protected, will not be deleted")
        ));
    }
    out.push('\n');
}

/// Warnings (per object, then the plan's own, each distinct one once with a count) and errors.
fn problems(out: &mut String, plan: &Plan, paint: Paint) {
    for (key, text) in plan.object_warnings() {
        out.push_str(&format!("{} {key}: {text}\n", paint.yellow("warning:")));
    }
    let warnings: Vec<String> = plan.warnings.iter().map(ToString::to_string).collect();
    for (warning, count) in distinct(&warnings) {
        let times = if count > 1 {
            format!(" ({count} times)")
        } else {
            String::new()
        };
        out.push_str(&format!("{} {warning}{times}\n", paint.yellow("warning:")));
    }
    for error in &plan.errors {
        out.push_str(&format!("{} {error}\n", paint.red("error:")));
    }
}

/// The last line: the API cost and the summary, or why nothing can be applied.
fn conclusion(out: &mut String, plan: &Plan, paint: Paint) {
    if plan.errors.is_empty() {
        if plan.has_changes() {
            out.push_str(&format!("Applying it takes {}.\n", plan.api.describe()));
        }
        out.push_str(&paint.bold(&plan.summary_line()));
        out.push('\n');
    } else {
        out.push_str(&format!(
            "\n{}\n",
            paint.red(&format!(
                "Plan failed: {} error{}. Nothing can be applied until they are fixed.",
                plan.errors.len(),
                if plan.errors.len() == 1 { "" } else { "s" }
            ))
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::distinct;

    #[test]
    fn repeated_lines_are_shown_once_with_a_count_in_first_seen_order() {
        let lines: Vec<String> = ["b", "a", "b", "b"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(distinct(&lines), [("b", 3), ("a", 1)]);
    }
}
