//! Rendering rules as Sigma YAML: value text with wildcards and escapes, regexes, keys with
//! their modifiers, numbers, CIDRs, and keyword lists.

use super::{Clause, Enc, Piece, RePart};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------------
// Rendering rules
// ---------------------------------------------------------------------------------------------

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Sigma text for a pattern: `*`, `?` and `\` in literals escaped (a backslash before an
/// ordinary character, or at the end, is sometimes left single, which Sigma keeps as is).
pub(super) fn sigma_text(pieces: &[Piece]) -> String {
    let mut chars: Vec<(char, bool)> = Vec::new(); // (char, is_literal)
    for p in pieces {
        match p {
            Piece::Lit(s) => chars.extend(s.chars().map(|c| (c, true))),
            Piece::Star => chars.push(('*', false)),
            Piece::Qmark => chars.push(('?', false)),
        }
    }
    let mut out = String::new();
    for (i, &(c, lit)) in chars.iter().enumerate() {
        if !lit {
            out.push(c);
            continue;
        }
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                // Single when what follows cannot be read as an escape, double otherwise; the
                // choice alternates with the position so that both spellings occur.
                let next_plain = match chars.get(i + 1) {
                    None => true,
                    Some(&(n, _)) => !matches!(n, '*' | '?' | '\\'),
                };
                if next_plain && i % 2 == 0 {
                    out.push('\\');
                } else {
                    out.push_str("\\\\");
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn regex_text(parts: &[RePart], anchored: (bool, bool)) -> String {
    let mut out = String::new();
    if anchored.0 {
        out.push('^');
    }
    for p in parts {
        match p {
            RePart::Lit(s) => out.push_str(&regex_escape(s)),
            RePart::Dot => out.push('.'),
            RePart::Digits => out.push_str("\\d+"),
            RePart::Word => out.push_str("\\w+"),
            RePart::Space => out.push_str("\\s"),
            RePart::Class => out.push_str("[a-cX-Z]+"),
            RePart::Alt(a, b) => {
                let _ = write!(out, "(?:{}|{})", regex_escape(a), regex_escape(b));
            }
        }
    }
    if anchored.1 {
        out.push('$');
    }
    out
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn key(c: &Clause) -> String {
    match c {
        Clause::Str {
            field,
            mode,
            cased,
            all,
            ..
        } => format!(
            "{field}{}{}{}",
            mode.modifier(),
            if *cased { "|cased" } else { "" },
            if *all { "|all" } else { "" }
        ),
        Clause::Re {
            field, flags, mode, ..
        } => format!("{field}|re{flags}{}", mode.modifier()),
        Clause::Windash { contains, .. } => {
            format!("cmd|windash{}", if *contains { "|contains" } else { "" })
        }
        Clause::Base64 {
            offset,
            contains,
            enc,
            cased,
            ..
        } => {
            let enc = match enc {
                Enc::Utf8 => "",
                Enc::Wide => "|wide",
                Enc::Utf16Be => "|utf16be",
                Enc::Utf16 => "|utf16",
            };
            format!(
                "enc{enc}|{}{}{}",
                if *offset { "base64offset" } else { "base64" },
                if *contains { "|contains" } else { "" },
                if *cased { "|cased" } else { "" }
            )
        }
        Clause::Cidr { .. } => "ip|cidr".to_owned(),
        Clause::Cmp { field, op, .. } => format!("{field}|{op}"),
        Clause::Neq { field, .. } => format!("{field}|neq"),
        Clause::Exists { field, .. } => format!("{field}|exists"),
        Clause::Null { field } | Clause::Star { field } => (*field).to_owned(),
        Clause::Num { field, .. } | Clause::Bool { field, .. } => (*field).to_owned(),
        Clause::FieldRef { field, mode, .. } => format!("{field}|fieldref{}", mode.modifier()),
        Clause::Time { part, .. } => format!("ts|{part}"),
        Clause::Keywords { .. } => String::new(),
        Clause::Invalid { key, .. } => (*key).to_owned(),
    }
}

pub(super) fn yaml_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn cidr_text(net: u128, prefix: u8, v6: bool) -> String {
    if v6 {
        format!("{}/{prefix}", Ipv6Addr::from(net))
    } else {
        format!("{}/{prefix}", Ipv4Addr::from(net as u32))
    }
}

/// Values as YAML: one scalar, or a list under the key.
fn render_values(values: &[String], lead_key: &str, list_indent: &str, out: &mut String) {
    if values.len() == 1 {
        let _ = writeln!(out, "{lead_key} {}", values[0]);
    } else {
        let _ = writeln!(out, "{lead_key}");
        for v in values {
            let _ = writeln!(out, "{list_indent}- {v}");
        }
    }
}

pub(super) fn render_clause(c: &Clause, lead: &str, list_indent: &str, out: &mut String) {
    let key = format!("{lead}{}:", quote_key(&key(c)));
    let values: Vec<String> = match c {
        Clause::Str { values, .. } => values.iter().map(|v| quote(&sigma_text(v))).collect(),
        Clause::Re {
            parts, anchored, ..
        } => vec![quote(&regex_text(parts, *anchored))],
        Clause::Windash {
            head, dash, word, ..
        } => vec![quote(&format!("{head} {dash}{word}"))],
        Clause::Base64 { text, .. } => vec![quote(text)],
        Clause::Cidr { nets } => nets
            .iter()
            .map(|&(n, p, v6)| quote(&cidr_text(n, p, v6)))
            .collect(),
        Clause::Cmp { n, .. } | Clause::Num { n, .. } => vec![yaml_number(*n)],
        Clause::Neq { values, .. } => values
            .iter()
            .map(|v| quote(&sigma_text(&[Piece::Lit(v.clone())])))
            .collect(),
        Clause::Exists { exists, .. } => vec![exists.to_string()],
        Clause::Null { .. } => vec!["null".to_owned()],
        Clause::Star { .. } => vec![quote("*")],
        Clause::Bool { b, .. } => vec![b.to_string()],
        Clause::FieldRef { other, .. } => vec![quote(other)],
        Clause::Time { value, .. } => vec![value.to_string()],
        Clause::Keywords { .. } => unreachable!("keywords are rendered on their own"),
        Clause::Invalid { value, .. } => vec![(*value).to_owned()],
    };
    render_values(&values, &key, list_indent, out);
}

/// Keys are plain field names with modifiers: quote them only if YAML needs it.
fn quote_key(k: &str) -> String {
    k.to_owned()
}

pub(super) fn render_keywords(c: &Clause, out: &mut String) {
    let Clause::Keywords { all, words } = c else {
        unreachable!()
    };
    let values: Vec<String> = words.iter().map(|w| quote(&sigma_text(w))).collect();
    if *all {
        let _ = writeln!(out, "        '|all':");
        for v in values {
            let _ = writeln!(out, "            - {v}");
        }
    } else {
        for v in values {
            let _ = writeln!(out, "        - {v}");
        }
    }
}
