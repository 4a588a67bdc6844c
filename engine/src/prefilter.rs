//! The byte prefilter: one pass over a block of lines finds, for each line, the rules whose
//! literals it contains; lines no rule can match are not parsed at all.
//!
//! Literals come from the generator (each rule's `PREFILTER`, per shape): every line a rule
//! can match contains one of them byte for byte, unless JSON escaping hides it. Literals are
//! ASCII letters and digits, which only a `\u00XX` escape can hide, so a line holding such an
//! escape is a candidate for every rule.
//!
//! On x86-64 with AVX2 the block is read once: each 64-byte stretch is compared for newlines
//! (line numbers), for `\u` (escapes) and for the literals: with a single literal, two of its
//! rarest bytes at their distance in it; with up to [`FEW`], three bytes in a row of each
//! (its rarest), looked up in nibble tables with a bit per literal, so that the cost does not
//! grow with their number. Only the positions flagged are looked at further. With more
//! literals an Aho-Corasick pass finds them first. Elsewhere a portable path runs a separate
//! search for each of these, with the same results.

// Elsewhere than on x86-64 only the portable path runs.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
// TEMPORARY until the prefilter split gives each unsafe operation its own SAFETY comment.
#![allow(unsafe_op_in_unsafe_fn)]

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;
use sigma_runtime::{Rule, Shape};

/// The most distinct literals the fused pass looks for at every position (two groups of 8 in
/// the nibble tables); a rule set with more goes through Aho-Corasick.
const FEW: usize = 16;

/// How the literals are searched for.
#[derive(Debug)]
enum Search {
    /// One literal: a SIMD substring search (portable path), or the comparison of two of its
    /// bytes in the fused pass.
    One {
        finder: Box<memmem::Finder<'static>>,
        pair: Pair,
    },
    /// Two to [`FEW`] literals (in pattern order): the fused pass looks up three bytes of
    /// each in `tables`, the portable path runs `ac` as for [`Search::Many`].
    Few {
        literals: Vec<Literal>,
        tables: Box<Tables>,
        ac: AhoCorasick,
    },
    /// More: one Aho-Corasick pass reporting overlapping matches.
    Many(AhoCorasick),
}

/// A literal of [`Search::Few`]: the fused pass flags the positions where three of its bytes
/// in a row occur, those starting `anchor` bytes into it.
#[derive(Debug)]
struct Literal {
    bytes: Box<[u8]>,
    /// Where its rarest three bytes start, as far as [`commonness`] and [`EVERY_EVENT`] tell;
    /// 0 in a literal shorter than three bytes, whose missing bytes match anything.
    anchor: usize,
}

/// Text that nearly every audit event holds (the keys and usual values of raw events and of
/// ECS documents): three bytes in a row found here would flag positions in every line, such
/// as `equ` of `tokenrequests` in `requestURI`.
const EVERY_EVENT: &[u8] = b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\
    \"auditID\":\"\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/kube-system/\",\
    \"verb\":\"get\",\"user\":{\"username\":\"system:serviceaccount:kube-system:\",\"uid\":\"\",\
    \"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],\"extra\":{}},\"sourceIPs\":[],\
    \"userAgent\":\"kubernetes/\",\"objectRef\":{\"resource\":\"\",\"namespace\":\"\",\"name\":\"\",\
    \"apiVersion\":\"v1\"},\"responseStatus\":{\"metadata\":{},\"code\":200},\
    \"requestReceivedTimestamp\":\"\",\"stageTimestamp\":\"\",\"annotations\":{\
    \"authorization.k8s.io/decision\":\"allow\",\"authorization.k8s.io/reason\":\"\"}}\
    RequestReceived RequestResponse requestObject responseObject \
    {\"@timestamp\":\"\",\"event\":{\"dataset\":\"kubernetes.audit_logs\"},\"kubernetes\":{\"audit\":{}},\
    \"user\":{\"name\":\"\"},\"source\":{\"ip\":\"\"},\"user_agent\":{\"original\":\"\"}}";

impl Literal {
    fn new(bytes: &[u8]) -> Literal {
        let cost = |k: usize| {
            let three = &bytes[k..k + 3];
            let common = EVERY_EVENT.windows(3).any(|w| w == three);
            three.iter().map(|&b| commonness(b)).sum::<u16>() + if common { 1000 } else { 0 }
        };
        let anchor = (0..bytes.len().saturating_sub(2))
            .min_by_key(|&k| (cost(k), k))
            .unwrap_or(0);
        Literal {
            bytes: bytes.into(),
            anchor,
        }
    }

    /// True when the literal's three bytes at position `j` of `block` are part of the
    /// literal, in full (it starts at `j - anchor`).
    fn found_at(&self, block: &[u8], j: usize) -> bool {
        block.get(j) == self.bytes.get(self.anchor)
            && j.checked_sub(self.anchor)
                .is_some_and(|start| block[start..].starts_with(&self.bytes))
    }
}

