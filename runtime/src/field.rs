//! Field paths and how they reach values inside an event.
//!
//! A rule field such as `annotations.authorization.k8s.io/decision` is a dotted name. The
//! project decision (see `../shared/docs/sigma-semantics.md`, "Project decisions") is that it
//! names *every* path of nested keys whose keys, joined with `.`, spell it: the key
//! `authorization.k8s.io/decision` inside `annotations`, the key `annotations.authorization`
//! holding `{"k8s": {"io/decision": ...}}`, and so on. Arrays on the way are transparent.
//! So at each object we try every prefix of the remaining name that ends at a dot (or at the
//! end of the name) as a key. The candidates are sub-slices of the name itself: no allocation.

use serde_json::{Map, Value};

/// A field name as written in the rule (dots separate nested keys, in every possible way),
/// and its name in ECS documents (the same name when no mapping applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPath {
    raw: &'static str,
    ecs: &'static str,
}

impl FieldPath {
    /// A field with the same name in every shape.
    pub const fn new(name: &'static str) -> Self {
        FieldPath {
            raw: name,
            ecs: name,
        }
    }

    /// A field named `raw` in raw events and `ecs` in ECS documents.
    pub const fn mapped(raw: &'static str, ecs: &'static str) -> Self {
        FieldPath { raw, ecs }
    }

    /// The field name as written in the rule.
    pub const fn name(&self) -> &'static str {
        self.raw
    }

    /// The name to look up in an event of `shape`.
    pub const fn name_for(&self, shape: super::Shape) -> &'static str {
        match shape {
            super::Shape::Raw => self.raw,
            super::Shape::Ecs => self.ecs,
        }
    }
}

/// One value found at the end of a field path. Arrays are never leaves: their elements are
/// visited one by one (nested arrays too).
#[derive(Debug, Clone, Copy)]
pub enum Leaf<'a> {
    /// A JSON string.
    Str(&'a str),
    /// A JSON number.
    Num(Num<'a>),
    /// A JSON boolean.
    Bool(bool),
    /// JSON `null`.
    Null,
    /// A JSON object (present and not null, but never equal to a string or number).
    Object,
}

/// A JSON number, from a full parse or as written in the line.
#[derive(Debug, Clone, Copy)]
pub enum Num<'a> {
    /// Parsed by serde_json.
    Json(&'a serde_json::Number),
    /// The number's text as written (already validated as a JSON number).
    Text(&'a str),
}

impl Num<'_> {
    /// The value as a float.
    #[inline]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Num::Json(n) => n.as_f64(),
            Num::Text(t) => match plain_integer(t) {
                Some(n) => Some(n as f64),
                None => t.parse().ok(),
            },
        }
    }

    /// The text form string predicates see, as the reference evaluator (Python's `json`) has
    /// it: an integer that fits 64 bits in decimal, anything else as Python writes a float
    /// (`42.0`, `1.25`, `1e+20`), the same for both representations.
    pub fn write_text(&self, buf: &mut String) {
        use std::fmt::Write as _;
        buf.clear();
        let float = match self {
            Num::Json(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => {
                    let _ = write!(buf, "{i}");
                    return;
                }
                (_, Some(u)) => {
                    let _ = write!(buf, "{u}");
                    return;
                }
                _ => n.as_f64().unwrap_or(f64::NAN),
            },
            // A JSON integer of up to 18 digits, not negative, already is its decimal form
            // (JSON allows no leading zeros).
            Num::Text(t)
                if !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()) =>
            {
                buf.push_str(t);
                return;
            }
            Num::Text(t) => {
                let integral = !t.contains(['.', 'e', 'E']);
                match (integral, t.parse::<i64>(), t.parse::<u64>()) {
                    (true, Ok(i), _) => {
                        let _ = write!(buf, "{i}");
                        return;
                    }
                    (true, _, Ok(u)) => {
                        let _ = write!(buf, "{u}");
                        return;
                    }
                    _ => t.parse::<f64>().unwrap_or(f64::NAN),
                }
            }
        };
        python_float(float, buf);
    }
}

/// The value of a JSON integer of up to 15 digits, not negative (exactly an `f64`, so the
/// float parse is not needed).
#[inline]
fn plain_integer(t: &str) -> Option<u64> {
    if t.is_empty() || t.len() > 15 {
        return None;
    }
    t.bytes().try_fold(0u64, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
    })
}

