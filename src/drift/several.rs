//! Several orgs' drift reports shown together (`drift --org all`): a text section per org, one
//! comment, one JSON document, one JUnit document with a suite per org. The shapes are the
//! plan's (`plan::several`). Pure: no I/O.

use std::fmt::Write as _;

use super::{Report, render_markdown, render_text};
use crate::output::Paint;
use crate::plan::several::{OrgOutcome, Section, Tally, details, fenced, fit_comment, section_header};

/// The tally of several reports: drift (of any kind) or none; no report is a failure.
#[must_use]
pub(crate) fn tally<'a>(reports: &[OrgOutcome<'a, Report>]) -> Tally<'a> {
    let mut tally = Tally::default();
    for entry in reports {
        match entry.outcome {
            Err(_) => tally.failed.push(entry.org),
            Ok(report) if report.drift => tally.changed.push(entry.org),
            Ok(_) => tally.unchanged.push(entry.org),
        }
    }
    tally
}

/// Text: a section per org (its report as `drift --org ORG` prints it, or its error), then the
/// line that sums the orgs up.
#[must_use]
pub(crate) fn render_text_sections(reports: &[OrgOutcome<'_, Report>], paint: Paint) -> String {
    let mut out = String::new();
    for entry in reports {
        out.push_str(&section_header(entry.org, paint));
        out.push_str("\n\n");
        match entry.outcome {
            Ok(report) => out.push_str(render_text(report, paint).trim_end()),
            Err(message) => out.push_str(&paint.red(message)),
        }
        out.push_str("\n\n");
    }
    out.push_str(&paint.bold(&tally(reports).line("drift")));
    out.push('\n');
    out
}

/// One comment: a title, the closing line, a table (org, changed, missing, unmanaged, no
/// longer declared, not working, errors), then each org's report in a collapsible section,
/// open when the org drifted or could not be checked.
#[must_use]
pub(crate) fn render_markdown_comment(reports: &[OrgOutcome<'_, Report>]) -> String {
    let mut head = format!("## d360 drift for {} orgs\n\n", reports.len());
    let _ = write!(head, "**{}**\n\n", tally(reports).line("drift"));
    head.push_str(
        "| org | changed | missing | unmanaged | no longer declared | not working | errors |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for entry in reports {
        let cells = match entry.outcome {
            Ok(report) => {
                let s = &report.summary;
                format!(
                    "{} | {} | {} | {} | {} | 0",
                    s.changed, s.missing, s.unmanaged, s.undeclared, s.unhealthy
                )
            }
            Err(_) => "– | – | – | – | – | 1".to_owned(),
        };
        let _ = writeln!(head, "| `{}` | {cells} |", entry.org);
    }
    head.push('\n');
    let sections: Vec<Section> = reports
        .iter()
        .map(|entry| {
            let org = entry.org;
            match entry.outcome {
                Ok(report) => {
                    let summary = format!("<b>{org}</b>: {}", report.summary_line());
                    let full = render_markdown(report);
                    let brief = format!(
                        "The report of `{org}` is too long for this comment ({} characters): run `d360 drift --org {org}` to read it.",
                        full.chars().count()
                    );
                    Section {
                        full: details(report.drift, &summary, &full),
                        brief: details(report.drift, &summary, &brief),
                    }
                }
                Err(message) => {
                    let summary = format!("<b>{org}</b>: ❌ not checked");
                    let brief: String = message.lines().take(3).collect::<Vec<_>>().join("\n");
                    Section {
                        full: details(true, &summary, &fenced(message)),
                        brief: details(true, &summary, &fenced(&brief)),
                    }
                }
            }
        })
        .collect();
    fit_comment(&head, &sections, "")
}

/// One JUnit document: a suite per org checked, and an errored one per org that could not be.
#[must_use]
pub(crate) fn render_junit(reports: &[OrgOutcome<'_, Report>]) -> String {
    let checked: Vec<&Report> = reports.iter().filter_map(|entry| entry.outcome.ok()).collect();
    let failed: Vec<(&str, &str)> = reports
        .iter()
        .filter_map(|entry| entry.outcome.err().map(|message| (entry.org, message)))
        .collect();
    super::junit::render_suites(&checked, &failed)
}
