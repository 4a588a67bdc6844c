//! Sigma value modifiers: their names, and reading a `field|mod|mod` key.

use crate::ir::{CompareOp, TimePart};

/// Every value modifier of Sigma 2.1, plus pySigma's aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Modifier {
    /// `contains`
    Contains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `all`
    All,
    /// `exists`
    Exists,
    /// `cased`
    Cased,
    /// `neq`: negates the whole detection item (pySigma).
    Neq,
    /// `re`
    Re,
    /// `i` / `ignorecase`, `m` / `multiline`, `s` / `dotall` (after `re`).
    ReFlag(char),
    /// `base64`
    Base64,
    /// `base64offset`
    Base64Offset,
    /// `wide` / `utf16le`: UTF-16LE.
    Wide,
    /// `utf16be`
    Utf16Be,
    /// `utf16`: byte order mark, then UTF-16LE.
    Utf16,
    /// `windash`
    Windash,
    /// `cidr`
    Cidr,
    /// `fieldref`
    FieldRef,
    /// `gt`, `gte`, `lt`, `lte`
    Compare(CompareOp),
    /// `expand`
    Expand,
    /// `minute` ... `year`
    Time(TimePart),
}

/// Every spelling, with its modifier.
const NAMES: [(&str, Modifier); 34] = [
    ("contains", Modifier::Contains),
    ("startswith", Modifier::StartsWith),
    ("endswith", Modifier::EndsWith),
    ("all", Modifier::All),
    ("exists", Modifier::Exists),
    ("cased", Modifier::Cased),
    ("neq", Modifier::Neq),
    ("re", Modifier::Re),
    ("i", Modifier::ReFlag('i')),
    ("ignorecase", Modifier::ReFlag('i')),
    ("m", Modifier::ReFlag('m')),
    ("multiline", Modifier::ReFlag('m')),
    ("s", Modifier::ReFlag('s')),
    ("dotall", Modifier::ReFlag('s')),
    ("base64", Modifier::Base64),
    ("base64offset", Modifier::Base64Offset),
    ("wide", Modifier::Wide),
    ("utf16le", Modifier::Wide),
    ("utf16be", Modifier::Utf16Be),
    ("utf16", Modifier::Utf16),
    ("windash", Modifier::Windash),
    ("cidr", Modifier::Cidr),
    ("fieldref", Modifier::FieldRef),
    ("gt", Modifier::Compare(CompareOp::Gt)),
    ("gte", Modifier::Compare(CompareOp::Gte)),
    ("lt", Modifier::Compare(CompareOp::Lt)),
    ("lte", Modifier::Compare(CompareOp::Lte)),
    ("expand", Modifier::Expand),
    ("minute", Modifier::Time(TimePart::Minute)),
    ("hour", Modifier::Time(TimePart::Hour)),
    ("day", Modifier::Time(TimePart::Day)),
    ("week", Modifier::Time(TimePart::Week)),
    ("month", Modifier::Time(TimePart::Month)),
    ("year", Modifier::Time(TimePart::Year)),
];

impl Modifier {
    /// Reads one modifier name (case-sensitive, as pySigma reads them).
    pub fn parse(name: &str) -> Option<Modifier> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    /// The closest known modifier name to a misspelled one, if any is close.
    pub fn suggest(name: &str) -> Option<&'static str> {
        let lower = name.to_ascii_lowercase();
        if let Some((n, _)) = NAMES.iter().find(|(n, _)| *n == lower) {
            return Some(n);
        }
        closest(
            &lower,
            NAMES.iter().map(|(n, _)| *n).filter(|n| n.len() > 2),
        )
    }
}

/// Levenshtein distance over chars (inputs are short names).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `name`, when close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d > 0 && *d <= 2.max(c.chars().count() / 3) && *d < c.chars().count())
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        assert_eq!(Modifier::parse("contains"), Some(Modifier::Contains));
        assert_eq!(Modifier::parse("ignorecase"), Some(Modifier::ReFlag('i')));
        assert_eq!(Modifier::parse("utf16le"), Some(Modifier::Wide));
        assert_eq!(
            Modifier::parse("gte"),
            Some(Modifier::Compare(CompareOp::Gte))
        );
        assert_eq!(
            Modifier::parse("week"),
            Some(Modifier::Time(TimePart::Week))
        );
        assert_eq!(Modifier::parse("Contains"), None);
        assert_eq!(Modifier::parse("contians"), None);
        assert_eq!(Modifier::parse("not"), None);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(Modifier::suggest("contians"), Some("contains"));
        assert_eq!(Modifier::suggest("startwith"), Some("startswith"));
        assert_eq!(Modifier::suggest("Endswith"), Some("endswith"));
        assert_eq!(Modifier::suggest("base46"), Some("base64"));
        assert_eq!(Modifier::suggest("xyzzy"), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
