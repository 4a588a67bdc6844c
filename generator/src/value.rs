//! One YAML value and its modifier chain → the patterns it stands for.
//!
//! Modifiers apply left to right, each checking the type of what the previous ones produced,
//! the way pySigma types them: `contains` takes strings, regexes and field references; `re`,
//! `cidr` and `exists` only take an unmodified value; `gt` takes numbers; and so on. Encoding
//! modifiers (`wide`, `base64`, `windash`, ...) run here, at generation time, so the emitted
//! code only compares precomputed needles.

use crate::ast;
use crate::ir::{Case, Cidr, CompareOp, GlobPart, Pattern, RefMode, TimePart};
use crate::modifier::Modifier;
use crate::wildcard;
use std::collections::{BTreeMap, BTreeSet};

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

fn type_error(name: &str, v: &V, help: &str) -> Problem {
    Problem::new(format!("`{name}` does not apply to {}", v.kind()), help)
}

fn modify(
    v: V,
    m: Modifier,
    name: &str,
    index: usize,
    placeholders: Option<&Placeholders>,
) -> Result<Vec<V>, Problem> {
    let unmodified = index == 0;
    Ok(match (m, v) {
        (
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith,
            V::Str { parts, cased, .. },
        ) => {
            let lead = matches!(m, Modifier::Contains | Modifier::EndsWith);
            let trail = matches!(m, Modifier::Contains | Modifier::StartsWith);
            vec![V::Str {
                parts: wildcard::wrap(parts, lead, trail),
                cased,
                raw: None,
            }]
        }
        // With search semantics a regex needs no `.*` around it: these change nothing.
        (Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith, v @ V::Regex { .. }) => {
            vec![v]
        }
        (
            Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith,
            V::Ref {
                field,
                prefix,
                suffix,
            },
        ) => {
            let p = prefix || matches!(m, Modifier::Contains | Modifier::StartsWith);
            let s = suffix || matches!(m, Modifier::Contains | Modifier::EndsWith);
            vec![V::Ref {
                field,
                prefix: p,
                suffix: s,
            }]
        }
        (Modifier::Cased, V::Str { parts, raw, .. }) => vec![V::Str {
            parts,
            cased: true,
            raw,
        }],
        (Modifier::Re, V::Str { raw: Some(raw), .. }) if unmodified => {
            vec![V::Regex {
                pattern: raw,
                flags: BTreeSet::new(),
            }]
        }
        (Modifier::Re, v) => {
            return Err(match v {
                V::Str { .. } => Problem::new(
                    "`re` must be the first modifier",
                    "write `field|re|i: ...`: `re` first, then its flags and other modifiers",
                ),
                other => type_error(name, &other, "`re` takes a string"),
            })
        }
        (Modifier::ReFlag(f), V::Regex { pattern, mut flags }) => {
            flags.insert(f);
            vec![V::Regex { pattern, flags }]
        }
        (Modifier::ReFlag(_), v) => {
            return Err(type_error(
                name,
                &v,
                &format!("`{name}` is a flag of `re`: write `field|re|{name}`"),
            ))
        }
        (Modifier::Base64 | Modifier::Base64Offset, V::Str { parts, .. }) => {
            let Some(text) = plain(&parts) else {
                return Err(Problem::new(format!("`{name}` cannot encode wildcards"), "remove `*` and `?` from the value (escape them as `\\*`, `\\?` if they are literal), and add `|contains` after the encoding"));
            };
            let bytes = base64_input(&text);
            if m == Modifier::Base64 {
                vec![literal(base64(&bytes))]
            } else {
                base64_offsets(&bytes).into_iter().map(literal).collect()
            }
        }
        (Modifier::Wide | Modifier::Utf16Be | Modifier::Utf16, V::Str { parts, cased, .. }) => {
            let mut out = Vec::with_capacity(parts.len() + 1);
            if m == Modifier::Utf16 {
                out.push(GlobPart::Lit("\u{feff}".to_owned()));
            }
            for p in parts {
                out.push(match p {
                    GlobPart::Lit(s) => GlobPart::Lit(utf16(&s, m == Modifier::Utf16Be).ok_or_else(|| {
                        Problem::new(
                            format!("`{name}` only encodes text whose UTF-16 bytes are valid UTF-8 (in practice ASCII), not `{s}`"),
                            "pySigma has the same limit; use ASCII text",
                        )
                    })?),
                    other => other,
                });
            }
            vec![V::Str {
                parts: merge_lits(out),
                cased,
                raw: None,
            }]
        }
        (Modifier::Windash, V::Str { parts, cased, .. }) => {
            let variants = windash(&parts)?;
            variants
                .into_iter()
                .map(|parts| V::Str {
                    parts,
                    cased,
                    raw: None,
                })
                .collect()
        }
        (
            Modifier::Cidr,
            V::Str {
                parts,
                raw: Some(_),
                ..
            },
        ) if unmodified => {
            let text = plain(&parts).unwrap_or_default();
            vec![V::Cidr(parse_cidr(&text)?)]
        }
        (Modifier::Cidr, v) => {
            return Err(match v {
                V::Str { .. } => Problem::new(
                    "`cidr` must be the only value modifier",
                    "write `field|cidr: 10.0.0.0/8`",
                ),
                other => type_error(
                    name,
                    &other,
                    "`cidr` takes a network such as `10.0.0.0/8` or `fd00::/8`",
                ),
            })
        }
        (Modifier::FieldRef, V::Str { parts, .. }) => match plain(&parts) {
            Some(field) if !field.is_empty() => vec![V::Ref {
                field,
                prefix: false,
                suffix: false,
            }],
            _ => {
                return Err(Problem::new(
                    "`fieldref` takes a field name without wildcards",
                    "write `field|fieldref: other.field`",
                ))
            }
        },
        (Modifier::Compare(op), V::Num(n)) => vec![V::Cmp(op, n.value)],
        (Modifier::Time(part), V::Num(n)) if n.integral => vec![V::Part(part, n.value as i64)],
        (Modifier::Compare(_) | Modifier::Time(_), v) => {
            return Err(type_error(
                name,
                &v,
                &format!("write an unquoted number, e.g. `field|{name}: 5`"),
            ))
        }
        (Modifier::Expand, V::Str { parts, cased, .. }) => expand(parts, placeholders)?
            .into_iter()
            .map(|parts| V::Str {
                parts,
                cased,
                raw: None,
            })
            .collect(),
        (Modifier::Expand, V::Regex { pattern, flags }) => {
            let parts = expand(vec![GlobPart::Lit(pattern)], placeholders)?;
            parts
                .into_iter()
                .map(|p| V::Regex {
                    pattern: plain(&p).unwrap_or_default(),
                    flags: flags.clone(),
                })
                .collect()
        }
        (Modifier::All | Modifier::Neq | Modifier::Exists, v) => vec![v],
        (_, v) => {
            let help = match v {
                V::Num(_) | V::Bool(_) => "quote the value to make it a string",
                _ => "check the order of the modifiers",
            };
            return Err(type_error(name, &v, help));
        }
    })
}

