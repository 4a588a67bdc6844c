//! The byte prefilter: one pass over a block of lines finds, for each line, the rules whose
//! literals it contains; lines no rule can match are not parsed at all.
//!
//! Literals come from the generator (each rule's `PREFILTER`, per shape): every line a rule
//! can match contains one of them, byte for byte or, for a literal written `(?i)text` (from a
//! case-insensitive value), in some ASCII case, unless JSON escaping hides it. Literals are
//! ASCII letters and digits, which only a `\u00XX` escape can hide, so a line holding such an
//! escape is a candidate for every rule. The fused pass compares any-case letters with 0x20
//! ORed in (a single literal's pair) or through both cases' nibbles (the tables); when some
//! literal is any-case, the Aho-Corasick searches ignore case and the exact literals' matches
//! are checked byte for byte.
//!
//! On x86-64 with AVX2 the block is read once: each 64-byte stretch is compared for newlines
//! (line numbers), for `\u` (escapes) and for the literals: with a single literal, two of its
//! rarest bytes at their distance in it; with up to [`FEW`](plan::FEW), three bytes in a row of each
//! (its rarest), looked up in nibble tables with a bit per literal, so that the cost does not
//! grow with their number. Only the positions flagged are looked at further. With more
//! literals an Aho-Corasick pass finds them first. Elsewhere a portable path runs a separate
//! search for each of these, with the same results.
//!
//! This file holds the public API ([`LineFilter`], [`Hits`]); `plan` chooses the search for a
//! literal set, `check` confirms candidate positions and runs the portable path, `avx2` is the
//! fused x86-64 kernel, and `lines` counts and splits lines.

// Elsewhere than on x86-64 only the portable path runs.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

#[cfg(target_arch = "x86_64")]
mod avx2;
mod check;
mod lines;
mod plan;
#[cfg(test)]
mod tests;

pub use lines::{line_count, line_starts};

use check::SENTINEL;
use memchr::memmem;
use plan::Search;
use sigma_runtime::{Rule, Shape};

/// Which rules each line of a block may match.
#[derive(Debug)]
pub struct LineFilter {
    search: Search,
    /// `\u00`, searched on its own by the portable path so that the literal search keeps its
    /// fast path.
    sentinel: memmem::Finder<'static>,
    /// Pattern id → the rules whose literal it is.
    pattern_rules: Vec<Vec<usize>>,
    /// Pattern id → its bytes, when it must match exactly but the Aho-Corasick search ignores
    /// ASCII case (because another literal does): its matches are checked against them.
    exact: Vec<Option<Box<[u8]>>>,
    /// Rules with a prefilter (the sentinel makes a line a candidate for all of them).
    filtered: Vec<usize>,
    words: usize,
    /// The CPU has what the fused pass needs (AVX2 and POPCNT on x86-64); decided once.
    fused: bool,
}

impl LineFilter {
    /// A filter over `rules` restricted to `routed` (the rules that run on this input), for
    /// lines of the given shapes: each rule runs only on lines holding one of its literals.
    /// `None` when some routed rule has no literal for one of the shapes: then every line is
    /// parsed and every rule runs (a decoded event still skips the rules needing a field it
    /// lacks, at the cost of a bit test, which is cheaper than a search over every byte).
    pub fn new(rules: &[Rule], routed: &[usize], shapes: &[Shape]) -> Option<LineFilter> {
        let mut literals: Vec<(&str, usize)> = Vec::new();
        for &i in routed {
            let lits = shapes
                .iter()
                .map(|shape| match shape {
                    Shape::Raw => rules[i].prefilter.raw,
                    Shape::Ecs => rules[i].prefilter.ecs,
                })
                .collect::<Option<Vec<_>>>()?
                .concat();
            literals.extend(lits.iter().map(|l| (*l, i)));
        }
        if literals.is_empty() {
            return None;
        }
        LineFilter::with_literals(&literals, routed, rules.len())
    }

