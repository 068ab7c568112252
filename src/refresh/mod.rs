//! Refresh: reading the live org for a plan, through the [`LiveRead`] trait, so the planner
//! after it is a pure function and its tests run on an in-memory org ([`MemoryOrg`]).
//!
//! Which listings to read follows from the declared resources and the managed ones in state
//! (connections per connector type, data streams in one go); they are read concurrently, a
//! page at a time, never one GET per object (unless a listing lacks a field; see `kinds`).
//! Comes after `manifest` and `state`; `plan` consumes the [`LiveSnapshot`].

mod http;
#[cfg(test)]
mod memory;
pub(crate) mod renamed;

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use futures::future::{BoxFuture, join_all};

pub(crate) use http::HttpOrg;
#[cfg(test)]
pub(crate) use memory::MemoryOrg;

use crate::api::ApiError;
use crate::kinds::{
    CheckCache, CheckContext, CheckOutcome, DeclaredAt, Finding, Keep, Listing, LiveObject, Resource, keep_all,
};
use crate::manifest::Declared;
use crate::model::{Kind, ResourceKey};
use crate::state::State;

/// Reads live objects and what the org offers.
pub(crate) trait LiveRead: Sync {
    /// Every live object of one listing that `keep` keeps.
    fn list<'a>(&'a self, listing: &'a Listing, keep: Keep<'a>) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>>;
    /// The object a listing gave, read again by its record id (`None`: deleted since).
    fn read_one<'a>(&'a self, object: &'a LiveObject) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>>;
    /// API requests sent so far.
    fn requests(&self) -> u64;
    /// The org's `Sforce-Limit-Info` as last seen: requests used today and the allowance.
    fn usage(&self) -> Option<(u64, u64)>;
    /// Checks declared resources of `kind` against what the org offers.
    fn check<'a>(&'a self, kind: Kind, declared: &'a [DeclaredAt<'a>])
    -> BoxFuture<'a, Result<Vec<Finding>, ApiError>>;
    /// Checks one resource against its source before it is written (`--check`): a connection
    /// test, a browse of a stream's source. `None`: its kind has nothing to check.
    fn probe<'a>(
        &'a self,
        resource: &'a Resource,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>>;
}

/// Checks in flight at most while planning, as many as apply's default ceiling; the client's
/// own limiter (adaptive, honouring 429 and 503) bounds the requests under it.
pub(crate) const CHECKS_IN_FLIGHT: usize = 32;

/// Runs the checks of `wanted` (a resource with what its check needs: resolved credentials and
/// the record ids of its live dependencies) concurrently, sharing one [`CheckCache`].
pub(crate) async fn probe(
    reader: &dyn LiveRead,
    wanted: Vec<(&Resource, crate::kinds::Credentials, BTreeMap<ResourceKey, String>)>,
) -> Result<BTreeMap<ResourceKey, CheckOutcome>, ApiError> {
    let cache = CheckCache::default();
    let cache = &cache;
    let answers: Vec<Result<(ResourceKey, Option<CheckOutcome>), ApiError>> = futures::stream::iter(
        wanted
            .into_iter()
            .map(|(resource, credentials, dependencies)| async move {
                let context = CheckContext {
                    credentials,
                    dependencies,
                    cache,
                };
                let outcome = reader.probe(resource, &context).await?;
                Ok((resource.key(), outcome))
            }),
    )
    .buffer_unordered(CHECKS_IN_FLIGHT)
    .collect()
    .await;
    let mut outcomes = BTreeMap::new();
    for answer in answers {
        if let (key, Some(outcome)) = answer? {
            outcomes.insert(key, outcome);
        }
    }
    Ok(outcomes)
}

/// Every live object read, by identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LiveSnapshot {
    pub(crate) objects: BTreeMap<ResourceKey, LiveObject>,
    /// What was listed: an object of a listing not read is unknown, not missing.
    pub(crate) listings: BTreeSet<Listing>,
    /// Names found more than once (in two connector types): only the first is used.
    pub(crate) conflicts: Vec<ResourceKey>,
    /// Listings the org refused (an unknown connector type), with its message.
    pub(crate) refused: BTreeMap<Listing, String>,
    /// Objects the org answered without the name or record id that identify them, and that
    /// state could not identify either: not compared, and said so in the plan.
    pub(crate) unidentified: Vec<String>,
}

impl LiveSnapshot {
    #[must_use]
    pub(crate) fn get(&self, key: &ResourceKey) -> Option<&LiveObject> {
        self.objects.get(key)
    }

    /// Whether `listing` was read (so an object of it that is absent is gone).
    #[must_use]
    pub(crate) fn listed(&self, listing: &Listing) -> bool {
        self.listings.contains(listing)
    }

    fn insert(&mut self, object: LiveObject) {
        let key = object.key();
        match self.objects.entry(key) {
            std::collections::btree_map::Entry::Occupied(taken) => self.conflicts.push(taken.key().clone()),
            std::collections::btree_map::Entry::Vacant(free) => {
                free.insert(object);
            }
        }
    }

    /// The live objects that depend on `key` (streams using a connection), by identity.
    #[must_use]
    pub(crate) fn dependents_of(&self, key: &ResourceKey) -> Vec<&LiveObject> {
        self.objects
            .values()
            .filter(|object| object.resource.depends_on().contains(key))
            .collect()
    }
}

