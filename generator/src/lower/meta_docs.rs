//! Filter and correlation documents (Sigma 2 meta-rules): parsed and validated here; their
//! references to rules are resolved once the whole rule set is known (`crate::link`).

use super::{value_loc, Lowerer};
use crate::ast::{Node, Value};
use crate::ir::{self, CorrelationType, Reference};
use std::collections::BTreeMap;

const TYPES: [(&str, CorrelationType); 8] = [
    ("event_count", CorrelationType::EventCount),
    ("value_count", CorrelationType::ValueCount),
    ("temporal", CorrelationType::Temporal),
    ("temporal_ordered", CorrelationType::TemporalOrdered),
    ("value_sum", CorrelationType::ValueSum),
    ("value_avg", CorrelationType::ValueAvg),
    ("value_percentile", CorrelationType::ValuePercentile),
    ("value_median", CorrelationType::ValueMedian),
];

const OPERATORS: [&str; 6] = ["gt", "gte", "lt", "lte", "eq", "neq"];

/// What a correlation's `condition` said.
#[derive(Default)]
struct Cond {
    threshold: Option<ir::CorrCondition>,
    /// An extended condition: the rule names in order of first appearance, and the tree.
    expr: Option<(Vec<String>, CondExpr)>,
    fields: Vec<String>,
    percentile: Option<u8>,
}

/// An extended temporal condition as written (pySigma's grammar: identifiers
/// `[A-Za-z_][A-Za-z0-9_]*`, `not` over `and` over `or`, parentheses).
#[derive(Debug, Clone, PartialEq)]
enum CondExpr {
    Name(String),
    Not(Box<CondExpr>),
    And(Vec<CondExpr>),
    Or(Vec<CondExpr>),
}

impl CondExpr {
    fn parse(text: &str) -> Result<(Vec<String>, CondExpr), String> {
        let mut tokens = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '(' || c == ')' {
                tokens.push(c.to_string());
                chars.next();
            } else if c.is_ascii_alphabetic() || c == '_' {
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(text[i..end].to_owned());
            } else {
                return Err(format!("unexpected `{c}`"));
            }
        }
        let mut p = 0;
        let expr = Self::or(&tokens, &mut p)?;
        if let Some(t) = tokens.get(p) {
            return Err(format!("unexpected `{t}`"));
        }
        let mut names = Vec::new();
        expr.names(&mut names);
        Ok((names, expr))
    }

    fn or(t: &[String], p: &mut usize) -> Result<CondExpr, String> {
        let mut xs = vec![Self::and(t, p)?];
        while t.get(*p).is_some_and(|x| x == "or") {
            *p += 1;
            xs.push(Self::and(t, p)?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            CondExpr::Or(xs)
        })
    }

    fn and(t: &[String], p: &mut usize) -> Result<CondExpr, String> {
        let mut xs = vec![Self::not(t, p)?];
        while t.get(*p).is_some_and(|x| x == "and") {
            *p += 1;
            xs.push(Self::not(t, p)?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            CondExpr::And(xs)
        })
    }

    fn not(t: &[String], p: &mut usize) -> Result<CondExpr, String> {
        match t.get(*p).map(String::as_str) {
            Some("not") => {
                *p += 1;
                Ok(CondExpr::Not(Box::new(Self::not(t, p)?)))
            }
            Some("(") => {
                *p += 1;
                let e = Self::or(t, p)?;
                if t.get(*p).map(String::as_str) != Some(")") {
                    return Err("missing `)`".into());
                }
                *p += 1;
                Ok(e)
            }
            Some(w @ ("and" | "or" | ")")) => Err(format!("unexpected `{w}`")),
            Some(name) => {
                *p += 1;
                Ok(CondExpr::Name(name.to_owned()))
            }
            None => Err("the expression ends too early".into()),
        }
    }

    fn names(&self, out: &mut Vec<String>) {
        match self {
            CondExpr::Name(n) => {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            CondExpr::Not(x) => x.names(out),
            CondExpr::And(xs) | CondExpr::Or(xs) => xs.iter().for_each(|x| x.names(out)),
        }
    }

    fn resolve(&self, index: &dyn Fn(&str) -> usize) -> ir::CorrExpr {
        match self {
            CondExpr::Name(n) => ir::CorrExpr::Rule(index(n)),
            CondExpr::Not(x) => ir::CorrExpr::Not(Box::new(x.resolve(index))),
            CondExpr::And(xs) => ir::CorrExpr::And(xs.iter().map(|x| x.resolve(index)).collect()),
            CondExpr::Or(xs) => ir::CorrExpr::Or(xs.iter().map(|x| x.resolve(index)).collect()),
        }
    }
}

