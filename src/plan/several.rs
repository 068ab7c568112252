//! One plan per org, shown together (`plan --org a --org b`, `--org all`): a text section per
//! org, one pull-request comment (a summary table, a collapsible section per org, kept under
//! GitHub's comment limit) and one JSON document. The pieces every several-org output shares
//! (an org's outcome, the section header, the line that sums the orgs up, the comment's
//! fitting) are here too; `drift` uses them for its reports. Pure: no I/O, no org.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Plan, render_markdown, render_text};
use crate::output::Paint;

/// GitHub refuses a comment longer than this many characters.
pub(crate) const COMMENT_LIMIT: usize = 65_536;

/// The version of the several-org JSON documents (`plan` and `drift`); each org's own plan or
/// report inside keeps its own `formatVersion`.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// What one org gave: its plan (or report), or why there is none (its manifests, its login,
/// its read), as the message shown for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrgOutcome<'a, T> {
    pub(crate) org: &'a str,
    pub(crate) outcome: Result<&'a T, &'a str>,
}

/// `── org staging ──`, above each org's section of text output.
#[must_use]
pub(crate) fn section_header(org: &str, paint: Paint) -> String {
    paint.bold(&format!("── org {org} ──"))
}

/// How the orgs of one run came out, for the line that ends the output.
#[derive(Debug, Default)]
pub(crate) struct Tally<'a> {
    /// With changes (a plan) or drift (a report).
    pub(crate) changed: Vec<&'a str>,
    pub(crate) unchanged: Vec<&'a str>,
    /// With an error: no plan or report, or a plan with errors.
    pub(crate) failed: Vec<&'a str>,
}

impl Tally<'_> {
    /// `3 orgs: 1 with changes (staging), 1 without (dev), 1 failed (prod).`; `what` is
    /// `changes` or `drift`.
    #[must_use]
    pub(crate) fn line(&self, what: &str) -> String {
        let group = |names: &[&str], label: &str| {
            if names.is_empty() {
                format!("0 {label}")
            } else {
                format!("{} {label} ({})", names.len(), names.join(", "))
            }
        };
        let count = self.changed.len() + self.unchanged.len() + self.failed.len();
        format!(
            "{count} orgs: {}, {}, {}.",
            group(&self.changed, &format!("with {what}")),
            group(&self.unchanged, "without"),
            group(&self.failed, "failed"),
        )
    }
}

/// The tally of several plans: a plan with errors failed; one with any action has changes
/// (the rule of `--detailed-exitcode`).
#[must_use]
pub(crate) fn tally<'a>(plans: &[OrgOutcome<'a, Plan>]) -> Tally<'a> {
    let mut tally = Tally::default();
    for entry in plans {
        match entry.outcome {
            Err(_) => tally.failed.push(entry.org),
            Ok(plan) if !plan.errors.is_empty() => tally.failed.push(entry.org),
            Ok(plan) if plan.has_work() => tally.changed.push(entry.org),
            Ok(_) => tally.unchanged.push(entry.org),
        }
    }
    tally
}

/// Text: a section per org (its plan as `plan --org ORG` prints it, or its error), then the
/// line that sums the orgs up. `compact` says, per plan, whether it is shown compact.
#[must_use]
pub(crate) fn render_text_sections(
    plans: &[OrgOutcome<'_, Plan>],
    paint: Paint,
    compact: impl Fn(&Plan) -> bool,
) -> String {
    let mut out = String::new();
    for entry in plans {
        out.push_str(&section_header(entry.org, paint));
        out.push_str("\n\n");
        match entry.outcome {
            Ok(plan) => out.push_str(render_text(plan, paint, compact(plan)).trim_end()),
            Err(message) => out.push_str(&paint.red(message)),
        }
        out.push_str("\n\n");
    }
    out.push_str(&paint.bold(&tally(plans).line("changes")));
    out.push('\n');
    out
}

/// One collapsible section of a comment, in full and in brief (used when the full sections
/// together would pass [`COMMENT_LIMIT`]).
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub(crate) full: String,
    pub(crate) brief: String,
}

