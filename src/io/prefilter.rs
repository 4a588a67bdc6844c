//! The byte prefilter: one search pass over a block of lines (a SIMD substring search for a
//! single literal, Aho-Corasick for several) finds, for each line, the rules whose literals it
//! contains; lines no rule can match are not parsed at all.
//!
//! Literals come from the generator (each rule's `PREFILTER`, per shape): every line a rule
//! can match contains one of them byte for byte, unless JSON escaping hides it. Literals are
//! ASCII letters and digits, which only a `\u00XX` escape can hide, so a line holding such an
//! escape is a candidate for every rule.

use crate::runtime::{Rule, Shape};
use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;

/// How the literals are searched for.
#[derive(Debug)]
enum Search {
    /// One literal: a SIMD substring search.
    One(Box<memmem::Finder<'static>>),
    /// Several: one Aho-Corasick pass reporting overlapping matches.
    Many(AhoCorasick),
}

/// Which rules each line of a block may match.
#[derive(Debug)]
pub struct LineFilter {
    search: Search,
    /// `\u00`, searched on its own so that the literal search keeps its fast path.
    sentinel: memmem::Finder<'static>,
    /// Pattern id → the rules whose literal it is.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules with a prefilter (the sentinel makes a line a candidate for all of them).
    filtered: Vec<usize>,
    words: usize,
}

const SENTINEL: &str = "\\u00";

impl LineFilter {
    /// A filter over `rules` restricted to `routed` (the rules that run on this input), for
    /// lines of the given shapes. `None` when some routed rule has no literal for one of the
    /// shapes: every line must then be parsed.
    pub fn new(rules: &[Rule], routed: &[usize], shapes: &[Shape]) -> Option<LineFilter> {
        let mut literals: Vec<(String, usize)> = Vec::new();
        for &i in routed {
            for shape in shapes {
                let lits = match shape {
                    Shape::Raw => rules[i].prefilter.raw,
                    Shape::Ecs => rules[i].prefilter.ecs,
                }?;
                literals.extend(lits.iter().map(|l| ((*l).to_owned(), i)));
            }
        }
        let mut patterns: Vec<String> = literals.iter().map(|(l, _)| l.clone()).collect();
        patterns.sort();
        patterns.dedup();
        let mut pattern_rules: Vec<Vec<usize>> = vec![Vec::new(); patterns.len()];
        for (lit, rule) in &literals {
            if let Ok(p) = patterns.binary_search(lit) {
                if !pattern_rules[p].contains(rule) {
                    pattern_rules[p].push(*rule);
                }
            }
        }
        let search = match patterns.as_slice() {
            [one] => Search::One(Box::new(memmem::Finder::new(one.as_bytes()).into_owned())),
            _ => Search::Many(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .ok()?,
            ),
        };
        Some(LineFilter {
            search,
            sentinel: memmem::Finder::new(SENTINEL.as_bytes()).into_owned(),
            pattern_rules,
            filtered: routed.to_vec(),
            words: rules.len().div_ceil(64).max(1),
        })
    }
}

/// The candidate lines of a block: each line holding a literal (or a hiding escape), with the
/// rules it may match.
#[derive(Debug, Default)]
pub struct Hits {
    /// Byte range of each candidate line in the block (its newline excluded), in order.
    pub lines: Vec<(usize, usize)>,
    bits: Vec<u64>,
    words: usize,
}

impl Hits {
    /// The candidate rules of the `k`-th candidate line (bit i = rule i).
    pub fn rules(&self, k: usize) -> &[u64] {
        &self.bits[k * self.words..(k + 1) * self.words]
    }
}

impl LineFilter {
    /// Finds the candidate lines of `block` straight from the matches, without splitting the
    /// block into lines: lines that hold no literal are never looked at.
    pub fn hits(&self, block: &[u8], out: &mut Hits) {
        out.lines.clear();
        out.bits.clear();
        out.words = self.words;
        // (start, end, rules) of every literal match and every hiding escape, in block order.
        let mut found: Vec<(usize, usize, &[usize])> = Vec::new();
        match &self.search {
            Search::One(f) => {
                let len = f.needle().len();
                found.extend(
                    f.find_iter(block)
                        .map(|i| (i, i + len, self.pattern_rules[0].as_slice())),
                );
            }
            Search::Many(ac) => {
                found.extend(ac.find_overlapping_iter(block).map(|m| {
                    (
                        m.start(),
                        m.end(),
                        self.pattern_rules[m.pattern().as_usize()].as_slice(),
                    )
                }));
            }
        }
        let before = found.len();
        found.extend(
            self.sentinel
                .find_iter(block)
                .filter(|&i| hides_alnum(&block[i + SENTINEL.len()..]))
                .map(|i| (i, i + SENTINEL.len(), self.filtered.as_slice())),
        );
        if found.len() > before && before > 0 {
            found.sort_by_key(|&(start, _, _)| start);
        }
        for (start, end, rules) in found {
            let line = memchr::memrchr(b'\n', &block[..start]).map_or(0, |i| i + 1);
            if out.lines.last().map(|l| l.0) != Some(line) {
                let stop = memchr::memchr(b'\n', &block[end..]).map_or(block.len(), |i| end + i);
                out.lines.push((line, stop));
                out.bits.resize(out.bits.len() + self.words, 0);
            }
            let at = out.bits.len() - self.words;
            for &r in rules {
                out.bits[at + r / 64] |= 1 << (r % 64);
            }
        }
    }
}

/// True when the two bytes after `\u00` encode an ASCII letter or digit.
fn hides_alnum(rest: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16);
    match (
        rest.first().copied().and_then(hex),
        rest.get(1).copied().and_then(hex),
    ) {
        (Some(h), Some(l)) => (((h << 4) | l) as u8).is_ascii_alphanumeric(),
        _ => false,
    }
}

