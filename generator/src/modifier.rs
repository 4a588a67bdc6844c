//! Sigma value modifiers: their names, and reading a `field|mod|mod` key.

/// Every modifier of Sigma 2.1 (plus pySigma's aliases), whether or not this version
/// compiles it, so that a known-but-unsupported modifier gets a different message from a typo.
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
    /// Any other Sigma modifier (`re`, `base64`, `cidr`, `gt`, ...): recognised, not yet compiled.
    Unsupported(&'static str),
}

/// Modifiers this version compiles.
const SUPPORTED: [(&str, Modifier); 6] = [
    ("contains", Modifier::Contains),
    ("startswith", Modifier::StartsWith),
    ("endswith", Modifier::EndsWith),
    ("all", Modifier::All),
    ("exists", Modifier::Exists),
    ("cased", Modifier::Cased),
];

/// Modifiers Sigma (or pySigma) defines that this version does not compile yet.
const KNOWN_UNSUPPORTED: [&str; 29] = [
    "base64",
    "base64offset",
    "utf16le",
    "utf16be",
    "utf16",
    "wide",
    "windash",
    "re",
    "i",
    "ignorecase",
    "m",
    "multiline",
    "s",
    "dotall",
    "cidr",
    "fieldref",
    "gt",
    "gte",
    "lt",
    "lte",
    "neq",
    "expand",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "not",
];

impl Modifier {
    /// Reads one modifier name (case-sensitive, as pySigma reads them).
    pub fn parse(name: &str) -> Option<Modifier> {
        if let Some((_, m)) = SUPPORTED.iter().find(|(n, _)| *n == name) {
            return Some(*m);
        }
        KNOWN_UNSUPPORTED
            .iter()
            .find(|n| **n == name)
            .map(|n| Modifier::Unsupported(n))
    }

    /// The spelling.
    pub fn name(self) -> &'static str {
        match self {
            Modifier::Unsupported(n) => n,
            m => SUPPORTED
                .iter()
                .find(|(_, s)| *s == m)
                .map_or("?", |(n, _)| n),
        }
    }

    /// The closest known modifier name to a misspelled one, if any is close.
    pub fn suggest(name: &str) -> Option<&'static str> {
        let lower = name.to_ascii_lowercase();
        SUPPORTED
            .iter()
            .map(|(n, _)| *n)
            .chain(KNOWN_UNSUPPORTED.iter().copied().filter(|n| n.len() > 2))
            .map(|n| (edit_distance(&lower, n), n))
            .filter(|(d, n)| *d <= 2.max(n.len() / 3) && *d < n.len())
            .min()
            .map(|(_, n)| n)
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
    fn parses_supported_and_known_names() {
        assert_eq!(Modifier::parse("contains"), Some(Modifier::Contains));
        assert_eq!(Modifier::parse("cased"), Some(Modifier::Cased));
        assert_eq!(Modifier::parse("re"), Some(Modifier::Unsupported("re")));
        assert_eq!(Modifier::parse("Contains"), None);
        assert_eq!(Modifier::parse("contians"), None);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(Modifier::suggest("contians"), Some("contains"));
        assert_eq!(Modifier::suggest("startwith"), Some("startswith"));
        assert_eq!(Modifier::suggest("Endswith"), Some("endswith"));
        assert_eq!(Modifier::suggest("xyzzy"), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
