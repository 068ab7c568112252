//! The `Connection` kind: a Data 360 connector instance such as AWS RDS MySQL, in the
//! `ssot/connections` collection, listed per connector type.

mod attributes;
mod check;
mod driver;
mod spec;
mod wire;

pub(crate) use attributes::value_problem;
pub(crate) use driver::ConnectionDriver;
pub(crate) use spec::{Connection, Method};
