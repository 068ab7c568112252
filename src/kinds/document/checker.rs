//! The context every check runs in: which file and document, where in it, which set item.
//!
//! Checks never stop at the first problem: they record a diagnostic at the exact place and
//! carry on with a best-effort value, so one run reports everything.

use crate::model::SmallMap;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::diagnostic::{Diagnostic, Diagnostics, did_you_mean};
use super::interpolate::{self, InterpolationError, Problem, Variable};
use super::yaml_tree::{Node, Pos, Segment, path_text};

/// One item of a `ConnectionSet`: its columns and how to name it in messages.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) columns: SmallMap<String, String>,
    /// `row 3 of inventory/clinics.csv` or `item [2]`.
    pub(crate) label: String,
    /// Where the item's values live, for messages that concern the source.
    pub(crate) source: String,
    /// Whether every item has the same columns (a CSV file): a missing column is then
    /// reported once, not once per row.
    pub(crate) uniform: bool,
    /// For a CSV row: the file as shown, the row's line, and the header (for column numbers).
    pub(crate) csv: Option<CsvRow>,
    /// An example standing in for items listed only when planned (`fromAwsRds` offline):
    /// its `tag.<Key>` columns all exist, since a real database may carry any tag.
    pub(crate) example: bool,
    /// For an AWS RDS item: its region, the default of `fromAwsSecret.region`.
    pub(crate) aws_region: Option<String>,
}

/// Where a CSV item is, so a bad value can be pointed at as `file:line:column`.
#[derive(Debug, Clone)]
pub(crate) struct CsvRow {
    pub(crate) file: String,
    pub(crate) line: u64,
    pub(crate) headers: Vec<String>,
}

impl Item {
    /// `manifests/inventory/fleet.csv:4:2 (column `host`)` for each `${item.COLUMN}` of
    /// `raw`, when the item is a CSV row.
    #[must_use]
    pub(crate) fn cells_in(&self, raw: &str) -> Vec<String> {
        let Some(csv) = &self.csv else {
            return Vec::new();
        };
        csv.headers
            .iter()
            .enumerate()
            .filter(|(_, header)| raw.contains(&format!("${{item.{header}}}")))
            .map(|(index, header)| format!("{}:{}:{} (column `{header}`)", csv.file, csv.line, index + 1))
            .collect()
    }
}

/// Collects diagnostics without repeating one (a set's template reports once, not per row).
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) diagnostics: Diagnostics,
    seen: HashSet<(std::path::PathBuf, usize, String)>,
    /// For a problem every item of a set shares (an unset variable in the template): the
    /// index of its one diagnostic and how many resources met it.
    shared: HashMap<(std::path::PathBuf, usize, String), (usize, usize)>,
}

impl Sink {
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        let key = (
            diagnostic.file.clone(),
            diagnostic.pos.offset,
            diagnostic.message.clone(),
        );
        if self.seen.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Records a problem that each resource of a set meets at the same place: one diagnostic,
    /// which [`Sink::finish`] says how many resources need fixed.
    pub(crate) fn push_shared(&mut self, diagnostic: Diagnostic) {
        let key = (
            diagnostic.file.clone(),
            diagnostic.pos.offset,
            diagnostic.message.clone(),
        );
        if let Some((_, count)) = self.shared.get_mut(&key) {
            *count += 1;
            return;
        }
        self.seen.insert(key.clone());
        self.shared.insert(key, (self.diagnostics.items.len(), 1));
        self.diagnostics.push(diagnostic);
    }

    /// The diagnostics, each shared one saying how many resources need it.
    pub(crate) fn finish(mut self) -> Diagnostics {
        for (index, count) in self.shared.into_values() {
            if count > 1
                && let Some(diagnostic) = self.diagnostics.items.get_mut(index)
            {
                diagnostic.message.push_str(&format!(" ({count} resources need it)"));
            }
        }
        self.diagnostics
    }
}