/// The nibble tables of [`Search::Few`], a bit per literal: literal `l` is bit `l % 8` of
/// group `l / 8`. Byte `b` at offset `k` (0, 1, 2) from a position is literal `l`'s byte
/// `anchor + k` when its bit is set in both `low[g][k][b & 15]` and `high[g][k][b >> 4]`
/// (exact, with one literal per bit); a byte past the literal's end matches anything.
#[derive(Debug, Default)]
struct Tables {
    low: [[[u8; 16]; 3]; 2],
    high: [[[u8; 16]; 3]; 2],
}

impl Tables {
    fn new(literals: &[Literal]) -> Tables {
        let mut t = Tables::default();
        for (l, lit) in literals.iter().enumerate() {
            let (g, bit) = (l / 8, 1u8 << (l % 8));
            for k in 0..3 {
                match lit.bytes.get(lit.anchor + k) {
                    Some(&b) => {
                        t.low[g][k][usize::from(b & 15)] |= bit;
                        t.high[g][k][usize::from(b >> 4)] |= bit;
                    }
                    None => {
                        t.low[g][k].iter_mut().for_each(|e| *e |= bit);
                        t.high[g][k].iter_mut().for_each(|e| *e |= bit);
                    }
                }
            }
        }
        t
    }
}

/// Two positions of a literal and the bytes there (its rarest ones, as far as we can guess):
/// a position `i` of a block is a candidate when both bytes occur at `i + at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair {
    at: [usize; 2],
    byte: [u8; 2],
}

impl Pair {
    fn new(needle: &[u8]) -> Pair {
        let mut order: Vec<usize> = (0..needle.len()).collect();
        order.sort_by_key(|&i| (commonness(needle[i]), i));
        let first = order.first().copied().unwrap_or(0);
        let second = order
            .iter()
            .copied()
            .find(|&i| needle[i] != needle[first])
            .or_else(|| order.iter().copied().find(|&i| i != first))
            .unwrap_or(first);
        Pair {
            at: [first, second],
            byte: [
                needle.get(first).copied().unwrap_or(0),
                needle.get(second).copied().unwrap_or(0),
            ],
        }
    }
}

/// A guess at how common a byte is in JSON audit logs (higher is more common), for choosing
/// the literal bytes the fused pass compares.
fn commonness(b: u8) -> u16 {
    const LOWER_RAREST_FIRST: &[u8] = b"zqjxkvbywgpfmucdlhrsnioate";
    match b {
        b'A'..=b'Z' => 20,
        b'0'..=b'9' => 150,
        b'a'..=b'z' => {
            let rank = LOWER_RAREST_FIRST.iter().position(|&c| c == b).unwrap_or(0);
            40 + 8 * rank as u16
        }
        b'"' | b':' | b',' | b' ' | b'{' | b'}' | b'/' | b'.' | b'-' | b'_' => 300,
        _ => 10,
    }
}

/// Which rules each line of a block may match.
#[derive(Debug)]
pub struct LineFilter {
    search: Search,
    /// `\u00`, searched on its own by the portable path so that the literal search keeps its
    /// fast path.
    sentinel: memmem::Finder<'static>,
    /// Pattern id → the rules whose literal it is.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules with a prefilter (the sentinel makes a line a candidate for all of them).
    filtered: Vec<usize>,
    words: usize,
    /// The CPU has what the fused pass needs (AVX2 and POPCNT on x86-64); decided once.
    fused: bool,
}

