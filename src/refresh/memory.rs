//! An org held in memory, for the planner's unit tests: listings answer from a list of live
//! objects, refused listings answer as Salesforce does for an unknown connector type, and
//! checks (`--check`) answer what the test gives them.

use std::collections::BTreeMap;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::LiveRead;
use crate::api::ApiError;
use crate::kinds::{CheckContext, CheckOutcome, DeclaredAt, Finding, Keep, Listing, LiveObject, Resource};
use crate::model::Kind;
use crate::model::ResourceKey;

/// Live objects and the listings the org refuses.
#[derive(Debug, Default)]
pub(crate) struct MemoryOrg {
    pub(crate) objects: Vec<LiveObject>,
    pub(crate) refused: BTreeMap<Listing, String>,
    /// Listings answered so far (one request each).
    pub(crate) lists: std::sync::atomic::AtomicU64,
    /// What `Sforce-Limit-Info` would say.
    pub(crate) usage: Option<(u64, u64)>,
    /// What checking a resource finds (`--check`), one request each; absent: nothing to check.
    pub(crate) probes: BTreeMap<ResourceKey, CheckOutcome>,
}

impl LiveRead for MemoryOrg {
    fn list<'a>(&'a self, listing: &'a Listing, keep: Keep<'a>) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>> {
        async move {
            self.lists.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(message) = self.refused.get(listing) {
                return Err(ApiError::Status {
                    method: "GET".into(),
                    path: "/memory".into(),
                    status: 400,
                    code: "ILLEGAL_QUERY_PARAMETER_VALUE".into(),
                    message: message.clone(),
                    retry_after: None,
                });
            }
            Ok(self
                .objects
                .iter()
                .filter(|object| {
                    let found_in = object.resource.listing();
                    found_in.kind == listing.kind && (listing.scope.is_none() || found_in.scope == listing.scope)
                })
                .cloned()
                .filter_map(keep)
                .collect())
        }
        .boxed()
    }

    fn read_one<'a>(&'a self, object: &'a LiveObject) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        async move {
            self.lists.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(self.objects.iter().find(|o| o.id == object.id).cloned())
        }
        .boxed()
    }

    fn requests(&self) -> u64 {
        self.lists.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn usage(&self) -> Option<(u64, u64)> {
        self.usage
    }

    fn check<'a>(
        &'a self,
        _kind: Kind,
        _declared: &'a [DeclaredAt<'a>],
    ) -> BoxFuture<'a, Result<Vec<Finding>, ApiError>> {
        async { Ok(Vec::new()) }.boxed()
    }

    fn probe<'a>(
        &'a self,
        resource: &'a Resource,
        _context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        async move {
            let found = self.probes.get(&resource.key()).cloned();
            if found.is_some() {
                self.lists.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(found)
        }
        .boxed()
    }
}
