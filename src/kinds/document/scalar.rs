//! What a plain YAML scalar means: null, a boolean, an integer, a float or a string.
//!
//! The YAML 1.2 core schema as d360 has always read manifests (the rules serde_norway
//! applies): `~`, `null` and the empty scalar are null; `true`/`false` in three casings are
//! booleans; decimal, `0x`, `0o` and `0b` integers; `.inf` and `.nan`; a leading zero followed
//! by digits (`0123`) stays a string. Quoted scalars never get here: they are strings.

use std::num::ParseIntError;

/// A plain scalar's meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Negative(i64),
    Float(f64),
    Str(&'a str),
}

/// Whether a plain scalar is null.
#[must_use]
pub(crate) fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

#[must_use]
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `0123`: digits with a leading zero are a string in YAML 1.2.
fn digits_but_not_number(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    text.len() > 1 && text.starts_with('0') && text[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The digits after a `0x` / `0o` / `0b` prefix, with their radix.
fn radix_digits(text: &str) -> Option<(&str, u32)> {
    [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| {
            text.strip_prefix(prefix)
                .filter(|rest| !rest.starts_with(['+', '-']))
                .map(|rest| (rest, radix))
        })
}

fn parse_radix<T>(text: &str, from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>) -> Option<T> {
    let (digits, radix) = radix_digits(text)?;
    from_str_radix(digits, radix).ok()
}

#[must_use]
pub(crate) fn parse_unsigned(text: &str) -> Option<u64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Some(value) = parse_radix(unsigned, u64::from_str_radix) {
        return Some(value);
    }
    if unsigned.starts_with(['+', '-']) || digits_but_not_number(text) {
        return None;
    }
    unsigned.parse().ok()
}

/// A negative integer (`-5`, `-0x1f`).
fn parse_negative(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('-')?;
    if let Some((digits, radix)) = radix_digits(rest) {
        return i64::from_str_radix(&format!("-{digits}"), radix).ok();
    }
    if digits_but_not_number(text) {
        return None;
    }
    text.parse().ok()
}

/// Any integer an `i64` holds.
#[must_use]
pub(crate) fn parse_signed(text: &str) -> Option<i64> {
    match parse_negative(text) {
        Some(value) => Some(value),
        None => parse_unsigned(text).and_then(|value| i64::try_from(value).ok()),
    }
}

#[must_use]
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// What a plain scalar means.
#[must_use]
pub(crate) fn resolve(text: &str) -> Resolved<'_> {
    if is_null(text) {
        Resolved::Null
    } else if let Some(value) = parse_bool(text) {
        Resolved::Bool(value)
    } else if let Some(value) = parse_unsigned(text) {
        Resolved::Unsigned(value)
    } else if let Some(value) = parse_negative(text) {
        Resolved::Negative(value)
    } else if let Some(value) = parse_float(text).filter(|_| !digits_but_not_number(text)) {
        Resolved::Float(value)
    } else {
        Resolved::Str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Resolved<'_>) {
        assert_eq!(resolve(text), expected, "{text:?}");
    }

    #[test]
    fn plain_scalars_resolve_like_the_core_schema() {
        check("", Resolved::Null);
        check("~", Resolved::Null);
        check("NULL", Resolved::Null);
        check("nul", Resolved::Str("nul"));
        check("True", Resolved::Bool(true));
        check("false", Resolved::Bool(false));
        check("yes", Resolved::Str("yes"));
        check("3306", Resolved::Unsigned(3306));
        check("+7", Resolved::Unsigned(7));
        check("0x1f", Resolved::Unsigned(31));
        check("0o17", Resolved::Unsigned(15));
        check("0b101", Resolved::Unsigned(5));
        check("-3", Resolved::Negative(-3));
        check("-0x10", Resolved::Negative(-16));
        check("0123", Resolved::Str("0123"));
        check("-0123", Resolved::Str("-0123"));
        check("1.5", Resolved::Float(1.5));
        check("1e3", Resolved::Float(1000.0));
        check(".inf", Resolved::Float(f64::INFINITY));
        check("1e999", Resolved::Str("1e999"));
        check("++1", Resolved::Str("++1"));
        check("0x-1", Resolved::Str("0x-1"));
        check("18446744073709551616", Resolved::Float(18_446_744_073_709_551_616.0));
        check("jdbc:mysql://h:3306", Resolved::Str("jdbc:mysql://h:3306"));
        assert!(matches!(resolve(".nan"), Resolved::Float(value) if value.is_nan()));
    }

    #[test]
    fn typed_parsers_accept_only_their_kind() {
        assert_eq!(parse_unsigned("23"), Some(23));
        assert_eq!(parse_unsigned("-1"), None);
        assert_eq!(parse_signed("-1"), Some(-1));
        assert_eq!(parse_signed("9223372036854775808"), None);
        assert_eq!(parse_float("2"), Some(2.0));
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("on"), None);
    }
}
