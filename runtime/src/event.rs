//! One decoded event, and the lookups generated matchers make on it.
//!
//! An event is held in one of two ways, and every lookup gives the same answer on both:
//! - **decoded** ([`Event::decode`]): only the fields the compiled rules read, kept by the
//!   selective decoder while it validates the line (the fast path);
//! - **parsed** ([`Event::parse`] and friends): a full `serde_json::Value` tree (the reference,
//!   and what callers that need the whole document use).

use super::decode::{self, DecodeError, FieldTable, Scalar, Slots};
use super::field::{self, FieldPath, Leaf, Num};
use super::predicates::{LeafTest, TextTest};
use serde_json::Value;

/// One event (a JSON object), decoded once and shared by every rule.
#[derive(Debug)]
pub struct Event<'a> {
    repr: Repr<'a>,
    shape: Shape,
}

#[derive(Debug)]
enum Repr<'a> {
    Tree(Value),
    Decoded(Slots<'a>, &'static FieldTable),
}

/// Which field names an event uses. Rules are written against raw audit events; the
/// generator maps each field to its name in every other shape, and lookups pick the name for
/// the event's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// Raw `audit.k8s.io/v1` events, or any JSON whose field names the rules use as written.
    #[default]
    Raw,
    /// Elastic Common Schema documents from Elastic's Kubernetes integration.
    Ecs,
}

/// Why a line is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// The line is not valid JSON.
    Json(String),
    /// The line is valid JSON but not an object.
    NotAnObject(&'static str),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Json(e) => write!(f, "invalid JSON: {e}"),
            EventError::NotAnObject(kind) => write!(f, "expected a JSON object, found {kind}"),
        }
    }
}

impl std::error::Error for EventError {}

impl Event<'static> {
    /// Parses one line of JSON fully; anything but an object is an error.
    pub fn parse(line: &str) -> Result<Self, EventError> {
        Event::parse_bytes(line.as_bytes())
    }

    /// Parses one line of JSON given as bytes (invalid UTF-8 is an error, not a panic).
    pub fn parse_bytes(line: &[u8]) -> Result<Self, EventError> {
        Event::parse_bytes_as(line, Shape::Raw)
    }

    /// Parses one line of JSON of the given shape fully.
    pub fn parse_bytes_as(line: &[u8], shape: Shape) -> Result<Self, EventError> {
        let root: Value =
            serde_json::from_slice(line).map_err(|e| EventError::Json(e.to_string()))?;
        Event::from_value_as(root, shape)
    }

    /// Wraps an already decoded JSON object (a raw event).
    pub fn from_value(root: Value) -> Result<Self, EventError> {
        Event::from_value_as(root, Shape::Raw)
    }

    /// Wraps an already decoded JSON object of the given shape.
    pub fn from_value_as(root: Value, shape: Shape) -> Result<Self, EventError> {
        let kind = match &root {
            Value::Object(_) => {
                return Ok(Event {
                    repr: Repr::Tree(root),
                    shape,
                })
            }
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
        };
        Err(EventError::NotAnObject(kind))
    }
}

impl<'a> Event<'a> {
    /// Decodes one line keeping only the fields in `table` (the fast path). Accepts and
    /// rejects exactly the lines [`Event::parse_bytes_as`] does; in the rare case the decoder
    /// cannot represent (a duplicate key that a rule reads) it parses fully instead.
    pub fn decode(
        line: &'a [u8],
        shape: Shape,
        table: &'static FieldTable,
    ) -> Result<Self, EventError> {
        // Slots come from a per-thread pool and go back to it when the event is dropped, so
        // the steady state allocates nothing per event.
        let mut slots: Slots<'a> = POOL.with(|p| p.take()).unwrap_or_default();
        match decode::decode(line, table, &mut slots) {
            Ok(()) => Ok(Event {
                repr: Repr::Decoded(slots, table),
                shape,
            }),
            Err(e) => {
                POOL.with(|p| p.set(Some(slots.recycle())));
                match e {
                    DecodeError::Fallback => Event::parse_bytes_as(line, shape),
                    DecodeError::Invalid(why) => Err(EventError::Json(why)),
                    DecodeError::NotAnObject(kind) => Err(EventError::NotAnObject(kind)),
                }
            }
        }
    }