/// The listings to read: those of the declared resources and of the managed ones.
#[must_use]
pub(crate) fn listings_in_play(desired: &[Declared], state: &State) -> BTreeSet<Listing> {
    desired
        .iter()
        .map(|declared| declared.resource.listing())
        .chain(state.resources.values().map(crate::state::Managed::listing))
        .collect()
}

/// Reads every listing concurrently, then reads by record id each object whose listing left
/// out a compared field, and identifies by state an object answered without its name or id.
/// A listing the org refuses as an unknown query value (Salesforce's 400
/// `ILLEGAL_QUERY_PARAMETER_VALUE` for a connector type it does not offer) is recorded in
/// [`LiveSnapshot::refused`], a plan error rather than a failed read.
pub(crate) async fn read(
    reader: &dyn LiveRead,
    listings: &BTreeSet<Listing>,
    state: &State,
) -> Result<LiveSnapshot, ApiError> {
    read_kept(reader, listings, state, &keep_all).await
}

/// [`read`], holding only the live objects `keep` keeps as each page is decoded (the others
/// are left out of the snapshot).
pub(crate) async fn read_kept(
    reader: &dyn LiveRead,
    listings: &BTreeSet<Listing>,
    state: &State,
    keep: Keep<'_>,
) -> Result<LiveSnapshot, ApiError> {
    let answers = join_all(
        listings
            .iter()
            .map(|listing| async move { (listing, reader.list(listing, keep).await) }),
    )
    .await;
    let mut snapshot = LiveSnapshot {
        listings: listings.clone(),
        ..LiveSnapshot::default()
    };
    let mut objects = Vec::new();
    for (listing, answer) in answers {
        match answer {
            Ok(listed) => objects.extend(listed),
            Err(ApiError::Status {
                status: 400,
                code,
                message,
                ..
            }) if code == "ILLEGAL_QUERY_PARAMETER_VALUE" => {
                snapshot.refused.insert(listing.clone(), message);
            }
            Err(error) => return Err(error),
        }
    }
    for object in complete(reader, objects).await? {
        match identify(object, state) {
            Ok(object) => snapshot.insert(object),
            Err(note) => snapshot.unidentified.push(note),
        }
    }
    Ok(snapshot)
}

/// Reads again by record id, concurrently, every object whose listing left out a field every
/// object has (a listing may answer a short form). When the read finds nothing (deleted since,
/// or an org that does not read by id), the listing's partial object stands: its gaps stay
/// unknown, and an object the listing showed is never taken for absent.
async fn complete(reader: &dyn LiveRead, objects: Vec<LiveObject>) -> Result<Vec<LiveObject>, ApiError> {
    let (partial, mut whole): (Vec<LiveObject>, Vec<LiveObject>) = objects
        .into_iter()
        .partition(|object| object.unreported.required().next().is_some() && !object.id.is_empty());
    let reads: Vec<Result<LiveObject, ApiError>> =
        futures::stream::iter(partial.into_iter().map(|listed| async move {
            let Some(mut read) = reader.read_one(&listed).await? else {
                return Ok(listed);
            };
            // The listing's name stands when the single answer leaves it out.
            if read.unreported.covers("name") && !listed.unreported.covers("name") {
                read.resource.rename(listed.resource.name());
                read.unreported.clear("name");
            }
            Ok(read)
        }))
        .buffer_unordered(CHECKS_IN_FLIGHT)
        .collect()
        .await;
    for read in reads {
        whole.push(read?);
    }
    Ok(whole)
}

/// An object with its name and record id: those the org answered, else state's record of
/// the same object (its name by record id, its record id by name). `Err` says what is missing.
fn identify(mut object: LiveObject, state: &State) -> Result<LiveObject, String> {
    let kind = object.resource.kind();
    if object.unreported.covers("name") {
        let known = state
            .resources
            .iter()
            .find(|(key, managed)| key.kind == kind && !object.id.is_empty() && managed.id == object.id);
        let Some((key, _)) = known else {
            return Err(format!(
                "a {} with record id `{}` was answered without its name and is not in state: not compared",
                kind.noun(),
                object.id
            ));
        };
        object.resource.rename(&key.name);
        object.unreported.clear("name");
    }
    if object.id.is_empty() {
        let Some(managed) = state.get(&object.key()) else {
            return Err(format!(
                "{} was answered without its record id and is not in state: not compared",
                object.key()
            ));
        };
        object.id.clone_from(&managed.id);
    }
    Ok(object)
}

/// Checks every declared resource against what the org offers, kind by kind.
pub(crate) async fn check(reader: &dyn LiveRead, desired: &[Declared]) -> Result<Vec<Finding>, ApiError> {
    let declared: Vec<DeclaredAt<'_>> = desired.iter().map(|d| (&*d.resource, d.origin.to_string())).collect();
    let kinds: BTreeSet<Kind> = declared.iter().map(|(resource, _)| Resource::kind(resource)).collect();
    let mut findings = Vec::new();
    for answer in join_all(kinds.into_iter().map(|kind| reader.check(kind, &declared))).await {
        findings.extend(answer?);
    }
    Ok(findings)
}
