//! Gates and needle tables: what the generator derived from the whole rule set so that the
//! engine evaluates, per event, only the rules whose required literals the event holds.
//!
//! A rule's [`Gate`] is a monotone formula over [`Needle`]s that holds on every event the rule
//! matches. A [`NeedleTable`] lists, for the rules of one log source, every needle per field
//! with the rules it serves; the engine builds one automaton per field from them at start-up,
//! scans each field of an event once (folded, as [`fold`](crate::fold) folds), and runs the
//! rules whose gates hold. See `docs/rule-set-compilation.md`.

use super::{FieldPath, RuleInfo};

/// How a needle must sit in a field's folded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NeedleKind {
    /// The whole value.
    Exact,
    /// At its start.
    Prefix,
    /// At its end.
    Suffix,
    /// Anywhere.
    Contains,
}

/// A literal an event may hold: `field` (`None`: any value of the event, for keywords) holds
/// `text` (folded) as `kind` says, once its value is folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needle {
    /// The field, or `None` for every value of the event.
    pub field: Option<FieldPath>,
    /// Where the text must sit.
    pub kind: NeedleKind,
    /// The folded literal.
    pub text: &'static str,
}

/// A monotone formula over needles that holds on every event a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Nothing is required: the rule runs on every event of its log source.
    Always,
    /// The event holds this needle.
    Needle(Needle),
    /// Every one of these holds.
    All(&'static [Gate]),
    /// One of these holds.
    Any(&'static [Gate]),
}

impl Gate {
    /// Whether the formula holds when `hit` says which needles the event holds.
    pub fn holds(&self, hit: &mut impl FnMut(&Needle) -> bool) -> bool {
        match self {
            Gate::Always => true,
            Gate::Needle(n) => hit(n),
            Gate::All(xs) => xs.iter().all(|x| x.holds(hit)),
            Gate::Any(xs) => xs.iter().any(|x| x.holds(hit)),
        }
    }
}

/// The needles of the rules of one log source, per field.
#[derive(Debug, Clone, Copy)]
pub struct NeedleTable {
    /// The fields, each with its needles.
    pub fields: &'static [FieldNeedles],
}

/// The needles of one field, each with the rules whose gates name it.
#[derive(Debug, Clone, Copy)]
pub struct FieldNeedles {
    /// The field, or `None` for keyword needles (any value of the event).
    pub field: Option<FieldPath>,
    /// `(kind, folded text, rules)`, sorted by text then kind.
    pub needles: &'static [(NeedleKind, &'static str, &'static [&'static RuleInfo])],
}