fn literal(s: String) -> V {
    V::Str {
        parts: vec![GlobPart::Lit(s)],
        cased: false,
        raw: None,
    }
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

/// UTF-16 code units as bytes, read back as UTF-8 (pySigma's way: works for ASCII).
fn utf16(s: &str, big_endian: bool) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len() * 2);
    for unit in s.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    String::from_utf8(bytes).ok()
}

/// The bytes `base64` encodes: the UTF-8 text, except that the byte order mark `utf16` put
/// in front is written as UTF-16LE's `FF FE`.
fn base64_input(text: &str) -> Vec<u8> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => [&[0xFF, 0xFE][..], rest.as_bytes()].concat(),
        None => text.as_bytes().to_vec(),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three needles that find `data` inside a Base64 stream at any byte offset: Base64 of
/// (i spaces + data) with the chars that depend on neighbouring bytes cut off.
pub fn base64_offsets(data: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut input = vec![b' '; i];
            input.extend_from_slice(data);
            let enc = base64(&input);
            let end = enc.len() - END_CUT[(data.len() + i) % 3];
            enc.get(START[i]..end.max(START[i]))
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every combination of dash characters for the dashes that start a word (`\B[-/]\b` in each
/// literal piece), at most three of them as in pySigma.
fn windash(parts: &[GlobPart]) -> Result<Vec<Vec<GlobPart>>, Problem> {
    // Split literals at expandable dashes: None marks a dash slot.
    let mut pieces: Vec<Option<GlobPart>> = Vec::new();
    for p in parts {
        let GlobPart::Lit(s) = p else {
            pieces.push(Some(p.clone()));
            continue;
        };
        let chars: Vec<char> = s.chars().collect();
        let mut lit = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let before_is_word = i > 0 && is_word(chars[i - 1]);
            let after_is_word = chars.get(i + 1).is_some_and(|n| is_word(*n));
            if (c == '-' || c == '/') && !before_is_word && after_is_word {
                if !lit.is_empty() {
                    pieces.push(Some(GlobPart::Lit(std::mem::take(&mut lit))));
                }
                pieces.push(None);
            } else {
                lit.push(c);
            }
        }
        if !lit.is_empty() {
            pieces.push(Some(GlobPart::Lit(lit)));
        }
    }
    let slots = pieces.iter().filter(|p| p.is_none()).count();
    if slots > 3 {
        return Err(Problem::new(
            format!("`windash` expands at most three dashes in one value, this one has {slots}"),
            "split the value into several values, each with at most three option dashes",
        ));
    }
    let mut out = Vec::new();
    for combo in 0..DASHES.len().pow(slots as u32) {
        let mut n = combo;
        let mut variant = Vec::with_capacity(pieces.len());
        for p in &pieces {
            match p {
                Some(part) => variant.push(part.clone()),
                None => {
                    variant.push(GlobPart::Lit(DASHES[n % DASHES.len()].to_string()));
                    n /= DASHES.len();
                }
            }
        }
        out.push(merge_lits(variant));
    }
    Ok(out)
}

/// Replaces `%name%` placeholders with each of their values (all combinations).
fn expand(
    parts: Vec<GlobPart>,
    placeholders: Option<&Placeholders>,
) -> Result<Vec<Vec<GlobPart>>, Problem> {
    let mut results: Vec<Vec<GlobPart>> = vec![Vec::new()];
    for part in parts {
        let GlobPart::Lit(s) = part else {
            results.iter_mut().for_each(|r| r.push(part.clone()));
            continue;
        };
        for piece in split_placeholders(&s) {
            match piece {
                Piece::Text(t) => results
                    .iter_mut()
                    .for_each(|r| r.push(GlobPart::Lit(t.clone()))),
                Piece::Placeholder(name) => {
                    let values = placeholders.and_then(|p| p.0.get(&name)).ok_or_else(|| {
                        Problem::new(
                            format!("placeholder `%{name}%` has no values"),
                            match placeholders {
                                None => "give placeholder values in a YAML file (`name: [value, ...]`) with SIGMA_PLACEHOLDERS=FILE at build time, or `sigma-gen check --placeholders FILE`".to_owned(),
                                Some(_) => format!("add `{name}:` with its values to the placeholders file"),
                            },
                        )
                    })?;
                    if values.is_empty() || results.len() * values.len() > 4096 {
                        return Err(Problem::new(
                            format!(
                                "placeholder `%{name}%` expands to {} combinations",
                                results.len() * values.len()
                            ),
                            "a placeholder needs between one and a few thousand combinations",
                        ));
                    }
                    results = results
                        .into_iter()
                        .flat_map(|r| {
                            values.iter().map(move |v| {
                                let mut r = r.clone();
                                r.extend(wildcard::parse(v));
                                r
                            })
                        })
                        .collect();
                }
            }
        }
    }
    Ok(results.into_iter().map(merge_wild).collect())
}

fn merge_wild(parts: Vec<GlobPart>) -> Vec<GlobPart> {
    let mut out: Vec<GlobPart> = Vec::new();
    for p in merge_lits(parts) {
        if !(p == GlobPart::AnyRun && out.last() == Some(&GlobPart::AnyRun)) {
            out.push(p);
        }
    }
    out
}

enum Piece {
    Text(String),
    Placeholder(String),
}

/// `%name%` (non-empty, no backslash) is a placeholder; any other `%` is literal.
fn split_placeholders(s: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        text.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 && !after[..end].contains('\\') => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Placeholder(after[..end].to_owned()));
                rest = &after[end + 1..];
            }
            _ => {
                text.push('%');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

fn parse_cidr(text: &str) -> Result<Cidr, Problem> {
    let bad = |why: String| {
        Problem::new(
            format!("bad CIDR network `{text}`: {why}"),
            "write a network such as `10.0.0.0/8` or `2001:db8::/32`",
        )
    };
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: std::net::IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| bad("not an IP address".into()))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u8 = match len {
        Some(l) => l
            .trim()
            .parse()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| bad(format!("prefix length must be 0 to {max}")))?,
        None => max,
    };
    let cidr = match addr {
        std::net::IpAddr::V4(a) => Cidr::V4(u32::from(a), len),
        std::net::IpAddr::V6(a) => Cidr::V6(u128::from(a), len),
    };
    let host_bits = match cidr {
        Cidr::V4(a, l) => l < 32 && a & (u32::MAX >> l) != 0,
        Cidr::V6(a, l) => l < 128 && a & (u128::MAX >> l) != 0,
    };
    if host_bits {
        return Err(bad("host bits are set".into()));
    }
    Ok(cidr)
}

