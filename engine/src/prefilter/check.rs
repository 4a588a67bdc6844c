//! Checking: the portable path (a separate search for the literals and for the escapes, then
//! newline counts), the [`Checker`] that confirms the positions the fused pass flags, and the
//! `\u00XX` escape sentinel that hides a literal.

use super::plan::{starts_with, Search};
use super::{line_count, Hits, LineFilter};

/// The start of a JSON escape that may hide a literal's letter or digit.
pub(super) const SENTINEL: &[u8] = b"\\u00";

impl LineFilter {
    /// The portable path: a pass for the literals, one for the escapes, and newline counts
    /// between the candidate lines and over the block.
    pub(super) fn hits_portable(&self, block: &[u8], out: &mut Hits) -> u64 {
        out.reset(self.words);
        // (start, end, rules) of every literal match and every hiding escape, in block order.
        let mut found: Vec<(usize, usize, &[usize])> = Vec::new();
        match &self.search {
            Search::One { ac, .. } | Search::Few { ac, .. } | Search::Many(ac) => {
                found.extend(
                    self.ac_matches(ac, block)
                        .map(|(s, e, p)| (s, e, self.pattern_rules[p].as_slice())),
                );
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
        // Overlapping matches may come out of start order, but never out of line order
        // (literals hold no newline).
        let (mut index, mut counted_to) = (0u64, 0usize);
        for (start, end, rules) in found {
            let line = memchr::memrchr(b'\n', &block[..start]).map_or(0, |i| i + 1);
            if line > counted_to {
                index += memchr::memchr_iter(b'\n', &block[counted_to..line]).count() as u64;
                counted_to = line;
            }
            out.record(block, index, line, end, rules);
        }
        line_count(block)
    }
}

/// Checks the positions of a block that the fused pass flags, and records the candidate lines.
pub(super) struct Checker<'a> {
    pub(super) filter: &'a LineFilter,
    pub(super) block: &'a [u8],
    pub(super) out: &'a mut Hits,
    /// With more than `FEW` literals: their matches, (start, end, pattern) sorted by start,
    /// and the first one not yet recorded.
    pub(super) matches: Vec<(usize, usize, usize)>,
    pub(super) next: usize,
}

impl Checker<'_> {
    /// True when a literal or a hiding escape starts at `j` (nothing recorded yet); with
    /// [`Search::Few`], a literal whose three compared bytes start at `j` (the literal starts
    /// before, on the same line: literals hold no newline).
    pub(super) fn wants(&self, j: usize) -> bool {
        let rest = &self.block[j..];
        let literal = match &self.filter.search {
            Search::One {
                literal, any_case, ..
            } => starts_with(rest, literal, *any_case),
            Search::Few { literals, .. } => literals.iter().any(|l| l.found_at(self.block, j)),
            Search::Many(_) => self.next_match() == j,
        };
        literal || hides(rest)
    }

    /// Checks position `j`, on line `index` (which starts at `start`): a literal or a hiding
    /// escape starting there (as for [`Checker::wants`]) makes the line a candidate.
    pub(super) fn check(&mut self, j: usize, index: u64, start: usize) {
        let block = self.block;
        match &self.filter.search {
            Search::One {
                literal, any_case, ..
            } => {
                if starts_with(&block[j..], literal, *any_case) {
                    let rules = &self.filter.pattern_rules[0];
                    self.out
                        .record(block, index, start, j + literal.len(), rules);
                }
            }
            Search::Few { literals, .. } => {
                // Every literal found here: literals overlap, and share bytes.
                for (p, l) in literals.iter().enumerate() {
                    if l.found_at(block, j) {
                        let rules = &self.filter.pattern_rules[p];
                        let end = j - l.anchor + l.bytes.len();
                        self.out.record(block, index, start, end, rules);
                    }
                }
            }
            Search::Many(_) => {
                while let Some(&(s, e, p)) = self.matches.get(self.next) {
                    if s != j {
                        break;
                    }
                    let rules = &self.filter.pattern_rules[p];
                    self.out.record(block, index, start, e, rules);
                    self.next += 1;
                }
            }
        }
        if hides(&block[j..]) {
            let end = j + SENTINEL.len();
            self.out
                .record(block, index, start, end, &self.filter.filtered);
        }
    }

    /// The start of the first match not yet recorded (more than `FEW` literals).
    pub(super) fn next_match(&self) -> usize {
        self.matches.get(self.next).map_or(usize::MAX, |m| m.0)
    }

    /// The line (number, start) of position `j`, when it is the last candidate line's.
    pub(super) fn same_line(&self, j: usize) -> Option<(u64, usize)> {
        match (self.out.lines.last(), self.out.index.last()) {
            (Some(&(start, end)), Some(&index)) if start <= j && j < end => Some((index, start)),
            _ => None,
        }
    }
}

/// True when `rest` starts with a `\u00XX` escape of an ASCII letter or digit.
fn hides(rest: &[u8]) -> bool {
    rest.starts_with(SENTINEL) && hides_alnum(&rest[SENTINEL.len()..])
}

/// True when the two bytes after `\u00` encode an ASCII letter or digit.
pub(super) fn hides_alnum(rest: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16);
    match (
        rest.first().copied().and_then(hex),
        rest.get(1).copied().and_then(hex),
    ) {
        (Some(h), Some(l)) => (((h << 4) | l) as u8).is_ascii_alphanumeric(),
        _ => false,
    }
}
