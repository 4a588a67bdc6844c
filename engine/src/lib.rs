//! The engine that runs a compiled Sigma rule set (`sigma_runtime::RuleSet`) handed to it:
//! the byte prefilter, the detector (log-source routing, evaluation, stage de-duplication,
//! counters), input shapes, alert documents, the scan pipeline (blocks, ordered parallel
//! scan, follow mode), the audit webhook server with its durable sink, and the `detect`
//! command line as a library function ([`cli::main`]).
//!
//! Nothing here reaches into generated code: every entry point takes the rule set as a value,
//! so the engine's own tests run fixture rule sets.

#![deny(missing_docs)]

pub mod alert;
pub mod cli;
pub mod correlate;
pub mod detector;
pub mod gates;
pub mod input;
pub mod prefilter;
pub mod scan;
pub mod serve;

#[cfg(test)]
mod fixtures;
