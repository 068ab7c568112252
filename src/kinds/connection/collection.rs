//! The `ssot/connections` collection and its pages, as the generic API client reads them;
//! used by the driver and by the connection tests.

use crate::api::{Collection, Page};
use d360_wire::shapes::{ConnectionList, ConnectionOutput};

/// The `ssot/connections` collection.
pub(crate) struct Connections;

impl Collection for Connections {
    const PATH: &'static str = "ssot/connections";
    /// New connections come last, so pages read by offset do not shift as they appear.
    const ORDER_BY: Option<&'static str> = Some("createdDate");
    type Item = ConnectionOutput;
    type Page = ConnectionList;
    fn identity(item: &ConnectionOutput) -> &str {
        &item.id
    }
}

impl Page for ConnectionList {
    type Item = ConnectionOutput;
    fn total(&self) -> Option<u64> {
        self.total_size
    }
    fn into_parts(self) -> (Vec<ConnectionOutput>, Option<String>) {
        (self.connections, self.next_page_url)
    }
}
