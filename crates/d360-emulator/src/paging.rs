//! Query parameters shared by the list endpoints: `limit`, `offset`, `orderBy`, and the page
//! URLs (`currentPageUrl`, `nextPageUrl`) built from them. Bad values answer 400
//! `ILLEGAL_QUERY_PARAMETER_VALUE`.

use super::responses::Reject;

/// A page of a listing: where it starts and how long it may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// Reads `limit` (1 to `max`, default `default`) and `offset` (0 or more).
    pub(crate) fn parse(limit: Option<&str>, offset: Option<&str>, default: usize, max: usize) -> Result<Self, Reject> {
        let limit = match limit {
            None => default,
            Some(text) => text
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    Reject::illegal_query(format!(
                        "Invalid value for limit: {text}. It must be an integer from 1 to {max}"
                    ))
                })?,
        };
        let offset = match offset {
            None => 0,
            Some(text) => text.trim().parse().map_err(|_| {
                Reject::illegal_query(format!(
                    "Invalid value for offset: {text}. It must be an integer of 0 or more"
                ))
            })?,
        };
        Ok(Self { offset, limit })
    }

    /// Whether rows remain after this page.
    pub(crate) fn has_next(&self, total: usize) -> bool {
        self.offset.saturating_add(self.limit) < total
    }

    /// The relative URL of this page (`next = false`) or the next one, keeping `pairs`.
    pub(crate) fn url(&self, path: &str, pairs: &[(&str, &str)], next: bool) -> String {
        let offset = if next {
            self.offset.saturating_add(self.limit)
        } else {
            self.offset
        };
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
        query.append_pair("limit", &self.limit.to_string());
        query.append_pair("offset", &offset.to_string());
        format!("{path}?{}", query.finish())
    }
}

/// `orderBy`: a field from `fields`, optionally followed by `ASC` or `DESC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order<'a> {
    pub field: &'a str,
    pub descending: bool,
}

impl<'a> Order<'a> {
    pub(crate) fn parse(text: Option<&str>, fields: &[&'a str], default: &'a str) -> Result<Self, Reject> {
        let Some(text) = text else {
            return Ok(Self {
                field: default,
                descending: false,
            });
        };
        let mut words = text.split_whitespace();
        let field = words
            .next()
            .and_then(|word| fields.iter().find(|field| field.eq_ignore_ascii_case(word)));
        let descending = match words.next() {
            None => Some(false),
            Some(direction) if direction.eq_ignore_ascii_case("asc") => Some(false),
            Some(direction) if direction.eq_ignore_ascii_case("desc") => Some(true),
            Some(_) => None,
        };
        match (field, descending, words.next()) {
            (Some(field), Some(descending), None) => Ok(Self { field, descending }),
            _ => Err(Reject::illegal_query(format!(
                "Invalid value for orderBy: {text}. Use one of {} with an optional ASC or DESC",
                fields.join(", ")
            ))),
        }
    }
}
