//! Gates: for each rule, a monotone AND/OR formula over *needles* (a field, a kind, a folded
//! literal) that holds on every event the rule matches. The engine scans each field of an
//! event once for the needles of every rule routed to it and evaluates only the rules whose
//! gate holds; see `docs/rule-set-compilation.md`.
//!
//! Soundness rests on folding being char by char: if a value equals, starts with, ends with or
//! contains a literal, its fold does the same with the literal's fold. So every needle is
//! folded, case-sensitive ones too (they only gate less tightly), and the engine scans folded
//! values. A regex gives the literals its matches start with (when they are a finite set of
//! long enough ones). Whatever gives no needle (negations, numbers, `null`, comparisons, short
//! literals) makes its part of the formula true.

use crate::ir::{Clause, Expr, GlobPart, Pattern, Rule, StrPattern, Test};
use crate::wildcard::fold;
use std::fmt;

/// Literals shorter than this (in bytes) give no prefix, suffix or contains needle: a single
/// byte hits too often to be worth scanning for. Two bytes are kept: `^^` (cmd obfuscation)
/// or one non-ASCII char (homoglyphs, `®`) are rare in values, and such rules would otherwise
/// run on every event.
pub const MIN_NEEDLE: usize = 2;

/// How a needle must sit in the folded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The whole value.
    Exact,
    /// At its start.
    Prefix,
    /// At its end.
    Suffix,
    /// Anywhere.
    Contains,
}

impl Kind {
    /// How the kind reads in docs.
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Exact => "is",
            Kind::Prefix => "starts with",
            Kind::Suffix => "ends with",
            Kind::Contains => "contains",
        }
    }
}

/// One needle: `field` (`None`: any value of the event, for keywords) holds `text` as `kind`
/// says, once folded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Needle {
    /// The field as written in the rule.
    pub field: Option<String>,
    /// Where the literal sits.
    pub kind: Kind,
    /// The folded literal.
    pub text: String,
}

/// A formula over needles; `Option<Gate>` is `None` where nothing is required.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gate {
    /// This needle is in the event.
    Needle(Needle),
    /// Every one of these holds (two or more).
    All(Vec<Gate>),
    /// One of these holds (two or more).
    Any(Vec<Gate>),
}

impl Gate {
    /// Every needle of the formula, in order of appearance (with repeats).
    pub fn needles(&self) -> Vec<&Needle> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Needle>) {
        match self {
            Gate::Needle(n) => out.push(n),
            Gate::All(xs) | Gate::Any(xs) => xs.iter().for_each(|x| x.collect(out)),
        }
    }
}

/// The rule's gate, `None` when no needle is required (the rule runs on every event of its
/// log source).
pub fn of_rule(rule: &Rule) -> Option<Gate> {
    expr(rule, &rule.condition)
}

fn expr(rule: &Rule, e: &Expr) -> Option<Gate> {
    match e {
        Expr::Sel(i) => {
            let sel = rule.selections.get(*i)?;
            any(sel
                .alternatives
                .iter()
                .map(|alt| all(alt.iter().map(clause))))
        }
        Expr::And(xs) => all(xs.iter().map(|x| expr(rule, x))),
        Expr::Or(xs) => any(xs.iter().map(|x| expr(rule, x))),
        Expr::Not(_) => None,
    }
}

fn clause(c: &Clause) -> Option<Gate> {
    match &c.test {
        Test::Exists(_) | Test::Match { negate: true, .. } => None,
        Test::Match {
            groups,
            negate: false,
        } => all(groups.iter().map(|group| {
            any(group
                .iter()
                .map(|p| pattern(c.field.as_deref(), p).map(one_of)))
        })),
    }
}

/// The needles one of which a value matching `p` holds; `None` when there are none.
fn pattern(field: Option<&str>, p: &Pattern) -> Option<Vec<Needle>> {
    let needle = |kind: Kind, text: &str| {
        let text = fold(text);
        let long_enough = match kind {
            Kind::Exact => !text.is_empty(),
            _ => text.len() >= MIN_NEEDLE,
        };
        long_enough.then(|| Needle {
            field: field.map(str::to_owned),
            kind,
            text,
        })
    };
    let each = |kind: Kind, set: &std::collections::BTreeSet<String>| {
        set.iter()
            .map(|t| needle(kind, t))
            .collect::<Option<Vec<_>>>()
    };
    match p {
        Pattern::Str(s, _) => match s {
            StrPattern::Exact(t) => needle(Kind::Exact, t).map(|n| vec![n]),
            StrPattern::Prefix(t) => needle(Kind::Prefix, t).map(|n| vec![n]),
            StrPattern::Suffix(t) => needle(Kind::Suffix, t).map(|n| vec![n]),
            StrPattern::Contains(t) => needle(Kind::Contains, t).map(|n| vec![n]),
            StrPattern::Glob(parts) => glob(parts)
                .and_then(|(kind, t)| needle(kind, &t))
                .map(|n| vec![n]),
            StrPattern::Any => None,
        },
        Pattern::Regex(re) => regex_prefixes(re)?
            .iter()
            .map(|t| needle(Kind::Contains, t))
            .collect(),
        Pattern::OneOf(set, _) => each(Kind::Exact, set),
        Pattern::Prefixes(set, _) => each(Kind::Prefix, set),
        // A number matches numbers of other spellings; the rest has no literal.
        Pattern::Num { .. }
        | Pattern::Bool(_)
        | Pattern::Null
        | Pattern::Cidr(_)
        | Pattern::Compare { .. }
        | Pattern::FieldRef { .. }
        | Pattern::TimePart { .. } => None,
    }
}

