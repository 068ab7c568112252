//! The `DataStream` kind: a stream that ingests one source object through a connection into a
//! data lake object (DLO), in the `ssot/data-streams` collection, addressed by API name.

mod driver;
mod source_check;
mod spec;
mod wire;

pub(crate) use driver::DataStreamDriver;
pub(crate) use spec::{DataLakeObject, DataStream, Refresh, SourceField, SourceObject};
