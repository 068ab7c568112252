//! Resource kinds: everything that differs between a Connection and a DataStream, behind one
//! [`Driver`] trait, so the stages (`refresh`, `plan`, `apply`, `drift`, `import`) never
//! match on the kind.
//!
//! Each kind is one folder: `spec` (the typed model and what forces a replace or makes a
//! dependency), `wire` (the request bodies it sends and the live answers it reads, in
//! `d360_wire` shapes) and `driver` (its API collection, listing, lookup by name for
//! adoption, create, update, delete, and checks against what the org offers). This file is
//! the registry: the [`Resource`] enum, [`LiveObject`], and [`driver`].
//!
//! Comes after `model` (generic identities) and `api` (the generic HTTP client); `manifest`
//! builds these resources and the stages consume them.

mod check;
pub(crate) mod connection;
pub(crate) mod data_stream;
mod declared;
pub(crate) mod document;
pub(crate) mod registry;
mod unreported;

use crate::model::SmallMap;
use std::collections::BTreeMap;

use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub(crate) use check::{CheckCache, CheckContext, CheckFailure, CheckOutcome};
pub(crate) use connection::Connection;
#[cfg(test)]
pub(crate) use connection::Method;
pub(crate) use data_stream::DataStream;
pub(crate) use declared::{Declarations, Declared, Origin, ReadFile};
pub(crate) use unreported::Unreported;

use crate::api::{ApiError, Client};
pub(crate) use crate::model::Listing;
use crate::model::{FieldPaths, Fields, Kind, Lifecycle, ResourceKey, ResourceSpec, fingerprint_of};
use crate::secret::SecretRef;

/// A resource of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub(crate) enum Resource {
    Connection(Connection),
    /// Boxed: a data stream is about twice the size of a connection, and a plan holds tens
    /// of thousands of resources (declared, live and in actions) that would all be its size.
    DataStream(Box<DataStream>),
}

/// Runs `$body` with `$inner` bound to the kind's model value: the one place that lists the
/// variants of [`Resource`].
macro_rules! each_kind {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            Resource::Connection($inner) => $body,
            Resource::DataStream($inner) => $body,
        }
    };
}

impl Resource {
    #[must_use]
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Resource::Connection(_) => Kind::Connection,
            Resource::DataStream(_) => Kind::DataStream,
        }
    }

    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        ResourceKey::new(self.kind(), self.name())
    }

    #[must_use]
    pub(crate) fn name(&self) -> &str {
        each_kind!(self, r => r.name())
    }

    #[must_use]
    pub(crate) fn fields(&self) -> Fields {
        each_kind!(self, r => r.fields())
    }

    /// Gives the resource its API name (a live object the org answered without one, known by
    /// its record id in state).
    pub(crate) fn rename(&mut self, name: &str) {
        match self {
            Resource::Connection(connection) => name.clone_into(&mut connection.name),
            Resource::DataStream(stream) => name.clone_into(&mut stream.name),
        }
    }

    #[must_use]
    pub(crate) fn depends_on(&self) -> Vec<ResourceKey> {
        each_kind!(self, r => r.depends_on())
    }

    #[must_use]
    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        each_kind!(self, r => r.lifecycle())
    }

    #[must_use]
    pub(crate) fn secrets(&self) -> &SmallMap<String, SecretRef> {
        each_kind!(self, r => r.secrets())
    }

    #[must_use]
    pub(crate) fn labels(&self) -> &SmallMap<String, String> {
        each_kind!(self, r => r.labels())
    }

    /// The kind's field paths, as its model type declares them.
    #[must_use]
    pub(crate) fn field_paths(&self) -> FieldPaths {
        each_kind!(self, r => r.field_paths())
    }

    /// Whether a field path is immutable for this kind (the path itself or a parent of it).
    #[must_use]
    pub(crate) fn is_immutable(&self, field: &str) -> bool {
        self.field_paths().is_immutable(field)
    }
}

/// An object as read from the org: its record id, what it looks like in model terms, and a
/// fingerprint of everything readable so a saved plan can tell whether it changed since.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveObject {
    pub(crate) id: String,
    pub(crate) resource: Resource,
    /// Credential names the org reports (values are always masked).
    pub(crate) credential_names: Vec<String>,
    /// The org's status of the object when it says the object cannot work (a connection that
    /// is not `Connected`); not a compared field, so never a plan update.
    pub(crate) unhealthy: Option<Unhealthy>,
    /// Compared fields the org's answer left out: never compared, never a reason to write.
    pub(crate) unreported: Unreported,
}

/// A live status that needs a person: the org's word for it and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Unhealthy {
    pub(crate) status: String,
    pub(crate) hint: String,
}

impl LiveObject {
    /// Builds a live object from what the org answered.
    #[must_use]
    pub(crate) fn new(id: String, resource: Resource, credential_names: Vec<String>, unreported: Unreported) -> Self {
        Self {
            id,
            resource,
            credential_names,
            unhealthy: None,
            unreported,
        }
    }

