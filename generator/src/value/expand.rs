//! The `expand` modifier: `%name%` placeholders replaced with their configured values.

use super::{merge_lits, Placeholders, Problem};
use crate::ir::GlobPart;
use crate::wildcard;

/// Replaces `%name%` placeholders with each of their values (all combinations).
pub(super) fn expand(
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
