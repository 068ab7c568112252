//! Query parameters shared by the list endpoints: `limit`, `offset`, `orderBy`, and the page
//! URLs (`currentPageUrl`, `nextPageUrl`) built from them. Bad values answer 400
//! `ILLEGAL_QUERY_PARAMETER_VALUE`.
//!
//! An org started with `--ignore-offset` pages as one that does not honour `offset` would:
//! a client's `offset` is ignored (every such request gets the first page), and its own page
//! URLs carry an opaque `pageToken` instead, so following `nextPageUrl` still reads every row.

use std::sync::atomic::{AtomicU64, Ordering};

use super::query::QueryPairs;
use super::responses::Reject;

/// How the org takes the start of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offsets {
    /// `offset`, as the spec describes it.
    Honoured,
    /// `offset` is ignored; only the `pageToken` of the org's own page URLs moves on.
    Ignored,
}

/// The query parameter of the org's own page URLs under [`Offsets::Ignored`].
const PAGE_TOKEN: &str = "pageToken";

/// A page of a listing: where it starts and how long it may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub offset: usize,
    pub limit: usize,
    offsets: Offsets,
}

impl Page {
    /// Reads `limit` (1 to `max`, default `default`) and where the page starts: `offset` (0 or
    /// more), or the `pageToken` when offsets are ignored.
    pub(crate) fn read(query: &QueryPairs, default: usize, max: usize, offsets: Offsets) -> Result<Self, Reject> {
        let start = match offsets {
            Offsets::Honoured => query.get("offset"),
            // The token is the org's own: `p` and the row to start at.
            Offsets::Ignored => query
                .get(PAGE_TOKEN)
                .map(|token| token.strip_prefix('p').unwrap_or(token)),
        };
        let mut page = Self::parse(query.get("limit"), start, default, max)?;
        page.offsets = offsets;
        Ok(page)
    }

    /// Reads `limit` (1 to `max`, default `default`) and `offset` (0 or more).
    fn parse(limit: Option<&str>, offset: Option<&str>, default: usize, max: usize) -> Result<Self, Reject> {
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
        Ok(Self {
            offset,
            limit,
            offsets: Offsets::Honoured,
        })
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
        match self.offsets {
            Offsets::Honoured => query.append_pair("offset", &offset.to_string()),
            Offsets::Ignored => query.append_pair(PAGE_TOKEN, &format!("p{offset}")),
        };
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

/// How the list endpoints behave beyond the spec, for tests: whether they honour `offset`
/// (`--ignore-offset`), and how many later-page requests still create an object first
/// (`--create-while-listing N`: objects that appear while a client is part way through).
#[derive(Debug)]
pub(crate) struct ListingQuirks {
    pub(crate) offsets: Offsets,
    creations_left: AtomicU64,
    created: AtomicU64,
}

impl ListingQuirks {
    pub(crate) fn new(ignore_offset: bool, create_while_listing: u64) -> Self {
        Self {
            offsets: if ignore_offset {
                Offsets::Ignored
            } else {
                Offsets::Honoured
            },
            creations_left: AtomicU64::new(create_while_listing),
            created: AtomicU64::new(0),
        }
    }

    /// For a request of a page after the first: whether it creates an object first, and if so
    /// its number (1, 2, ...), counting it.
    pub(crate) fn creation(&self, page: &Page) -> Option<u64> {
        if page.offset == 0 {
            return None;
        }
        self.creations_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1))
            .ok()
            .map(|_| self.created.fetch_add(1, Ordering::Relaxed) + 1)
    }
}
