//! Whole-rule-set passes that need every document: filters are folded into the rules they
//! apply to, and references of filters and correlations are resolved.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{Document, Expr, Filter, LogSource, Reference, Rule, RuleSet};
use std::collections::BTreeMap;

/// Builds the rule set from every lowered document (in source order).
pub fn link(documents: Vec<Document>, diags: &mut Diagnostics) -> RuleSet {
    let mut set = RuleSet::default();
    for d in documents {
        match d {
            Document::Rule(r) => set.rules.push(r),
            Document::Filter(f) => set.filters.push(f),
            Document::Correlation(c) => set.correlations.push(c),
        }
    }
    let mut known: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in set.rules.iter().enumerate() {
        for key in r.meta.id.iter().chain(&r.meta.name) {
            known.entry(key.clone()).or_insert(i);
        }
    }
    let mut applied: Vec<Vec<usize>> = vec![Vec::new(); set.rules.len()];
    for (fi, filter) in set.filters.iter().enumerate() {
        match &filter.rules {
            None => (0..set.rules.len())
                .filter(|i| covers(&filter.meta.logsource, &set.rules[*i].meta.logsource))
                .for_each(|i| applied[i].push(fi)),
            Some(refs) => {
                for r in refs {
                    match known.get(r.name.as_str()) {
                        Some(&i) if covers(&filter.meta.logsource, &set.rules[i].meta.logsource) => applied[i].push(fi),
                        Some(_) => diags.push(warn(r, format!("filter does not apply to `{}`: its logsource does not cover the rule's", r.name), "a filter applies to rules whose product, category and service match the ones it names")),
                        None => diags.push(warn(r, format!("filter names `{}`, which is not in this rule set", r.name), "check the rule id or name")),
                    }
                }
            }
        }
    }
    for (rule, filters) in set.rules.iter_mut().zip(&applied) {
        for &fi in filters {
            apply(rule, &set.filters[fi]);
        }
    }
    let mut names: std::collections::BTreeSet<String> = known.into_keys().collect();
    for c in &set.correlations {
        names.extend(c.meta.id.iter().chain(&c.meta.name).cloned());
    }
    for c in &set.correlations {
        for r in &c.rules {
            if !names.contains(&r.name) {
                let mut d = r.at.clone();
                d.message = format!(
                    "correlation refers to `{}`, which is not in this rule set",
                    r.name
                );
                d.help = Some("name a rule by its `id` or `name`".into());
                diags.push(d);
            }
        }
    }
    set
}

fn warn(r: &Reference, message: String, help: &str) -> Diagnostic {
    let mut d = r.at.clone().warning();
    d.message = message;
    d.help = Some(help.into());
    d
}

/// pySigma: each of product, category and service that the filter names equals the rule's.
fn covers(filter: &LogSource, rule: &LogSource) -> bool {
    [
        (&filter.product, &rule.product),
        (&filter.category, &rule.category),
        (&filter.service, &rule.service),
    ]
    .iter()
    .all(|(f, r)| f.is_none() || f == r)
}

/// `(rule condition) and (filter condition)`, with the filter's selections copied in.
fn apply(rule: &mut Rule, filter: &Filter) {
    let offset = rule.selections.len();
    let label = filter
        .meta
        .id
        .clone()
        .unwrap_or_else(|| filter.meta.title.clone());
    for sel in &filter.selections {
        let mut sel = sel.clone();
        sel.name = format!("filter {label}: {}", sel.name);
        rule.selections.push(sel);
    }
    let cond = std::mem::replace(&mut rule.condition, Expr::And(Vec::new()));
    rule.condition = Expr::And(vec![cond, shift(&filter.condition, offset)]);
    rule.condition_text = format!(
        "({}) and ({})    # filter `{}` from {}",
        rule.condition_text, filter.condition_text, filter.meta.title, filter.source
    );
}

fn shift(e: &Expr, by: usize) -> Expr {
    match e {
        Expr::Sel(i) => Expr::Sel(i + by),
        Expr::Not(x) => Expr::Not(Box::new(shift(x, by))),
        Expr::And(xs) => Expr::And(xs.iter().map(|x| shift(x, by)).collect()),
        Expr::Or(xs) => Expr::Or(xs.iter().map(|x| shift(x, by)).collect()),
    }
}
