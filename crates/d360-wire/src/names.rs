//! Salesforce API names (developer names) as d360 accepts them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid API name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an API name cannot be empty")]
    Empty,
    #[error("an API name must start with a letter")]
    FirstNotLetter,
    #[error("an API name may only hold letters, digits and underscores; found `{0}`")]
    BadCharacter(char),
    #[error("an API name cannot hold two underscores in a row")]
    DoubleUnderscore,
    #[error("an API name cannot end with an underscore")]
    TrailingUnderscore,
    #[error("an API name is at most 80 characters; this one has {0}")]
    TooLong(usize),
}

impl NameError {
    /// A suggestion the user can paste, when one can be made.
    #[must_use]
    pub fn help(&self, name: &str) -> String {
        let suggestion = ApiName::suggest(name);
        if suggestion.is_empty() {
            "use letters, digits and single underscores, starting with a letter".to_owned()
        } else {
            format!("a valid name would be `{suggestion}`")
        }
    }
}

/// A validated API name: a letter first, then `[A-Za-z0-9_]`, no `__`, no trailing `_`, at
/// most 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiName(String);

impl ApiName {
    pub const MAX_LEN: usize = 80;

    pub fn parse(text: &str) -> Result<Self, NameError> {
        let mut chars = text.chars();
        let first = chars.next().ok_or(NameError::Empty)?;
        if !first.is_ascii_alphabetic() {
            return Err(NameError::FirstNotLetter);
        }
        if let Some(bad) = text.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
            return Err(NameError::BadCharacter(bad));
        }
        if text.contains("__") {
            return Err(NameError::DoubleUnderscore);
        }
        if text.ends_with('_') {
            return Err(NameError::TrailingUnderscore);
        }
        let length = text.chars().count();
        if length > Self::MAX_LEN {
            return Err(NameError::TooLong(length));
        }
        Ok(Self(text.to_owned()))
    }

    /// The closest valid name to `text`, or an empty string when none can be made.
    #[must_use]
    pub fn suggest(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            let c = if c.is_ascii_alphanumeric() { c } else { '_' };
            if c == '_' && (out.is_empty() || out.ends_with('_')) {
                continue;
            }
            out.push(c);
        }
        while out.ends_with('_') {
            out.pop();
        }
        while out.chars().next().is_some_and(|c| !c.is_ascii_alphabetic()) {
            out.remove(0);
        }
        out.truncate(Self::MAX_LEN);
        while out.ends_with('_') {
            out.pop();
        }
        out
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ApiName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ApiName> for String {
    fn from(value: ApiName) -> Self {
        value.0
    }
}

impl fmt::Display for ApiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(name: &str, expected: &Result<(), NameError>) {
        assert_eq!(&ApiName::parse(name).map(|_| ()), expected, "{name}");
    }

    #[test]
    fn salesforce_developer_name_rules() {
        check("AWS_RDS_MySQL_spike_test", &Ok(()));
        check("a1", &Ok(()));
        check("", &Err(NameError::Empty));
        check("1abc", &Err(NameError::FirstNotLetter));
        check("_abc", &Err(NameError::FirstNotLetter));
        check("ab-c", &Err(NameError::BadCharacter('-')));
        check("a b", &Err(NameError::BadCharacter(' ')));
        check("a__b", &Err(NameError::DoubleUnderscore));
        check("ab_", &Err(NameError::TrailingUnderscore));
        check(&"a".repeat(80), &Ok(()));
        check(&"a".repeat(81), &Err(NameError::TooLong(81)));
    }

    #[test]
    fn suggestions_are_valid() {
        for raw in ["clinic-01", "1st clinic", "a__b_", "  x y  ", "ü-name"] {
            let suggestion = ApiName::suggest(raw);
            if !suggestion.is_empty() {
                assert!(ApiName::parse(&suggestion).is_ok(), "{raw} -> {suggestion}");
            }
        }
        assert_eq!(ApiName::suggest("clinic-01"), "clinic_01");
    }
}
