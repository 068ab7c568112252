//! The `Connection` kind: a Data 360 connector instance such as AWS RDS MySQL, in the
//! `ssot/connections` collection, listed per connector type.
//!
//! Its manifest side: `document` (the YAML shape), `convert` (document into model, with every
//! check), `set_document` and `set` (`ConnectionSet`: one template expanded over items from
//! CSV, a list or AWS RDS), `render` (model back into a document).

mod attributes;
mod check;
mod collection;
pub(crate) mod convert;
pub(crate) mod document;
mod driver;
mod entry;
pub(crate) mod render;
pub(crate) mod set;
pub(crate) mod set_document;
mod spec;
mod wire;

pub(crate) use attributes::value_problem;
pub(crate) use driver::ConnectionDriver;
pub(crate) use spec::{Connection, Method};

pub(crate) use entry::ENTRY;
