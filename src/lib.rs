//! Sigma detections compiled to Rust.
//!
//! `build.rs` runs the `sigma-gen` generator over the rules directory (`detections/`, or
//! `$SIGMA_RULES_DIR`) and writes one Rust module per rule into `OUT_DIR`; they are included
//! here and listed in [`RULES`]. `generated/` in the repository is a byte-identical mirror of
//! that code, committed so that reviewers see what each rule change does.

pub mod io;
pub mod runtime;
#[cfg(test)]
mod test_rng;

/// The generated rule modules (see `generated/` for a committed copy of this code).
#[allow(
    clippy::match_like_matches_macro,
    clippy::nonminimal_bool,
    clippy::needless_raw_string_hashes
)]
pub mod rules {
    include!(concat!(env!("OUT_DIR"), "/generated/mod.rs"));
}

pub use rules::RULES;

/// The decoder's field table for events of `shape`: every field the compiled rules read.
pub fn fields(shape: runtime::Shape) -> &'static runtime::FieldTable {
    match shape {
        runtime::Shape::Raw => &rules::FIELDS_RAW,
        runtime::Shape::Ecs => &rules::FIELDS_ECS,
    }
}