/// The final pattern of one value.
fn finish(v: V, keyword: bool) -> Result<Pattern, Problem> {
    Ok(match v {
        V::Str { parts, cased, .. } => {
            let case = if cased {
                Case::Sensitive
            } else {
                Case::Insensitive
            };
            let parts = if keyword {
                wildcard::wrap(parts, true, true)
            } else {
                parts
            };
            Pattern::Str(wildcard::classify(parts, case), case)
        }
        V::Num(n) if keyword => {
            Pattern::Str(crate::ir::StrPattern::Contains(n.text), Case::Insensitive)
        }
        V::Num(n) => Pattern::Num {
            value: n.value,
            text: n.text,
        },
        V::Null if keyword => {
            return Err(Problem::new(
                "`null` cannot be a keyword",
                "keywords are strings searched in every value",
            ))
        }
        V::Bool(_) if keyword => {
            return Err(Problem::new(
                "a keyword must be a string or a number, found a boolean",
                "quote the value",
            ))
        }
        V::Bool(b) => Pattern::Bool(b),
        V::Null => Pattern::Null,
        V::Regex { pattern, flags } => Pattern::Regex(regex_for_runtime(&pattern, &flags)?),
        V::Cidr(c) => Pattern::Cidr(c),
        V::Cmp(op, value) => Pattern::Compare { op, value },
        V::Ref { .. } | V::Part(..) if keyword => {
            return Err(Problem::new(
                "this modifier needs a field",
                "write `field|modifier: value`",
            ))
        }
        V::Ref {
            field,
            prefix,
            suffix,
        } => Pattern::FieldRef {
            field,
            mode: match (prefix, suffix) {
                (true, true) => RefMode::Contains,
                (true, false) => RefMode::Prefix,
                (false, true) => RefMode::Suffix,
                (false, false) => RefMode::Eq,
            },
        },
        V::Part(part, value) => Pattern::TimePart { part, value },
    })
}

