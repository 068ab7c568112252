//! Manifest problems with their place, rendered with miette.
//!
//! Every check records a [`Diagnostic`] instead of stopping, so one run reports every
//! problem. A diagnostic about a value that may be a secret carries no source snippet, so the
//! value never reaches a terminal or a CI log.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::yaml_tree::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// Another place a diagnostic refers to (the first of two duplicates, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Related {
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
    pub(crate) len: usize,
    pub(crate) label: String,
}

/// One problem in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub(crate) severity: Severity,
    pub(crate) file: PathBuf,
    pub(crate) pos: Pos,
    pub(crate) len: usize,
    /// The YAML path, such as `spec.parameters.DATABASE` (empty for the whole document).
    pub(crate) path: String,
    pub(crate) message: String,
    pub(crate) label: String,
    pub(crate) help: Option<String>,
    pub(crate) related: Vec<Related>,
    /// False when the text at the place may be a secret.
    pub(crate) show_source: bool,
}

impl Diagnostic {
    #[must_use]
    pub(crate) fn error(file: &Path, pos: Pos, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            pos,
            len: 1,
            path: path.into(),
            message: message.into(),
            label: String::new(),
            help: None,
            related: Vec::new(),
            show_source: true,
        }
    }

    #[must_use]
    pub(crate) fn warning(file: &Path, pos: Pos, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, pos, path, message)
        }
    }

    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    #[must_use]
    pub(crate) fn with_len(mut self, len: usize) -> Self {
        self.len = len.max(1);
        self
    }

    #[must_use]
    pub(crate) fn hiding_source(mut self) -> Self {
        self.show_source = false;
        self
    }

    #[must_use]
    pub(crate) fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    /// `file:line:column`.
    #[must_use]
    pub(crate) fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.pos.line, self.pos.column)
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:col: error: message` (the compact form for logs and JSON).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {severity}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// All diagnostics of a run, with the file texts needed to show snippets.
#[derive(Debug, Default, Clone)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
    sources: BTreeMap<PathBuf, Arc<String>>,
}

impl Diagnostics {
    pub(crate) fn add_source(&mut self, file: &Path, text: Arc<String>) {
        self.sources.insert(file.to_path_buf(), text);
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    #[must_use]
    pub(crate) fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    #[must_use]
    pub(crate) fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    #[must_use]
    pub(crate) fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Orders diagnostics by file and place so output is stable.
    pub(crate) fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.file, a.pos.offset, a.severity, &a.message).cmp(&(&b.file, b.pos.offset, b.severity, &b.message))
        });
        self.items.dedup();
    }

    /// Renders every diagnostic for a person, with snippets, carets and help lines.
    #[must_use]
    pub(crate) fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_links(false);
        let mut out = String::new();
        for item in &self.items {
            let report = Rendered::new(item, &self.sources);
            if handler.render_report(&mut out, &report).is_err() {
                out.push_str(&item.to_string());
                out.push('\n');
            }
        }
        out
    }
}

/// A diagnostic bound to its source, in the shape miette renders.
#[derive(Debug)]
struct Rendered {
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<String>>>,
    span: Option<LabeledSpan>,
    related: Vec<Rendered>,
}

impl Rendered {
    fn new(item: &Diagnostic, sources: &BTreeMap<PathBuf, Arc<String>>) -> Self {
        let source = sources.get(&item.file).filter(|_| item.show_source);
        let location = item.location();
        let path = if item.path.is_empty() {
            String::new()
        } else {
            format!(" at `{}`", item.path)
        };
        let message = if source.is_some() {
            format!("{}{path}", item.message)
        } else {
            format!("{}{path}\n  --> {location}", item.message)
        };
        let span = source.map(|text| {
            let start = item.pos.offset.min(text.len());
            let len = item
                .len
                .min(text.len().saturating_sub(start))
                .max(usize::from(start < text.len()));
            let label = (!item.label.is_empty()).then(|| item.label.clone());
            LabeledSpan::new_with_span(label, SourceSpan::new(start.into(), len))
        });
        let related = item
            .related
            .iter()
            .map(|other| {
                let as_diagnostic = Diagnostic {
                    severity: Severity::Warning,
                    file: other.file.clone(),
                    pos: other.pos,
                    len: other.len,
                    path: String::new(),
                    message: other.label.clone(),
                    label: other.label.clone(),
                    help: None,
                    related: Vec::new(),
                    show_source: item.show_source,
                };
                let mut rendered = Rendered::new(&as_diagnostic, sources);
                rendered.severity = miette::Severity::Advice;
                rendered
            })
            .collect();
        Self {
            message,
            severity: match item.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help: item.help.clone(),
            source: source
                .map(|text| NamedSource::new(item.file.display().to_string(), Arc::clone(text)).with_language("yaml")),
            span,
            related,
        }
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.span
            .clone()
            .map(|span| Box::new(std::iter::once(span)) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

/// "did you mean" for a misspelt word among candidates.
#[must_use]
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase());
            (candidate, score)
        })
        .filter(|(_, score)| *score > 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_words_only() {
        assert_eq!(did_you_mean("lable", ["label", "method"]), Some("label"));
        assert_eq!(
            did_you_mean("conectorType", ["connectorType", "label"]),
            Some("connectorType")
        );
        assert_eq!(
            did_you_mean("database", ["DATABASE", "jdbc_connection_url"]),
            Some("DATABASE")
        );
        assert_eq!(did_you_mean("zzz", ["label", "method"]), None);
    }
}
