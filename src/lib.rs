//! Sigma detections compiled to Rust: the generated code, and nothing else.
//!
//! `build.rs` runs the `sigma-gen` generator over the rules directory (`detections/`, or
//! `$SIGMA_RULES_DIR`) and writes one Rust module per rule into `OUT_DIR`; they are included
//! here and gathered in [`RULES`], the value the engine (`sigma-engine`) runs. `generated/` in
//! the repository is a byte-identical mirror of that code, committed so that reviewers see
//! what each rule change does.
//!
//! Generated code calls only the runtime (`sigma-runtime`), through the path
//! `crate::runtime`, written here once.

pub use sigma_runtime as runtime;

/// The generated rule modules (see `generated/` for a committed copy of this code).
pub mod rules {
    include!(concat!(env!("OUT_DIR"), "/generated/mod.rs"));
}

/// Every compiled rule, with the field tables the decoder reads them by, and every compiled
/// correlation rule.
pub use rules::{CORRELATIONS, RULES};