    /// The event's shape.
    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The full JSON tree, when the event was parsed rather than decoded.
    pub fn json(&self) -> Option<&Value> {
        match &self.repr {
            Repr::Tree(v) => Some(v),
            Repr::Decoded(..) => None,
        }
    }

    /// True when some leaf reached by `path` satisfies `f`.
    ///
    /// Generated code calls this (and [`Event::any_text`]) at thousands of places with a
    /// closure each: the lookup itself is compiled once, in [`Event::any_leaf_dyn`], and only
    /// this thin wrapper per closure, which keeps a large rule set's build time and binary
    /// size in proportion to its rules.
    #[inline(always)]
    pub fn any_leaf(&self, path: FieldPath, mut f: impl FnMut(Leaf<'_>) -> bool) -> bool {
        self.any_leaf_dyn(path, &mut f)
    }

    /// [`Event::any_leaf`] with `f` as a trait object.
    #[inline(never)]
    pub fn any_leaf_dyn(&self, path: FieldPath, f: &mut dyn FnMut(Leaf<'_>) -> bool) -> bool {
        let name = path.name_for(self.shape);
        match &self.repr {
            Repr::Tree(root) => field::any_leaf(root, name, f),
            Repr::Decoded(slots, table) => match table.id_of(name) {
                Some(id) => slots.leaves(id).any(|s| f(leaf(s))),
                None => false,
            },
        }
    }

    /// True when some string, number or boolean reached by `path` satisfies `f` on its text
    /// form (numbers in decimal, booleans as `true` / `false`). `null` and objects have no
    /// text form and never match.
    #[inline(always)]
    pub fn any_text(&self, path: FieldPath, mut f: impl FnMut(&str) -> bool) -> bool {
        self.any_text_dyn(path, &mut f)
    }

    /// [`Event::any_text`] with `f` as a trait object (compiled once; see
    /// [`Event::any_leaf`]).
    #[inline(never)]
    pub fn any_text_dyn(&self, path: FieldPath, f: &mut dyn FnMut(&str) -> bool) -> bool {
        let mut buf = String::new();
        match &self.repr {
            // Strings, the common leaf, straight from the slots.
            Repr::Decoded(slots, table) => match table.id_of(path.name_for(self.shape)) {
                Some(id) => slots.leaves(id).any(|s| match s {
                    Scalar::Str(v) => f(v),
                    other => with_text(leaf(other), &mut buf, f),
                }),
                None => false,
            },
            Repr::Tree(_) => self.any_leaf_dyn(path, &mut |leaf| with_text(leaf, &mut buf, f)),
        }
    }

    /// True when `path` reaches anything at all, `null`, `[]` and `{}` included (`|exists`).
    #[inline]
    pub fn exists(&self, path: FieldPath) -> bool {
        let name = path.name_for(self.shape);
        match &self.repr {
            Repr::Tree(root) => field::exists(root, name),
            Repr::Decoded(slots, table) => table.id_of(name).is_some_and(|id| slots.present(id)),
        }
    }

    /// True when `path` reaches no value other than `null`: the field is missing, `null`, an
    /// empty array or an array of nulls (Sigma `field: null`). An object is not null.
    #[inline]
    pub fn is_null(&self, path: FieldPath) -> bool {
        !self.any_leaf(path, |leaf| !matches!(leaf, Leaf::Null))
    }

    /// False when the event was decoded with `table` and does not reach every field in
    /// `fields` (a [`FieldTable::mask`] of it): a rule that needs them cannot match it. True
    /// for a parsed event, or one decoded with another table.
    #[inline]
    pub fn reaches(&self, table: &'static FieldTable, fields: &[(usize, u64)]) -> bool {
        match &self.repr {
            Repr::Decoded(slots, t) if std::ptr::eq(*t, table) => slots.reaches(fields),
            _ => true,
        }
    }

    /// True when the text of some value of `path` passes one of `tests` (an OR group of
    /// simple tests, as the generator emits it).
    #[inline]
    pub fn text_is(&self, path: FieldPath, tests: &[TextTest]) -> bool {
        self.any_text_dyn(path, &mut |v| tests.iter().any(|t| t.holds(v)))
    }

    /// True when some leaf of `path` passes one of `tests`.
    #[inline]
    pub fn leaf_is(&self, path: FieldPath, tests: &[LeafTest]) -> bool {
        self.any_leaf_dyn(path, &mut |l| tests.iter().any(|t| t.holds(l)))
    }

    /// True when the text form of some leaf anywhere in the event passes one of `tests`
    /// (keywords).
    #[inline]
    pub fn any_text_is(&self, tests: &[TextTest]) -> bool {
        self.any_text_anywhere(|v| tests.iter().any(|t| t.holds(v)))
    }

    /// True when the text form of some leaf anywhere in the event satisfies `f` (keywords).
    #[inline]
    pub fn any_text_anywhere(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        let mut buf = String::new();
        match &self.repr {
            Repr::Tree(root) => {
                field::any_leaf_anywhere(root, &mut |leaf| with_text(leaf, &mut buf, &mut f))
            }
            Repr::Decoded(slots, _) => slots
                .all
                .iter()
                .any(|s| with_text(leaf(s), &mut buf, &mut f)),
        }
    }
}

thread_local! {
    static POOL: std::cell::Cell<Option<Slots<'static>>> = const { std::cell::Cell::new(None) };
}

impl Drop for Event<'_> {
    fn drop(&mut self) {
        if let Repr::Decoded(slots, _) = &mut self.repr {
            let slots = std::mem::take(slots).recycle();
            POOL.with(|p| p.set(Some(slots)));
        }
    }
}

fn leaf<'s>(s: &'s Scalar<'_>) -> Leaf<'s> {
    match s {
        Scalar::Str(v) => Leaf::Str(v),
        Scalar::Num(t) => Leaf::Num(Num::Text(t)),
        Scalar::Bool(b) => Leaf::Bool(*b),
        Scalar::Null => Leaf::Null,
        Scalar::Object => Leaf::Object,
    }
}

fn with_text(
    leaf: Leaf<'_>,
    buf: &mut String,
    f: &mut (impl FnMut(&str) -> bool + ?Sized),
) -> bool {
    match leaf {
        Leaf::Str(s) => f(s),
        Leaf::Bool(b) => f(if b { "true" } else { "false" }),
        Leaf::Num(n) => {
            n.write_text(buf);
            f(buf)
        }
        Leaf::Null | Leaf::Object => false,
    }
}

/// True when `leaf` equals the rule number whose canonical decimal text is `text` and whose
/// value is `value`: a JSON number equal in value, or a string spelling exactly `text`.
#[inline]
pub fn num_eq(leaf: Leaf<'_>, value: f64, text: &str) -> bool {
    match leaf {
        // Equal text forms mean equal values, so the text is compared only for a number
        // without a float value.
        Leaf::Num(n) => match n.as_f64() {
            Some(x) => x == value,
            None => {
                let mut buf = String::new();
                n.write_text(&mut buf);
                buf == text
            }
        },
        Leaf::Str(s) => s == text,
        _ => false,
    }
}

/// True when `leaf` is the boolean `value`, or a string spelling it in any case.
#[inline]
pub fn bool_eq(leaf: Leaf<'_>, value: bool) -> bool {
    let text = if value { "true" } else { "false" };
    match leaf {
        Leaf::Bool(b) => b == value,
        Leaf::Str(s) => s.eq_ignore_ascii_case(text),
        _ => false,
    }
}
