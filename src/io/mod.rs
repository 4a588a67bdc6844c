//! Inputs and outputs of the `detect` binary, as a library: input shapes (raw audit events,
//! ECS documents, EventLists, AKS records, other JSON), log-source routing, stage
//! de-duplication and alert documents (default and ECS).

pub mod alert;
pub mod attack;
pub mod detector;
pub mod input;
pub mod prefilter;
