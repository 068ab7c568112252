//! The bottom layer of d360: what the Salesforce Data 360 Connect REST API speaks and
//! requires, with no knowledge of any stage above it.
//!
//! - [`shapes`]: the JSON bodies of `/ssot/connections*`, `/ssot/connectors*`,
//!   `/ssot/data-streams*`, the OAuth endpoints and Salesforce's error bodies.
//! - [`connectors`]: the connector types whose parameters and credentials are known offline.
//! - [`names`]: the org's rules for API (developer) names.
//! - [`values`]: the closed sets of values d360 declares and sends (method, category, field
//!   type, refresh mode, frequency, day of the week), and [`values::Reported`] for what the org
//!   answers.
//! - [`files`]: the one atomic file write (state, plans, keys, the emulator's objects).
//! - [`keypair`]: the RSA key and self-signed certificate a Connected App is set up with.
//!
//! Both the client (`d360`) and the emulator (`d360-emulator`) import this crate; it imports
//! neither. The contract suite (`tests/contract`) validates what both sides send and answer
//! against Salesforce's published OpenAPI spec, so a field named wrongly here cannot hide.

pub mod connectors;
pub mod files;
pub mod keypair;
pub mod names;
pub mod shapes;
pub mod values;

pub use names::{ApiName, NameError};