/// Writes `f` as Python's `repr` does: shortest round-trip digits, `.0` on integral values,
/// exponents (below 1e-4 or from 1e16) as `e+XX` / `e-XX` with at least two digits.
fn python_float(f: f64, buf: &mut String) {
    use std::fmt::Write as _;
    if f.is_infinite() {
        buf.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    let start = buf.len();
    let _ = write!(buf, "{f:?}");
    if let Some(e) = buf[start..].find('e').map(|i| start + i) {
        let exp: String = buf[e + 1..].to_owned();
        buf.truncate(e + 1);
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d.to_owned()),
            None => ('+', exp),
        };
        buf.push(sign);
        if digits.len() < 2 {
            buf.push('0');
        }
        buf.push_str(&digits);
    }
}

/// Calls `f` on every leaf that `name` reaches from `value`, stopping at the first `true`.
pub(crate) fn any_leaf<'a>(
    value: &'a Value,
    name: &str,
    f: &mut dyn FnMut(Leaf<'a>) -> bool,
) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| any_leaf(item, name, f)),
        Value::Object(map) => any_in_object(map, name, &mut |v| flatten(v, f)),
        _ => false,
    }
}

/// True when `name` reaches anything from `value`, including `null`, `[]` and `{}`.
pub(crate) fn exists(value: &Value, name: &str) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| exists(item, name)),
        Value::Object(map) => any_in_object(map, name, &mut |_| true),
        _ => false,
    }
}

/// Tries every key of `map` that spells a dotted prefix of `name`; on a full match hands the
/// value to `at_end`, otherwise descends with the rest of the name.
fn any_in_object<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    at_end: &mut dyn FnMut(&'a Value) -> bool,
) -> bool {
    let mut from = 0;
    loop {
        let dot = name[from..].find('.').map(|i| from + i);
        let key = &name[..dot.unwrap_or(name.len())];
        if let Some(child) = map.get(key) {
            let found = match dot {
                None => at_end(child),
                Some(d) => descend(child, &name[d + 1..], at_end),
            };
            if found {
                return true;
            }
        }
        match dot {
            Some(d) => from = d + 1,
            None => return false,
        }
    }
}

fn descend<'a>(value: &'a Value, rest: &str, at_end: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| descend(item, rest, at_end)),
        Value::Object(map) => any_in_object(map, rest, at_end),
        _ => false,
    }
}

fn flatten<'a>(value: &'a Value, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| flatten(item, f)),
        Value::String(s) => f(Leaf::Str(s)),
        Value::Number(n) => f(Leaf::Num(Num::Json(n))),
        Value::Bool(b) => f(Leaf::Bool(*b)),
        Value::Null => f(Leaf::Null),
        Value::Object(_) => f(Leaf::Object),
    }
}

/// Calls `f` on every scalar leaf anywhere in `value` (keyword search), stopping at `true`.
pub(crate) fn any_leaf_anywhere<'a>(value: &'a Value, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| any_leaf_anywhere(item, f)),
        Value::Object(map) => map.values().any(|v| any_leaf_anywhere(v, f)),
        Value::String(s) => f(Leaf::Str(s)),
        Value::Number(n) => f(Leaf::Num(Num::Json(n))),
        Value::Bool(b) => f(Leaf::Bool(*b)),
        Value::Null => f(Leaf::Null),
    }
}

#[cfg(test)]
mod num_text_tests {
    use super::*;

    #[test]
    fn floats_read_as_python_writes_them() {
        for (raw, want) in [
            ("42.0", "42.0"),
            ("1.25", "1.25"),
            ("1e20", "1e+20"),
            ("1E-5", "1e-05"),
            ("1e15", "1000000000000000.0"),
            ("1e16", "1e+16"),
            ("42", "42"),
            ("-7", "-7"),
            ("-0", "0"),
            ("99999999999999999999", "1e+20"),
            ("1e400", "Infinity"),
            ("-1e400", "-Infinity"),
        ] {
            let mut buf = String::new();
            Num::Text(raw).write_text(&mut buf);
            assert_eq!(buf, want, "{raw}");
        }
        let n: serde_json::Number = serde_json::from_str("42.0").unwrap();
        let mut buf = String::new();
        Num::Json(&n).write_text(&mut buf);
        assert_eq!(buf, "42.0");
    }
}
