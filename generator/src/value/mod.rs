//! One YAML value and its modifier chain → the patterns it stands for.
//!
//! Modifiers apply left to right, each checking the type of what the previous ones produced,
//! the way pySigma types them: `contains` takes strings, regexes and field references; `re`,
//! `cidr` and `exists` only take an unmodified value; `gt` takes numbers; and so on. Encoding
//! modifiers (`wide`, `base64`, `windash`, ...) run here, at generation time, so the emitted
//! code only compares precomputed needles.
//!
//! The steps live one job a file: `modify` (one modifier applied to a value), `encode`
//! (`wide`/`utf16`, `base64`/`base64offset`, `windash`), `expand` (placeholders), `cidr`,
//! `re` (regex translation for the runtime) and `finish` (the final `Pattern`).

use crate::ast;
use crate::ir::{Cidr, CompareOp, GlobPart, Pattern, TimePart};
use crate::modifier::Modifier;
use crate::wildcard;
use finish::finish;
use modify::modify;
use std::collections::{BTreeMap, BTreeSet};

mod cidr;
mod encode;
mod expand;
mod finish;
mod modify;
mod re;

#[cfg(test)]
mod tests;

pub use encode::{base64, base64_offsets};
pub use re::regex_for_runtime;

/// Values for `|expand` placeholders: name (without `%`) → values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders(pub BTreeMap<String, Vec<String>>);

/// Why a value cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Index of the modifier at fault, when one is.
    pub modifier: Option<usize>,
}

impl Problem {
    fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            help: Some(help.into()),
            modifier: None,
        }
    }

    fn at(mut self, i: usize) -> Self {
        self.modifier = Some(i);
        self
    }
}

/// A value on its way through the modifiers.
#[derive(Debug, Clone)]
enum V {
    Str {
        parts: Vec<GlobPart>,
        cased: bool,
        raw: Option<String>,
    },
    Num(ast::Number),
    Bool(bool),
    Null,
    Regex {
        pattern: String,
        flags: BTreeSet<char>,
    },
    Cidr(Cidr),
    Cmp(CompareOp, f64),
    Ref {
        field: String,
        prefix: bool,
        suffix: bool,
    },
    Part(TimePart, i64),
}

impl V {
    fn kind(&self) -> &'static str {
        match self {
            V::Str { .. } => "a string",
            V::Num(_) => "a number",
            V::Bool(_) => "a boolean",
            V::Null => "null",
            V::Regex { .. } => "a regular expression",
            V::Cidr(_) => "a CIDR network",
            V::Cmp(..) => "a comparison",
            V::Ref { .. } => "a field reference",
            V::Part(..) => "a timestamp part",
        }
    }
}

/// Compiles one scalar with its modifiers (list modifiers `all` and `neq` are the caller's;
/// they still count as applied for `re`/`cidr`/`exists`, which need an unmodified value).
/// Returns the alternatives this one value expands to (several for `windash`,
/// `base64offset` and placeholders).
pub fn apply(
    value: &ast::Value,
    mods: &[(Modifier, &str)],
    keyword: bool,
    placeholders: Option<&Placeholders>,
) -> Result<Vec<Pattern>, Problem> {
    let has_re = mods.iter().any(|(m, _)| *m == Modifier::Re);
    let first = match value {
        ast::Value::Str(s) => V::Str { parts: wildcard::parse(s), cased: false, raw: Some(s.clone()) },
        ast::Value::Number(n) if has_re => V::Str { parts: wildcard::parse(&n.text), cased: false, raw: Some(n.text.clone()) },
        ast::Value::Number(n) => V::Num(n.clone()),
        ast::Value::Bool(b) => V::Bool(*b),
        ast::Value::Null => V::Null,
        other => {
            return Err(Problem::new(
                format!("a value must be a string, number, boolean or null, found {}", other.kind()),
                "nested lists and mappings are not Sigma values; use a list of maps for OR of AND-ed conditions",
            ))
        }
    };
    let mut vals = vec![first];
    for (i, (m, name)) in mods.iter().enumerate() {
        if matches!(m, Modifier::All | Modifier::Neq | Modifier::Exists) {
            continue; // list modifiers, and `exists`, which the caller handles
        }
        let mut next = Vec::with_capacity(vals.len());
        for v in vals {
            next.extend(modify(v, *m, name, i, placeholders).map_err(|p| p.at(i))?);
        }
        vals = next;
    }
    vals.into_iter().map(|v| finish(v, keyword)).collect()
}

/// The text of a pattern that has no wildcards.
fn plain(parts: &[GlobPart]) -> Option<String> {
    parts
        .iter()
        .map(|p| match p {
            GlobPart::Lit(s) => Some(s.as_str()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(|v| v.concat())
}

fn merge_lits(parts: Vec<GlobPart>) -> Vec<GlobPart> {
    let mut out: Vec<GlobPart> = Vec::with_capacity(parts.len());
    for p in parts {
        match (out.last_mut(), p) {
            (Some(GlobPart::Lit(a)), GlobPart::Lit(b)) => a.push_str(&b),
            (_, p) => out.push(p),
        }
    }
    out
}
