//! Drift as JUnit XML: one test case per resource, failed when it drifted, so any CI shows
//! drift as failed tests.

use super::Report;
use crate::output::Paint;
use crate::plan::render_text::change_lines;

/// Escapes text for XML attributes and content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as a JUnit `testsuites` document.
#[must_use]
pub(crate) fn render(report: &Report) -> String {
    render_suites(&[report], &[])
}

/// Several orgs' reports as one JUnit document, a `testsuite` per org; an org with no report
/// (`failed`: its name and error) is a suite of one errored test case.
#[must_use]
pub(crate) fn render_suites(reports: &[&Report], failed: &[(&str, &str)]) -> String {
    let tests: usize = reports.iter().map(|r| r.items.len()).sum::<usize>() + failed.len();
    let failures: usize = reports.iter().map(|r| failures(r)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"d360 drift\" tests=\"{tests}\" failures=\"{failures}\"{}>\n",
        if failed.is_empty() {
            String::new()
        } else {
            format!(" errors=\"{}\"", failed.len())
        }
    ));
    for report in reports {
        suite(&mut out, report);
    }
    for (org, message) in failed {
        let name = escape(&format!("d360 drift: {org}"));
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"org\" name=\"{}\">\n      <error message=\"the org was not checked\">{}</error>\n    </testcase>\n  </testsuite>\n",
            escape(org),
            escape(message)
        ));
    }
    out.push_str("</testsuites>\n");
    out
}

fn failures(report: &Report) -> usize {
    report.items.iter().filter(|i| i.status.is_drift()).count()
}

/// One org's `testsuite`.
fn suite(out: &mut String, report: &Report) {
    let plain = Paint { enabled: false };
    let failures = failures(report);
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" timestamp=\"{}\">\n",
        escape(&format!("d360 drift: {}", report.org)),
        report.items.len(),
        escape(&report.checked_at),
    ));
    for entry in &report.items {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            entry.kind,
            escape(&entry.name)
        ));
        if entry.status.is_drift() {
            let mut body = Vec::new();
            for change in &entry.changes {
                body.extend(change_lines(change, plain, ""));
            }
            body.extend(entry.details.iter().map(|d| format!("# {d}")));
            out.push_str(&format!(
                ">\n      <failure type=\"{:?}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                entry.status,
                escape(entry.status.describe()),
                escape(&body.join("\n"))
            ));
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n");
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y\nz"), "x\u{fffd}y\nz");
    }
}
