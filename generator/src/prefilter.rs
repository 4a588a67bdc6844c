//! Byte prefilter derivation: for each rule, literals of which every event it can match must
//! contain at least one, byte for byte, in its JSON line.
//!
//! Soundness rests on four facts. A positive test on a field needs the field's keys in the
//! line, so every dot-separated part of its name appears (whatever the split into keys). A
//! case-sensitive string pattern needs its literal text in the value. A case-insensitive one
//! needs its ASCII letters and digits in some ASCII case (written `(?i)run`), except `k`: no
//! char folds to an ASCII letter or digit but that letter or digit itself, and the Kelvin sign
//! (which folds to `k`). And JSON can hide a character only behind an escape: literals are
//! restricted to ASCII letters and digits, which only a `\u00XX` escape can hide, and the
//! runtime treats a line holding such an escape as a candidate for every rule. Negations,
//! `null` and missing-field tests never yield literals.

use crate::ir::{Case, Clause, Expr, GlobPart, Pattern, Rule, StrPattern, Test};
use std::collections::BTreeSet;

/// Words nearly every audit event holds, raw or as an ECS document (keys, and the parts of
/// names every event has, such as `audit` in `audit.k8s.io/v1` and in `kubernetes.audit.*`):
/// requiring one of them filters nothing.
const UBIQUITOUS: [&str; 29] = [
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "username",
    "uid",
    "groups",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "resource",
    "namespace",
    "name",
    "responseStatus",
    "code",
    "metadata",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
    "authorization",
    "decision",
    "reason",
    "audit",
    "kubernetes",
    "event",
];

/// Shorter literals match too often to be worth searching for.
const MIN_LEN: usize = 4;

/// One alternative set of literals: a line must contain at least one of them.
type Req = Option<Vec<String>>;

/// The literals for `rule`, with field names as `name_of` gives them (raw or mapped); `None`
/// when no useful literal is required (the rule then runs on every event).
pub fn literals(rule: &Rule, name_of: &dyn Fn(&str) -> String) -> Option<Vec<String>> {
    let mut req = expr(rule, &rule.condition, name_of)?;
    req.sort();
    req.dedup();
    Some(req)
}

/// The fields every event `rule` can match reaches (with any value), named by `name_of`,
/// sorted: those a positive test needs, in every branch of the condition. The runtime skips
/// the rule on a decoded event that lacks one, without running its matcher.
pub fn required_fields(rule: &Rule, name_of: &dyn Fn(&str) -> String) -> Vec<String> {
    needed(rule, &rule.condition)
        .into_iter()
        .map(|f| name_of(&f))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The fields `e` cannot hold without (by their names in the rule).
fn needed(rule: &Rule, e: &Expr) -> BTreeSet<String> {
    match e {
        Expr::Sel(i) => rule.selections.get(*i).map_or_else(BTreeSet::new, |sel| {
            common(sel.alternatives.iter().map(|alt| {
                alt.iter()
                    .filter(|c| clause_needs_field(c))
                    .filter_map(|c| c.field.clone())
                    .collect()
            }))
        }),
        Expr::And(xs) => xs.iter().flat_map(|x| needed(rule, x)).collect(),
        Expr::Or(xs) => common(xs.iter().map(|x| needed(rule, x))),
        Expr::Not(_) => BTreeSet::new(),
    }
}

/// The fields in every one of `sets` (none when there are no sets).
fn common(mut sets: impl Iterator<Item = BTreeSet<String>>) -> BTreeSet<String> {
    let first = sets.next().unwrap_or_default();
    sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
}

/// Whether the clause holds only when its field is reached: `|exists: true`, or a positive
/// test with a group that `null` (which a missing field satisfies) is not in.
fn clause_needs_field(c: &Clause) -> bool {
    match &c.test {
        Test::Exists(present) => *present,
        Test::Match { negate: true, .. } => false,
        Test::Match { groups, .. } => !groups.iter().all(|g| g.contains(&Pattern::Null)),
    }
}

fn expr(rule: &Rule, e: &Expr, name_of: &dyn Fn(&str) -> String) -> Req {
    match e {
        Expr::Sel(i) => {
            let sel = rule.selections.get(*i)?;
            union(
                sel.alternatives
                    .iter()
                    .map(|alt| best(alt.iter().map(|c| clause(c, name_of)))),
            )
        }
        Expr::And(xs) => best(xs.iter().map(|x| expr(rule, x, name_of))),
        Expr::Or(xs) => union(xs.iter().map(|x| expr(rule, x, name_of))),
        Expr::Not(_) => None,
    }
}

fn clause(c: &Clause, name_of: &dyn Fn(&str) -> String) -> Req {
    let key = c.field.as_deref().and_then(|f| key_literal(&name_of(f)));
    match &c.test {
        Test::Exists(true) => key,
        Test::Exists(false) | Test::Match { negate: true, .. } => None,
        Test::Match {
            groups,
            negate: false,
        } => {
            // A group holding `null` is satisfied by a missing field.
            if groups.iter().all(|g| g.contains(&Pattern::Null)) {
                return None;
            }
            let values = best(groups.iter().map(|g| union(g.iter().map(value_literal))));
            match c.field {
                Some(_) => best([key, values].into_iter()),
                None => values,
            }
        }
    }
}

/// A run of ASCII letters and digits from the field name, preferring the deepest part (the
/// leaf key is usually the rarest), then the longest.
fn key_literal(name: &str) -> Req {
    let usable = |r: &&str| r.len() >= MIN_LEN && !UBIQUITOUS.contains(r);
    let lit = name
        .split('.')
        .rev()
        .find_map(|part| alnum_runs(part).filter(usable).max_by_key(|r| r.len()))?;
    Some(vec![lit.to_owned()])
}

/// The prefix of a literal found in either ASCII case (see the module docs).
pub const ANY_CASE: &str = "(?i)";

/// The literal a string pattern needs in the value: byte for byte when it is case-sensitive,
/// in either ASCII case (written with [`ANY_CASE`] before it) when it is not.
fn value_literal(p: &Pattern) -> Req {
    // A word every audit event holds (`authorization` in `rbac.authorization.k8s.io`)
    // filters nothing: another run of the value is as sound and does.
    let useful = |r: &&str| !UBIQUITOUS.iter().any(|u| u.eq_ignore_ascii_case(r));
    let longest = |s: &str, case: Case| match case {
        Case::Sensitive => alnum_runs(s)
            .filter(useful)
            .max_by_key(|r| r.len())
            .map(str::to_owned),
        Case::Insensitive => any_case_runs(s)
            .filter(useful)
            .max_by_key(|r| r.len())
            .map(|r| format!("{ANY_CASE}{r}")),
    };
    let lit = match p {
        Pattern::Str(s, case) => match s {
            StrPattern::Exact(t)
            | StrPattern::Prefix(t)
            | StrPattern::Suffix(t)
            | StrPattern::Contains(t) => longest(t, *case),
            StrPattern::Glob(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    GlobPart::Lit(t) => longest(t, *case),
                    _ => None,
                })
                .max_by_key(|l| text_len(l)),
            StrPattern::Any => None,
        },
        Pattern::OneOf(set, case) | Pattern::Prefixes(set, case) => {
            return union(set.iter().map(|t| {
                longest(t, *case)
                    .filter(|l| text_len(l) >= MIN_LEN)
                    .map(|l| vec![l])
            }));
        }
        _ => None,
    }?;
    (text_len(&lit) >= MIN_LEN).then(|| vec![lit])
}

