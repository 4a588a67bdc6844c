//! The runtime that generated matchers call: the only API generated code may use.
//!
//! Code written by `sigma-gen` refers to these items as `crate::runtime::...` (the crate that
//! includes it re-exports this one under that name). Everything here is small, documented and
//! unit-tested; the generator precomputes every constant (folded needles, wildcard parts,
//! sorted sets) so these functions never parse a pattern at run time. The runtime knows
//! nothing of inputs, outputs or command lines: that is the engine's part.
//!
//! # Prefilters
//!
//! Every generated rule file carries a [`Prefilter`]: the values are the rule's own, and the
//! meaning is the same for all of them.
//! - `raw` / `ecs`: byte literals, per event shape. Every line the rule can match contains one
//!   of them (byte for byte, or in some ASCII case for one written `(?i)text`), unless JSON
//!   escaping hides it: literals are ASCII letters and digits, which only a `\u00XX` escape
//!   can hide, so a line holding such an escape is a candidate for every rule. `None`: no
//!   literal is required and the rule reads every line.
//! - [`Gate`]s and [`NeedleTable`]s: what the generator found every event a rule matches holds
//!   in its fields (see the `gate` items).
//! - `fields_raw` / `fields_ecs`: the fields every event the rule can match reaches (with any
//!   value). A decoded event lacking one skips the rule without running its matcher.

#![deny(missing_docs)]

pub mod calendar;
pub mod correlation;
pub mod decode;
mod event;
mod field;
mod gate;
pub mod matchers;
mod predicates;
mod rule;
mod typed;

pub use decode::FieldTable;
pub use event::{bool_eq, num_eq, Event, EventError, Shape};
pub use field::{FieldPath, Leaf};
pub use gate::{FieldNeedles, Gate, Needle, NeedleKind, NeedleTable};
pub use matchers::{
    contains_ci, ends_with_ci, eq_ci, fold, fold_char, glob, in_sorted, in_sorted_ci,
    starts_with_any, starts_with_any_ci, starts_with_ci, GlobPart,
};
pub use predicates::{LeafTest, TextTest};
pub use rule::{Level, LogSource, Prefilter, Rule, RuleInfo, RuleSet};
pub use typed::{
    field_ref, in_cidr_v4, in_cidr_v6, num_cmp, time_part, CompareOp, RefMode, Regex, TimePart,
};

#[doc(hidden)]
pub mod test_rng;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_decode;
