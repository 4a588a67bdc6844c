//! A tolerant outline of block-style YAML text: where each mapping key and each sequence
//! item sits and which lines it spans.
//!
//! serde_yaml's value tree carries no positions, so diagnostics (`file:line:col`) and the
//! YAML excerpts shown in generated doc comments come from this separate, line-based scan
//! of the raw text. Flow collections (`[a, b]`, `{k: v}`) are not decomposed: a lookup
//! into one stops at the entry holding it and is flagged as inexact.
//!
//! The line scan that builds the outline is in `build`; this file holds the outline and
//! its lookups.

use build::{is_ws, Builder};

mod build;

#[cfg(test)]
mod tests;

/// 1-based line and column (column counted in chars, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in chars.
    pub col: usize,
}

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    /// A mapping key, compared with the key's text after unquoting and unescaping.
    Key(&'a str),
    /// The n-th (0-based) item of a block sequence.
    Index(usize),
}

/// Where a node sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Start of the key (for Key steps; the key's first char, or its opening quote) or of
    /// the `-` (for Index steps). For an empty path: the document's first content char.
    pub at: Pos,
    /// Length in chars of the key token as written (incl. quotes), or 1 for a `-` (and for
    /// a whole document).
    pub len: usize,
    /// Start of the value when it begins on the same line after `key:` / `- ` (None if
    /// the value starts on a later line or is absent).
    pub value: Option<Pos>,
    /// First and last line (1-based, inclusive) of the whole entry: the key line plus
    /// every more-indented continuation line, trailing blank and comment-only lines
    /// excluded.
    pub lines: (usize, usize),
    /// False when the path could not be followed to the end and this is the deepest
    /// ancestor found.
    pub exact: bool,
}

/// Block-structure outline of one YAML file (all its documents).
pub struct Outline {
    lines: Vec<String>,
    nodes: Vec<Node>,
    docs: Vec<Doc>,
}

/// A mapping entry (`key` is Some) or a sequence item.
struct Node {
    key: Option<String>,
    at: Pos,
    len: usize,
    value: Option<Pos>,
    last: usize,
    children: Vec<usize>,
}

#[derive(Default)]
struct Doc {
    roots: Vec<usize>,
    first: Option<Pos>,
    last: usize,
}

impl Outline {
    /// Builds the outline. Never panics, whatever the text (tabs, garbage, unterminated
    /// quotes, CRLF line endings, BOM).
    pub fn new(text: &str) -> Outline {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut b = Builder::default();
        for (i, line) in lines.iter().enumerate() {
            let chars: Vec<char> = line.chars().collect();
            b.line(i + 1, &chars);
        }
        if b.docs.is_empty() {
            b.docs.push(Doc::default()); // like serde_yaml: an empty stream is one null document
        }
        Outline {
            lines,
            nodes: b.nodes,
            docs: b.docs,
        }
    }

    /// Number of YAML documents (split on lines that are `---`, optionally followed by
    /// whitespace and a comment (or anything else, which is ignored); a leading `---`
    /// before the first document does not create an empty first document; `...` ends a
    /// document). Like serde_yaml, a text
    /// without any document (empty, or only comments) counts as one empty document.
    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// Locates a path inside document `doc` (0-based). An empty path returns the
    /// document's first content line (exact). Returns None only when `doc` does not exist
    /// or the document has no content at all.
    pub fn locate(&self, doc: usize, path: &[Step<'_>]) -> Option<Located> {
        let d = self.docs.get(doc)?;
        let at = d.first?;
        let mut found = Located {
            at,
            len: 1,
            value: None,
            lines: (at.line, d.last),
            exact: true,
        };
        let mut children = &d.roots;
        for step in path {
            let mut candidates = children.iter().map(|&i| (i, &self.nodes[i]));
            let next = match *step {
                Step::Key(k) => candidates.find(|(_, n)| n.key.as_deref() == Some(k)),
                Step::Index(nth) => candidates.filter(|(_, n)| n.key.is_none()).nth(nth),
            };
            let Some((_, n)) = next else {
                found.exact = false;
                return Some(found);
            };
            let lines = (n.at.line, n.last);
            found = Located {
                at: n.at,
                len: n.len,
                value: n.value,
                lines,
                exact: true,
            };
            children = &n.children;
        }
        Some(found)
    }

    /// The text of lines `first..=last` (1-based), joined with '\n', common leading
    /// indentation removed — used to show a selection's YAML in a doc comment. Trailing
    /// whitespace is dropped; lines outside the text are skipped.
    pub fn snippet(&self, first: usize, last: usize) -> String {
        let first = first.max(1);
        let take = (last + 1).saturating_sub(first);
        let sel: Vec<&str> = self
            .lines
            .iter()
            .skip(first - 1)
            .take(take)
            .map(|l| l.trim_end())
            .collect();
        let indent = |l: &&str| l.chars().take_while(|&c| is_ws(c)).count();
        let common = sel
            .iter()
            .filter(|l| !l.is_empty())
            .map(indent)
            .min()
            .unwrap_or(0);
        let dedented: Vec<String> = sel
            .iter()
            .map(|l| l.chars().skip(common).collect())
            .collect();
        dedented.join("\n")
    }
}