    /// A fingerprint of the id and every field the org reported, so a saved plan can tell
    /// whether the object changed since (worked out when asked: most reads never need it).
    #[must_use]
    pub(crate) fn fingerprint(&self) -> String {
        fingerprint_of(&self.id, &self.fields())
    }

    /// The comparable fields the org reported: those it left out are absent, not empty.
    #[must_use]
    pub(crate) fn fields(&self) -> Fields {
        let mut fields = self.resource.fields();
        if !self.unreported.is_empty() {
            fields.retain(|field, _| !self.unreported.covers(field));
        }
        fields
    }

    /// The declared fields of `desired` that this object's answer left out, so not compared
    /// (fields `desired` leaves to the org are not listed).
    #[must_use]
    pub(crate) fn not_compared(&self, desired: &Resource) -> Vec<String> {
        if self.unreported.is_empty() {
            return Vec::new();
        }
        let lifecycle = desired.lifecycle();
        desired
            .fields()
            .into_iter()
            .filter(|(field, value)| !value.is_null() && self.unreported.covers(field) && !lifecycle.ignores(field))
            .map(|(field, _)| field)
            .collect()
    }

    #[must_use]
    pub(crate) fn key(&self) -> ResourceKey {
        self.resource.key()
    }
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&driver(self.kind).describe(self))
    }
}

/// A set of listings as a plan file saves them: one record per kind, keyed by the kind's
/// field (`connectorTypes`: the connector types listed; `dataStreamsListed`), each written and
/// read by its kind (see [`registry::ListingRecord`]); every kind's field is written, in the
/// registry's order, so the plan file's documented fields are unchanged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listings {
    /// Each kind's record, in registry order.
    records: Vec<(Kind, serde_json::Value)>,
}

impl Default for Listings {
    fn default() -> Self {
        Self::new(&std::collections::BTreeSet::new())
    }
}

impl Listings {
    #[must_use]
    pub(crate) fn new(listings: &std::collections::BTreeSet<Listing>) -> Self {
        let records = registry::KINDS
            .iter()
            .map(|entry| {
                let of_kind: Vec<&Listing> = listings.iter().filter(|listing| listing.kind == entry.kind).collect();
                (entry.kind, (entry.listings.save)(&of_kind))
            })
            .collect();
        Self { records }
    }

    #[must_use]
    pub(crate) fn to_set(&self) -> std::collections::BTreeSet<Listing> {
        self.records
            .iter()
            .flat_map(|(kind, record)| (registry::entry(*kind).listings.load)(record).unwrap_or_default())
            .collect()
    }
}

impl Serialize for Listings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.records.len()))?;
        for (kind, record) in &self.records {
            map.serialize_entry(registry::entry(*kind).listings.field, record)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Listings {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut records = Vec::with_capacity(registry::KINDS.len());
        for entry in registry::KINDS {
            let field = entry.listings.field;
            let record = fields.remove(field).ok_or_else(|| D::Error::missing_field(field))?;
            (entry.listings.load)(&record).map_err(|error| D::Error::custom(format!("`{field}`: {error}")))?;
            records.push((entry.kind, record));
        }
        Ok(Self { records })
    }
}

/// A write request as it goes on the wire: method, path under the API root, JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) body: serde_json::Value,
}

/// Resolved credential values to send, by credential name. Lives only as long as a request.
pub(crate) type Credentials = BTreeMap<String, SecretString>;

/// A problem a declared resource has with what the org offers (an unknown connector type, a
/// parameter the connector does not take).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) message: String,
    /// The listing the problem is about, when it makes that listing moot (a connector type the
    /// org does not offer cannot be listed either).
    pub(crate) listing: Option<Listing>,
    /// Worth saying but not a reason to refuse the plan (d360's table disagrees with the org).
    pub(crate) warning: bool,
}

/// A declared resource and where it is declared (`file:line:col`), for org checks.
pub(crate) type DeclaredAt<'a> = (&'a Resource, String);

/// What a reader of a listing keeps of each live object as it is decoded (`None`: not
/// needed), so a listing never holds more than its reader needs.
pub(crate) type Keep<'a> = &'a (dyn Fn(LiveObject) -> Option<LiveObject> + Sync);

/// Keeps every live object.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn keep_all(object: LiveObject) -> Option<LiveObject> {
    Some(object)
}

