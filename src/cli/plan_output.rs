//! A plan printed to stdout in the format asked for (`--format`, `--compact`): shared by
//! `plan`, `apply`, `show` and `watch`, and several orgs' plans together (`plan --org all`);
//! not a command itself.

use clap::ValueEnum;

use super::CliError;
use crate::output;
use crate::plan::several::{self, OrgOutcome};
use crate::plan::{self, Plan};

/// `--compact` / `--no-compact` for text output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct Layout {
    /// One line per resource with a count of changed fields (automatic on a terminal above
    /// 15 resources, unless `-v`). Text only: JSON and markdown are unchanged.
    #[arg(long, overrides_with = "no_compact")]
    pub(crate) compact: bool,
    /// Every changed field, however long the plan.
    #[arg(long, overrides_with = "compact")]
    pub(crate) no_compact: bool,
}

impl Layout {
    /// Whether a plan of `actions` actions is shown compact.
    #[must_use]
    pub(crate) fn compact(self, actions: usize) -> bool {
        self.compact
            || (!self.no_compact
                && !output::verbose()
                && actions > plan::render_text::COMPACT_ABOVE
                && output::stdout_is_terminal())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Markdown,
}

/// Prints a plan in the chosen format to stdout.
pub(crate) fn print(plan: &Plan, format: Format, layout: Layout) -> Result<(), CliError> {
    match format {
        Format::Text => {
            let paint = output::Paint {
                enabled: output::stdout_color(),
            };
            let compact = layout.compact(plan.actions.len());
            output::data(plan::render_text(plan, paint, compact).trim_end());
        }
        Format::Markdown => output::data(plan::render_markdown(plan).trim_end()),
        Format::Json => {
            output::data(&super::to_json(plan)?);
        }
    }
    Ok(())
}

/// Prints several orgs' plans in the chosen format to stdout: a section per org and a closing
/// line (text), one comment (markdown), or one document (JSON).
pub(crate) fn print_several(plans: &[OrgOutcome<'_, Plan>], format: Format, layout: Layout) -> Result<(), CliError> {
    match format {
        Format::Text => {
            let paint = output::Paint {
                enabled: output::stdout_color(),
            };
            let text = several::render_text_sections(plans, paint, |plan| layout.compact(plan.actions.len()));
            output::data(text.trim_end());
        }
        Format::Markdown => output::data(several::render_markdown_comment(plans).trim_end()),
        Format::Json => {
            let document = several::document("plan", plans).map_err(CliError::Encode)?;
            output::data(&super::to_json(&document)?);
        }
    }
    Ok(())
}