/// Translates a Sigma (RE2-flavoured) regex for the runtime's `regex` crate, checks that it
/// compiles there, and prefixes the flags. `\d`, `\w`, `\s` and `\b` are ASCII, as in RE2.
pub fn regex_for_runtime(pattern: &str, flags: &BTreeSet<char>) -> Result<String, Problem> {
    let mut out = String::with_capacity(pattern.len() + 8);
    if !flags.is_empty() {
        out.push_str("(?");
        out.extend(flags.iter());
        out.push(')');
    }
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let sub = match (in_class, n) {
                    (false, 'd') => "[0-9]",
                    (false, 'D') => "[^0-9]",
                    (false, 'w') => "[0-9A-Za-z_]",
                    (false, 'W') => "[^0-9A-Za-z_]",
                    (false, 's') => r"[\t\n\f\r ]",
                    (false, 'S') => r"[^\t\n\f\r ]",
                    (false, 'b') => r"(?-u:\b)",
                    (false, 'B') => r"(?-u:\B)",
                    (true, 'd') => "0-9",
                    (true, 'D') => "[:^digit:]",
                    (true, 'w') => "0-9A-Za-z_",
                    (true, 'W') => "[:^word:]",
                    (true, 's') => r"\t\n\f\r ",
                    (true, 'S') => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(sub);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]` inside a bracket: copy through its closing `:]`.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    match regex::Regex::new(&out) {
        Ok(_) => Ok(out),
        Err(e) => Err(Problem::new(
            format!("the regular expression does not compile: {}", first_line(&e.to_string())),
            "Sigma regexes are RE2-style: no look-around (`(?=`, `(?!`, `(?<=`) and no backreferences (`\\1`)",
        )),
    }
}

/// The regex crate's message without its pattern excerpt: the last non-empty line.
fn first_line(s: &str) -> String {
    let last = s
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64_offsets_follow_the_three_alignments() {
        // pySigma's documented example: "/bin/bash" → L2Jpbi9iYXNo, 9iaW4vYmFza, vYmluL2Jhc2
        assert_eq!(
            base64_offsets(b"/bin/bash"),
            ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
        for needle in base64_offsets(b"secret") {
            let hits = (0..3)
                .filter(|pad| {
                    base64(&[vec![b'x'; *pad], b"secret".to_vec(), b"yy".to_vec()].concat())
                        .contains(&needle)
                })
                .count();
            assert!(hits >= 1, "{needle} found at no offset");
        }
    }

    #[test]
    fn wide_encodes_ascii_only() {
        assert_eq!(utf16("ab", false).as_deref(), Some("a\0b\0"));
        assert_eq!(utf16("ab", true).as_deref(), Some("\0a\0b"));
        assert_eq!(utf16("é", false), None);
    }

    #[test]
    fn windash_expands_option_dashes_only() {
        let lit = |s: &str| vec![GlobPart::Lit(s.to_owned())];
        let v = windash(&lit("-x a-b")).unwrap();
        assert_eq!(v.len(), 5);
        assert!(v.contains(&lit("/x a-b")) && v.contains(&lit("\u{2015}x a-b")));
        assert_eq!(windash(&lit("--long")).unwrap().len(), 5); // only the second dash
        assert!(windash(&lit("-a -b -c -d")).is_err());
        assert_eq!(windash(&lit("x")).unwrap(), vec![lit("x")]);
    }

    #[test]
    fn cidr_rejects_host_bits() {
        assert_eq!(parse_cidr("10.0.0.0/8").unwrap(), Cidr::V4(0x0A00_0000, 8));
        assert!(parse_cidr("10.0.0.1/8").is_err());
        assert_eq!(parse_cidr("::1").unwrap(), Cidr::V6(1, 128));
        assert!(parse_cidr("fd00::1/8").is_err());
        assert!(parse_cidr("10.0.0.0/33").is_err());
    }

    #[test]
    fn regex_classes_become_ascii() {
        let f = BTreeSet::new();
        assert_eq!(
            regex_for_runtime(r"\d+\s\w", &f).unwrap(),
            r"[0-9]+[\t\n\f\r ][0-9A-Za-z_]"
        );
        assert_eq!(regex_for_runtime(r"[\d.]", &f).unwrap(), r"[0-9.]");
        assert_eq!(
            regex_for_runtime(r"a\.b", &BTreeSet::from(['i', 's'])).unwrap(),
            r"(?is)a\.b"
        );
        assert!(regex_for_runtime(r"(?<=a)b", &f).is_err());
        assert!(regex_for_runtime(r"(a)\1", &f).is_err());
        let re = regex::Regex::new(&regex_for_runtime(r"^\d$", &f).unwrap()).unwrap();
        assert!(re.is_match("7") && !re.is_match("٣"));
    }

    #[test]
    fn placeholders_expand_to_every_combination() {
        let p = Placeholders(BTreeMap::from([(
            "a".into(),
            vec!["x".into(), "y*".into()],
        )]));
        let out = expand(wildcard::parse("pre%a%post"), Some(&p)).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], vec![GlobPart::Lit("prexpost".into())]);
        assert!(expand(wildcard::parse("%b%"), Some(&p)).is_err());
        assert_eq!(
            expand(wildcard::parse("100%"), None).unwrap(),
            vec![vec![GlobPart::Lit("100%".into())]]
        );
    }
}
