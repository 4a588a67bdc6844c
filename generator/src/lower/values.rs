//! The values of a key or a keyword list → a clause (through `crate::value`), with the
//! warning for unquoted scalars that YAML 1.1 reads differently.

use super::key::Key;
use super::{value_loc, Lowerer};
use crate::ast::{Node, Value};
use crate::ir::{Clause, Pattern, Test};
use crate::modifier::Modifier;
use crate::value;

impl Lowerer<'_> {
    pub(super) fn clause(&mut self, key: &Key<'_>, node: &Node, path: &str) -> Option<Clause> {
        let field = key.field.map(str::to_owned);
        let negate = key.has(Modifier::Neq);
        if key.has(Modifier::Exists) {
            return match node.value {
                Value::Bool(b) => Some(Clause {
                    field,
                    test: Test::Exists(b != negate),
                }),
                _ => {
                    self.error_at_value(
                        node,
                        path,
                        format!(
                            "`exists` takes `true` or `false`, found {}",
                            node.value.kind()
                        ),
                        Some("write `field|exists: true` (unquoted)".into()),
                    );
                    None
                }
            };
        }
        let null = Node {
            value: Value::Null,
            loc: node.loc.clone(),
        };
        let items: Vec<&Node> = match &node.value {
            // pySigma reads an empty list as `null`.
            Value::Seq(items) if items.is_empty() && field.is_some() => vec![&null],
            Value::Seq(items) if items.is_empty() => {
                self.error_at_value(
                    node,
                    path,
                    "empty keyword list",
                    Some("give at least one value".into()),
                );
                return None;
            }
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let all = key.has(Modifier::All);
        if all && items.len() == 1 {
            let d = self
                .diag(&node.loc, path, "`all` with a single value does nothing")
                .with_help("remove `|all`, or give several values")
                .warning();
            self.diags.push(d);
        }
        let mods: Vec<(Modifier, &str)> = key.modifiers.iter().map(|(m, n, _)| (*m, *n)).collect();
        let mut groups: Vec<Vec<Pattern>> = Vec::new();
        let mut failed = false;
        for item in items {
            self.yaml11_check(item, path);
            match value::apply(&item.value, &mods, field.is_none(), self.placeholders) {
                Ok(patterns) if all || groups.is_empty() => groups.push(patterns),
                Ok(patterns) => groups[0].extend(patterns),
                Err(problem) => {
                    failed = true;
                    let loc = match problem.modifier.and_then(|i| key.modifiers.get(i)) {
                        Some((_, _, at))
                            if matches!(
                                item.value,
                                Value::Str(_) | Value::Number(_) | Value::Bool(_) | Value::Null
                            ) && problem.message.starts_with('`') =>
                        {
                            at.clone()
                        }
                        _ => value_loc(item),
                    };
                    self.error(&loc, path, problem.message, problem.help);
                }
            }
        }
        if failed || groups.iter().any(Vec::is_empty) || groups.is_empty() {
            return None;
        }
        Some(Clause {
            field,
            test: Test::Match { groups, negate },
        })
    }

    /// Warns about an unquoted scalar that YAML 1.1 (PyYAML, so pySigma) reads differently
    /// from YAML 1.2 (serde_yaml, so us), e.g. `yes`, `010`, `1_000`, `1:20`, dates, `1e3`.
    fn yaml11_check(&mut self, node: &Node, path: &str) {
        let Some(at) = node.loc.value else { return };
        let Some(line) = self.text.lines().nth(at.line.saturating_sub(1)) else {
            return;
        };
        let raw: String = line.chars().skip(at.col.saturating_sub(1)).collect();
        let raw = match raw.find(" #") {
            Some(i) => &raw[..i],
            None => raw.as_str(),
        };
        let raw = raw.trim();
        if raw.starts_with(['\'', '"', '[', '{', '|', '>', '&', '*', '!']) || raw.is_empty() {
            return;
        }
        let reading = yaml11_reading(raw);
        if let Some(reading) = reading {
            let d = self
                .diag(&value_loc(node), path, format!("unquoted `{raw}` is {reading} in YAML 1.1 (pySigma) but {} here (YAML 1.2)", node.value.kind()))
                .with_help(format!("quote it (`'{raw}'`) so that every Sigma tool reads it the same way"))
                .warning();
            self.diags.push(d);
        }
    }

    /// A keyword list (`- value` items of a selection): each item is searched in every value.
    pub(super) fn keywords(&mut self, items: &[&Node], path: &str) -> Option<Clause> {
        let mut patterns = Vec::new();
        let mut failed = false;
        for item in items {
            self.yaml11_check(item, path);
            match value::apply(&item.value, &[], true, self.placeholders) {
                Ok(p) => patterns.extend(p),
                Err(problem) => {
                    failed = true;
                    self.error_at_value(item, path, problem.message, problem.help);
                }
            }
        }
        (!failed && !patterns.is_empty()).then(|| Clause {
            field: None,
            test: Test::Match {
                groups: vec![patterns],
                negate: false,
            },
        })
    }
}

/// What YAML 1.1 makes of a plain scalar when YAML 1.2 reads it differently.
pub(super) fn yaml11_reading(raw: &str) -> Option<&'static str> {
    const BOOLS: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if BOOLS.contains(&raw) {
        Some("a boolean")
    } else if unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        Some("an octal number")
    } else if unsigned.starts_with("0o") {
        Some("a string")
    } else if unsigned.contains('_')
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'_' || b == b'.')
        && unsigned.bytes().any(|b| b.is_ascii_digit())
    {
        Some("a number")
    } else if unsigned.contains(':')
        && unsigned.split(':').all(digits)
        && unsigned.split(':').skip(1).all(|p| p.len() <= 2)
    {
        Some("a base-60 number")
    } else if raw.len() >= 10
        && raw.as_bytes()[4] == b'-'
        && digits(&raw[..4])
        && raw[5..]
            .chars()
            .take(5)
            .all(|c| c.is_ascii_digit() || c == '-')
    {
        Some("a date")
    } else if !unsigned.contains('.')
        && unsigned.contains(['e', 'E'])
        && unsigned.parse::<f64>().is_ok()
        && !unsigned.starts_with(['e', 'E'])
    {
        Some("a string")
    } else {
        None
    }
}
