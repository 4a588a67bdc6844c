//! The only place identifiers are minted. Rule text never reaches `Ident::new` unsanitised:
//! names are reduced to `[a-z0-9_]` (`[A-Z0-9_]` for constants), prefixed when they would
//! start with a digit or be empty, suffixed when they are keywords, and numbered when two
//! collide.

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
    let mut out = snake(text);
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Reduces any text to an upper-case constant name body: `impersonatedUser.username` →
/// `IMPERSONATED_USER_USERNAME` (camel-case humps become word breaks too). Keywords are all
/// lowercase, so no name made here is one.
pub fn sanitize_const(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lower = |i: usize| chars.get(i).is_some_and(char::is_ascii_lowercase);
    let mut split = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        // `aB` and `1B` start a word at B; so does `ABcd` (an acronym ends before `Bcd`, but
        // not before the plural `s` of `IPs`).
        let hump = c.is_ascii_uppercase()
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && lower(i + 1) && lower(i + 2))
            });
        if hump {
            split.push('_');
        }
        split.push(c);
    }
    snake(&split).to_ascii_uppercase()
}

/// `[a-z0-9_]` only, no leading, trailing or doubled `_`, never empty, never a leading digit.
fn snake(text: &str) -> String {
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
        self.unique(format!("{prefix}{}", sanitize(text)))
    }

    /// A unique constant name for `text` (see [`sanitize_const`]).
    pub fn mint_const(&mut self, text: &str) -> Ident {
        self.unique(sanitize_const(text))
    }

    /// `base`, or `base_2`, `base_3`, ... when taken.
    fn unique(&mut self, base: String) -> Ident {
        let mut name = base.clone();
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        Ident::new(&name, Span::call_site())
    }

    /// Keeps `name` (an item written by the emitter itself) from being handed out.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
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
    fn constant_names_split_humps_and_stay_safe() {
        assert_eq!(
            sanitize_const("impersonatedUser.username"),
            "IMPERSONATED_USER_USERNAME"
        );
        assert_eq!(
            sanitize_const("annotations.authorization.k8s.io/decision"),
            "ANNOTATIONS_AUTHORIZATION_K8S_IO_DECISION"
        );
        assert_eq!(sanitize_const("sourceIPs"), "SOURCE_IPS");
        assert_eq!(sanitize_const("sourceIPs.IPv6"), "SOURCE_IPS_IPV6");
        assert_eq!(sanitize_const("requestURI"), "REQUEST_URI");
        assert_eq!(sanitize_const("AWSServiceRole"), "AWS_SERVICE_ROLE");
        assert_eq!(sanitize_const("Image"), "IMAGE");
        assert_eq!(sanitize_const("\"); }"), "X");
        assert_eq!(sanitize_const("1st.field"), "R_1ST_FIELD");
        assert_eq!(sanitize_const("self"), "SELF");
        assert_eq!(sanitize_const("über"), "BER");
    }

    #[test]
    fn reserved_constant_names_are_numbered() {
        let mut names = Names::default();
        names.reserve("INFO");
        assert_eq!(names.mint_const("info").to_string(), "INFO_2");
        assert_eq!(names.mint_const("glob 1").to_string(), "GLOB_1");
        assert_eq!(names.mint_const("glob.1").to_string(), "GLOB_1_2");
    }

    #[test]
    fn numbers_collisions() {
        let mut names = Names::default();
        assert_eq!(names.mint("sel_", "a-b").to_string(), "sel_a_b");
        assert_eq!(names.mint("sel_", "a_b").to_string(), "sel_a_b_2");
        assert_eq!(names.mint("sel_", "A B").to_string(), "sel_a_b_3");
    }
}
