//! The part of GitHub's `${{ }}` expression language the example workflows and the Action use:
//! context paths (`secrets.X`, `env.X`, `inputs.X`, `github.X`, `runner.X`, `matrix.X`,
//! `steps.ID.outputs.X`),
//! string literals, `||`, `&&`, `==`, `!=`, `!`, parentheses and the status functions. An
//! unknown context or function fails the test, so a new construct is handled on purpose.

use std::collections::BTreeMap;

/// What expressions read: each context value under its dotted path (`inputs.mode`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Contexts {
    pub(crate) values: BTreeMap<String, String>,
    /// Whether every step so far succeeded (`success()`, `failure()`).
    pub(crate) succeeded: bool,
}

const CONTEXTS: [&str; 8] = [
    "secrets", "vars", "env", "inputs", "github", "runner", "steps", "matrix",
];

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(String),
    Bool(bool),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Self::Text(text) => !text.is_empty(),
            Self::Bool(value) => *value,
        }
    }

    fn text(self) -> String {
        match self {
            Self::Text(text) => text,
            Self::Bool(value) => value.to_string(),
        }
    }
}

impl Contexts {
    pub(crate) fn set(&mut self, path: &str, value: &str) {
        self.values.insert(path.to_owned(), value.to_owned());
    }

    /// `text` with every `${{ expression }}` replaced by its value.
    pub(crate) fn interpolate(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .unwrap_or_else(|| panic!("unclosed expression in {text:?}"));
            out.push_str(&self.evaluate(&rest[start + 3..start + end]).text());
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` condition (with or without `${{ }}`); none means `success()`.
    pub(crate) fn condition(&self, condition: Option<&str>) -> bool {
        let Some(condition) = condition else {
            return self.succeeded;
        };
        let inner = condition.trim();
        let inner = inner
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(inner);
        let uses_status = ["always()", "success()", "failure()", "cancelled()"]
            .iter()
            .any(|f| inner.contains(f));
        let value = self.evaluate(inner).truthy();
        // GitHub adds an implicit `success() &&` unless a status function is used.
        if uses_status { value } else { self.succeeded && value }
    }

    fn evaluate(&self, expression: &str) -> Value {
        let tokens = tokenize(expression);
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            contexts: self,
        };
        let value = parser.or();
        assert_eq!(parser.at, tokens.len(), "unparsed rest of {expression:?}");
        value
    }
}

fn tokenize(expression: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = expression.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_whitespace() {
            at += 1;
        } else if c == '\'' {
            let end = chars[at + 1..]
                .iter()
                .position(|&d| d == '\'')
                .unwrap_or_else(|| panic!("unclosed string in {expression:?}"));
            tokens.push(chars[at..=at + 1 + end].iter().collect());
            at += end + 2;
        } else if ["||", "&&", "==", "!="]
            .iter()
            .any(|op| chars[at..].starts_with(&op.chars().collect::<Vec<_>>()))
        {
            tokens.push(chars[at..at + 2].iter().collect());
            at += 2;
        } else if "!()".contains(c) {
            tokens.push(c.to_string());
            at += 1;
        } else {
            let end = chars[at..]
                .iter()
                .position(|d| !(d.is_alphanumeric() || "_-.".contains(*d)))
                .map_or(chars.len(), |p| at + p);
            assert!(end > at, "unexpected {c:?} in {expression:?}");
            tokens.push(chars[at..end].iter().collect());
            at = end;
        }
    }
    tokens
}

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
    contexts: &'a Contexts,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> String {
        let token = self.tokens.get(self.at).cloned().expect("an expression ends early");
        self.at += 1;
        token
    }

    fn or(&mut self) -> Value {
        let mut value = self.and();
        while self.peek() == Some("||") {
            self.at += 1;
            let right = self.and();
            if !value.truthy() {
                value = right;
            }
        }
        value
    }

    fn and(&mut self) -> Value {
        let mut value = self.comparison();
        while self.peek() == Some("&&") {
            self.at += 1;
            let right = self.comparison();
            if value.truthy() {
                value = right;
            }
        }
        value
    }

    fn comparison(&mut self) -> Value {
        let left = self.unary();
        match self.peek() {
            Some(op @ ("==" | "!=")) => {
                let equal = op == "==";
                self.at += 1;
                let right = self.unary();
                Value::Bool((left.text().to_lowercase() == right.text().to_lowercase()) == equal)
            }
            _ => left,
        }
    }

    fn unary(&mut self) -> Value {
        if self.peek() == Some("!") {
            self.at += 1;
            return Value::Bool(!self.unary().truthy());
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let token = self.next();
        if token == "(" {
            let value = self.or();
            assert_eq!(self.next(), ")", "unbalanced parentheses");
            return value;
        }
        if let Some(text) = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return Value::Text(text.to_owned());
        }
        if self.peek() == Some("(") {
            self.at += 1;
            assert_eq!(self.next(), ")", "functions here take no arguments");
            return Value::Bool(match token.as_str() {
                "always" => true,
                "success" => self.contexts.succeeded,
                "failure" => !self.contexts.succeeded,
                "cancelled" => false,
                other => panic!("unsupported function {other}()"),
            });
        }
        match token.as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
        let context = token.split('.').next().unwrap_or_default();
        assert!(CONTEXTS.contains(&context), "unsupported context in `{token}`");
        Value::Text(self.contexts.values.get(&token).cloned().unwrap_or_default())
    }
}

#[test]
fn expressions_evaluate_as_github_does() {
    let mut contexts = Contexts {
        succeeded: true,
        ..Contexts::default()
    };
    contexts.set("inputs.mode", "plan");
    contexts.set("inputs.version", "");
    contexts.set("github.action_ref", "v0.1.0");
    contexts.set("secrets.TOKEN", "t0k");
    assert_eq!(
        contexts.interpolate("v=${{ inputs.version || github.action_ref }}!"),
        "v=v0.1.0!"
    );
    assert_eq!(
        contexts.interpolate("${{ secrets.TOKEN }}/${{ secrets.ABSENT }}"),
        "t0k/"
    );
    assert!(contexts.condition(Some("inputs.mode == 'plan' && github.action_ref != 'v2'")));
    assert!(!contexts.condition(Some("${{ inputs.mode == 'apply' }}")));
    assert!(contexts.condition(Some("!(inputs.mode == 'apply')")));
    contexts.succeeded = false;
    assert!(!contexts.condition(None));
    assert!(!contexts.condition(Some("inputs.mode == 'plan'")));
    assert!(contexts.condition(Some("always()")));
    assert!(contexts.condition(Some("failure()")));
}
