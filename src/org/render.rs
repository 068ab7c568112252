//! The org check's report as text for people (`d360 org check`); its JSON is the report's
//! `Serialize`.

use super::CheckReport;
use crate::output::Paint;

/// The report, one line per step, a hint under a failed one, and the verdict last.
#[must_use]
pub(crate) fn render_text(report: &CheckReport, paint: Paint) -> String {
    let mut text = format!(
        "org `{}` at {} (API v{}, data space `{}`)\n",
        report.org, report.instance_url, report.api_version, report.dataspace
    );
    for step in &report.steps {
        if step.ok {
            text.push_str(&format!(
                "  {}   {:<12} {}\n",
                paint.green("ok"),
                step.step,
                step.detail.as_deref().unwrap_or("")
            ));
        } else {
            text.push_str(&format!(
                "  {} {:<12} {}\n",
                paint.red("FAIL"),
                step.step,
                step.error.as_deref().unwrap_or("")
            ));
            if let Some(hint) = step.hint {
                text.push_str(&format!("       {} {hint}\n", paint.yellow("hint:")));
            }
        }
    }
    text.push_str(if report.ok {
        "Org check passed.\n"
    } else {
        "Org check failed.\n"
    });
    text
}
