//! The serde_yaml seam: the only module that names serde_yaml (archived upstream). Swapping
//! the YAML crate means rewriting this file alone.
//!
//! serde_yaml gives values without positions, so positions come from [`Outline`], a tolerant
//! reading of the text's block structure, looked up by the path of each node.

use crate::ast::{Document, Entry, Node, Number, Value};
use crate::diagnostic::Diagnostic;
use crate::locate::{Located, Outline, Pos, Step};
use crate::value::Placeholders;
use serde::Deserialize;

/// Parses every YAML document of one file. A syntax error stops the file (the parser cannot
/// go on) and is reported at the parser's position; problems in the values (non-string keys,
/// tags) are all reported.
pub fn parse(file: &str, text: &str, outline: &Outline) -> Result<Vec<Document>, Vec<Diagnostic>> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for (index, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        match serde_yaml::Value::deserialize(de) {
            Ok(serde_yaml::Value::Null) => {}
            Ok(value) => {
                let mut conv = Converter {
                    file,
                    text,
                    outline,
                    doc: index,
                    path: Vec::new(),
                    errors: &mut errors,
                };
                let root = conv.node(value);
                docs.push(Document { index, root });
            }
            Err(e) => {
                // The parser cannot resume after a syntax error: its document iterator would
                // repeat the same error forever.
                errors.push(syntax_error(file, text, &e));
                break;
            }
        }
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    }
}

fn syntax_error(file: &str, text: &str, e: &serde_yaml::Error) -> Diagnostic {
    let message = e.to_string();
    // serde_yaml appends " at line L column C"; the position goes in the header instead.
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let (path, message) = match message.split_once(": ") {
        Some((p, m)) if !p.contains(' ') && p != "." => (p.to_owned(), m.to_owned()),
        _ => (String::new(), message),
    };
    let d = Diagnostic::error(file, format!("invalid YAML: {message}")).with_path(path).with_help(
        "check indentation, quoting and `key: value` syntax; values holding `: `, ` #`, a leading `*` or `|` need quotes",
    );
    let Some(loc) = e.location() else { return d };
    // serde_yaml points a duplicate key at the start of its mapping; point at the duplicate.
    if let Some(key) = message
        .strip_prefix("duplicate entry with key ")
        .map(|k| k.trim_matches('"'))
    {
        if let Some((line, col)) = second_key(text, loc.line(), loc.column(), key) {
            return d.at(text, line, col, key.chars().count()).with_help(format!("`{key}` is already defined in this mapping; merge the two, or use a list of values"));
        }
    }
    d.at(text, loc.line(), loc.column(), 1)
}

struct Converter<'a> {
    file: &'a str,
    text: &'a str,
    outline: &'a Outline,
    doc: usize,
    path: Vec<PathKey>,
    errors: &'a mut Vec<Diagnostic>,
}

#[derive(Clone)]
enum PathKey {
    Key(String),
    Index(usize),
}

impl Converter<'_> {
    fn locate(&self) -> Located {
        let steps: Vec<Step<'_>> = self
            .path
            .iter()
            .map(|p| match p {
                PathKey::Key(k) => Step::Key(k),
                PathKey::Index(i) => Step::Index(*i),
            })
            .collect();
        self.outline.locate(self.doc, &steps).unwrap_or(Located {
            at: Pos { line: 1, col: 1 },
            len: 1,
            value: None,
            lines: (1, 1),
            exact: false,
        })
    }

    fn node(&mut self, value: serde_yaml::Value) -> Node {
        let loc = self.locate();
        let value = match value {
            serde_yaml::Value::Null => Value::Null,
            serde_yaml::Value::Bool(b) => Value::Bool(b),
            serde_yaml::Value::Number(n) => Value::Number(number(&n)),
            serde_yaml::Value::String(s) => Value::Str(s),
            serde_yaml::Value::Sequence(items) => Value::Seq(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        self.path.push(PathKey::Index(i));
                        let node = self.node(item);
                        self.path.pop();
                        node
                    })
                    .collect(),
            ),
            serde_yaml::Value::Mapping(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let key = match k {
                        serde_yaml::Value::String(s) => s,
                        serde_yaml::Value::Number(n) => n.to_string(),
                        serde_yaml::Value::Bool(b) => b.to_string(),
                        other => {
                            self.error(
                                &loc,
                                format!("a mapping key must be a string, found {}", kind(&other)),
                            );
                            continue;
                        }
                    };
                    self.path.push(PathKey::Key(key.clone()));
                    let value = self.node(v);
                    self.path.pop();
                    entries.push(Entry { key, value });
                }
                Value::Map(entries)
            }
            serde_yaml::Value::Tagged(tagged) => {
                self.error(
                    &loc,
                    format!("YAML tags are not supported (`{}`)", tagged.tag),
                );
                Value::Null
            }
        };
        Node { value, loc }
    }

    fn error(&mut self, loc: &Located, message: String) {
        let path = self
            .path
            .iter()
            .map(|p| match p {
                PathKey::Key(k) => k.clone(),
                PathKey::Index(i) => format!("[{i}]"),
            })
            .collect::<Vec<_>>()
            .join(".");
        let d = Diagnostic::error(self.file, message).with_path(path).at(
            self.text,
            loc.at.line,
            loc.at.col,
            loc.len,
        );
        self.errors.push(d);
    }
}

