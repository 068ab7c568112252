//! The typed client of the Data 360 Connect REST API: the only module that speaks HTTP to an
//! org. Wire shapes (`wire`) are converted into `model` types at this edge.

pub mod wire;
