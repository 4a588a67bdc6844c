//! The parsed YAML of a rule file, verbatim, with positions: what `yaml.rs` produces and
//! `lower.rs` consumes. No Sigma meaning is attached here; that is lowering's job.

use crate::locate::Located;

/// One YAML node and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is: for a mapping value, its key; for a sequence element, its `-`.
    pub loc: Located,
}

/// A YAML value (YAML 1.2 scalar resolution, as serde_yaml reads it).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or float.
    Number(Number),
    /// Any string scalar, quoted or plain.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// A YAML number: its value and its canonical decimal text (`1.0` is written `1`, as pySigma
/// does, so that rule `1.0` and event string `"1"` agree).
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// The numeric value.
    pub value: f64,
    /// Canonical text.
    pub text: String,
    /// True when written as an integer or an integral float.
    pub integral: bool,
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key (always a string: other key types are rejected while parsing).
    pub key: String,
    /// The value; its `loc` points at the key.
    pub value: Node,
}

/// One YAML document of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 0-based position of the document in its file.
    pub index: usize,
    /// The document's root node.
    pub root: Node,
}

impl Value {
    /// A short name of the value's type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The entries when this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The string when this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