/// `<details>` (open when `open`) with `summary` and `body`.
#[must_use]
pub(crate) fn details(open: bool, summary: &str, body: &str) -> String {
    format!(
        "<details{}><summary>{summary}</summary>\n\n{}\n\n</details>\n\n",
        if open { " open" } else { "" },
        body.trim_end()
    )
}

/// `text` in a fenced `text` block whose fence is longer than any run of backticks in it.
#[must_use]
pub(crate) fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}", text.trim_end())
}

/// `head`, the sections and `tail` as one comment under [`COMMENT_LIMIT`] characters: the
/// longest sections are given in brief, one at a time, until it fits; if even every section in
/// brief does not, the comment is cut and says so.
#[must_use]
pub(crate) fn fit_comment(head: &str, sections: &[Section], tail: &str) -> String {
    let length = |text: &str| text.chars().count();
    let mut brief = vec![false; sections.len()];
    let total = |brief: &[bool]| {
        length(head)
            + length(tail)
            + sections
                .iter()
                .zip(brief)
                .map(|(section, &short)| length(if short { &section.brief } else { &section.full }))
                .sum::<usize>()
    };
    let mut longest_first: Vec<usize> = (0..sections.len()).collect();
    longest_first.sort_by_key(|&index| std::cmp::Reverse(length(&sections[index].full)));
    for index in longest_first {
        if total(&brief) <= COMMENT_LIMIT {
            break;
        }
        brief[index] = true;
    }
    let mut out = head.to_owned();
    for (section, short) in sections.iter().zip(&brief) {
        out.push_str(if *short { &section.brief } else { &section.full });
    }
    out.push_str(tail);
    if length(&out) <= COMMENT_LIMIT {
        return out;
    }
    let note = "\n\n**(cut here: the comment reached GitHub's limit of 65,536 characters)**\n";
    let keep = COMMENT_LIMIT - length(note);
    let mut cut: String = out.chars().take(keep).collect();
    cut.push_str(note);
    cut
}

fn counts(plan: &Plan) -> [usize; 5] {
    let s = &plan.summary;
    [s.create, s.update, s.replace, s.delete, plan.errors.len()]
}

