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
        let mut condition = None;
        let mut fields = Vec::new();
        let mut aliases = BTreeMap::new();
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
                "rules" => rules = self.references(v, &path, false).flatten(),
                "group-by" => group_by = self.string_list_or_one(v, &path),
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
                "condition" => {
                    let Some(map) = v.as_map() else {
                        self.error_at_value(
                            v,
                            &path,
                            format!(
                                "a correlation `condition` must be a mapping, found {}",
                                v.value.kind()
                            ),
                            Some("e.g. `condition:` then `  gte: 10`".into()),
                        );
                        ok = false;
                        continue;
                    };
                    let mut ops = Vec::new();
                    for c in map {
                        let cpath = format!("{path}.{}", c.key);
                        match c.key.as_str() {
                            "field" => fields = self.string_list_or_one(&c.value, &cpath),
                            op if OPERATORS.contains(&op) => match &c.value.value {
                                Value::Number(n) => ops.push((op.to_owned(), n.value)),
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
                                        "use one of: {}, and `field`",
                                        OPERATORS.join(", ")
                                    )),
                                );
                                ok = false;
                            }
                        }
                    }
                    match ops.len() {
                        0 | 1 => condition = ops.pop(),
                        _ => {
                            self.error(
                                &v.loc,
                                &path,
                                "a correlation condition takes exactly one operator",
                                Some("pySigma accepts one of gt, gte, lt, lte, eq, neq".into()),
                            );
                            ok = false;
                        }
                    }
                }
                "aliases" => match v.as_map() {
                    Some(map) => {
                        for a in map {
                            let mut per_rule = BTreeMap::new();
                            for r in a.value.as_map().unwrap_or_default() {
                                if let Some(f) =
                                    self.string(&r.value, &format!("{path}.{}.{}", a.key, r.key))
                                {
                                    per_rule.insert(r.key.clone(), f);
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
                            None,
                        );
                        ok = false;
                    }
                },
                "generate" => match v.value {
                    Value::Bool(b) => generate = b,
                    _ => {
                        self.error_at_value(v, &path, "`generate` must be `true` or `false`", None);
                        ok = false;
                    }
                },
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
        let Some(rules) = rules else {
            if ok {
                self.error(
                    &node.loc,
                    "correlation",
                    "a correlation needs `rules`",
                    Some("list the ids or names of the rules to correlate".into()),
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
        if condition.is_none() && !temporal && ok {
            self.error(
                &node.loc,
                "correlation",
                "this correlation type needs a `condition`",
                Some("e.g. `condition:` then `  gte: 10`".into()),
            );
            return None;
        }
        let needs_field = matches!(
            kind,
            CorrelationType::ValueCount
                | CorrelationType::ValueSum
                | CorrelationType::ValueAvg
                | CorrelationType::ValuePercentile
                | CorrelationType::ValueMedian
        );
        if needs_field && fields.is_empty() && ok {
            self.error(
                &node.loc,
                "correlation.condition",
                "this correlation type needs `condition.field`",
                Some("name the field whose values are counted or aggregated".into()),
            );
            return None;
        }
        let d = self
            .diag(
                &node.loc,
                "correlation",
                "correlation rules are validated but not evaluated yet",
            )
            .with_help("the rules it names still alert on their own")
            .warning();
        self.diags.push(d);
        ok.then(|| ir::Correlation {
            source: self.rel.to_owned(),
            doc,
            meta,
            kind,
            rules,
            group_by,
            timespan,
            condition,
            fields,
            aliases,
            generate,
        })
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
    use super::timespan_seconds;

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
