//! Semantics-preserving IR passes. Each is a pure `fn(ir::Rule) -> ir::Rule`.
//!
//! No pass rewrites `not` (no De Morgan): with missing fields and arrays a value test and
//! its negation are not complements of each other's sub-tests, so only the emitter's
//! faithful `!` is safe.

use crate::ir::{Case, Pattern, Rule, StrPattern, Test};
use std::collections::BTreeSet;

/// Runs every pass in order.
pub fn optimize(rule: Rule) -> Rule {
    one_of(rule)
}

/// Merges the exact-string alternatives of each OR group (same case mode) into one `OneOf`
/// set, so the emitter can write a single `match`, and the prefix alternatives into one
/// `Prefixes` table. Order of the other patterns is kept; a set takes the place of its first
/// member.
pub fn one_of(mut rule: Rule) -> Rule {
    for sel in &mut rule.selections {
        for alt in &mut sel.alternatives {
            for clause in alt {
                if let Test::Match { groups, .. } = &mut clause.test {
                    for group in groups {
                        *group = merge_exact(std::mem::take(group));
                    }
                }
            }
        }
    }
    rule
}

fn merge_exact(patterns: Vec<Pattern>) -> Vec<Pattern> {
    let merged = merge(
        patterns,
        |p| match p {
            Pattern::Str(StrPattern::Exact(s), c) => Some((s.clone(), *c)),
            _ => None,
        },
        |p, case| match p {
            Pattern::OneOf(set, c) if *c == case => Some(set),
            _ => None,
        },
        Pattern::OneOf,
    );
    merge(
        merged,
        |p| match p {
            Pattern::Str(StrPattern::Prefix(s), c) => Some((s.clone(), *c)),
            _ => None,
        },
        |p, case| match p {
            Pattern::Prefixes(set, c) if *c == case => Some(set),
            _ => None,
        },
        Pattern::Prefixes,
    )
}

/// Gathers the patterns `member` picks (two or more of one case mode) into one set pattern,
/// which takes the place of the first of them.
fn merge(
    patterns: Vec<Pattern>,
    member: impl Fn(&Pattern) -> Option<(String, Case)>,
    set_of: impl Fn(&mut Pattern, Case) -> Option<&mut BTreeSet<String>>,
    make: fn(BTreeSet<String>, Case) -> Pattern,
) -> Vec<Pattern> {
    let count = |case: Case| {
        patterns
            .iter()
            .filter(|p| member(p).is_some_and(|(_, c)| c == case))
            .count()
    };
    let merge: Vec<Case> = [Case::Sensitive, Case::Insensitive]
        .into_iter()
        .filter(|c| count(*c) >= 2)
        .collect();
    if merge.is_empty() {
        return patterns;
    }
    let mut out: Vec<Pattern> = Vec::new();
    for p in patterns {
        match member(&p) {
            Some((s, case)) if merge.contains(&case) => {
                match out.iter_mut().find_map(|q| set_of(q, case)) {
                    Some(set) => {
                        set.insert(s);
                    }
                    None => out.push(make(BTreeSet::from([s]), case)),
                }
            }
            _ => out.push(p),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(s: &str, c: Case) -> Pattern {
        Pattern::Str(StrPattern::Exact(s.into()), c)
    }

    #[test]
    fn merges_exact_strings_per_case_mode() {
        let out = merge_exact(vec![
            exact("b", Case::Sensitive),
            Pattern::Str(StrPattern::Prefix("p".into()), Case::Sensitive),
            exact("a", Case::Sensitive),
            exact("x", Case::Insensitive),
            exact("a", Case::Sensitive),
        ]);
        assert_eq!(
            out,
            vec![
                Pattern::OneOf(
                    BTreeSet::from(["a".to_owned(), "b".to_owned()]),
                    Case::Sensitive
                ),
                Pattern::Str(StrPattern::Prefix("p".into()), Case::Sensitive),
                exact("x", Case::Insensitive),
            ]
        );
    }

    #[test]
    fn a_single_exact_string_stays() {
        let input = vec![exact("a", Case::Sensitive), Pattern::Null];
        assert_eq!(merge_exact(input.clone()), input);
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn merges_prefixes_per_case_mode() {
        let p = |s: &str, c| Pattern::Str(StrPattern::Prefix(s.into()), c);
        let out = merge_exact(vec![
            p("b", Case::Sensitive),
            p("a", Case::Sensitive),
            p("x", Case::Insensitive),
        ]);
        assert_eq!(
            out,
            vec![
                Pattern::Prefixes(
                    BTreeSet::from(["a".to_owned(), "b".to_owned()]),
                    Case::Sensitive
                ),
                p("x", Case::Insensitive)
            ]
        );
    }
}