/// One comment for several plans: a title, the line that sums them up, a table (org, creates,
/// updates, replaces, deletes, errors), then each org's plan (as `plan --format markdown`
/// prints it) in a collapsible section, open when the org has errors.
#[must_use]
pub(crate) fn render_markdown_comment(plans: &[OrgOutcome<'_, Plan>]) -> String {
    let mut head = format!("## d360 plan for {} orgs\n\n", plans.len());
    let _ = write!(head, "**{}**\n\n", tally(plans).line("changes"));
    head.push_str("| org | creates | updates | replaces | deletes | errors |\n|---|---:|---:|---:|---:|---:|\n");
    for entry in plans {
        let cells = match entry.outcome {
            Ok(plan) => counts(plan).map(|count| count.to_string()).join(" | "),
            Err(_) => "– | – | – | – | 1".to_owned(),
        };
        let _ = writeln!(head, "| `{}` | {cells} |", entry.org);
    }
    head.push('\n');
    let sections: Vec<Section> = plans.iter().map(markdown_section).collect();
    fit_comment(&head, &sections, "")
}

fn markdown_section(entry: &OrgOutcome<'_, Plan>) -> Section {
    let org = entry.org;
    match entry.outcome {
        Ok(plan) => {
            let failed = !plan.errors.is_empty();
            let summary = if failed {
                format!(
                    "<b>{org}</b>: ❌ {} error{}",
                    plan.errors.len(),
                    if plan.errors.len() == 1 { "" } else { "s" }
                )
            } else {
                format!("<b>{org}</b>: {}", plan.summary_line())
            };
            let full = render_markdown(plan);
            let brief = format!(
                "The plan of `{org}` is too long for this comment ({} characters): run `d360 plan --org {org}` to read it.\n\n**{}**",
                full.chars().count(),
                plan.summary_line()
            );
            Section {
                full: details(failed, &summary, &full),
                brief: details(failed, &summary, &brief),
            }
        }
        Err(message) => {
            let summary = format!("<b>{org}</b>: ❌ not planned");
            let brief: String = message.lines().take(3).collect::<Vec<_>>().join("\n");
            Section {
                full: details(true, &summary, &fenced(message)),
                brief: details(true, &summary, &fenced(&brief)),
            }
        }
    }
}

/// The JSON document of several orgs' plans or reports: `{"formatVersion": 1, "orgs": [{"org":
/// "dev", "<field>": {…}}, {"org": "prod", "error": {"message": "…"}}]}`.
///
/// # Errors
/// A plan or report that cannot be encoded.
pub(crate) fn document<T: Serialize>(
    field: &str,
    outcomes: &[OrgOutcome<'_, T>],
) -> Result<serde_json::Value, serde_json::Error> {
    let mut orgs = Vec::with_capacity(outcomes.len());
    for entry in outcomes {
        let mut object = serde_json::Map::new();
        object.insert("org".to_owned(), entry.org.into());
        match entry.outcome {
            Ok(value) => {
                object.insert(field.to_owned(), serde_json::to_value(value)?);
            }
            Err(message) => {
                object.insert("error".to_owned(), serde_json::json!({ "message": message }));
            }
        }
        orgs.push(serde_json::Value::Object(object));
    }
    Ok(serde_json::json!({ "formatVersion": FORMAT_VERSION, "orgs": orgs }))
}

#[cfg(test)]
mod tests {
    use super::{COMMENT_LIMIT, Section, Tally, fenced, fit_comment};

    fn section(name: &str, size: usize) -> Section {
        Section {
            full: format!("<{name}>{}", "x".repeat(size)),
            brief: format!("<{name} in brief>"),
        }
    }

    #[test]
    fn the_longest_sections_are_given_in_brief_until_the_comment_fits() {
        let sections = [section("a", 1_000), section("b", 40_000), section("c", 30_000)];
        let comment = fit_comment("head\n", &sections, "");
        assert!(comment.chars().count() <= COMMENT_LIMIT);
        assert!(comment.contains("<a>") && comment.contains("<b in brief>") && comment.contains("<c>"));

        let fits = [section("a", 10), section("b", 20)];
        assert_eq!(
            fit_comment("h", &fits, "t"),
            format!("h{}{}t", fits[0].full, fits[1].full)
        );
    }

    #[test]
    fn a_comment_too_long_even_in_brief_is_cut_and_says_so() {
        let sections: Vec<Section> = (0..3)
            .map(|index| Section {
                full: "y".repeat(40_000),
                brief: format!("{index}{}", "z".repeat(30_000)),
            })
            .collect();
        let comment = fit_comment("", &sections, "");
        assert_eq!(comment.chars().count(), COMMENT_LIMIT);
        assert!(
            comment.ends_with("limit of 65,536 characters)**\n"),
            "{}",
            &comment[comment.len() - 100..]
        );
    }

    #[test]
    fn a_fence_is_longer_than_any_run_of_backticks_inside() {
        assert_eq!(fenced("a `b`"), "```text\na `b`\n```");
        assert_eq!(fenced("x ```` y"), "`````text\nx ```` y\n`````");
    }

    #[test]
    fn the_tally_names_the_orgs_of_each_group() {
        let tally = Tally {
            changed: vec!["dev", "staging"],
            unchanged: vec![],
            failed: vec!["prod"],
        };
        assert_eq!(
            tally.line("changes"),
            "3 orgs: 2 with changes (dev, staging), 0 without, 1 failed (prod)."
        );
    }
}
