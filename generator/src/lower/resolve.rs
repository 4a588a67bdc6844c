//! The `condition` of a detection: parsed (`crate::condition`) and resolved against the
//! selection names, with errors placed at the offending column.

use super::{value_loc, Lowerer};
use crate::ast::{Node, Value};
use crate::condition::{self, OfTarget, Quantifier};
use crate::ir::Expr;
use crate::locate::Located;
use crate::modifier::closest;

impl Lowerer<'_> {
    pub(super) fn condition(&mut self, node: &Node, names: &[&str]) -> Option<(Expr, String)> {
        let texts: Vec<(&str, &Node)> = match &node.value {
            Value::Str(s) => vec![(s.as_str(), node)],
            Value::Seq(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for item in items {
                    match &item.value {
                        Value::Str(s) => out.push((s.as_str(), item)),
                        other => {
                            self.error_at_value(
                                item,
                                &format!("{}.condition", self.section),
                                format!("a condition must be a string, found {}", other.kind()),
                                None,
                            );
                            return None;
                        }
                    }
                }
                out
            }
            other => {
                self.error_at_value(
                    node,
                    &format!("{}.condition", self.section),
                    format!(
                        "`condition` must be a string or a list of strings, found {}",
                        other.kind()
                    ),
                    Some("e.g. `condition: selection and not filter`".into()),
                );
                return None;
            }
        };
        let mut exprs = Vec::new();
        for (text, at) in &texts {
            match condition::parse(text) {
                Ok(parsed) => {
                    if let Some(e) = self.resolve(&parsed, names, text, at) {
                        exprs.push(e);
                    }
                }
                Err(e) => {
                    let loc = self.condition_loc(at, text, e.span.start, e.span.end);
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        format!("bad condition: {}", e.message),
                        e.help,
                    );
                }
            }
        }
        if exprs.len() != texts.len() {
            return None;
        }
        let expr = if exprs.len() == 1 {
            exprs.pop()?
        } else {
            Expr::Or(exprs)
        };
        let text = texts
            .iter()
            .map(|(t, _)| t.trim())
            .collect::<Vec<_>>()
            .join(" | ");
        Some((expr, text))
    }

    /// Where a byte range of a condition string is in the file: exact when the condition is
    /// written on the key's line as it reads (plain or simply quoted), else its value start.
    fn condition_loc(&self, node: &Node, text: &str, start: usize, end: usize) -> Located {
        let mut loc = value_loc(node);
        let line = self
            .text
            .lines()
            .nth(loc.at.line.saturating_sub(1))
            .unwrap_or("");
        let rest: String = line.chars().skip(loc.at.col.saturating_sub(1)).collect();
        let quoted = rest.starts_with('\'') || rest.starts_with('"');
        let body = if quoted { &rest[1..] } else { rest.as_str() };
        if body.starts_with(text) {
            let pre = text[..start.min(text.len())].chars().count();
            loc.at.col += pre + usize::from(quoted);
            loc.len = text[start.min(text.len())..end.min(text.len())]
                .chars()
                .count()
                .max(1);
        }
        loc
    }

    fn resolve(
        &mut self,
        e: &condition::Expr,
        names: &[&str],
        text: &str,
        at: &Node,
    ) -> Option<Expr> {
        match e {
            condition::Expr::Ident { name, span } => match names.iter().position(|n| n == name) {
                Some(i) => Some(Expr::Sel(i)),
                None => {
                    let loc = self.condition_loc(at, text, span.start, span.end);
                    let help = match closest(name, names.iter().copied()) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None if names.iter().any(|n| n.eq_ignore_ascii_case(name)) => {
                            "selection names are case-sensitive".into()
                        }
                        None => format!("defined selections: {}", names.join(", ")),
                    };
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        format!("undefined selection `{name}`"),
                        Some(help),
                    );
                    None
                }
            },
            condition::Expr::Of {
                quantifier,
                target,
                span,
            } => {
                let matched: Vec<usize> = match target {
                    OfTarget::Them => names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| !n.starts_with('_'))
                        .map(|(i, _)| i)
                        .collect(),
                    OfTarget::Pattern(p) => names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| {
                            (!n.starts_with('_') || p.starts_with('_')) && name_glob(p, n)
                        })
                        .map(|(i, _)| i)
                        .collect(),
                };
                if matched.is_empty() {
                    let loc = self.condition_loc(at, text, span.start, span.end);
                    let what = match target {
                        OfTarget::Them => {
                            "`them` matches no selection (names starting with `_` are left out)"
                                .to_owned()
                        }
                        OfTarget::Pattern(p) => format!("`{p}` matches no selection"),
                    };
                    self.error(
                        &loc,
                        &format!("{}.condition", self.section),
                        what,
                        Some(format!("defined selections: {}", names.join(", "))),
                    );
                    return None;
                }
                let mut items: Vec<Expr> = matched.into_iter().map(Expr::Sel).collect();
                Some(match (items.len(), quantifier) {
                    (1, _) => items.pop()?,
                    (_, Quantifier::One) => Expr::Or(items),
                    (_, Quantifier::All) => Expr::And(items),
                })
            }
            condition::Expr::Not(inner) => {
                Some(Expr::Not(Box::new(self.resolve(inner, names, text, at)?)))
            }
            condition::Expr::And(items) | condition::Expr::Or(items) => {
                let resolved: Vec<Option<Expr>> = items
                    .iter()
                    .map(|i| self.resolve(i, names, text, at))
                    .collect();
                let resolved: Vec<Expr> = resolved.into_iter().collect::<Option<_>>()?;
                Some(if matches!(e, condition::Expr::And(_)) {
                    Expr::And(resolved)
                } else {
                    Expr::Or(resolved)
                })
            }
        }
    }
}

/// `x of PATTERN`: `*` matches any run of chars, the rest literally, whole name.
pub(super) fn name_glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first)
        || !name[first.len()..].ends_with(last)
        || name.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}