impl Lowerer<'_> {
    fn reference(&self, node: &Node, path: &str, name: &str) -> Reference {
        let loc = value_loc(node);
        Reference {
            name: name.to_owned(),
            at: self.diag(&loc, path, String::new()),
        }
    }

    /// `rules:` of a filter or correlation: a list of ids or names (a filter also takes `any`).
    fn references(
        &mut self,
        node: &Node,
        path: &str,
        any_allowed: bool,
    ) -> Option<Option<Vec<Reference>>> {
        match &node.value {
            Value::Str(s) if any_allowed && s == "any" => Some(None),
            Value::Str(s) => Some(Some(vec![self.reference(node, path, s)])),
            Value::Seq(items) if items.is_empty() && any_allowed => Some(None),
            Value::Seq(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Str(s) => out.push(self.reference(item, &format!("{path}[{i}]"), s)),
                        other => {
                            self.error_at_value(
                                item,
                                &format!("{path}[{i}]"),
                                format!(
                                    "a rule reference must be a rule id or name, found {}",
                                    other.kind()
                                ),
                                Some("quote the id".into()),
                            );
                            return None;
                        }
                    }
                }
                Some(Some(out))
            }
            other => {
                let help = if any_allowed {
                    "list rule ids or names, or write `rules: any`"
                } else {
                    "list the ids or names of the rules to correlate"
                };
                self.error_at_value(
                    node,
                    path,
                    format!(
                        "`rules` must be a list of rule ids or names, found {}",
                        other.kind()
                    ),
                    Some(help.into()),
                );
                None
            }
        }
    }

    pub(super) fn filter(&mut self, node: &Node, meta: ir::Meta, doc: usize) -> Option<ir::Filter> {
        self.section = "filter";
        let Some(rules_node) = node.get("rules") else {
            self.error(
                &node.loc,
                "filter",
                "a filter needs `rules`",
                Some("name the rules it applies to, or write `rules: any`".into()),
            );
            return None;
        };
        let rules = self.references(rules_node, "filter.rules", true);
        let (selections, condition, condition_text) = self.detection(node)?;
        Some(ir::Filter {
            source: self.rel.to_owned(),
            doc,
            meta,
            rules: rules?,
            selections,
            condition,
            condition_text,
        })
    }

    pub(super) fn correlation(
        &mut self,
        node: &Node,
        meta: ir::Meta,
        doc: usize,
    ) -> Option<ir::Correlation> {
        self.section = "correlation";
        let Some(entries) = node.as_map() else {
            self.error_at_value(
                node,
                "correlation",
                format!(
                    "`correlation` must be a mapping, found {}",
                    node.value.kind()
                ),
                Some("give `type`, `rules`, `timespan` and `condition`".into()),
            );
            return None;
        };
        let mut ok = true;
        let mut kind = None;
        let mut rules = None;
        let mut group_by = Vec::new();
        let mut timespan = None;
        let mut condition_node = None;
        let mut aliases = BTreeMap::new();
        let mut aliases_at = BTreeMap::new();
        let mut group_by_at = Vec::new();
        let mut generate = false;
        for e in entries {
            let path = format!("correlation.{}", e.key);
            let v = &e.value;
            match e.key.as_str() {
                "type" => match self.string(v, &path) {
                    Some(t) => match TYPES.iter().find(|(n, _)| *n == t) {
                        Some((_, k)) => kind = Some(*k),
                        None => {
                            let names = TYPES.map(|(n, _)| n);
                            let help = crate::modifier::closest(&t, names).map_or_else(
                                || format!("use one of: {}", names.join(", ")),
                                |c| format!("did you mean `{c}`?"),
                            );
                            self.error_at_value(
                                v,
                                &path,
                                format!("unknown correlation type `{t}`"),
                                Some(help),
                            );
                            ok = false;
                        }
                    },
                    None => ok = false,
                },
                "rules" => {
                    rules = self.references(v, &path, false).flatten();
                    ok &= rules.is_some();
                }
                "group-by" => {
                    group_by = self.string_list_or_one(v, &path);
                    group_by_at = match &v.value {
                        Value::Seq(items) => items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| {
                                self.diag(&value_loc(item), &format!("{path}[{i}]"), String::new())
                            })
                            .collect(),
                        _ => vec![self.diag(&value_loc(v), &path, String::new())],
                    };
                }
                "timespan" => match &v.value {
                    Value::Str(t) => match timespan_seconds(t) {
                        Some(s) => timespan = Some(s),
                        None => {
                            self.error_at_value(v, &path, format!("bad timespan `{t}`"), Some("write a positive number and a unit: `30s`, `5m`, `1h`, `1d`, `1w`, `1M`, `1y`".into()));
                            ok = false;
                        }
                    },
                    other => {
                        self.error_at_value(
                            v,
                            &path,
                            format!(
                                "`timespan` must be a string such as `5m`, found {}",
                                other.kind()
                            ),
                            Some("quote it: `timespan: '5m'`".into()),
                        );
                        ok = false;
                    }
                },
                "condition" => condition_node = Some(v),
                "aliases" => match v.as_map() {
                    Some(map) => {
                        for a in map {
                            let apath = format!("{path}.{}", a.key);
                            let Some(targets) = a.value.as_map() else {
                                self.error_at_value(
                                    &a.value,
                                    &apath,
                                    format!(
                                        "an alias must map rule references to fields, found {}",
                                        a.value.value.kind()
                                    ),
                                    Some("e.g. `caller:` then `  rule_a: user.username`".into()),
                                );
                                ok = false;
                                continue;
                            };
                            let mut per_rule = BTreeMap::new();
                            aliases_at.insert(
                                (a.key.clone(), None),
                                self.diag(&a.value.loc, &apath, String::new()),
                            );
                            for r in targets {
                                let rpath = format!("{apath}.{}", r.key);
                                aliases_at.insert(
                                    (a.key.clone(), Some(r.key.clone())),
                                    self.diag(&r.value.loc, &rpath, String::new()),
                                );
                                match self.string(&r.value, &rpath) {
                                    Some(f) => {
                                        per_rule.insert(r.key.clone(), f);
                                    }
                                    None => ok = false,
                                }
                            }
                            aliases.insert(a.key.clone(), per_rule);
                        }
                    }
                    None => {
                        self.error_at_value(
                            v,
                            &path,
                            "`aliases` must be a mapping of alias → rule → field",
                            Some(
                                "e.g. `aliases:` then `  caller:` then `    rule_a: user.username`"
                                    .into(),
                            ),
                        );
                        ok = false;
                    }
                },
                "generate" => {
                    match v.value {
                        Value::Bool(b) => generate = b,
                        _ => {
                            self.error_at_value(
                            v,
                            &path,
                            "`generate` must be `true` or `false`",
                            Some("write `generate: true` to keep the referenced rules' own alerts".into()),
                        );
                            ok = false;
                        }
                    }
                }
                other => {
                    self.error(&v.loc, &path, format!("unknown correlation key `{other}`"), Some("correlation keys: type, rules, group-by, timespan, condition, aliases, generate".into()));
                    ok = false;
                }
            }
        }
        let Some(kind) = kind else {
            if ok {
                self.error(
                    &node.loc,
                    "correlation",
                    "a correlation needs `type`",
                    Some("e.g. `type: event_count`".into()),
                );
            }
            return None;
        };
        let Some(timespan) = timespan else {
            if ok {
                self.error(
                    &node.loc,
                    "correlation",
                    "a correlation needs `timespan`",
                    Some("e.g. `timespan: 5m`".into()),
                );
            }
            return None;
        };
        let temporal = matches!(
            kind,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        );
        let mut cond = Cond::default();
        if let Some(v) = condition_node {
            ok &= self.corr_condition(v, kind, &mut cond);
        }
        // pySigma: a temporal correlation with an extended condition may omit `rules`; the
        // expression names them, in order of appearance.
        let rules = match (rules, &cond.expr) {
            (Some(r), _) => r,
            (None, Some((names, _))) if ok => {
                let v = condition_node.expect("an expression was parsed");
                names
                    .iter()
                    .map(|n| self.reference(v, "correlation.condition", n))
                    .collect()
            }
            (None, _) => {
                if ok {
                    self.error(
                        &node.loc,
                        "correlation",
                        "a correlation needs `rules`",
                        Some("list the ids or names of the rules to correlate".into()),
                    );
                }
                return None;
            }
        };
        if !ok {
            return None;
        }
        let condition = match cond.expr.take() {
            Some((names, expr)) => {
                let v = condition_node.expect("an expression was parsed");
                // Every rule of `rules` in the expression and every name of it in `rules`.
                let written: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
                let missing: Vec<&str> = written
                    .iter()
                    .copied()
                    .filter(|w| !names.iter().any(|n| n == w))
                    .collect();
                let unknown: Vec<&str> = names
                    .iter()
                    .map(String::as_str)
                    .filter(|n| !written.contains(n))
                    .collect();
                if !missing.is_empty() || !unknown.is_empty() {
                    let msg = if missing.is_empty() {
                        format!(
                            "the condition names rules not in `rules`: {}",
                            unknown.join(", ")
                        )
                    } else {
                        format!("rules not named in the condition: {}", missing.join(", "))
                    };
                    self.error_at_value(
                        v,
                        "correlation.condition",
                        msg,
                        Some(
                            "an extended condition names each rule of `rules`, and only those"
                                .into(),
                        ),
                    );
                    return None;
                }
                let index = |n: &str| written.iter().position(|w| *w == n).unwrap_or(0);
                ir::CorrCondition::Expr(expr.resolve(&index))
            }
            None if cond.threshold.is_some() => cond.threshold.take().expect("checked"),
            None if temporal => ir::CorrCondition::Threshold {
                lo: Some((rules.len() as f64, true)),
                hi: None,
                eq: None,
                neq: None,
            },
            None => {
                self.error(
                    &node.loc,
                    "correlation",
                    "this correlation type needs a `condition`",
                    Some("e.g. `condition:` then `  gte: 10`".into()),
                );
                return None;
            }
        };
        let needs_field = matches!(
            kind,
            CorrelationType::ValueCount
                | CorrelationType::ValueSum
                | CorrelationType::ValueAvg
                | CorrelationType::ValuePercentile
                | CorrelationType::ValueMedian
        );
        let at = condition_node.unwrap_or(node);
        if needs_field && cond.fields.is_empty() {
            self.error(
                &at.loc,
                "correlation.condition",
                "this correlation type needs `condition.field`",
                Some("name the field whose values are counted or aggregated".into()),
            );
            return None;
        }
        if !needs_field && !cond.fields.is_empty() {
            self.error(
                &at.loc,
                "correlation.condition.field",
                "`condition.field` applies to value_count and the value_* types only",
                Some("remove it, or change the type".into()),
            );
            return None;
        }
        if needs_field && kind != CorrelationType::ValueCount && cond.fields.len() > 1 {
            self.error(
                &at.loc,
                "correlation.condition.field",
                "a numeric aggregate reads one field",
                Some("only value_count takes a list of fields (distinct tuples)".into()),
            );
            return None;
        }
        if cond.percentile.is_some() && kind != CorrelationType::ValuePercentile {
            self.error(
                &at.loc,
                "correlation.condition.percentile",
                "`condition.percentile` applies to value_percentile only",
                Some("remove it, or use `type: value_percentile`".into()),
            );
            return None;
        }
        if rules.len() > 64 || group_by.len() > 8 {
            self.error(
                &node.loc,
                "correlation",
                "a correlation reads at most 64 rules and groups by at most 8 fields",
                Some("split it into several correlations".into()),
            );
            return None;
        }
        let percentile = match kind {
            CorrelationType::ValueMedian => Some(50),
            CorrelationType::ValuePercentile => Some(cond.percentile.unwrap_or(50)),
            _ => None,
        };
        Some(ir::Correlation {
            source: self.rel.to_owned(),
            doc,
            meta,
            kind,
            rules,
            group_by,
            timespan,
            condition,
            fields: cond.fields,
            percentile,
            aliases,
            generate,
            at: self.diag(&node.loc, "correlation", String::new()),
            group_by_at,
            aliases_at,
            inputs: Vec::new(),
        })
    }

    /// `condition:` of a correlation: a map (operators, `field`, `percentile`) or, for
    /// `temporal`, an extended expression. False after an error.
    fn corr_condition(&mut self, v: &Node, kind: CorrelationType, out: &mut Cond) -> bool {
        let path = "correlation.condition";
        if let Value::Str(text) = &v.value {
            return match kind {
                CorrelationType::Temporal => match CondExpr::parse(text) {
                    Ok(parsed) => {
                        out.expr = Some(parsed);
                        true
                    }
                    Err(e) => {
                        self.error_at_value(
                            v,
                            path,
                            format!("bad extended condition: {e}"),
                            Some("write rule names with `and`, `or`, `not` and parentheses".into()),
                        );
                        false
                    }
                },
                CorrelationType::TemporalOrdered => {
                    self.error_at_value(
                        v,
                        path,
                        "an extended (boolean) condition is not supported on temporal_ordered",
                        Some("order is not defined for a boolean expression: use `type: temporal`, or list the rules in order without a condition".into()),
                    );
                    false
                }
                _ => {
                    self.error_at_value(
                        v,
                        path,
                        "an extended (string) condition applies to temporal correlations only",
                        Some("write a mapping, e.g. `condition:` then `  gte: 10`".into()),
                    );
                    false
                }
            };
        }
        let Some(map) = v.as_map() else {
            self.error_at_value(
                v,
                path,
                format!(
                    "a correlation `condition` must be a mapping, found {}",
                    v.value.kind()
                ),
                Some("e.g. `condition:` then `  gte: 10`".into()),
            );
            return false;
        };
        let mut ok = true;
        let mut ops = Vec::new();
        for c in map {
            let cpath = format!("{path}.{}", c.key);
            match c.key.as_str() {
                "field" => out.fields = self.string_list_or_one(&c.value, &cpath),
                "percentile" => {
                    match &c.value.value {
                        Value::Number(n)
                            if n.value.fract() == 0.0 && (0.0..=100.0).contains(&n.value) =>
                        {
                            out.percentile = Some(n.value as u8);
                        }
                        other => {
                            let found = match other {
                                Value::Number(n) => n.value.to_string(),
                                other => other.kind().to_owned(),
                            };
                            self.error_at_value(
                            &c.value,
                            &cpath,
                            format!("`percentile` must be a whole number from 0 to 100, found {found}"),
                            Some("e.g. `percentile: 95`".into()),
                        );
                            ok = false;
                        }
                    }
                }
                op if OPERATORS.contains(&op) => match &c.value.value {
                    Value::Number(n) if n.value.is_finite() => ops.push((op, n.value)),
                    other => {
                        self.error_at_value(
                            &c.value,
                            &cpath,
                            format!("`{op}` needs a number, found {}", other.kind()),
                            Some("write e.g. `gte: 10`".into()),
                        );
                        ok = false;
                    }
                },
                other => {
                    self.error(
                        &c.value.loc,
                        &cpath,
                        format!("unknown correlation condition `{other}`"),
                        Some(format!(
                            "use one of: {}, and `field` or `percentile`",
                            OPERATORS.join(", ")
                        )),
                    );
                    ok = false;
                }
            }
        }
        let (mut lo, mut hi, mut eq, mut neq) = (None, None, None, None);
        let mut shape_ok = ops.len() <= 2;
        for &(op, n) in &ops {
            let slot = match op {
                "gt" | "gte" => &mut lo,
                "lt" | "lte" => &mut hi,
                _ if ops.len() > 1 => {
                    shape_ok = false;
                    continue;
                }
                "eq" => {
                    eq = Some(n);
                    continue;
                }
                _ => {
                    neq = Some(n);
                    continue;
                }
            };
            if slot.is_some() {
                shape_ok = false;
            }
            *slot = Some((n, op.ends_with('e')));
        }
        if !shape_ok {
            self.error(
                &v.loc,
                path,
                "a correlation condition takes one operator, or a range: one of gt, gte and one of lt, lte",
                Some("e.g. `gte: 10`, or `gt: 10` with `lte: 20`".into()),
            );
            return false;
        }
        if !ops.is_empty() {
            out.threshold = Some(ir::CorrCondition::Threshold { lo, hi, eq, neq });
        } else if ok {
            self.error(
                &v.loc,
                path,
                "a correlation condition needs an operator",
                Some(format!("use one of: {}", OPERATORS.join(", "))),
            );
            return false;
        }
        ok
    }

    fn string_list_or_one(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            Value::Str(s) => vec![s.clone()],
            _ => self.strings(node, path),
        }
    }
}

