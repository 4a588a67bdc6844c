//! Sigma string values: wildcards and backslash escapes, read exactly as pySigma reads them.
//!
//! `*` is any run of chars, `?` exactly one char. A backslash escapes `*`, `?` and `\`; before
//! any other char it is kept together with that char (`C:\Windows` stays as written), and a
//! trailing lone backslash is a literal backslash.

use crate::ir::{Case, GlobPart, StrPattern};

/// Splits a Sigma string into literal text and wildcards (adjacent `*` merged).
pub fn parse(value: &str) -> Vec<GlobPart> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    parts.push(GlobPart::Lit(std::mem::take(&mut lit)));
                }
                let part = if c == '*' {
                    GlobPart::AnyRun
                } else {
                    GlobPart::AnyChar
                };
                if !(part == GlobPart::AnyRun && parts.last() == Some(&GlobPart::AnyRun)) {
                    parts.push(part);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(GlobPart::Lit(lit));
    }
    parts
}

/// Adds a leading and/or trailing `*` (for `endswith`, `startswith`, `contains`), without
/// doubling one already there.
pub fn wrap(mut parts: Vec<GlobPart>, lead: bool, trail: bool) -> Vec<GlobPart> {
    if lead && parts.first() != Some(&GlobPart::AnyRun) {
        parts.insert(0, GlobPart::AnyRun);
    }
    if trail && parts.last() != Some(&GlobPart::AnyRun) {
        parts.push(GlobPart::AnyRun);
    }
    parts
}

/// Names the shape of a pattern, folding literals when the match is case-insensitive.
pub fn classify(parts: Vec<GlobPart>, case: Case) -> StrPattern {
    let fold = |s: String| match case {
        Case::Insensitive => fold(&s),
        Case::Sensitive => s,
    };
    let mut parts: Vec<GlobPart> = parts
        .into_iter()
        .map(|p| match p {
            GlobPart::Lit(s) => GlobPart::Lit(fold(s)),
            other => other,
        })
        .collect();
    use GlobPart::{AnyRun as R, Lit as L};
    match parts.as_mut_slice() {
        [] => StrPattern::Exact(String::new()),
        [L(s)] => StrPattern::Exact(std::mem::take(s)),
        [L(s), R] => StrPattern::Prefix(std::mem::take(s)),
        [R, L(s)] => StrPattern::Suffix(std::mem::take(s)),
        [R, L(s), R] => StrPattern::Contains(std::mem::take(s)),
        [R] => StrPattern::Any,
        _ => StrPattern::Glob(parts),
    }
}

/// The project's case folding (must agree with the runtime's `fold_char`): a char's lowercase
/// when that is exactly one char, else the char itself.
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GlobPart::{AnyChar as Q, AnyRun as R};

    fn lit(s: &str) -> GlobPart {
        GlobPart::Lit(s.to_owned())
    }

    #[test]
    fn escapes_follow_pysigma() {
        assert_eq!(parse(r"a\*b"), vec![lit("a*b")]);
        assert_eq!(parse(r"a\?b"), vec![lit("a?b")]);
        assert_eq!(
            parse(r"C:\Windows\System32"),
            vec![lit(r"C:\Windows\System32")]
        );
        assert_eq!(parse(r"\\*"), vec![lit("\\"), R]);
        assert_eq!(parse(r"\\\*"), vec![lit(r"\*")]);
        assert_eq!(parse(r"\\\"), vec![lit(r"\\")]);
        assert_eq!(parse(r"\\\\"), vec![lit(r"\\")]);
        assert_eq!(parse(r"temp\"), vec![lit(r"temp\")]);
        assert_eq!(parse(r"C:\temp\*"), vec![lit(r"C:\temp*")]);
        assert_eq!(parse(r"a\nb"), vec![lit(r"a\nb")]);
    }

    #[test]
    fn wildcards_split_and_merge() {
        assert_eq!(parse("a**b?"), vec![lit("a"), R, lit("b"), Q]);
        assert_eq!(parse("*"), vec![R]);
        assert_eq!(parse(""), vec![]);
    }

    #[test]
    fn classify_names_shapes_and_folds() {
        let ci = Case::Insensitive;
        assert_eq!(classify(parse("ABC"), ci), StrPattern::Exact("abc".into()));
        assert_eq!(
            classify(parse("ABC"), Case::Sensitive),
            StrPattern::Exact("ABC".into())
        );
        assert_eq!(classify(parse("a*"), ci), StrPattern::Prefix("a".into()));
        assert_eq!(classify(parse("*a"), ci), StrPattern::Suffix("a".into()));
        assert_eq!(classify(parse("*a*"), ci), StrPattern::Contains("a".into()));
        assert_eq!(classify(parse("*"), ci), StrPattern::Any);
        assert_eq!(
            classify(parse("a?"), ci),
            StrPattern::Glob(vec![lit("a"), Q])
        );
        assert_eq!(
            classify(wrap(parse("x"), true, true), ci),
            StrPattern::Contains("x".into())
        );
        assert_eq!(
            classify(wrap(parse("x*"), true, true), ci),
            StrPattern::Contains("x".into())
        );
    }

    #[test]
    fn folding_is_per_char_and_one_to_one() {
        assert_eq!(fold("ÄB\u{212A}"), "äbk");
        assert_eq!(fold("İ"), "İ");
        assert_eq!(fold("SS"), "ss");
        assert_eq!(fold("ß"), "ß");
    }
}
