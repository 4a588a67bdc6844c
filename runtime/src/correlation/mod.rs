//! Correlation state: what the code `sigma-gen` writes for a Sigma correlation rule is built
//! from.
//!
//! A generated correlation is a typed [`Groups`] (group key = a tuple of [`Val`]s, one per
//! `group-by` field) of [`Window`]s whose [`Aggregate`] fits the correlation type, and an
//! update function that feeds it one [`Observation`] at a time. The semantics (sliding window
//! `[t − span, t]`, evaluation at every match, restart after an alert, bounds) are those of
//! `docs/correlation.md`; this module is their only implementation.
//!
//! Observations must arrive in time order (the engine's [`Reorder`] buffer sees to it).

mod aggregate;
mod groups;
mod reorder;
mod time;

pub use aggregate::{Aggregate, Count, Distinct, Numeric, NumericKind, Ordered, Temporal};
pub use groups::{Groups, Window};
pub use reorder::{Pushed, Reorder};
pub use time::{parse_time, Micros, MICROS_PER_SEC};

use crate::{Event, FieldPath, RuleInfo};
use std::sync::Arc;

#[cfg(test)]
mod tests;

/// One value of a field, as its JSON text: the string's characters, a number's canonical
/// decimal text, `true` / `false`. Compared exactly (case-sensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Val(pub Box<str>);

impl Val {
    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a number: a JSON number, or a string holding one.
    pub fn as_f64(&self) -> Option<f64> {
        self.0.trim().parse::<f64>().ok().filter(|f| f.is_finite())
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val(s.into())
    }
}

/// The first string, number or boolean that `path` reaches in `ev` (an array's first scalar
/// element); `None` when the field is absent, `null` or an object.
pub fn first_value(ev: &Event<'_>, path: FieldPath) -> Option<Val> {
    let mut out = None;
    ev.any_text(path, |t| {
        out = Some(Val(t.into()));
        true
    });
    out
}

/// The first values of `paths` in `ev` (see [`first_value`]); `None` when one is missing.
pub fn values(ev: &Event<'_>, paths: &[FieldPath]) -> Option<Vec<Val>> {
    paths.iter().map(|p| first_value(ev, *p)).collect()
}

/// Where a match came from, for the alert's `events` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    /// The input's name.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u64,
    /// 1-based position inside a line holding several events.
    pub item: Option<u64>,
}

/// One match handed to a correlation: when, in which order, which of its inputs matched, the
/// group-by values and the values of `condition.field`.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Event time.
    pub time: Micros,
    /// Arrival order, breaking ties between equal times.
    pub seq: u64,
    /// Bit `i` set: input `i` of the correlation matched.
    pub inputs: u64,
    /// The group-by values, in `group-by` order.
    pub key: Vec<Val>,
    /// The values of `condition.field` (in its order), `None` when one is missing.
    pub values: Option<Vec<Val>>,
    /// The event.
    pub event: EventRef,
}

/// What an alerting group reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The group-by values.
    pub group: Vec<Val>,
    /// Time of the window's earliest match.
    pub first: Micros,
    /// Time of the window's latest match (the one the condition held at).
    pub last: Micros,
    /// Matches in the window.
    pub count: usize,
    /// The value the condition compared (`None`: none, e.g. the mean of no value).
    pub value: Option<f64>,
    /// The window's matches in time order, at most [`EVENTS_CAP`].
    pub events: Vec<EventRef>,
    /// Matches left out of `events`.
    pub omitted: usize,
}

/// How many matches an alert lists.
pub const EVENTS_CAP: usize = 16;

/// The condition of a correlation.
#[derive(Debug, Clone, Copy)]
pub enum Condition {
    /// `gt`/`gte` and/or `lt`/`lte`: `(bound, inclusive)`, every given bound must hold.
    Range {
        /// Lower bound.
        lo: Option<(f64, bool)>,
        /// Upper bound.
        hi: Option<(f64, bool)>,
    },
    /// `eq`.
    Eq(f64),
    /// `neq`.
    Neq(f64),
    /// An extended temporal condition over the set of inputs present (bit i = input i).
    Rules(fn(u64) -> bool),
}