/// `<n><unit>` with units s, m, h, d (spec) and w, M, y (pySigma 2.0.1's seconds: a month is
/// 2,629,746 s, a year 31,556,952 s) → seconds; `None` unless it is digits then a unit and > 0
/// (pySigma's `[0-9]+[smhdwMy]`, matched whole).
fn timespan_seconds(t: &str) -> Option<u64> {
    let unit = t.chars().last()?;
    let digits = &t[..t.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let secs: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        'M' => 2_629_746,
        'y' => 31_556_952,
        _ => return None,
    };
    let total = n.checked_mul(secs)?;
    (total > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::{timespan_seconds, CondExpr};

    #[test]
    fn extended_conditions() {
        let (names, e) = CondExpr::parse("a and not (b or c_1) or a").unwrap();
        assert_eq!(names, ["a", "b", "c_1"]);
        let n = |s: &str| CondExpr::Name(s.into());
        assert_eq!(
            e,
            CondExpr::Or(vec![
                CondExpr::And(vec![
                    n("a"),
                    CondExpr::Not(Box::new(CondExpr::Or(vec![n("b"), n("c_1")])))
                ]),
                n("a")
            ])
        );
        for bad in ["", "a and", "(a", "a b", "a-b", "or a", "a)"] {
            assert!(CondExpr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timespans() {
        assert_eq!(timespan_seconds("30s"), Some(30));
        assert_eq!(timespan_seconds("5m"), Some(300));
        assert_eq!(timespan_seconds("1h"), Some(3600));
        assert_eq!(timespan_seconds("2d"), Some(172_800));
        assert_eq!(timespan_seconds("1w"), Some(604_800));
        assert_eq!(timespan_seconds("0m"), None);
        assert_eq!(timespan_seconds("5x"), None);
        assert_eq!(timespan_seconds("m"), None);
        assert_eq!(timespan_seconds("-5m"), None);
        assert_eq!(timespan_seconds("+5m"), None);
        assert_eq!(timespan_seconds(" 5m"), None);
        assert_eq!(timespan_seconds("1M"), Some(2_629_746));
        assert_eq!(timespan_seconds("1y"), Some(31_556_952));
    }
}