    /// A filter for `(literal, rule)` pairs; `routed` are the rules a hiding escape makes
    /// candidates, `rules` the number of rules.
    fn with_literals(
        literals: &[(&str, usize)],
        routed: &[usize],
        rules: usize,
    ) -> Option<LineFilter> {
        let mut patterns: Vec<&str> = literals.iter().map(|(l, _)| *l).collect();
        patterns.sort_unstable();
        patterns.dedup();
        let mut pattern_rules: Vec<Vec<usize>> = vec![Vec::new(); patterns.len()];
        for (lit, rule) in literals {
            if let Ok(p) = patterns.binary_search(lit) {
                if !pattern_rules[p].contains(rule) {
                    pattern_rules[p].push(*rule);
                }
            }
        }
        let any_case = patterns.iter().any(|p| plan::parse(p).1);
        let exact = patterns
            .iter()
            .map(|p| match plan::parse(p) {
                (bytes, false) if any_case => Some(bytes.into()),
                _ => None,
            })
            .collect();
        Some(LineFilter {
            search: Search::new(&patterns)?,
            exact,
            sentinel: memmem::Finder::new(SENTINEL).into_owned(),
            pattern_rules,
            filtered: routed.to_vec(),
            words: rules.div_ceil(64).max(1),
            fused: fused_available(),
        })
    }

    /// Finds the candidate lines of `block` straight from the matches, without splitting the
    /// block into lines (lines that hold no literal are never looked at), and returns how many
    /// lines the block has (a last line without a newline counts, as in [`line_count`]).
    pub fn hits(&self, block: &[u8], out: &mut Hits) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if self.fused {
            // SAFETY: `fused` is true only when the CPU has AVX2 and POPCNT
            // (`fused_available`), which is all `hits_fused` requires.
            return unsafe { self.hits_fused(block, out) };
        }
        self.hits_portable(block, out)
    }
}

impl LineFilter {
    /// The Aho-Corasick matches of `block` that are matches of their literals (a literal that
    /// must match exactly is checked when the automaton ignores case): (start, end, pattern).
    fn ac_matches<'a>(
        &'a self,
        ac: &'a aho_corasick::AhoCorasick,
        block: &'a [u8],
    ) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        ac.find_overlapping_iter(block).filter_map(move |m| {
            let p = m.pattern().as_usize();
            let ok = match &self.exact[p] {
                Some(bytes) => block[m.start()..m.end()] == bytes[..],
                None => true,
            };
            ok.then_some((m.start(), m.end(), p))
        })
    }
}

/// Whether this CPU runs the fused pass.
fn fused_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The candidate lines of a block: each line holding a literal (or a hiding escape), with the
/// rules it may match.
#[derive(Debug, Default)]
pub struct Hits {
    /// Byte range of each candidate line in the block (its newline excluded), in order.
    pub lines: Vec<(usize, usize)>,
    /// The line number of each candidate line within the block, counted from 0.
    pub index: Vec<u64>,
    bits: Vec<u64>,
    words: usize,
}

impl Hits {
    /// The candidate rules of the `k`-th candidate line (bit i = rule i).
    pub fn rules(&self, k: usize) -> &[u64] {
        &self.bits[k * self.words..(k + 1) * self.words]
    }

    fn reset(&mut self, words: usize) {
        self.lines.clear();
        self.index.clear();
        self.bits.clear();
        self.words = words;
    }

    /// Records a match ending at `end` on line `index` of `block`, which starts at `start`:
    /// the line becomes a candidate for `rules`.
    fn record(&mut self, block: &[u8], index: u64, start: usize, end: usize, rules: &[usize]) {
        if self.index.last() != Some(&index) {
            let stop = memchr::memchr(b'\n', &block[end..]).map_or(block.len(), |i| end + i);
            self.lines.push((start, stop));
            self.index.push(index);
            self.bits.resize(self.bits.len() + self.words, 0);
        }
        let at = self.bits.len() - self.words;
        for &r in rules {
            self.bits[at + r / 64] |= 1 << (r % 64);
        }
    }
}