/// Where checks of one document (or one set item) are happening.
pub(crate) struct Checker<'a> {
    pub(crate) file: &'a Path,
    pub(crate) dir: &'a Path,
    pub(crate) root: &'a Node,
    pub(crate) text: &'a str,
    pub(crate) prefix: Vec<Segment>,
    pub(crate) item: Option<&'a Item>,
    /// The org the manifests are loaded for (`${org.…}`).
    pub(crate) org: &'a super::OrgValues,
    pub(crate) sink: &'a mut Sink,
}

/// A path relative to the checker's prefix, as string keys (indexes as numbers in text).
pub(crate) type Rel<'r> = &'r [&'r str];

fn segments(rel: Rel<'_>) -> impl Iterator<Item = Segment> + '_ {
    rel.iter().map(|part| match part.parse::<usize>() {
        Ok(index) => Segment::Index(index),
        Err(_) => Segment::Key((*part).to_owned()),
    })
}

impl Checker<'_> {
    /// Full path of `rel` under the prefix.
    pub(crate) fn path(&self, rel: Rel<'_>) -> Vec<Segment> {
        self.prefix.iter().cloned().chain(segments(rel)).collect()
    }

    /// The node at `rel`, if present.
    pub(crate) fn node(&self, rel: Rel<'_>) -> Option<&Node> {
        let path = self.path(rel);
        let (node, found) = self.root.find(&path);
        found.then_some(node)
    }

    /// The place of the value at `rel`, or the nearest parent when absent.
    pub(crate) fn value_place(&self, rel: Rel<'_>) -> (Pos, usize) {
        let path = self.path(rel);
        let (node, _) = self.root.find(&path);
        (node.pos(), node.len())
    }

    /// The place of the key at `rel` (for "this field" problems).
    pub(crate) fn key_place(&self, rel: Rel<'_>) -> (Pos, usize) {
        let path = self.path(rel);
        let pos = self.root.key_pos(&path);
        let len = match path.last() {
            Some(Segment::Key(key)) if self.node(rel).is_some() => key.chars().count(),
            _ => 1,
        };
        (pos, len)
    }

    fn item_suffix(&self) -> String {
        match self.item {
            Some(item) => format!(" ({})", item.label),
            None => String::new(),
        }
    }

    /// An error on the value at `rel`.
    pub(crate) fn error(&self, rel: Rel<'_>, message: impl Into<String>) -> Diagnostic {
        self.error_at(self.value_place(rel), rel, message.into())
    }

    /// An error on the key at `rel` (a field that is missing, misplaced or unknown).
    pub(crate) fn key_error(&self, rel: Rel<'_>, message: impl Into<String>) -> Diagnostic {
        self.error_at(self.key_place(rel), rel, message.into())
    }

    /// An error about `rel` shown at `place` (position and length).
    fn error_at(&self, place: (Pos, usize), rel: Rel<'_>, message: String) -> Diagnostic {
        let (pos, len) = place;
        Diagnostic::error(
            self.file,
            pos,
            path_text(&self.path(rel)),
            message + &self.item_suffix(),
        )
        .with_len(len)
    }

    pub(crate) fn warning(&self, rel: Rel<'_>, message: impl Into<String>) -> Diagnostic {
        let mut diagnostic = self.error(rel, message);
        diagnostic.severity = super::diagnostic::Severity::Warning;
        diagnostic
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.sink.push(diagnostic);
    }

    /// Interpolates the string at `rel`, reporting an unset variable or missing column at
    /// its exact place. On a problem the raw text is returned so checks can go on.
    pub(crate) fn text(&mut self, rel: Rel<'_>, raw: &str) -> String {
        self.interpolated(rel, raw).unwrap_or_else(|| raw.to_owned())
    }

    /// As [`Checker::text`], but `None` when a variable could not be interpolated (reported
    /// here): checks of the value's content (its pattern) then say nothing more of it.
    pub(crate) fn interpolated(&mut self, rel: Rel<'_>, raw: &str) -> Option<String> {
        if !interpolate::has_variables(raw) {
            return Some(raw.to_owned());
        }
        let item = self.item;
        let org = self.org;
        let result = interpolate::interpolate(raw, |variable| match variable {
            Variable::Org(key) => org.get(key),
            Variable::Env(name) => std::env::var(name).map_err(|_| format!("environment variable `{name}` is not set")),
            Variable::Item(column) => match item {
                None => Err("`${item.…}` is only allowed inside a ConnectionSet template".to_owned()),
                Some(item) => match item.columns.get(column) {
                    Some(value) => Ok(value.clone()),
                    None if item.example && column.starts_with("tag.") => Ok("example".to_owned()),
                    None => Err(format!("{} has no column `{column}`", item.source)),
                },
            },
        });
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.report_interpolation(rel, &error);
                None
            }
        }
    }

    /// Reports a `${…}` that cannot be interpolated, at the variable when it can be found in
    /// the value's text.
    fn report_interpolation(&mut self, rel: Rel<'_>, error: &InterpolationError) {
        let item = self.item;
        let (pos, len) = self.value_place(rel);
        let quoted = self.text.get(pos.offset..).is_some_and(|t| t.starts_with(['"', '\'']));
        let inner_offset = pos.offset + error.offset + usize::from(quoted);
        let exact = self
            .text
            .get(inner_offset..inner_offset + error.length)
            .is_some_and(|t| t.starts_with("${"));
        let (offset, length) = if exact {
            (inner_offset, error.length)
        } else {
            (pos.offset, len)
        };
        let column = pos.column + (offset - pos.offset);
        let place = Pos {
            line: pos.line,
            column,
            offset,
        };
        let (message, help) = interpolation_wording(&error.problem, item, self.org);
        // An environment variable or org value is the same for every item: one error for the
        // set, with the number of resources that need it.
        let environment = matches!(&error.problem, Problem::Unresolved { variable, .. }
            if variable.starts_with("${env:") || variable.starts_with("${org."));
        let once_for_all_items = item.is_some()
            && (environment || item.is_some_and(|i| i.uniform) && matches!(error.problem, Problem::Unresolved { .. }));
        let suffix = if once_for_all_items {
            String::new()
        } else {
            self.item_suffix()
        };
        let mut diagnostic = Diagnostic::error(self.file, place, path_text(&self.path(rel)), message + &suffix)
            .with_len(length)
            .with_label("here");
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        if once_for_all_items && environment {
            self.sink.push_shared(diagnostic);
        } else {
            self.push(diagnostic);
        }
    }

    /// Interpolates an optional string.
    pub(crate) fn optional_text(&mut self, rel: Rel<'_>, raw: Option<&String>) -> Option<String> {
        raw.map(|raw| self.text(rel, raw))
    }
}

