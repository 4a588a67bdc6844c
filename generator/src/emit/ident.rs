//! The only place identifiers are minted. Rule text never reaches `Ident::new` unsanitised:
//! names are reduced to `[a-z0-9_]`, prefixed when they would start with a digit or be
//! empty, suffixed when they are keywords, and numbered when two collide.

use proc_macro2::{Ident, Span};
use std::collections::BTreeSet;

const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Reduces any text to a lowercase snake-case identifier body.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    let mut out = if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "r_");
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Hands out unique identifiers within one scope.
#[derive(Default)]
pub struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    /// A unique identifier for `text` with `prefix` (which must itself be a valid start).
    pub fn mint(&mut self, prefix: &str, text: &str) -> Ident {
        let base = format!("{prefix}{}", sanitize(text));
        let mut name = base.clone();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        Ident::new(&name, Span::call_site())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_hostile_text() {
        assert_eq!(sanitize("Selection-1"), "selection_1");
        assert_eq!(sanitize("\"); }"), "x");
        assert_eq!(sanitize("1st"), "r_1st");
        assert_eq!(sanitize("match"), "match_");
        assert_eq!(sanitize("über_rule"), "ber_rule");
        assert_eq!(sanitize(""), "x");
    }

    #[test]
    fn numbers_collisions() {
        let mut names = Names::default();
        assert_eq!(names.mint("sel_", "a-b").to_string(), "sel_a_b");
        assert_eq!(names.mint("sel_", "a_b").to_string(), "sel_a_b_2");
        assert_eq!(names.mint("sel_", "A B").to_string(), "sel_a_b_3");
    }
}
