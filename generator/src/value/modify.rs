//! One modifier applied to one value on its way (`modify`), type-checked the way pySigma
//! types modifiers.

use super::cidr::parse_cidr;
use super::encode::{base64, base64_input, base64_offsets, utf16, windash};
use super::expand::expand;
use super::{merge_lits, plain, Placeholders, Problem, V};
use crate::ir::GlobPart;
use crate::modifier::Modifier;
use crate::wildcard;
use std::collections::BTreeSet;

fn type_error(name: &str, v: &V, help: &str) -> Problem {
    Problem::new(format!("`{name}` does not apply to {}", v.kind()), help)
}

pub(super) fn modify(
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
