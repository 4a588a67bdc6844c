//! One decoded event, and the lookups generated matchers make on it.

use super::field::{self, FieldPath, Leaf};
use serde_json::Value;
use std::fmt::Write as _;

/// One event (a JSON object), decoded once and shared by every rule.
#[derive(Debug)]
pub struct Event {
    root: Value,
    shape: Shape,
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

impl Event {
    /// Parses one line of JSON; anything but an object is an error.
    pub fn parse(line: &str) -> Result<Event, EventError> {
        Event::parse_bytes(line.as_bytes())
    }

    /// Parses one line of JSON given as bytes (invalid UTF-8 is an error, not a panic).
    pub fn parse_bytes(line: &[u8]) -> Result<Event, EventError> {
        Event::parse_bytes_as(line, Shape::Raw)
    }

    /// Parses one line of JSON of the given shape.
    pub fn parse_bytes_as(line: &[u8], shape: Shape) -> Result<Event, EventError> {
        let root: Value =
            serde_json::from_slice(line).map_err(|e| EventError::Json(e.to_string()))?;
        Event::from_value_as(root, shape)
    }

    /// Wraps an already decoded JSON object (a raw event).
    pub fn from_value(root: Value) -> Result<Event, EventError> {
        Event::from_value_as(root, Shape::Raw)
    }

    /// Wraps an already decoded JSON object of the given shape.
    pub fn from_value_as(root: Value, shape: Shape) -> Result<Event, EventError> {
        let kind = match &root {
            Value::Object(_) => return Ok(Event { root, shape }),
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "null",
        };
        Err(EventError::NotAnObject(kind))
    }

    /// The event's shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The decoded JSON.
    pub fn json(&self) -> &Value {
        &self.root
    }

    /// True when some leaf reached by `path` satisfies `f`.
    #[inline]
    pub fn any_leaf(&self, path: FieldPath, mut f: impl FnMut(Leaf<'_>) -> bool) -> bool {
        field::any_leaf(&self.root, path.name_for(self.shape), &mut f)
    }

    /// True when some string, number or boolean reached by `path` satisfies `f` on its text
    /// form (numbers as JSON writes them, booleans as `true` / `false`). `null` and objects
    /// have no text form and never match.
    #[inline]
    pub fn any_text(&self, path: FieldPath, mut f: impl FnMut(&str) -> bool) -> bool {
        let mut buf = String::new();
        self.any_leaf(path, |leaf| with_text(leaf, &mut buf, &mut f))
    }

    /// True when `path` reaches anything at all, `null`, `[]` and `{}` included (`|exists`).
    #[inline]
    pub fn exists(&self, path: FieldPath) -> bool {
        field::exists(&self.root, path.name_for(self.shape))
    }

    /// True when `path` reaches no value other than `null`: the field is missing, `null`, an
    /// empty array or an array of nulls (Sigma `field: null`). An object is not null.
    #[inline]
    pub fn is_null(&self, path: FieldPath) -> bool {
        !self.any_leaf(path, |leaf| !matches!(leaf, Leaf::Null))
    }

    /// True when the text form of some leaf anywhere in the event satisfies `f` (keywords).
    #[inline]
    pub fn any_text_anywhere(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        let mut buf = String::new();
        field::any_leaf_anywhere(&self.root, &mut |leaf| with_text(leaf, &mut buf, &mut f))
    }
}

fn with_text(leaf: Leaf<'_>, buf: &mut String, f: &mut impl FnMut(&str) -> bool) -> bool {
    match leaf {
        Leaf::Str(s) => f(s),
        Leaf::Bool(b) => f(if b { "true" } else { "false" }),
        Leaf::Num(n) => {
            buf.clear();
            let _ = write!(buf, "{n}");
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
        Leaf::Num(n) => n.as_f64() == Some(value) || n.to_string() == text,
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