impl Condition {
    /// Whether the condition holds for `value` (`present`: the inputs the window holds).
    pub fn holds(&self, value: Option<f64>, present: u64) -> bool {
        match *self {
            Condition::Rules(f) => f(present),
            _ => {
                let Some(v) = value else { return false };
                match *self {
                    Condition::Range { lo, hi } => {
                        lo.is_none_or(|(b, inc)| if inc { v >= b } else { v > b })
                            && hi.is_none_or(|(b, inc)| if inc { v <= b } else { v < b })
                    }
                    Condition::Eq(b) => v == b,
                    Condition::Neq(b) => v != b,
                    Condition::Rules(_) => unreachable!("handled above"),
                }
            }
        }
    }
}

/// The configured bounds of one correlation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Groups kept; a new group past it evicts the least recently seen one.
    pub max_groups: usize,
    /// Matches kept per group's window (and so distinct values); past it the oldest is dropped.
    pub max_window: usize,
    /// Matches kept over all the groups; past it the least recently seen groups are evicted.
    pub max_entries: usize,
}

impl Default for Limits {
    /// Sized for a large cluster: 100,000 callers, a burst of 10,000 matches in one group,
    /// and at most 1,000,000 matches held per correlation (an estimated 100 bytes each).
    fn default() -> Self {
        Limits {
            max_groups: 100_000,
            max_window: 10_000,
            max_entries: 1_000_000,
        }
    }
}

/// What a correlation's state counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Groups held now.
    pub groups: usize,
    /// Groups evicted as least recently seen.
    pub evicted: u64,
    /// Matches dropped from a full window.
    pub overflow: u64,
}

/// A correlation's state behind a uniform face (the engine holds one per correlation).
pub trait State: Send {
    /// Feeds one match (in time order); an alert when the condition held at it.
    fn update(&mut self, obs: &Observation) -> Option<Fired>;
    /// What was counted.
    fn stats(&self) -> Stats;
}

/// What a correlation reads its matches from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A detection rule: its index in the rule set's `rules`.
    Rule(usize),
    /// Another correlation: its index in the correlation set (always a smaller one).
    Correlation(usize),
}

/// The group-by values and `condition.field` values a match of one input carries.
pub type Observed = (Vec<Val>, Option<Vec<Val>>);

/// A compiled correlation rule.
#[derive(Clone, Copy)]
pub struct Correlation {
    /// Metadata (id, title, level, tags, source file).
    pub info: &'static RuleInfo,
    /// The Sigma type (`value_count`, ...).
    pub kind: &'static str,
    /// The `group-by` fields (aliases by their alias name).
    pub group_by: &'static [&'static str],
    /// The window, in microseconds.
    pub timespan: Micros,
    /// The rules or correlations it reads, in `rules` order.
    pub inputs: &'static [Input],
    /// `generate`.
    pub generate: bool,
    /// Every field it reads from events.
    pub fields: &'static [FieldPath],
    /// The group-by and field values of a match of input `i` (a rule input); `None` when a
    /// group-by field is missing (the match does not count).
    pub observe: fn(usize, &Event<'_>) -> Option<Observed>,
    /// The same for an alert of input `i` (a correlation input), from its group values.
    pub chain: fn(usize, &[Val]) -> Option<Observed>,
    /// A fresh state under the given bounds.
    pub new_state: fn(Limits) -> Box<dyn State>,
}

impl std::fmt::Debug for Correlation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correlation")
            .field("title", &self.info.title)
            .field("kind", &self.kind)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

/// Every compiled correlation, inner ones before the ones that chain them.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationSet {
    /// The correlations.
    pub correlations: &'static [&'static Correlation],
}

impl CorrelationSet {
    /// No correlation.
    pub const EMPTY: CorrelationSet = CorrelationSet { correlations: &[] };
}
