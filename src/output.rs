//! The one place that writes to stdout and stderr.
//!
//! stdout carries data (plans, JSON, reports, rendered manifests); stderr carries progress,
//! diagnostics and logs. Colour is used only on a terminal, and never when `NO_COLOR` is set
//! or `--no-color` is given.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

static NO_COLOR: AtomicBool = AtomicBool::new(false);
static VERBOSE: AtomicU8 = AtomicU8::new(0);

/// Records `-v` (counted) for the rest of the process: detail a person asked for.
pub(crate) fn set_verbosity(level: u8) {
    VERBOSE.store(level, Ordering::Relaxed);
}

/// Whether `-v` was given: long output stays long.
#[must_use]
pub(crate) fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed) > 0
}

/// Turns colour off for the rest of the process.
pub(crate) fn disable_color() {
    NO_COLOR.store(true, Ordering::Relaxed);
}

/// Whether stdout should get ANSI colour.
#[must_use]
pub(crate) fn stdout_color() -> bool {
    color_allowed() && std::io::stdout().is_terminal()
}

/// Whether stderr should get ANSI colour.
#[must_use]
pub(crate) fn stderr_color() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

fn color_allowed() -> bool {
    !NO_COLOR.load(Ordering::Relaxed) && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Whether stdout is a terminal (compact plans for long ones).
#[must_use]
pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether stderr is a terminal (progress bars, prompts).
#[must_use]
pub(crate) fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether stdin is a terminal (confirmation prompts).
#[must_use]
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Writes data to stdout. A closed pipe (`d360 plan | head`) is not an error worth a panic.
pub(crate) fn data(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') && !text.is_empty() {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

/// Writes a human message line to stderr.
pub(crate) fn message(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
    let _ = err.flush();
}

/// ANSI styles, applied only when `enabled`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    pub(crate) enabled: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    #[must_use]
    pub(crate) fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    #[must_use]
    pub(crate) fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    #[must_use]
    pub(crate) fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    #[must_use]
    pub(crate) fn magenta(self, text: &str) -> String {
        self.wrap("35", text)
    }
    #[must_use]
    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    #[must_use]
    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// An error and its causes, each once: a cause whose text the error (or an earlier cause)
/// already contains is left out, so `#[error(transparent)]` and messages that quote their
/// source do not print it twice. I/O errors read as the OS says them (`No such file or
/// directory`).
#[must_use]
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => d360_wire::files::plain(io),
            None => cause.to_string(),
        };
        if !texts.iter().any(|earlier| earlier.contains(&text)) {
            texts.push(text);
        }
        source = cause.source();
    }
    texts
}

/// An error and its causes on one line: `error: cause: cause`.
#[must_use]
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    causes(error).join(": ")
}
