//! The live org over HTTP: each listing and check goes to its kind's driver.

use futures::future::BoxFuture;

use super::LiveRead;
use crate::api::{ApiError, Client};
use crate::kinds::{CheckContext, CheckOutcome, DeclaredAt, Finding, Keep, Listing, LiveObject, Resource, driver};
use crate::model::Kind;

/// An org reached through `client`.
pub(crate) struct HttpOrg<'a> {
    pub(crate) client: &'a Client,
}

impl LiveRead for HttpOrg<'_> {
    fn list<'a>(&'a self, listing: &'a Listing, keep: Keep<'a>) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>> {
        driver(listing.kind).list(self.client, listing, keep)
    }

    fn read_one<'a>(&'a self, object: &'a LiveObject) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        driver(object.resource.kind()).read(self.client, &object.id)
    }

    fn requests(&self) -> u64 {
        self.client.stats().requests
    }

    fn usage(&self) -> Option<(u64, u64)> {
        let stats = self.client.stats();
        (stats.api_limit > 0).then_some((stats.api_used, stats.api_limit))
    }

    fn check<'a>(
        &'a self,
        kind: Kind,
        declared: &'a [DeclaredAt<'a>],
    ) -> BoxFuture<'a, Result<Vec<Finding>, ApiError>> {
        driver(kind).check_in_org(self.client, declared)
    }

    fn probe<'a>(
        &'a self,
        resource: &'a Resource,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        resource.check(self.client, context)
    }
}