/// The start of every line of `block` (and its end as the last entry).
pub fn line_starts(block: &[u8], out: &mut Vec<usize>) {
    out.clear();
    out.push(0);
    out.extend(
        memchr::memchr_iter(b'\n', block)
            .map(|i| i + 1)
            .filter(|&i| i < block.len()),
    );
    out.push(block.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_only_counts_alphanumeric_escapes() {
        assert!(hides_alnum(b"69"));
        assert!(hides_alnum(b"4A"));
        assert!(hides_alnum(b"4a"));
        assert!(!hides_alnum(b"26")); // `&`, which Go escapes
        assert!(!hides_alnum(b"3c"));
        assert!(!hides_alnum(b"6"));
    }

    #[test]
    fn line_starts_cover_the_block() {
        let mut s = Vec::new();
        line_starts(b"a\nbb\n\nc", &mut s);
        assert_eq!(s, [0, 2, 5, 6, 7]);
        line_starts(b"a\n", &mut s);
        assert_eq!(s, [0, 2]);
    }

    #[test]
    fn lines_with_literals_or_escapes_are_candidates() {
        if crate::RULES.is_empty() {
            return;
        }
        let routed: Vec<usize> = (0..crate::RULES.len()).collect();
        let Some(f) = LineFilter::new(crate::RULES, &routed, &[Shape::Raw]) else {
            return;
        };
        let lit = crate::RULES
            .iter()
            .find_map(|r| r.prefilter.raw.map(|l| l[0]))
            .unwrap();
        let block = format!(
            "{{\"verb\":\"get\"}}\n{{\"{lit}\":1}}\n{{\"x\":\"\\u0069\"}}\n{{\"x\":\"\\u0026\"}}\n"
        );
        let mut hits = Hits::default();
        f.hits(block.as_bytes(), &mut hits);
        let lines: Vec<&str> = hits.lines.iter().map(|&(s, e)| &block[s..e]).collect();
        assert_eq!(
            lines,
            [format!("{{\"{lit}\":1}}"), "{\"x\":\"\\u0069\"}".to_owned()]
        );
        assert!(hits.rules(0).iter().any(|w| *w != 0));
    }
}
