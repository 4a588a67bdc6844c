//! A rough cost model of the generated tests, so that a rule's matcher runs its cheap tests
//! before its expensive ones: the operands of `and` / `or` in a condition, and the clauses of
//! a selection, are emitted cheapest first. Every test is a pure function of the event, so
//! the order changes only how soon `&&` and `||` stop, never the answer.

use crate::ir::{Clause, Expr, Pattern, Rule, Selection, StrPattern, Test};

/// The relative cost of comparing one value with `p`.
fn pattern(p: &Pattern) -> u32 {
    match p {
        Pattern::Str(s, _) => match s {
            StrPattern::Any | StrPattern::Exact(_) => 1,
            StrPattern::Prefix(_) | StrPattern::Suffix(_) => 2,
            StrPattern::Contains(_) => 4,
            StrPattern::Glob(_) => 6,
        },
        Pattern::OneOf(..) | Pattern::Num { .. } | Pattern::Bool(_) | Pattern::Null => 1,
        Pattern::Prefixes(set, _) => 1 + set.len().min(8) as u32,
        Pattern::Compare { .. } => 2,
        Pattern::Cidr(_) => 3,
        Pattern::FieldRef { .. } | Pattern::TimePart { .. } => 5,
        Pattern::Regex(_) => 25,
    }
}

/// The cost of one clause: its patterns, times 8 for keywords (every value of the event).
pub fn clause(c: &Clause) -> u32 {
    let own = match &c.test {
        Test::Exists(_) => 1,
        Test::Match { groups, .. } => groups.iter().flatten().map(pattern).sum(),
    };
    if c.field.is_none() {
        own.saturating_mul(8)
    } else {
        own
    }
}

/// The cost of a selection: every clause of every alternative.
pub fn selection(s: &Selection) -> u32 {
    s.alternatives.iter().flatten().map(clause).sum()
}

/// The cost of a condition (sub-)expression of `rule`.
pub fn expr(rule: &Rule, e: &Expr) -> u32 {
    match e {
        Expr::Sel(i) => rule.selections.get(*i).map_or(0, selection),
        Expr::Not(x) => expr(rule, x),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().map(|x| expr(rule, x)).sum(),
    }
}

/// `e` with the operands of every `and` and `or` ordered cheapest first (stable: equal costs
/// keep their order).
pub fn cheapest_first(rule: &Rule, e: &Expr) -> Expr {
    match e {
        Expr::Sel(_) => e.clone(),
        Expr::Not(x) => Expr::Not(Box::new(cheapest_first(rule, x))),
        Expr::And(xs) | Expr::Or(xs) => {
            let mut xs: Vec<Expr> = xs.iter().map(|x| cheapest_first(rule, x)).collect();
            xs.sort_by_key(|x| expr(rule, x));
            if matches!(e, Expr::And(_)) {
                Expr::And(xs)
            } else {
                Expr::Or(xs)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    fn rule(detection: &str) -> Rule {
        let src = SourceFile {
            rel_path: "r.yml".into(),
            text: format!("title: t\nlogsource:\n    product: windows\ndetection:\n{detection}"),
        };
        let (mut set, d) = crate::lower(&[src], "rules");
        assert!(!d.has_errors(), "{d}");
        set.rules.remove(0)
    }

    #[test]
    fn exact_before_contains_before_regex() {
        let r = rule("    re:\n        a|re: 'x'\n    has:\n        b|contains: 'y'\n    is:\n        c: 'z'\n    condition: re and has and is\n");
        let names: Vec<&str> = match cheapest_first(&r, &r.condition) {
            Expr::And(xs) => xs
                .iter()
                .map(|x| match x {
                    Expr::Sel(i) => r.selections[*i].name.as_str(),
                    _ => "?",
                })
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names, ["is", "has", "re"]);
    }

    #[test]
    fn keywords_cost_more_than_a_field_test() {
        let r =
            rule("    k:\n        - 'x'\n    f:\n        a|contains: 'x'\n    condition: k or f\n");
        assert!(selection(&r.selections[0]) > selection(&r.selections[1]));
    }
}
