//! One parameter value against what connector metadata says of it (`pattern`, `maxLength`),
//! the same rule offline (`validate`, with d360's table) and at plan time (with the org's
//! metadata). A pattern is matched as JSON Schema does: the value must contain a match, so
//! `^...$` anchors it.

use std::sync::Arc;

/// Why `value` does not fit, when it does not. A pattern that is not a valid regular
/// expression here (an org may answer one in another dialect) is not enforced.
#[must_use]
pub(crate) fn value_problem(value: &str, pattern: Option<&str>, max_length: Option<u32>) -> Option<String> {
    if let Some(max) = max_length {
        let length = value.chars().count();
        if length > max as usize {
            return Some(format!("is {length} characters long; the most is {max}"));
        }
    }
    let pattern = pattern?;
    let regex = compiled(pattern)?;
    (!regex.is_match(value)).then(|| format!("does not match the pattern `{pattern}`"))
}

/// Each pattern compiled once per process: the same few patterns are checked for every
/// resource, and compiling one costs far more than matching it (20,000 compiles took most of
/// `validate`'s time on a 20,000-row ConnectionSet).
/// Shared through an `Arc`: a cloned `Regex` starts with an empty match cache of its own.
fn compiled(pattern: &str) -> Option<Arc<regex::Regex>> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};
    static CACHE: LazyLock<Mutex<HashMap<String, Option<Arc<regex::Regex>>>>> = LazyLock::new(Mutex::default);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex::Regex::new(pattern).ok().map(Arc::new))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::value_problem;

    #[test]
    fn the_tables_patterns_compile_and_hold_their_examples() {
        for connector in d360_wire::connectors::KNOWN {
            for attribute in connector.parameters.iter().chain(connector.credentials) {
                if let Some(pattern) = attribute.pattern {
                    assert!(regex::Regex::new(pattern).is_ok(), "{}: {pattern}", attribute.name);
                    assert_eq!(
                        value_problem(attribute.example, Some(pattern), attribute.max_length),
                        None,
                        "{}.{}",
                        connector.name,
                        attribute.name
                    );
                }
            }
        }
    }

    #[test]
    fn values_break_patterns_and_lengths() {
        let database = Some("^[a-zA-Z0-9-_]+$");
        assert_eq!(value_problem("clinic_2", database, Some(128)), None);
        assert_eq!(
            value_problem("clinic db", database, Some(128)).as_deref(),
            Some("does not match the pattern `^[a-zA-Z0-9-_]+$`")
        );
        assert_eq!(
            value_problem(&"x".repeat(129), database, Some(128)).as_deref(),
            Some("is 129 characters long; the most is 128")
        );
        let url = Some("^jdbc:mysql://[^/:?;\\s]+(:[0-9]{1,5})?([/?;].*)?$");
        assert_eq!(value_problem("jdbc:mysql://db.example.internal:3306", url, None), None);
        assert!(value_problem("jdbc:mysql://db example:3306", url, None).is_some());
        assert!(value_problem("db.example.internal:3306", url, None).is_some());
        assert_eq!(value_problem("anything", Some("(unclosed"), None), None);
    }
}
