//! The `detection` (or filter) section: its selections, each a list of alternatives of
//! AND-ed clauses, and the check that every selection is used by the condition.

use super::Lowerer;
use crate::ast::{Entry, Node, Value};
use crate::ir::{Clause, Expr, Selection};

impl Lowerer<'_> {
    pub(super) fn detection(&mut self, node: &Node) -> Option<(Vec<Selection>, Expr, String)> {
        let Some(entries) = node.as_map() else {
            self.error_at_value(
                node,
                self.section,
                format!(
                    "`{}` must be a mapping, found {}",
                    self.section,
                    node.value.kind()
                ),
                Some(format!(
                    "put each selection and `condition` under `{}:`",
                    self.section
                )),
            );
            return None;
        };
        let mut selections = Vec::new();
        let mut condition_node = None;
        for e in entries {
            match e.key.as_str() {
                "condition" => condition_node = Some(&e.value),
                "rules" if self.section == "filter" => {}
                "timeframe" => self.error(
                    &e.value.loc,
                    &format!("{}.timeframe", self.section),
                    "`timeframe` is Sigma 1 syntax",
                    Some("time windows belong in a correlation rule".into()),
                ),
                name => {
                    // pySigma accepts any name; one a condition cannot spell (`a.b`,
                    // `x|y`) is still reachable through `1 of a*`, and if nothing reaches
                    // it the unused-selection warning says so.
                    if let Some(sel) = self.selection(name, &e.value) {
                        selections.push(sel);
                    }
                }
            }
        }
        let Some(cond) = condition_node else {
            self.error(
                &node.loc,
                self.section,
                "missing `condition`",
                Some(format!(
                    "add e.g. `condition: selection` under `{}:`",
                    self.section
                )),
            );
            return None;
        };
        if !entries.iter().any(|e| {
            !matches!(e.key.as_str(), "condition" | "timeframe" | "rules")
                || (e.key == "rules" && self.section == "detection")
        }) {
            self.error(
                &node.loc,
                self.section,
                format!("`{}` has no selection", self.section),
                Some("add a selection, e.g. `selection:` with `field: value` lines".into()),
            );
            return None;
        }
        let names: Vec<&str> = entries
            .iter()
            .map(|e| e.key.as_str())
            .filter(|k| {
                *k != "condition"
                    && *k != "timeframe"
                    && !(*k == "rules" && self.section == "filter")
            })
            .collect();
        let (expr, text) = self.condition(cond, &names)?;
        if selections.len() != names.len() {
            return None; // a selection failed; its errors are reported
        }
        let mut used = vec![false; selections.len()];
        mark_used(&expr, &mut used);
        for (sel, used) in selections.iter().zip(&used) {
            if !used {
                let loc = entries
                    .iter()
                    .find(|e| e.key == sel.name)
                    .map(|e| e.value.loc.clone());
                if let Some(loc) = loc {
                    let d = self
                        .diag(
                            &loc,
                            self.section,
                            format!("selection `{}` is not used in the condition", sel.name),
                        )
                        .with_help("use it in `condition` or delete it")
                        .warning();
                    self.diags.push(d);
                }
            }
        }
        Some((selections, expr, text))
    }

    fn selection(&mut self, name: &str, node: &Node) -> Option<Selection> {
        let path = format!("{}.{name}", self.section);
        let errors_before = self.error_count();
        let mut alternatives = Vec::new();
        match &node.value {
            Value::Map(entries) => {
                if entries.is_empty() {
                    self.error(
                        &node.loc,
                        &path,
                        format!("selection `{name}` is empty"),
                        Some("add `field: value` lines".into()),
                    );
                }
                alternatives.push(self.conjunction(entries, &path));
            }
            Value::Seq(items) if !items.is_empty() => {
                let mut keywords = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Map(entries) => {
                            if entries.is_empty() {
                                self.error(
                                    &item.loc,
                                    &format!("{path}[{i}]"),
                                    "empty mapping in a selection list",
                                    None,
                                );
                            }
                            alternatives.push(self.conjunction(entries, &format!("{path}[{i}]")));
                        }
                        Value::Seq(_) => self.error(
                            &item.loc,
                            &format!("{path}[{i}]"),
                            "a selection list cannot hold a list",
                            Some("flatten the list".into()),
                        ),
                        _ => keywords.push(item),
                    }
                }
                if !keywords.is_empty() {
                    if let Some(clause) = self.keywords(&keywords, &path) {
                        alternatives.push(vec![clause]);
                    }
                }
            }
            Value::Seq(_) | Value::Null => {
                self.error(
                    &node.loc,
                    &path,
                    format!("selection `{name}` is empty"),
                    Some("add `field: value` lines".into()),
                );
            }
            _ => {
                if let Some(clause) = self.keywords(&[node], &path) {
                    alternatives.push(vec![clause]);
                }
            }
        }
        if self.error_count() > errors_before {
            return None;
        }
        let yaml = match node.loc.exact {
            true => self.outline.snippet(node.loc.lines.0, node.loc.lines.1),
            false => format!("{name}: (written in flow style)"),
        };
        Some(Selection {
            name: name.to_owned(),
            yaml,
            alternatives,
        })
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn conjunction(&mut self, entries: &[Entry], path: &str) -> Vec<Clause> {
        let mut clauses = Vec::new();
        for e in entries {
            let path = format!("{path}.{}", e.key);
            let Some(key) = self.key(&e.key, &e.value.loc, &path) else {
                continue;
            };
            if let Some(clause) = self.clause(&key, &e.value, &path) {
                clauses.push(clause);
            }
        }
        clauses
    }
}

fn mark_used(e: &Expr, used: &mut [bool]) {
    match e {
        Expr::Sel(i) => used[*i] = true,
        Expr::Not(inner) => mark_used(inner, used),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|i| mark_used(i, used)),
    }
}
