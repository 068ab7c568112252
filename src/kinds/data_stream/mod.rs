//! The `DataStream` kind: a stream that ingests one source object through a connection into a
//! data lake object (DLO), in the `ssot/data-streams` collection, addressed by API name.
//!
//! Its manifest side: `document` (the YAML shape), `convert` (document into model, with every
//! check), `render` (model back into a document).

pub(crate) mod convert;
pub(crate) mod document;
mod driver;
mod entry;
pub(crate) mod render;
mod source_check;
mod spec;
mod wire;

pub(crate) use driver::DataStreamDriver;
pub(crate) use spec::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};

pub(crate) use entry::ENTRY;
