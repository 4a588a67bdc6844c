//! `sigma-bench`: the benchmark of the `detect` binary against baselines and peer engines.
//! The binary (`src/main.rs`) runs it; this library holds the parts the tests use.

pub mod corpus;
pub mod handwritten;
pub mod sigmahq;
