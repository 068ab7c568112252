//! Listing a collection. The first page says how many objects the listing holds
//! (`totalSize`). When it does, the other pages are asked for by `offset`, as many at once as
//! the client's limiter allows when the read starts (so no more in flight than the org has
//! been seen to take), with the collection's stable `orderBy`, and their union is checked: every page reports the same total, no object
//! comes twice, and there are as many as the total says.
//!
//! - The page at the second offset is asked for alone first: an org that does not honour
//!   `offset` answers the first page again, and one request shows it. The listing then
//!   follows `nextPageUrl`, and so does every later listing of this client.
//! - When the union does not add up (the org changed during the read: an object created or
//!   deleted moves the others across page boundaries), the read is made once more from the
//!   first page; if it still does not add up, the listing follows `nextPageUrl` one page at a
//!   time, as a client without offsets would.
//!
//! Without a total, with a single page, or once offsets proved unusable, it follows
//! `nextPageUrl`. No kind is known here: a kind names its collection through [`Collection`].

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use futures::{StreamExt, TryStreamExt};
use reqwest::Method;

use super::transport::Call;
use super::{ApiError, Client, Collection, PAGE_SIZE, Page};

/// The most pages read by offset at once (a million objects in pages of 200); a larger total
/// is followed page by page rather than believed.
const MAX_PAGES: u64 = 5_000;

/// One page as the org answered it.
struct Fetched<I> {
    items: Vec<I>,
    total: Option<u64>,
    next: Option<String>,
}

/// How reading by offset went.
enum Union<I> {
    /// Every object, each once.
    Complete(Vec<I>),
    /// The org answered the first page again at the second offset; the first page is handed
    /// back to follow `nextPageUrl` from.
    OffsetIgnored(Vec<I>),
    /// The pages do not add up to the total (the org changed meanwhile); the first page is
    /// handed back.
    Changed(Vec<I>),
}

impl Client {
    /// Every object of a collection matching `query`: by offset, concurrently, when the org
    /// reports a total (checking the union), else following `nextPageUrl` page by page.
    pub(crate) async fn list<C: Collection>(&self, query: &[(&str, &str)]) -> Result<Vec<C::Item>, ApiError> {
        let mut second_look = false;
        loop {
            let first = self.page::<C>(query, 0).await?;
            let Some(next) = first.next.filter(|next| !next.is_empty() && !first.items.is_empty()) else {
                return Ok(first.items);
            };
            let pages = first.total.map(|total| total.div_ceil(first.items.len() as u64));
            let total = first.total.filter(|&total| {
                total > first.items.len() as u64
                    && pages.is_some_and(|pages| pages <= MAX_PAGES)
                    && !self.offsets_ignored.load(Ordering::Relaxed)
            });
            let Some(total) = total else {
                return self.follow::<C>(first.items, next).await;
            };
            let path = C::PATH;
            let handed_back = match self.by_offset::<C>(query, first.items, total).await? {
                Union::Complete(items) => return Ok(items),
                Union::OffsetIgnored(items) => {
                    self.offsets_ignored.store(true, Ordering::Relaxed);
                    tracing::info!(path, "the org does not honour `offset`: following `nextPageUrl`");
                    items
                }
                Union::Changed(_) if !second_look => {
                    second_look = true;
                    tracing::debug!(path, total, "the pages do not add up to the total: reading again");
                    continue;
                }
                Union::Changed(items) => {
                    tracing::debug!(path, total, "the pages still do not add up: following `nextPageUrl`");
                    items
                }
            };
            return self.follow::<C>(handed_back, next).await;
        }
    }

    /// Pages after `first` by offset: the second alone, then the rest at once; `first` is
    /// handed back when the union does not add up.
    async fn by_offset<C: Collection>(
        &self,
        query: &[(&str, &str)],
        first: Vec<C::Item>,
        total: u64,
    ) -> Result<Union<C::Item>, ApiError> {
        let step = first.len();
        let second = self.page::<C>(query, step).await?;
        let repeats_first = match (first.first(), second.items.first()) {
            (Some(a), Some(b)) => C::identity(a) == C::identity(b),
            _ => false,
        };
        if repeats_first {
            return Ok(Union::OffsetIgnored(first));
        }
        let total_rows = usize::try_from(total).unwrap_or(usize::MAX);
        // As many pages at once as the client has learnt the org takes, fixed for this read:
        // reading does not probe for more, since one push-back (429 with `Retry-After`) costs
        // more than the whole read. The limiter still cuts if the org pushes back.
        let width = self.transport.limiter.report().limit.max(1);
        let rest: Vec<Fetched<C::Item>> = futures::stream::iter(
            (step.saturating_mul(2)..total_rows)
                .step_by(step)
                .map(|offset| self.page::<C>(query, offset)),
        )
        .buffered(width)
        .try_collect()
        .await?;
        let pages = std::iter::once(second).chain(rest);
        let mut items = first;
        let mut consistent = true;
        for page in pages {
            consistent &= page.total == Some(total);
            items.extend(page.items);
        }
        let mut seen = HashSet::with_capacity(items.len());
        consistent &= items.len() == total_rows && items.iter().all(|item| seen.insert(C::identity(item)));
        drop(seen);
        if consistent {
            Ok(Union::Complete(items))
        } else {
            items.truncate(step);
            Ok(Union::Changed(items))
        }
    }

    /// The rest of a listing after `items`, following `next` page by page.
    async fn follow<C: Collection>(&self, mut items: Vec<C::Item>, next: String) -> Result<Vec<C::Item>, ApiError> {
        let mut call = Some(Call::absolute(next_path(&next)));
        while let Some(current) = call.take() {
            let page: C::Page = self.json(current).await?;
            let (found, next) = page.into_parts();
            let empty = found.is_empty();
            items.extend(found);
            if let Some(next) = next.filter(|n| !n.is_empty() && !empty) {
                call = Some(Call::absolute(next_path(&next)));
            }
        }
        Ok(items)
    }

    /// One page of `query` from `offset`, in the collection's stable order.
    async fn page<C: Collection>(&self, query: &[(&str, &str)], offset: usize) -> Result<Fetched<C::Item>, ApiError> {
        let mut call = Call::new(Method::GET, C::PATH);
        for (key, value) in query {
            call = call.query(key, *value);
        }
        call = call.query("limit", PAGE_SIZE.to_string());
        if let Some(order) = C::ORDER_BY {
            call = call.query("orderBy", order);
        }
        if offset > 0 {
            call = call.query("offset", offset.to_string());
        }
        let page: C::Page = self.json(call).await?;
        let total = page.total();
        let (items, next) = page.into_parts();
        Ok(Fetched { items, total, next })
    }
}

/// `nextPageUrl` may be a path or a full URL; keep the path and query.
fn next_path(next: &str) -> String {
    match url::Url::parse(next) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => next.to_owned(),
    }
}
