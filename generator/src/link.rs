//! Whole-rule-set passes that need every document: filters are folded into the rules they
//! apply to, and references of filters and correlations are resolved.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::ir::{
    CorrInput, Correlation, Document, Expr, Filter, LogSource, Reference, Rule, RuleSet,
};
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
    let correlations = std::mem::take(&mut set.correlations);
    set.correlations = link_correlations(correlations, &known, diags);
    set
}

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Rule(usize),
    Correlation(usize),
}

/// Resolves every correlation's references, orders them inner first (a cycle is an error),
/// and works out what each input reads.
fn link_correlations(
    mut cs: Vec<Correlation>,
    rules: &BTreeMap<String, usize>,
    diags: &mut Diagnostics,
) -> Vec<Correlation> {
    let mut corr_names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, c) in cs.iter().enumerate() {
        for key in c.meta.id.iter().chain(&c.meta.name) {
            corr_names.entry(key.clone()).or_insert(i);
        }
    }
    let resolve = |name: &str| -> Option<Target> {
        rules
            .get(name)
            .map(|&i| Target::Rule(i))
            .or_else(|| corr_names.get(name).map(|&i| Target::Correlation(i)))
    };
    let mut targets: Vec<Option<Vec<Target>>> = Vec::new();
    for c in &cs {
        let mut ts = Vec::new();
        for r in &c.rules {
            match resolve(&r.name) {
                Some(t) => ts.push(t),
                None => {
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
        targets.push((ts.len() == c.rules.len()).then_some(ts));
    }
    // Inner first: a depth-first order over the correlation references.
    let mut order = Vec::new();
    let mut state = vec![0u8; cs.len()]; // 0 new, 1 on the path, 2 done
    fn visit(
        i: usize,
        targets: &[Option<Vec<Target>>],
        state: &mut [u8],
        order: &mut Vec<usize>,
        cyclic: &mut Vec<usize>,
    ) {
        match state[i] {
            2 => return,
            1 => {
                cyclic.push(i);
                return;
            }
            _ => {}
        }
        state[i] = 1;
        for t in targets[i].iter().flatten() {
            if let Target::Correlation(j) = *t {
                visit(j, targets, state, order, cyclic);
            }
        }
        state[i] = 2;
        order.push(i);
    }
    let mut cyclic = Vec::new();
    for i in 0..cs.len() {
        visit(i, &targets, &mut state, &mut order, &mut cyclic);
    }
    cyclic.sort_unstable();
    cyclic.dedup();
    for &i in &cyclic {
        let mut d = cs[i].at.clone();
        d.message = "correlation references itself, directly or through other correlations".into();
        d.help = Some("a chain of correlations must end at detection rules".into());
        diags.push(d);
    }
    let mut ok: Vec<bool> = (0..cs.len())
        .map(|i| targets[i].is_some() && !cyclic.contains(&i))
        .collect();
    for &i in &order {
        let Some(ts) = &targets[i] else {
            ok[i] = false;
            continue;
        };
        if cyclic.contains(&i) {
            ok[i] = false;
            continue;
        }
        let mut inputs = Vec::new();
        let c = &cs[i];
        let alias_at = |alias: &str, rule: Option<&str>| {
            c.aliases_at
                .get(&(alias.to_owned(), rule.map(str::to_owned)))
                .cloned()
                .unwrap_or_else(|| c.at.clone())
        };
        let group_at = |k: usize| {
            c.group_by_at
                .get(k)
                .cloned()
                .unwrap_or_else(|| c.at.clone())
        };
        for (r, t) in c.rules.iter().zip(ts) {
            // The field each group-by entry is, for this input: an alias's mapping, or itself.
            let mut group = Vec::new();
            for g in &c.group_by {
                let field = match c.aliases.get(g) {
                    None => Some(g.clone()),
                    Some(map) => map
                        .iter()
                        .find(|(k, _)| resolve(k) == Some(*t))
                        .map(|(_, f)| f.clone()),
                };
                match field {
                    Some(f) => group.push(f),
                    None => {
                        let mut d = alias_at(g, None);
                        d.message = format!("alias `{g}` gives no field for `{}`", r.name);
                        d.help = Some(format!("add `{}: <field>` under `{g}`", r.name));
                        diags.push(d);
                        ok[i] = false;
                    }
                }
            }
            match *t {
                Target::Rule(index) => inputs.push(CorrInput::Rule {
                    index,
                    group: group.into_iter().map(|f| (f.clone(), f)).collect(),
                    values: c.fields.iter().map(|f| (f.clone(), f.clone())).collect(),
                }),
                Target::Correlation(j) => {
                    let inner = &cs[j];
                    if !c.fields.is_empty() {
                        let mut d = c.at.clone();
                        d.message = format!(
                            "`condition.field` over the correlation `{}` is not supported",
                            r.name
                        );
                        d.help = Some("a correlation alert carries only its group: chain it with event_count or temporal".into());
                        diags.push(d);
                        ok[i] = false;
                    }
                    let mut at = Vec::new();
                    for (k, f) in group.iter().enumerate() {
                        match inner.group_by.iter().position(|g| g == f) {
                            Some(p) => at.push(p),
                            None => {
                                let mut d = group_at(k);
                                d.message = format!(
                                    "`{f}` is not a group-by field of the correlation `{}`",
                                    r.name
                                );
                                d.help = Some(format!(
                                    "a chained correlation groups by fields of the one it reads: {}",
                                    if inner.group_by.is_empty() {
                                        "it has none".to_owned()
                                    } else {
                                        inner.group_by.join(", ")
                                    }
                                ));
                                diags.push(d);
                                ok[i] = false;
                            }
                        }
                    }
                    // Re-numbered below, once the correlations that fail are left out.
                    ok[i] &= ok[j];
                    inputs.push(CorrInput::Correlation {
                        index: j,
                        group: at,
                    });
                }
            }
        }
        for (alias, map) in &c.aliases {
            if !c.group_by.contains(alias) {
                let mut d = alias_at(alias, None).warning();
                d.message = format!("alias `{alias}` is not used in `group-by`");
                d.help = Some("aliases name group-by fields".into());
                diags.push(d);
            }
            for k in map.keys() {
                if !resolve(k).is_some_and(|t| ts.contains(&t)) {
                    let mut d = alias_at(alias, Some(k));
                    d.message = format!(
                        "alias `{alias}` names `{k}`, which this correlation does not read"
                    );
                    d.help = Some("alias keys are entries of `rules`".into());
                    diags.push(d);
                    ok[i] = false;
                }
            }
        }
        cs[i].inputs = inputs;
    }
    let kept: Vec<usize> = order.into_iter().filter(|&i| ok[i]).collect();
    let position: BTreeMap<usize, usize> = kept.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut slots: Vec<Option<Correlation>> = cs.into_iter().map(Some).collect();
    kept.iter()
        .filter_map(|&i| slots[i].take())
        .map(|mut c| {
            for input in &mut c.inputs {
                if let CorrInput::Correlation { index, .. } = input {
                    *index = position[index];
                }
            }
            c
        })
        .collect()
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
