//! `${env:NAME}`, `${item.COLUMN}` and `${org.NAME}` in manifest strings. `$${` writes a literal `${`.

/// A variable reference found in a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variable<'a> {
    Env(&'a str),
    Item(&'a str),
    /// A value of the org's profile (`values:` in d360.yaml), or `name`.
    Org(&'a str),
}

/// Why a string could not be interpolated; `offset` is the byte offset of `${` in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InterpolationError {
    pub(crate) offset: usize,
    pub(crate) length: usize,
    pub(crate) problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Unterminated,
    /// `${something}` that is neither `env:`, `item.` nor `org.`.
    UnknownForm(String),
    /// The resolver refused the variable (unset, missing column, not in a set).
    Unresolved {
        variable: String,
        reason: String,
    },
}

/// Whether a string holds any `${`.
#[must_use]
pub(crate) fn has_variables(text: &str) -> bool {
    text.contains("${")
}

/// Replaces every variable through `resolve`. Stops at the first problem.
pub(crate) fn interpolate<F>(text: &str, mut resolve: F) -> Result<String, InterpolationError>
where
    F: FnMut(Variable<'_>) -> Result<String, String>,
{
    if !has_variables(text) {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            consumed += start + 2;
            continue;
        }
        out.push_str(&rest[..start]);
        let offset = consumed + start;
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(InterpolationError {
                offset,
                length: text.len() - offset,
                problem: Problem::Unterminated,
            });
        };
        let inner = after[..end].trim();
        let length = end + 3;
        let variable = if let Some(name) = inner.strip_prefix("env:") {
            Variable::Env(name.trim())
        } else if let Some(column) = inner.strip_prefix("item.") {
            Variable::Item(column.trim())
        } else if let Some(key) = inner.strip_prefix("org.") {
            Variable::Org(key.trim())
        } else {
            return Err(InterpolationError {
                offset,
                length,
                problem: Problem::UnknownForm(inner.to_owned()),
            });
        };
        match resolve(variable) {
            Ok(value) => out.push_str(&value),
            Err(reason) => {
                return Err(InterpolationError {
                    offset,
                    length,
                    problem: Problem::Unresolved {
                        variable: format!("${{{inner}}}"),
                        reason,
                    },
                });
            }
        }
        rest = &after[end + 1..];
        consumed = offset + length;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(variable: Variable<'_>) -> Result<String, String> {
        match variable {
            Variable::Env("HOST") => Ok("db.internal".into()),
            Variable::Env(name) => Err(format!("`{name}` is not set")),
            Variable::Item("key") => Ok("c01".into()),
            Variable::Item(column) => Err(format!("no column `{column}`")),
            Variable::Org("name") => Ok("staging".into()),
            Variable::Org(key) => Err(format!("no value `{key}`")),
        }
    }

    #[track_caller]
    fn check(text: &str, expected: Result<&str, Problem>) {
        let got = interpolate(text, resolver);
        match expected {
            Ok(value) => assert_eq!(got, Ok(value.to_owned()), "{text}"),
            Err(problem) => assert_eq!(got.map_err(|e| e.problem), Err(problem), "{text}"),
        }
    }

    #[test]
    fn replaces_env_and_item_variables() {
        check("plain", Ok("plain"));
        check("jdbc:mysql://${env:HOST}:3306", Ok("jdbc:mysql://db.internal:3306"));
        check("AWS_RDS_${item.key}", Ok("AWS_RDS_c01"));
        check("${ item.key }-${env:HOST}", Ok("c01-db.internal"));
        check("cost $${not.a.var}", Ok("cost ${not.a.var}"));
        check("$5", Ok("$5"));
        check("db-${org.name}.${ org.name }", Ok("db-staging.staging"));
        check(
            "${org.rds_suffix}",
            Err(Problem::Unresolved {
                variable: "${org.rds_suffix}".into(),
                reason: "no value `rds_suffix`".into(),
            }),
        );
    }

    #[test]
    fn reports_problems_with_their_place() {
        check("x ${env:HOST", Err(Problem::Unterminated));
        check("${HOST}", Err(Problem::UnknownForm("HOST".into())));
        check(
            "${env:NOPE}",
            Err(Problem::Unresolved {
                variable: "${env:NOPE}".into(),
                reason: "`NOPE` is not set".into(),
            }),
        );
        let error = interpolate("ab ${item.host} cd", resolver).expect_err("an unknown column is an error");
        assert_eq!((error.offset, error.length), (3, 12));
    }
}
