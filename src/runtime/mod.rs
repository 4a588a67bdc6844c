//! The runtime that generated matchers call: the only API generated code may use.
//!
//! Generated code refers to these items as `crate::runtime::...`. Everything here is small,
//! documented and unit-tested; the generator precomputes every constant (folded needles,
//! wildcard parts, sorted sets) so these functions never parse a pattern at run time.

pub mod decode;
mod event;
mod field;
pub mod matchers;
mod rule;
mod typed;

pub use decode::FieldTable;
pub use event::{bool_eq, num_eq, Event, EventError, Shape};
pub use field::{FieldPath, Leaf};
pub use matchers::{
    contains_ci, ends_with_ci, eq_ci, fold, fold_char, glob, in_sorted, in_sorted_ci,
    starts_with_any, starts_with_any_ci, starts_with_ci, GlobPart,
};
pub use rule::{Level, LogSource, Prefilter, Rule, RuleInfo};
pub use typed::{
    field_ref, in_cidr_v4, in_cidr_v6, num_cmp, time_part, CompareOp, RefMode, Regex, TimePart,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_decode;