/// What a stage does with one kind as a whole: its listings, and the calls that need only a
/// record id and name. The futures are boxed so the stages can hold `&dyn Driver`.
pub(crate) trait Driver: Send + Sync {
    /// A listing in words ("connector type `AwsRdsMySql`").
    fn describe(&self, listing: &Listing) -> String;
    /// Whether d360 can manage the objects of `listing` (not every connection family can be).
    fn manages(&self, listing: &Listing) -> bool;
    /// Every listing the org offers for this kind (`import` reads them all).
    fn discover<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Vec<Listing>, ApiError>>;
    /// Every live object of one listing.
    /// Every live object of one listing that `keep` keeps (it sees each as it is decoded).
    fn list<'a>(
        &'a self,
        client: &'a Client,
        listing: &'a Listing,
        keep: Keep<'a>,
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, ApiError>>;
    /// The live object with record id `id` (`None`: it does not exist).
    fn read<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>>;
    /// Whether the object with this id and name still exists.
    fn exists<'a>(&'a self, client: &'a Client, id: &'a str, name: &'a str) -> BoxFuture<'a, Result<bool, ApiError>>;
    /// Deletes the live object with this id and name.
    fn delete<'a>(&'a self, client: &'a Client, id: &'a str, name: &'a str) -> BoxFuture<'a, Result<(), ApiError>>;
    /// Checks the declared resources of this kind (others are skipped) against what the org
    /// offers.
    fn check_in_org<'a>(
        &'a self,
        client: &'a Client,
        declared: &'a [DeclaredAt<'a>],
    ) -> BoxFuture<'a, Result<Vec<Finding>, ApiError>>;
}

/// What a stage does with one desired resource: implemented by each kind's model type, and
/// reached through [`Resource`], so a resource is never handed to another kind's code.
pub(crate) trait Operations: ResourceSpec {
    /// The listing in which this resource is found live.
    fn listing(&self) -> Listing;
    /// The live object with this resource's name, if any (adoption after an ambiguous create).
    fn find<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>>;
    /// Creates it; returns its record id.
    fn create<'a>(
        &'a self,
        client: &'a Client,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<String, ApiError>>;
    /// Changes the live object `id` to this resource in place.
    fn update<'a>(
        &'a self,
        client: &'a Client,
        id: &'a str,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<(), ApiError>>;
    /// The request `create` (no `id`) or `update` (the live `id`) sends, built by the same
    /// code, with `credentials` as given (`d360 show` passes references, never values).
    fn request(&self, id: Option<&str>, credentials: &Credentials) -> Result<Request, String>;
    /// What an in-place update does beyond its field changes, when worth saying.
    fn update_note(&self) -> Option<&'static str>;
    /// What a replace (delete, then create) costs beyond the object itself, when worth saying.
    fn replace_note(&self) -> Option<&'static str>;
    /// Checks this resource against its source before it is written (`--check`); `None` when
    /// the kind has nothing to check.
    fn check<'a>(
        &'a self,
        client: &'a Client,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>>;
    /// Tests the live object `id` after it was written (`apply --verify`); `None` when the kind
    /// has no such test.
    fn verify<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>>;
}

impl Resource {
    #[must_use]
    pub(crate) fn listing(&self) -> Listing {
        each_kind!(self, r => r.listing())
    }

    pub(crate) fn find<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<Option<LiveObject>, ApiError>> {
        each_kind!(self, r => r.find(client))
    }

    pub(crate) fn create<'a>(
        &'a self,
        client: &'a Client,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<String, ApiError>> {
        each_kind!(self, r => r.create(client, credentials))
    }

    pub(crate) fn update<'a>(
        &'a self,
        client: &'a Client,
        id: &'a str,
        credentials: &'a Credentials,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        each_kind!(self, r => r.update(client, id, credentials))
    }

    /// See [`Operations::request`].
    pub(crate) fn request(&self, id: Option<&str>, credentials: &Credentials) -> Result<Request, String> {
        each_kind!(self, r => r.request(id, credentials))
    }

    #[must_use]
    pub(crate) fn update_note(&self) -> Option<&'static str> {
        each_kind!(self, r => r.update_note())
    }

    #[must_use]
    pub(crate) fn replace_note(&self) -> Option<&'static str> {
        each_kind!(self, r => r.replace_note())
    }

    /// Whether an update changing these fields (paths such as `parameters.DATABASE`,
    /// `credentials.password`) is checked with `--check` (creates and replaces always are),
    /// as the kind's field paths declare.
    #[must_use]
    pub(crate) fn checked_on_update(&self, changed: &[&str]) -> bool {
        self.field_paths().checked_on_update(changed)
    }

    pub(crate) fn check<'a>(
        &'a self,
        client: &'a Client,
        context: &'a CheckContext<'a>,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        each_kind!(self, r => r.check(client, context))
    }

    pub(crate) fn verify<'a>(
        &'a self,
        client: &'a Client,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<CheckOutcome>, ApiError>> {
        each_kind!(self, r => r.verify(client, id))
    }
}

/// A request body that cannot be built because the resource holds a value d360 does not know
/// (only an object read from the org can): refused before anything is sent, as a body that
/// cannot be encoded is.
pub(crate) fn not_encodable(method: &reqwest::Method, path: &str, error: &d360_wire::values::UnknownValue) -> ApiError {
    ApiError::Decode {
        method: method.to_string(),
        path: path.to_owned(),
        detail: format!("cannot encode the request body: {error}"),
    }
}

/// The driver of `kind`.
#[must_use]
pub(crate) fn driver(kind: Kind) -> &'static dyn Driver {
    registry::entry(kind).driver
}