const SENTINEL: &[u8] = b"\\u00";

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
        let search = match patterns.as_slice() {
            [one] => Search::One {
                finder: Box::new(memmem::Finder::new(one.as_bytes()).into_owned()),
                pair: Pair::new(one.as_bytes()),
            },
            _ => {
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .ok()?;
                // The fused pass looks for at least one byte of each literal.
                if patterns.len() <= FEW && patterns.iter().all(|l| !l.is_empty()) {
                    let literals: Vec<Literal> = patterns
                        .iter()
                        .map(|l| Literal::new(l.as_bytes()))
                        .collect();
                    let tables = Box::new(Tables::new(&literals));
                    Search::Few {
                        literals,
                        tables,
                        ac,
                    }
                } else {
                    Search::Many(ac)
                }
            }
        };
        Some(LineFilter {
            search,
            sentinel: memmem::Finder::new(SENTINEL).into_owned(),
            pattern_rules,
            filtered: routed.to_vec(),
            words: rules.div_ceil(64).max(1),
            fused: fused_available(),
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

impl LineFilter {
    /// Finds the candidate lines of `block` straight from the matches, without splitting the
    /// block into lines (lines that hold no literal are never looked at), and returns how many
    /// lines the block has (a last line without a newline counts, as in [`line_count`]).
    pub fn hits(&self, block: &[u8], out: &mut Hits) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if self.fused {
            // SAFETY: `fused` is true only when the CPU has AVX2 and POPCNT
            // (`fused_available`).
            return unsafe { self.hits_fused(block, out) };
        }
        self.hits_portable(block, out)
    }

    /// The portable path: a pass for the literals, one for the escapes, and newline counts
    /// between the candidate lines and over the block.
    fn hits_portable(&self, block: &[u8], out: &mut Hits) -> u64 {
        out.reset(self.words);
        // (start, end, rules) of every literal match and every hiding escape, in block order.
        let mut found: Vec<(usize, usize, &[usize])> = Vec::new();
        match &self.search {
            Search::One { finder, .. } => {
                let len = finder.needle().len();
                found.extend(
                    finder
                        .find_iter(block)
                        .map(|i| (i, i + len, self.pattern_rules[0].as_slice())),
                );
            }
            Search::Few { ac, .. } | Search::Many(ac) => {
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
struct Checker<'a> {
    filter: &'a LineFilter,
    block: &'a [u8],
    out: &'a mut Hits,
    /// With more than `FEW` literals: their matches, (start, end, pattern) sorted by start,
    /// and the first one not yet recorded.
    matches: Vec<(usize, usize, usize)>,
    next: usize,
}

impl Checker<'_> {
    /// True when a literal or a hiding escape starts at `j` (nothing recorded yet); with
    /// [`Search::Few`], a literal whose three compared bytes start at `j` (the literal starts
    /// before, on the same line: literals hold no newline).
    fn wants(&self, j: usize) -> bool {
        let rest = &self.block[j..];
        let literal = match &self.filter.search {
            Search::One { finder, .. } => {
                let needle = finder.needle();
                rest.first() == needle.first() && rest.starts_with(needle)
            }
            Search::Few { literals, .. } => literals.iter().any(|l| l.found_at(self.block, j)),
            Search::Many(_) => self.next_match() == j,
        };
        literal || hides(rest)
    }

    /// Checks position `j`, on line `index` (which starts at `start`): a literal or a hiding
    /// escape starting there (as for [`Checker::wants`]) makes the line a candidate.
    fn check(&mut self, j: usize, index: u64, start: usize) {
        let block = self.block;
        match &self.filter.search {
            Search::One { finder, .. } => {
                let needle = finder.needle();
                if block[j..].starts_with(needle) {
                    let rules = &self.filter.pattern_rules[0];
                    self.out
                        .record(block, index, start, j + needle.len(), rules);
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
    fn next_match(&self) -> usize {
        self.matches.get(self.next).map_or(usize::MAX, |m| m.0)
    }

    /// The line (number, start) of position `j`, when it is the last candidate line's.
    fn same_line(&self, j: usize) -> Option<(u64, usize)> {
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

#[cfg(target_arch = "x86_64")]
mod fused {
    //! The fused pass over a block, 64 bytes at a time with AVX2.

    use super::{Checker, Pair, Search, Tables};
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_broadcastsi128_si256,
        _mm256_cmpeq_epi8, _mm256_extract_epi64, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_sad_epu8, _mm256_set1_epi8, _mm256_setzero_si256,
        _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_sub_epi8, _mm256_testz_si256,
        _mm_loadu_si128,
    };

    /// What each 32 bytes are compared with: newlines, `\u`, with `PAIR` the single
    /// literal's two chosen bytes, and with `G` groups the nibble tables of [`Search::Few`].
    #[derive(Clone, Copy)]
    struct Probes<const PAIR: bool, const G: usize> {
        newline: __m256i,
        backslash: __m256i,
        u: __m256i,
        /// The literal's two chosen bytes, and their offsets in it.
        bytes: [__m256i; 2],
        at: [usize; 2],
        /// `Tables::low` and `Tables::high` of each group, in both 16-byte lanes.
        low: [[__m256i; 3]; G],
        high: [[__m256i; 3]; G],
        /// 15 in every byte (a nibble).
        nibble: __m256i,
    }

    /// The literals (of the `G` groups) whose three compared bytes lie at `p`, a bit each, in
    /// each byte of the result, from the bytes at `p`, `p + 1` and `p + 2`.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn lookup<const PAIR: bool, const G: usize>(
        bytes: [__m256i; 3],
        k: &Probes<PAIR, G>,
    ) -> __m256i {
        let low = bytes.map(|b| _mm256_and_si256(b, k.nibble));
        let high = bytes.map(|b| _mm256_and_si256(_mm256_srli_epi16::<4>(b), k.nibble));
        let mut found = _mm256_setzero_si256();
        for g in 0..G {
            let mut all = _mm256_and_si256(
                _mm256_shuffle_epi8(k.low[g][0], low[0]),
                _mm256_shuffle_epi8(k.high[g][0], high[0]),
            );
            for b in 1..3 {
                all = _mm256_and_si256(
                    all,
                    _mm256_and_si256(
                        _mm256_shuffle_epi8(k.low[g][b], low[b]),
                        _mm256_shuffle_epi8(k.high[g][b], high[b]),
                    ),
                );
            }
            found = _mm256_or_si256(found, all);
        }
        found
    }

    /// The newlines among the 32 bytes at `p`, the positions where a hiding escape (`\u`)
    /// or, with `PAIR`, the literal may start, and, with `G` groups, the literals whose three
    /// compared bytes lie at each position (a bit each, see [`lookup`]; zero without groups).
    ///
    /// # Safety
    /// The CPU has AVX2, and `p..p + 32 + k.reach()` lies in one readable slice.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn probe<const PAIR: bool, const G: usize>(
        p: *const u8,
        k: &Probes<PAIR, G>,
    ) -> (__m256i, __m256i, __m256i) {
        let here = _mm256_loadu_si256(p.cast());
        let next = _mm256_loadu_si256(p.add(1).cast());
        let newlines = _mm256_cmpeq_epi8(here, k.newline);
        let mut starts = _mm256_and_si256(
            _mm256_cmpeq_epi8(here, k.backslash),
            _mm256_cmpeq_epi8(next, k.u),
        );
        if PAIR {
            let x = _mm256_loadu_si256(p.add(k.at[0]).cast());
            let y = _mm256_loadu_si256(p.add(k.at[1]).cast());
            let both = _mm256_and_si256(
                _mm256_cmpeq_epi8(x, k.bytes[0]),
                _mm256_cmpeq_epi8(y, k.bytes[1]),
            );
            starts = _mm256_or_si256(starts, both);
        }
        let found = if G > 0 {
            let third = _mm256_loadu_si256(p.add(2).cast());
            lookup([here, next, third], k)
        } else {
            _mm256_setzero_si256()
        };
        (newlines, starts, found)
    }

    impl<const PAIR: bool, const G: usize> Probes<PAIR, G> {
        /// How far past a position the comparisons read.
        fn reach(&self) -> usize {
            let pair = if PAIR { self.at[0].max(self.at[1]) } else { 0 };
            let tables = if G > 0 { 2 } else { 0 };
            pair.max(tables).max(1)
        }
    }

    /// One bit per byte of two 32-byte comparisons.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn bits(low: __m256i, high: __m256i) -> u64 {
        let low = _mm256_movemask_epi8(low) as u32 as u64;
        let high = _mm256_movemask_epi8(high) as u32 as u64;
        low | (high << 32)
    }

    /// Newlines counted in vectors: per-byte counters (at most 2 per round, so emptied every
    /// 127 rounds) and four 64-bit sums, plus those counted from bit masks.
    #[derive(Clone, Copy)]
    struct Newlines {
        bytes: __m256i,
        sums: __m256i,
        rounds: u32,
        counted: u64,
    }

    impl Newlines {
        /// # Safety
        /// The CPU has AVX2.
        #[target_feature(enable = "avx2")]
        #[inline]
        unsafe fn new() -> Newlines {
            Newlines {
                bytes: _mm256_setzero_si256(),
                sums: _mm256_setzero_si256(),
                rounds: 0,
                counted: 0,
            }
        }

        /// Counts the newlines of one 64-byte round (comparison masks).
        ///
        /// # Safety
        /// The CPU has AVX2.
        #[target_feature(enable = "avx2")]
        #[inline]
        unsafe fn add(&mut self, low: __m256i, high: __m256i) {
            self.bytes = _mm256_sub_epi8(_mm256_sub_epi8(self.bytes, low), high);
            self.rounds += 1;
            if self.rounds == 127 {
                self.sums = _mm256_add_epi64(
                    self.sums,
                    _mm256_sad_epu8(self.bytes, _mm256_setzero_si256()),
                );
                self.bytes = _mm256_setzero_si256();
                self.rounds = 0;
            }
        }

        /// The newlines counted so far.
        ///
        /// # Safety
        /// The CPU has AVX2.
        #[target_feature(enable = "avx2")]
        unsafe fn total(&self) -> u64 {
            let v = _mm256_add_epi64(
                self.sums,
                _mm256_sad_epu8(self.bytes, _mm256_setzero_si256()),
            );
            let lanes = [
                _mm256_extract_epi64::<0>(v),
                _mm256_extract_epi64::<1>(v),
                _mm256_extract_epi64::<2>(v),
                _mm256_extract_epi64::<3>(v),
            ];
            self.counted + lanes.iter().map(|&n| n as u64).sum::<u64>()
        }
    }

    /// The start of the line holding position `j` of `block`.
    fn line_start(block: &[u8], j: usize) -> usize {
        memchr::memrchr(b'\n', &block[..j]).map_or(0, |i| i + 1)
    }

    /// The hot loop: from `i` on, counts newlines 64 bytes at a time up to the first round
    /// that flags a position (or holds `pending`); returns that round's offset with its
    /// newline and flag bits (its newlines not counted), or where the block ends for it.
    ///
    /// # Safety
    /// The CPU has AVX2, and `reach == k.reach()`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn next_round<const PAIR: bool, const G: usize>(
        block: &[u8],
        k: &Probes<PAIR, G>,
        reach: usize,
        mut i: usize,
        pending: usize,
        newlines: &mut Newlines,
    ) -> (usize, u64, u64) {
        let mut counts = *newlines;
        while i + 64 + reach <= block.len() {
            // Both probes read inside the block: the furthest byte is
            // `i + 32 + 31 + reach < block.len()`.
            let p = block.as_ptr().add(i);
            let (n0, s0, f0) = probe(p, k);
            let (n1, s1, f1) = probe(p.add(32), k);
            let mut starts = _mm256_or_si256(s0, s1);
            if G > 0 {
                starts = _mm256_or_si256(starts, _mm256_or_si256(f0, f1));
            }
            let matches = !PAIR && G == 0;
            if _mm256_testz_si256(starts, starts) == 0 || (matches && pending < i + 64) {
                *newlines = counts;
                let mut starts = bits(s0, s1);
                if G > 0 {
                    // The bytes with some literal's bit set.
                    let zero = _mm256_setzero_si256();
                    starts |= !bits(_mm256_cmpeq_epi8(f0, zero), _mm256_cmpeq_epi8(f1, zero));
                }
                return (i, bits(n0, n1), starts);
            }
            counts.add(n0, n1);
            i += 64;
        }
        *newlines = counts;
        (i, 0, 0)
    }

    /// Runs over `c.block` 64 bytes at a time while the comparisons stay inside it, checking
    /// every position flagged by `\u`, with `PAIR` by `pair`, with `G` groups by `tables`,
    /// and otherwise every position where an Aho-Corasick match starts; returns where it
    /// stopped and the newlines before that.
    ///
    /// # Safety
    /// The CPU has AVX2 and POPCNT.
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn run<const PAIR: bool, const G: usize>(
        c: &mut Checker<'_>,
        pair: Pair,
        tables: &Tables,
    ) -> (usize, u64) {
        let block = c.block;
        let lanes = |t: &[u8; 16]| _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr().cast()));
        let k = Probes::<PAIR, G> {
            newline: _mm256_set1_epi8(b'\n' as i8),
            backslash: _mm256_set1_epi8(b'\\' as i8),
            u: _mm256_set1_epi8(b'u' as i8),
            bytes: pair.byte.map(|b| _mm256_set1_epi8(b as i8)),
            at: pair.at,
            low: std::array::from_fn(|g| tables.low[g].each_ref().map(lanes)),
            high: std::array::from_fn(|g| tables.high[g].each_ref().map(lanes)),
            nibble: _mm256_set1_epi8(15),
        };
        let reach = k.reach();
        let mut newlines = Newlines::new();
        // Several literals: the next match not yet flagged.
        let mut flagged = c.next;
        let mut pending = c.next_match();
        let mut i = 0usize;
        loop {
            let (at, nl, mut starts) = next_round(block, &k, reach, i, pending, &mut newlines);
            i = at;
            if i + 64 + reach > block.len() {
                break;
            }
            while pending < i + 64 {
                starts |= 1 << (pending - i);
                flagged += 1;
                pending = c.matches.get(flagged).map_or(usize::MAX, |m| m.0);
            }
            while starts != 0 {
                let b = starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let j = i + b;
                if !c.wants(j) {
                    continue;
                }
                let (index, start) = match c.same_line(j) {
                    Some(line) => line,
                    None => {
                        let before = nl & ((1u64 << b) - 1);
                        let index = newlines.total() + u64::from(before.count_ones());
                        (index, line_start(block, j))
                    }
                };
                c.check(j, index, start);
            }
            newlines.counted += u64::from(nl.count_ones());
            i += 64;
        }
        (i, newlines.total())
    }

    /// The fused pass over `c.block`: flagged positions are checked by `c`; returns the
    /// number of lines.
    ///
    /// # Safety
    /// The CPU has AVX2 and POPCNT.
    pub(super) unsafe fn hits(c: &mut Checker<'_>) -> u64 {
        let none = Pair {
            at: [0, 0],
            byte: [0, 0],
        };
        let empty = Tables::default();
        let (mut i, mut newlines) = match &c.filter.search {
            Search::One { pair, .. } => {
                let pair = *pair;
                // SAFETY: the caller's guarantee.
                unsafe { run::<true, 0>(c, pair, &empty) }
            }
            Search::Few {
                literals, tables, ..
            } => {
                let tables: &Tables = tables;
                if literals.len() <= 8 {
                    // SAFETY: the caller's guarantee.
                    unsafe { run::<false, 1>(c, none, tables) }
                } else {
                    // SAFETY: the caller's guarantee.
                    unsafe { run::<false, 2>(c, none, tables) }
                }
            }
            // SAFETY: the caller's guarantee.
            Search::Many(_) => unsafe { run::<false, 0>(c, none, &empty) },
        };
        // The last bytes, one at a time.
        let block = c.block;
        let mut line = line_start(block, i);
        while i < block.len() {
            c.check(i, newlines, line);
            if block[i] == b'\n' {
                newlines += 1;
                line = i + 1;
            }
            i += 1;
        }
        newlines + u64::from(!block.is_empty() && !block.ends_with(b"\n"))
    }
}

#[cfg(target_arch = "x86_64")]
impl LineFilter {
    /// The fused pass: one read of the block (after an Aho-Corasick pass when there are
    /// more than [`FEW`] literals).
    ///
    /// # Safety
    /// The CPU has AVX2 and POPCNT.
    unsafe fn hits_fused(&self, block: &[u8], out: &mut Hits) -> u64 {
        out.reset(self.words);
        let mut matches = Vec::new();
        if let Search::Many(ac) = &self.search {
            matches.extend(
                ac.find_overlapping_iter(block)
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
            );
            matches.sort_by_key(|m| m.0);
        }
        let mut c = Checker {
            filter: self,
            block,
            out,
            matches,
            next: 0,
        };
        // SAFETY: the caller's guarantee.
        unsafe { fused::hits(&mut c) }
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

/// Lines in a block (a last line without a newline counts).
pub fn line_count(block: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', block).count() as u64;
    n + u64::from(!block.ends_with(b"\n") && !block.is_empty())
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
    fn line_count_counts_a_last_line_without_newline() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"\n"), 1);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n\nb"), 3);
    }

    #[test]
    fn pair_prefers_rare_bytes_at_two_positions() {
        let p = Pair::new(b"impersonatedUser");
        assert_eq!(p.at[0], 12); // `U`
        assert_eq!(p.byte, [b'U', b'p']);
        let p = Pair::new(b"aaa");
        assert_eq!(p.byte, [b'a', b'a']);
        assert_ne!(p.at[0], p.at[1]);
        let p = Pair::new(b"x");
        assert_eq!((p.at, p.byte), ([0, 0], [b'x', b'x']));
    }

    #[test]
    fn lines_with_literals_or_escapes_are_candidates() {
        let rules = crate::fixtures::RULES.rules;
        // The fixture rules that have literals (a rule without one turns the filter off).
        let routed: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].prefilter.raw.is_some())
            .collect();
        let f = LineFilter::new(rules, &routed, &[Shape::Raw])
            .expect("every routed rule has a literal");
        let lit = rules[routed[0]].prefilter.raw.unwrap()[0];
        let block = format!(
            "{{\"verb\":\"get\"}}\n{{\"{lit}\":1}}\n{{\"x\":\"\\u0069\"}}\n{{\"x\":\"\\u0026\"}}\n"
        );
        let mut hits = Hits::default();
        assert_eq!(f.hits(block.as_bytes(), &mut hits), 4);
        let lines: Vec<&str> = hits.lines.iter().map(|&(s, e)| &block[s..e]).collect();
        assert_eq!(
            lines,
            [format!("{{\"{lit}\":1}}"), "{\"x\":\"\\u0069\"}".to_owned()]
        );
        assert_eq!(hits.index, [1, 2]);
        assert!(hits.rules(0).iter().any(|w| *w != 0));
    }

    /// What a filter finds in a block, comparable across paths.
    type Found = (u64, Vec<(usize, usize)>, Vec<u64>, Vec<u64>);

    fn found(hits: &Hits, total: u64) -> Found {
        (
            total,
            hits.lines.clone(),
            hits.index.clone(),
            hits.bits.clone(),
        )
    }

    /// The reference: split into lines, a line is a candidate iff it holds a literal (for
    /// that literal's rules) or a `\u00XX` escape of a letter or digit (for every rule).
    fn naive(literals: &[(&str, usize)], rules: usize, block: &[u8]) -> Found {
        let words = rules.div_ceil(64).max(1);
        let (mut lines, mut index, mut bits) = (Vec::new(), Vec::new(), Vec::new());
        let mut total = 0u64;
        let mut start = 0;
        while start < block.len() {
            let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
            let line = &block[start..end];
            let mut b = vec![0u64; words];
            let mut hit = false;
            for (lit, r) in literals {
                if line.windows(lit.len()).any(|w| w == lit.as_bytes()) {
                    b[r / 64] |= 1 << (r % 64);
                    hit = true;
                }
            }
            let escaped = (0..line.len())
                .any(|i| line[i..].starts_with(SENTINEL) && hides_alnum(&line[i + 4..]));
            if escaped {
                for r in 0..rules {
                    b[r / 64] |= 1 << (r % 64);
                }
                hit = true;
            }
            if hit {
                lines.push((start, end));
                index.push(total);
                bits.extend(b);
            }
            total += 1;
            start = end + 1;
        }
        (total, lines, index, bits)
    }

    use sigma_runtime::test_rng::Rng;

    const PIECES: &[&str] = &[
        "impersonatedUser",
        "impersonated",
        "User",
        "imp",
        "persona",
        "tedUser",
        "U",
        "p",
        "Up",
        "\n",
        "\n",
        "\n\n",
        "\\u0069",
        "\\u0026",
        "\\u004A",
        "\\u004a",
        "\\u003c",
        "\\u00",
        "\\u0",
        "\\u00z9",
        "\\u007",
        "\\u0030",
        "\\\\u0061",
        "\\",
        "u",
        "\\u",
        "{\"user\":\"a\"}",
        "system:masters",
        "sys",
        "x",
        " ",
        "\"",
        "apiGroup",
        "subresource",
        "sub",
        "resource",
        "source",
        "kube",
        "cluster",
        "anonymous",
        "u0069",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaU",
    ];

    fn random_block(rng: &mut Rng) -> Vec<u8> {
        let mut block = Vec::new();
        let pieces = match rng.below(4) {
            0 => rng.below(6),
            1 => rng.below(30),
            _ => rng.below(200),
        };
        for _ in 0..pieces {
            if rng.below(3) == 0 {
                // Filler of random length moves what follows across chunk boundaries.
                let n = rng.below(70);
                block.extend(std::iter::repeat_n(b'a' + rng.below(3) as u8, n));
            } else {
                block.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
            }
        }
        if rng.below(2) == 0 {
            block.push(b'\n');
        }
        block
    }

    /// A literal whose pair lies more than 64 bytes apart: the fused pass reads furthest.
    const LONG: &str =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaU";

    /// Sixteen literals (`FEW`): one inside another, shared starts and ends, one and two
    /// bytes, repeated bytes, a far pair.
    const SIXTEEN: [&str; 16] = [
        "impersonatedUser",
        "impersonated",
        "User",
        "tedUser",
        "imp",
        "persona",
        "sys",
        "system",
        "masters",
        "apiGroup",
        "subresource",
        "resource",
        "sub",
        "U",
        "Up",
        LONG,
    ];

    /// Every literal set checked: one literal (the flagship's, and degenerate ones), two to
    /// `FEW` (the fused pass looks for them all, in one or two groups of the nibble tables:
    /// one inside another, shared starts and ends, one byte, repeated bytes, far pairs) and
    /// more (Aho-Corasick).
    fn literal_sets() -> Vec<(Vec<(&'static str, usize)>, usize)> {
        let sixteen: Vec<(&str, usize)> = SIXTEEN
            .iter()
            .enumerate()
            .map(|(i, l)| (*l, i % 13))
            .collect();
        let mut seventeen = sixteen.clone();
        seventeen.push(("kube", 13));
        vec![
            (vec![("impersonatedUser", 0)], 1),
            (vec![("impersonatedUser", 2), ("impersonatedUser", 0)], 3),
            (vec![("U", 0)], 1),
            (vec![("Up", 1)], 2),
            (vec![("aaaa", 0)], 1),
            (vec![(LONG, 0)], 1),
            (vec![("User", 0), ("impersonatedUser", 1)], 2),
            (vec![("imp", 0), ("impersonated", 1), ("User", 1)], 2),
            (vec![("U", 1), ("p", 0), ("Up", 2)], 3),
            (
                vec![
                    ("sub", 0),
                    ("resource", 1),
                    ("source", 2),
                    ("subresource", 3),
                ],
                4,
            ),
            (
                vec![
                    ("impersonatedUser", 0),
                    ("sys", 1),
                    ("system", 2),
                    ("masters", 70),
                    ("imp", 70),
                ],
                71,
            ),
            (
                vec![
                    ("apiGroup", 0),
                    ("subresource", 1),
                    ("cluster", 2),
                    ("anonymous", 3),
                    ("impersonatedUser", 4),
                    ("resource", 5),
                    ("aaaa", 6),
                ],
                7,
            ),
            (
                vec![
                    ("impersonatedUser", 0),
                    ("tedUser", 1),
                    ("User", 2),
                    ("imp", 3),
                    ("persona", 4),
                    ("u0069", 5),
                    (LONG, 6),
                    ("subresource", 7),
                    ("User", 5),
                ],
                8,
            ),
            (
                vec![
                    ("apiGroup", 0),
                    ("subresource", 1),
                    ("sub", 2),
                    ("cluster", 3),
                    ("anonymous", 4),
                    ("impersonatedUser", 5),
                    ("masters", 6),
                    ("system", 7),
                    ("resource", 8),
                ],
                9,
            ),
            (sixteen, 13),
            (seventeen, 14),
        ]
    }

    #[test]
    fn few_literals_compare_their_rarest_three_bytes() {
        assert_eq!(Literal::new(b"impersonatedUser").anchor, 11); // `dUs`
        assert_eq!(Literal::new(b"apiGroup").anchor, 1); // `piG`
        assert_eq!(Literal::new(b"abc").anchor, 0);
        assert_eq!(Literal::new(b"U").anchor, 0);
        // Not in `request`, which every event holds.
        assert!(Literal::new(b"tokenrequests").anchor < 3);
        let literals: Vec<Literal> = SIXTEEN.iter().map(|l| Literal::new(l.as_bytes())).collect();
        let t = Tables::new(&literals);
        // Exact for every byte: one literal per bit, a byte past the end matches anything.
        for (l, lit) in literals.iter().enumerate() {
            let (g, bit) = (l / 8, 1u8 << (l % 8));
            for k in 0..3 {
                for b in 0..=255u8 {
                    let set = t.low[g][k][usize::from(b & 15)] & t.high[g][k][usize::from(b >> 4)];
                    let wanted = lit.bytes.get(lit.anchor + k).is_none_or(|&c| c == b);
                    assert_eq!(set & bit != 0, wanted, "{l} {k} {b}");
                }
            }
        }
    }

    #[test]
    fn literal_sets_take_every_search() {
        let kind = |literals: &[(&str, usize)]| {
            let rules = literals.iter().map(|l| l.1 + 1).max().unwrap();
            let f = filter(literals, rules);
            match &f.search {
                Search::One { .. } => (1, 0),
                Search::Few { literals, .. } => (2, literals.len()),
                Search::Many(_) => (3, 0),
            }
        };
        let sets = literal_sets();
        let kinds: Vec<_> = sets.iter().map(|(l, _)| kind(l)).collect();
        assert!(kinds.contains(&(1, 0)));
        for n in [2, 3, 4, 5, 7, 8, 9, FEW] {
            assert!(kinds.contains(&(2, n)), "no set of {n} literals");
        }
        assert!(kinds.contains(&(3, 0)));
    }

    /// A filter over `literals` for `rules` rules, all of them routed.
    fn filter(literals: &[(&str, usize)], rules: usize) -> LineFilter {
        let routed: Vec<usize> = (0..rules).collect();
        LineFilter::with_literals(literals, &routed, rules).expect("literals")
    }

    fn check_block(f: &LineFilter, literals: &[(&str, usize)], rules: usize, block: &[u8]) {
        let mut hits = Hits::default();
        let total = f.hits_portable(block, &mut hits);
        let portable = found(&hits, total);
        let expected = naive(literals, rules, block);
        let shown = String::from_utf8_lossy(block);
        assert_eq!(
            portable, expected,
            "portable, {literals:?}, block {shown:?}"
        );
        #[cfg(target_arch = "x86_64")]
        if fused_available() {
            // SAFETY: the CPU has AVX2 and POPCNT (checked just above).
            let total = unsafe { f.hits_fused(block, &mut hits) };
            let fused = found(&hits, total);
            assert_eq!(fused, expected, "fused, {literals:?}, block {shown:?}");
        }
    }

    #[test]
    fn fused_and_portable_paths_agree_with_a_line_by_line_reference() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for (literals, rules) in literal_sets() {
            let f = filter(&literals, rules);
            for _ in 0..3000 {
                let block = random_block(&mut rng);
                check_block(&f, &literals, rules, &block);
            }
        }
    }

    #[test]
    fn long_blocks_count_every_newline() {
        // Past the 127 rounds of 64 bytes after which the vector counters are emptied, with
        // newlines as dense as they can be.
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for (literals, rules) in literal_sets() {
            let f = filter(&literals, rules);
            for n in [8127, 8128, 8129, 8191, 8192, 8193, 20000, 40000] {
                let mut block = vec![b'\n'; n];
                check_block(&f, &literals, rules, &block);
                block.extend_from_slice(b"impersonatedUser\\u0069");
                check_block(&f, &literals, rules, &block);
                block.splice(
                    n / 2..n / 2,
                    b"impersonatedUser\nsystem\\u004a".iter().copied(),
                );
                check_block(&f, &literals, rules, &block);
            }
            for _ in 0..20 {
                let mut block = Vec::new();
                while block.len() < 40000 {
                    block.extend(random_block(&mut rng));
                }
                check_block(&f, &literals, rules, &block);
            }
        }
    }

    #[test]
    fn matches_at_every_offset_around_chunk_boundaries() {
        for (literals, rules) in literal_sets() {
            let f = filter(&literals, rules);
            for what in [
                "impersonatedUser",
                "\\u0069",
                "\n\\u004a",
                "system\nmasters",
                "subresourceapiGroupimpersonatedUser",
                "clusteranonymous\nimpersonatedUser",
                LONG,
            ] {
                for len in [0, 20, 31, 32, 63, 64, 65, 80, 96, 130, 200, 300] {
                    for at in 0..len {
                        let mut block = vec![b'x'; len];
                        block[len / 3] = b'\n';
                        block.splice(at..at, what.bytes());
                        check_block(&f, &literals, rules, &block);
                        block.truncate(at + what.len());
                        check_block(&f, &literals, rules, &block);
                    }
                }
            }
        }
    }
}
