//! After `d360 state mv`: whether the org's object with the record id carries the new name
//! (the next plan looks it up by name; under another name it would not find it, create
//! another and leave the first unmanaged). Reads one object by id; writes nothing.

use crate::api::{ApiError, Client};
use crate::model::ResourceKey;

/// What the org holds under a moved record's id.
pub(crate) enum Renamed {
    /// The object carries `key`'s name (or the org does not report names).
    Agrees,
    /// The object is named otherwise.
    NamedOtherwise(String),
    /// No object has the id.
    Gone,
}

/// Reads the object `id` of `key`'s kind and compares its name with `key`'s.
pub(crate) async fn check(client: &Client, key: &ResourceKey, id: &str) -> Result<Renamed, ApiError> {
    Ok(match crate::kinds::driver(key.kind).read(client, id).await? {
        Some(object) if object.unreported.covers("name") || object.resource.name() == key.name => Renamed::Agrees,
        Some(object) => Renamed::NamedOtherwise(object.resource.name().to_owned()),
        None => Renamed::Gone,
    })
}

impl Renamed {
    /// The warning to give after moving a record to `key` with record `id`, if any.
    #[must_use]
    pub(crate) fn warning(&self, key: &ResourceKey, id: &str) -> Option<String> {
        match self {
            Renamed::Agrees => None,
            Renamed::NamedOtherwise(name) => Some(format!(
                "warning: the org's {} with record id {id} is named `{name}`, not `{}`: the next plan looks `{}` up by name, will not find it and will create it, leaving `{name}` unmanaged. To undo: d360 state mv {key} {name}",
                key.kind.noun(),
                key.name,
                key.name,
            )),
            Renamed::Gone => Some(format!(
                "warning: the org has no {} with record id {id}: the next plan looks `{}` up by name and creates it if the org does not hold it",
                key.kind.noun(),
                key.name
            )),
        }
    }
}
