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
//!
//! Each page is turned into what the caller keeps as soon as it arrives (`sift`: decode, and
//! leave out what the caller does not need), so a listing never holds every object twice and
//! a caller that needs only a few objects never holds them all.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use futures::{StreamExt, TryStreamExt};
use reqwest::Method;

use super::transport::Call;
use super::{ApiError, Client, Collection, PAGE_SIZE, Page};

/// The most pages read by offset at once (a million objects in pages of 200); a larger total
/// is followed page by page rather than believed.
const MAX_PAGES: u64 = 5_000;

/// The most identities room is made for up front when checking a union.
const MAX_ROWS_RESERVED: usize = 100_000;

/// One page as the org answered it, its objects sifted.
struct Fetched<O> {
    /// What the caller kept of the page's objects.
    kept: Vec<O>,
    /// The identities of every object the page held, kept or not.
    identities: Vec<String>,
    total: Option<u64>,
    next: Option<String>,
}

/// How reading by offset went.
enum Union<O> {
    /// Every object, each once (what the caller kept of them).
    Complete(Vec<O>),
    /// The org answered the first page again at the second offset; the first page is handed
    /// back to follow `nextPageUrl` from.
    OffsetIgnored(Vec<O>),
    /// The pages do not add up to the total (the org changed meanwhile); the first page is
    /// handed back.
    Changed(Vec<O>),
}

impl Client {
    /// What `sift` keeps of every object of a collection matching `query`: by offset,
    /// concurrently, when the org reports a total (checking the union), else following
    /// `nextPageUrl` page by page.
    pub(crate) async fn list<C, O, F>(&self, query: &[(&str, &str)], sift: &F) -> Result<Vec<O>, ApiError>
    where
        C: Collection,
        O: Send,
        F: Fn(C::Item) -> Option<O> + Sync,
    {
        let mut second_look = false;
        loop {
            let mut first = self.page::<C, O, F>(query, 0, sift).await?;
            let listed = first.identities.len();
            let Some(next) = first.next.take().filter(|next| !next.is_empty() && listed > 0) else {
                return Ok(first.kept);
            };
            let pages = first.total.map(|total| total.div_ceil(listed as u64));
            let total = first.total.filter(|&total| {
                total > listed as u64
                    && pages.is_some_and(|pages| pages <= MAX_PAGES)
                    && !self.offsets_ignored.load(Ordering::Relaxed)
            });
            let Some(total) = total else {
                return self.follow::<C, O, F>(first.kept, next, sift).await;
            };
            let path = C::PATH;
            let handed_back = match self.by_offset::<C, O, F>(query, first, total, sift).await? {
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
            return self.follow::<C, O, F>(handed_back, next, sift).await;
        }
    }

    /// Pages after `first` by offset: the second alone, then the rest at once; what was kept
    /// of `first` is handed back when the union does not add up.
    async fn by_offset<C, O, F>(
        &self,
        query: &[(&str, &str)],
        first: Fetched<O>,
        total: u64,
        sift: &F,
    ) -> Result<Union<O>, ApiError>
    where
        C: Collection,
        O: Send,
        F: Fn(C::Item) -> Option<O> + Sync,
    {
        let step = first.identities.len();
        let second = self.page::<C, O, F>(query, step, sift).await?;
        if !first.identities.is_empty() && first.identities.first() == second.identities.first() {
            return Ok(Union::OffsetIgnored(first.kept));
        }
        let total_rows = usize::try_from(total).unwrap_or(usize::MAX);
        // As many pages at once as the client has learnt the org takes, fixed for this read:
        // reading does not probe for more, since one push-back (429 with `Retry-After`) costs
        // more than the whole read. The limiter still cuts if the org pushes back.
        let width = self.transport.limiter.report().limit.max(1);
        let mut seen: HashSet<String> = HashSet::with_capacity(total_rows.min(MAX_ROWS_RESERVED));
        let mut consistent = first.identities.into_iter().all(|identity| seen.insert(identity));
        let mut rest = Vec::new();
        let mut pages = std::pin::pin!(
            futures::stream::iter(
                (step.saturating_mul(2)..total_rows)
                    .step_by(step)
                    .map(|offset| self.page::<C, O, F>(query, offset, sift)),
            )
            .buffered(width)
        );
        let mut page = Some(second);
        while let Some(current) = page.take() {
            consistent &= current.total == Some(total);
            consistent &= current.identities.into_iter().all(|identity| seen.insert(identity));
            rest.extend(current.kept);
            page = pages.try_next().await?;
        }
        consistent &= seen.len() == total_rows;
        let mut kept = first.kept;
        if consistent {
            kept.extend(rest);
            Ok(Union::Complete(kept))
        } else {
            Ok(Union::Changed(kept))
        }
    }

    /// The rest of a listing after `kept`, following `next` page by page.
    async fn follow<C, O, F>(&self, mut kept: Vec<O>, next: String, sift: &F) -> Result<Vec<O>, ApiError>
    where
        C: Collection,
        F: Fn(C::Item) -> Option<O> + Sync,
    {
        let mut call = Some(Call::absolute(next_path(&next)));
        while let Some(current) = call.take() {
            let page: C::Page = self.json(current).await?;
            let (found, next) = page.into_parts();
            let empty = found.is_empty();
            kept.extend(found.into_iter().filter_map(sift));
            if let Some(next) = next.filter(|n| !n.is_empty() && !empty) {
                call = Some(Call::absolute(next_path(&next)));
            }
        }
        Ok(kept)
    }

    /// One page of `query` from `offset`, in the collection's stable order, sifted.
    async fn page<C, O, F>(&self, query: &[(&str, &str)], offset: usize, sift: &F) -> Result<Fetched<O>, ApiError>
    where
        C: Collection,
        F: Fn(C::Item) -> Option<O> + Sync,
    {
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
        let identities = items.iter().map(|item| C::identity(item).to_owned()).collect();
        let kept = items.into_iter().filter_map(sift).collect();
        Ok(Fetched {
            kept,
            identities,
            total,
            next,
        })
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