/// The literals one of which every match of the regex `re` (in the runtime's syntax) starts
/// with, so that a text it matches contains: `None` when they are not a finite set (or not
/// text). A case-insensitive regex gives each case variant, which fold to one needle.
fn regex_prefixes(re: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(re).ok()?;
    let mut extractor = Extractor::new();
    extractor
        .kind(ExtractKind::Prefix)
        .limit_class(4)
        .limit_repeat(8)
        .limit_literal_len(64)
        .limit_total(256);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() {
        return None;
    }
    literals
        .iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect()
}

/// The best needle of a wildcard pattern: its leading literal as a prefix or its trailing one
/// as a suffix when that is the longest literal, else the longest literal as contains.
fn glob(parts: &[GlobPart]) -> Option<(Kind, String)> {
    let (i, longest) = parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            GlobPart::Lit(t) => Some((i, t)),
            _ => None,
        })
        .max_by_key(|(i, t)| (t.len(), std::cmp::Reverse(*i)))?;
    let kind = if i == 0 {
        Kind::Prefix
    } else if i + 1 == parts.len() {
        Kind::Suffix
    } else {
        Kind::Contains
    };
    Some((kind, longest.clone()))
}

fn one_of(needles: Vec<Needle>) -> Gate {
    any(needles.into_iter().map(|n| Some(Gate::Needle(n)))).expect("needles are never empty")
}

/// AND: the parts that require something (none: nothing is required).
fn all(parts: impl Iterator<Item = Option<Gate>>) -> Option<Gate> {
    let mut out: Vec<Gate> = Vec::new();
    for g in parts.flatten() {
        match g {
            Gate::All(xs) => out.extend(xs),
            g => out.push(g),
        }
    }
    dedup(&mut out);
    match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(Gate::All(out)),
    }
}

/// OR: nothing is required as soon as one branch requires nothing.
fn any(parts: impl Iterator<Item = Option<Gate>>) -> Option<Gate> {
    let mut out: Vec<Gate> = Vec::new();
    for g in parts {
        match g? {
            Gate::Any(xs) => out.extend(xs),
            g => out.push(g),
        }
    }
    dedup(&mut out);
    match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(Gate::Any(out)),
    }
}

/// Drops repeated members, keeping the first of each.
fn dedup(xs: &mut Vec<Gate>) {
    let mut seen = std::collections::HashSet::with_capacity(xs.len());
    xs.retain(|x| seen.insert(x.clone()));
}

/// The formula as one line of text, for docs: `CommandLine contains "x" or (...)`.
impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, xs: &[Gate], op: &str| -> fmt::Result {
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                match x {
                    Gate::Needle(_) => write!(f, "{x}")?,
                    _ => write!(f, "({x})")?,
                }
            }
            Ok(())
        };
        match self {
            Gate::Needle(n) => write!(f, "{n}"),
            Gate::All(xs) => join(f, xs, "and"),
            Gate::Any(xs) => match same_field_and_kind(xs) {
                // `Image ends with one of "\\a.exe", "\\b.exe"`
                Some(first) => {
                    let field = first.field.as_deref().unwrap_or("any value");
                    write!(f, "{field} {} one of ", first.kind.verb())?;
                    for (i, x) in xs.iter().enumerate() {
                        if let Gate::Needle(n) = x {
                            let sep = if i > 0 { ", " } else { "" };
                            write!(f, "{sep}{:?}", n.text)?;
                        }
                    }
                    Ok(())
                }
                None => join(f, xs, "or"),
            },
        }
    }
}

/// The first needle of `xs` when every member is a needle of the same field and kind.
fn same_field_and_kind(xs: &[Gate]) -> Option<&Needle> {
    let mut needles = xs.iter().map(|x| match x {
        Gate::Needle(n) => Some(n),
        _ => None,
    });
    let first = needles.next()??;
    needles
        .all(|n| n.is_some_and(|n| n.field == first.field && n.kind == first.kind))
        .then_some(first)
}

impl fmt::Display for Needle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field.as_deref().unwrap_or("any value");
        write!(f, "{field} {} {:?}", self.kind.verb(), self.text)
    }
}

#[cfg(test)]
mod tests;