fn kind(v: &serde_yaml::Value) -> &'static str {
    match v {
        serde_yaml::Value::Null => "null",
        serde_yaml::Value::Bool(_) => "a boolean",
        serde_yaml::Value::Number(_) => "a number",
        serde_yaml::Value::String(_) => "a string",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Tagged(_) => "a tagged value",
    }
}

fn number(n: &serde_yaml::Number) -> Number {
    if let Some(i) = n.as_i64() {
        return Number {
            value: i as f64,
            text: i.to_string(),
            integral: true,
        };
    }
    if let Some(u) = n.as_u64() {
        return Number {
            value: u as f64,
            text: u.to_string(),
            integral: true,
        };
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        Number {
            value: f,
            text: format!("{}", f as i64),
            integral: true,
        }
    } else {
        Number {
            value: f,
            text: format!("{f}"),
            integral: false,
        }
    }
}

/// The second line at or after `line` that starts, at column `col`, with `key:` (plain or
/// quoted): where a duplicate key sits in its mapping.
fn second_key(text: &str, line: usize, col: usize, key: &str) -> Option<(usize, usize)> {
    let forms = [
        format!("{key}:"),
        format!("'{key}':"),
        format!("\"{key}\":"),
    ];
    text.lines()
        .enumerate()
        .skip(line.checked_sub(1)?)
        .filter(|(_, l)| {
            let indent = l.chars().take_while(|c| *c == ' ').count();
            let rest = &l[indent..];
            indent + 1 == col && forms.iter().any(|f| rest.starts_with(f.as_str()))
        })
        .nth(1)
        .map(|(i, _)| (i + 1, col))
}

/// Reads a placeholders file: a YAML mapping from placeholder name (without `%`) to a list of
/// values (or a single value).
pub fn parse_placeholders(file: &str, text: &str) -> Result<Placeholders, Vec<Diagnostic>> {
    let outline = Outline::new(text);
    let docs = parse(file, text, &outline)?;
    let mut out = Placeholders::default();
    let mut errors = Vec::new();
    let Some(entries) = docs.first().and_then(|d| d.root.as_map()) else {
        return Err(vec![Diagnostic::error(
            file,
            "a placeholders file must be a mapping `name: [value, ...]`",
        )]);
    };
    for e in entries {
        let scalar = |n: &Node| match &n.value {
            Value::Str(s) => Some(s.clone()),
            Value::Number(x) => Some(x.text.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let values = match &e.value.value {
            Value::Seq(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
            _ => scalar(&e.value).map(|v| vec![v]),
        };
        match values {
            Some(v) => {
                out.0.insert(e.key.trim_matches('%').to_owned(), v);
            }
            None => errors.push(
                Diagnostic::error(
                    file,
                    format!("placeholder `{}` must have a list of strings", e.key),
                )
                .at(
                    text,
                    e.value.loc.at.line,
                    e.value.loc.at.col,
                    e.value.loc.len,
                ),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