/// What to say about a variable that cannot be interpolated, and the help.
fn interpolation_wording(problem: &Problem, item: Option<&Item>, org: &super::OrgValues) -> (String, Option<String>) {
    match problem {
        Problem::Unterminated => (
            "unterminated `${`".to_owned(),
            Some("close it with `}`, or write `$${` for a literal `${`".to_owned()),
        ),
        Problem::UnknownForm(inner) => (
            format!("unknown variable `${{{inner}}}`"),
            Some(
                "use `${env:NAME}` for an environment variable, `${org.NAME}` for a value of the org's profile in d360.yaml, or `${item.COLUMN}` inside a ConnectionSet template"
                    .to_owned(),
            ),
        ),
        Problem::Unresolved { variable, reason } => {
            let help = match (item, variable.strip_prefix("${item.")) {
                (Some(item), Some(rest)) => {
                    let column = rest.trim_end_matches('}');
                    let columns: Vec<&str> = item.columns.keys().map(String::as_str).collect();
                    Some(match did_you_mean(column, columns.iter().copied()) {
                        Some(close) => format!("did you mean `${{item.{close}}}`? columns are: {}", columns.join(", ")),
                        None => format!("columns are: {}", columns.join(", ")),
                    })
                }
                _ if variable.starts_with("${org.") => {
                    let key = variable.trim_start_matches("${org.").trim_end_matches('}').trim();
                    Some(org.help_for_missing(key))
                }
                _ if variable.starts_with("${env:") => {
                    Some("set the variable before running d360, or remove the reference".to_owned())
                }
                _ => None,
            };
            (format!("{variable}: {reason}"), help)
        }
    }
}