/// A literal's length without its [`ANY_CASE`] prefix.
fn text_len(literal: &str) -> usize {
    literal.strip_prefix(ANY_CASE).unwrap_or(literal).len()
}

/// The runs of a case-insensitive (folded) value that a matching line holds in some ASCII
/// case: ASCII letters and digits, but not `k`, which the Kelvin sign (U+212A, three bytes)
/// also folds to. No other char folds to an ASCII letter or digit.
fn any_case_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric() || c == 'k')
        .filter(|r| !r.is_empty())
}

fn alnum_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|r| !r.is_empty())
}

/// One of these must hold: the union of their literals (none when any has none).
fn union(reqs: impl Iterator<Item = Req>) -> Req {
    let mut out = Vec::new();
    for r in reqs {
        out.extend(r?);
    }
    (!out.is_empty()).then_some(out)
}

/// All of these hold: any one's literals will do; take the most selective.
fn best(reqs: impl Iterator<Item = Req>) -> Req {
    reqs.flatten().max_by_key(|r| score(r))
}

/// Longer literals are rarer, exact ones rarer than any-case ones of the same length; fewer
/// alternatives are cheaper.
fn score(r: &[String]) -> (usize, bool, std::cmp::Reverse<usize>) {
    (
        r.iter().map(|l| text_len(l)).min().unwrap_or(0),
        r.iter().all(|l| !l.starts_with(ANY_CASE)),
        std::cmp::Reverse(r.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    /// The rule of one file whose detection part is `yaml`.
    fn rule(yaml: &str) -> Rule {
        let src = SourceFile {
            rel_path: "r.yml".into(),
            text: format!("title: t\nlogsource:\n    product: kubernetes\n{yaml}"),
        };
        let (mut set, d) = crate::lower(&[src], "rules");
        assert!(!d.has_errors(), "{d}");
        set.rules.remove(0)
    }

    fn lits(yaml: &str) -> Option<Vec<String>> {
        literals(&rule(yaml), &|f| f.to_owned())
    }

    fn fields(yaml: &str) -> Vec<String> {
        required_fields(&rule(yaml), &|f| f.to_owned())
    }

    #[test]
    fn only_the_kelvin_sign_folds_to_an_ascii_letter_or_digit_from_elsewhere() {
        let strays: Vec<char> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| !c.is_ascii())
            .filter(|&c| {
                let f = crate::wildcard::fold(&c.to_string());
                f.chars().any(|x| x.is_ascii_alphanumeric())
            })
            .collect();
        assert_eq!(strays, ['\u{212A}']);
    }

    #[test]
    fn case_insensitive_values_give_any_case_literals() {
        let sel =
            |v: &str| format!("detection:\n    sel:\n        verb: {v}\n    condition: sel\n");
        // The value's run beats the key (`verb` is everywhere): in either case, without `k`.
        assert_eq!(
            lits(&sel("'Secrets'")),
            Some(vec!["(?i)secrets".to_owned()])
        );
        assert_eq!(lits(&sel("'kubectl'")), Some(vec!["(?i)ubectl".to_owned()]));
        assert_eq!(
            lits(&sel("'Ärger-Wäsch'")),
            Some(vec!["(?i)rger".to_owned()])
        );
        // A case-sensitive run of the same length wins.
        let both = "detection:\n    sel:\n        verb|cased: 'abcdefg'\n        objectRef.resource: 'hijklmn'\n    condition: sel\n";
        assert_eq!(lits(both), Some(vec!["abcdefg".to_owned()]));
    }

    #[test]
    fn required_fields_are_those_every_branch_tests_positively() {
        // AND: all of them; a list of maps (OR): those in every map.
        assert_eq!(
            fields("detection:\n    sel:\n        - verb: get\n          objectRef.resource: pods\n        - verb: list\n    condition: sel\n"),
            ["verb"]
        );
        assert_eq!(
            fields("detection:\n    a:\n        verb: get\n    b:\n        objectRef.resource: pods\n    condition: a and b\n"),
            ["objectRef.resource", "verb"]
        );
        assert_eq!(
            fields("detection:\n    a:\n        verb: get\n        user.username: x\n    b:\n        verb: list\n    condition: a or b\n"),
            ["verb"]
        );
        assert_eq!(
            fields("detection:\n    a:\n        impersonatedUser.username: '*'\n    f:\n        user.username: x\n    condition: a and not f\n"),
            ["impersonatedUser.username"]
        );
        assert_eq!(
            fields("detection:\n    a:\n        requestObject|exists: true\n    condition: a\n"),
            ["requestObject"]
        );
    }

    #[test]
    fn tests_a_missing_field_passes_require_nothing() {
        for test in [
            "verb: null",
            "verb: [null, get]",
            "verb|exists: false",
            "verb|neq: get",
            "'|contains': needle",
        ] {
            assert_eq!(
                fields(&format!(
                    "detection:\n    a:\n        {test}\n    condition: a\n"
                )),
                Vec::<String>::new(),
                "{test}"
            );
        }
        assert_eq!(
            fields("detection:\n    a:\n        verb: get\n    condition: not a\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            fields("detection:\n    keywords:\n        - needle\n    condition: keywords\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_required_key_gives_its_rarest_part() {
        let l = lits("detection:\n    sel:\n        impersonatedUser.username: '*'\n        verb: get\n    condition: sel\n");
        assert_eq!(l, Some(vec!["impersonatedUser".to_owned()]));
    }

    #[test]
    fn a_value_gives_its_longest_run_that_not_every_event_holds() {
        let l = lits(
            "detection:\n    sel:\n        ab.cd|cased: rbac.authorization.k8s.io\n    condition: sel\n",
        );
        assert_eq!(l, Some(vec!["rbac".to_owned()]));
        let l = lits(
            "detection:\n    sel:\n        objectRef.apiGroup|cased: authorization.k8s.io\n    condition: sel\n",
        );
        assert_eq!(
            l,
            Some(vec!["apiGroup".to_owned()]),
            "the key's part, the value having none"
        );
    }

    #[test]
    fn cased_values_can_beat_keys() {
        let l = lits("detection:\n    sel:\n        verb|cased: impersonate\n    condition: sel\n");
        assert_eq!(l, Some(vec!["impersonate".to_owned()]));
    }

    #[test]
    fn negations_nulls_and_ubiquitous_keys_give_nothing() {
        assert_eq!(
            lits("detection:\n    sel:\n        requestObject: x\n    condition: not sel\n"),
            None
        );
        assert_eq!(
            lits("detection:\n    sel:\n        requestObject: null\n    condition: sel\n"),
            None
        );
        // Ubiquitous keys, and values shorter than four bytes.
        assert_eq!(lits("detection:\n    sel:\n        verb: [get, list]\n        objectRef.resource: pod\n    condition: sel\n"), None);
        assert_eq!(
            lits("detection:\n    sel:\n        requestObject|neq: x\n    condition: sel\n"),
            None
        );
    }

    #[test]
    fn or_needs_every_branch_and_unions_them() {
        let l = lits("detection:\n    a:\n        requestObject: x\n    b:\n        responseObject: y\n    condition: a or b\n");
        assert_eq!(
            l,
            Some(vec![
                "requestObject".to_owned(),
                "responseObject".to_owned()
            ])
        );
        assert_eq!(lits("detection:\n    a:\n        requestObject: x\n    b:\n        verb: y\n    condition: a or b\n"), None);
    }

    #[test]
    fn case_insensitive_values_give_no_literal_but_keys_still_do() {
        let l = lits("detection:\n    sel:\n        requestObject.spec.hostNetwork: 'TRUE'\n    condition: sel\n");
        assert_eq!(l, Some(vec!["hostNetwork".to_owned()]));
    }
}
