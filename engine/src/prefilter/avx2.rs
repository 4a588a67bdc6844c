//! The fused pass on x86-64: one read of a block, 64 bytes at a time with AVX2, comparing for
//! newlines, `\u` escapes and the literals at once; the positions it flags go to the
//! [`Checker`].
//!
//! Every function here with `#[target_feature(enable = "avx2")]` is an `unsafe fn` whose
//! contract includes "the CPU has AVX2": they are reached only through
//! [`LineFilter::hits_fused`], which [`LineFilter::hits`] calls only when the runtime
//! `is_x86_feature_detected!` check (`fused_available`) found AVX2 and POPCNT. The vector
//! arithmetic intrinsics are safe to call inside such functions; the unsafe operations left
//! are the unaligned loads, the pointer offsets and the calls between these functions.

use super::check::Checker;
use super::lines::line_start;
use super::plan::{Pair, Search, Tables};
use super::{Hits, LineFilter};
use std::arch::x86_64::{
    __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
    _mm256_extract_epi64, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
    _mm256_sad_epu8, _mm256_set1_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_srli_epi16, _mm256_sub_epi8, _mm256_testz_si256, _mm_loadu_si128, _mm_prefetch,
    _MM_HINT_T0,
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
    fold: [__m256i; 2],
    at: [usize; 2],
    /// `Tables::low` and `Tables::high` of each group, in both 16-byte lanes.
    low: [[__m256i; 3]; G],
    high: [[__m256i; 3]; G],
    /// 15 in every byte (a nibble).
    nibble: __m256i,
}

impl<const PAIR: bool, const G: usize> Probes<PAIR, G> {
    /// How far past a position the comparisons read (at least 1: the `u` of `\u`).
    fn reach(&self) -> usize {
        let pair = if PAIR { self.at[0].max(self.at[1]) } else { 0 };
        let tables = if G > 0 { 2 } else { 0 };
        pair.max(tables).max(1)
    }
}

/// The literals (of the `G` groups) whose three compared bytes lie at `p`, a bit each, in
/// each byte of the result, from the bytes at `p`, `p + 1` and `p + 2`.
///
/// # Safety
/// The CPU must have AVX2.
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
/// The CPU must have AVX2, and `p..p + 32 + k.reach()` must lie in one readable slice.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn probe<const PAIR: bool, const G: usize>(
    p: *const u8,
    k: &Probes<PAIR, G>,
) -> (__m256i, __m256i, __m256i) {
    // SAFETY: `p..p + 32` lies in the caller's readable slice (`p..p + 32 + k.reach()`);
    // the load is unaligned, so any address will do.
    let here = unsafe { _mm256_loadu_si256(p.cast()) };
    // SAFETY: one invariant covers the offset and the load: `1 <= k.reach()`, so
    // `p + 1..p + 33` lies in the caller's slice (`p..p + 32 + k.reach()`).
    let next = unsafe { _mm256_loadu_si256(p.add(1).cast()) };
    let newlines = _mm256_cmpeq_epi8(here, k.newline);
    let mut starts = _mm256_and_si256(
        _mm256_cmpeq_epi8(here, k.backslash),
        _mm256_cmpeq_epi8(next, k.u),
    );
    if PAIR {
        // SAFETY: one invariant covers the offset and the load: with `PAIR`,
        // `k.at[0] <= k.reach()`, so `p + k.at[0]..p + k.at[0] + 32` lies in the caller's
        // slice (`p..p + 32 + k.reach()`).
        let x = unsafe { _mm256_loadu_si256(p.add(k.at[0]).cast()) };
        // SAFETY: as for `x`, with `k.at[1] <= k.reach()`.
        let y = unsafe { _mm256_loadu_si256(p.add(k.at[1]).cast()) };
        let both = _mm256_and_si256(
            _mm256_cmpeq_epi8(_mm256_or_si256(x, k.fold[0]), k.bytes[0]),
            _mm256_cmpeq_epi8(_mm256_or_si256(y, k.fold[1]), k.bytes[1]),
        );
        starts = _mm256_or_si256(starts, both);
    }
    let found = if G > 0 {
        // SAFETY: one invariant covers the offset and the load: with groups,
        // `2 <= k.reach()`, so `p + 2..p + 34` lies in the caller's slice
        // (`p..p + 32 + k.reach()`).
        let third = unsafe { _mm256_loadu_si256(p.add(2).cast()) };
        // SAFETY: the CPU has AVX2 (this function's contract).
        unsafe { lookup([here, next, third], k) }
    } else {
        _mm256_setzero_si256()
    };
    (newlines, starts, found)
}

/// One bit per byte of two 32-byte comparisons.
///
/// # Safety
/// The CPU must have AVX2.
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
    /// No newlines counted yet.
    ///
    /// # Safety
    /// The CPU must have AVX2.
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
    /// The CPU must have AVX2.
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
    /// The CPU must have AVX2.
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

/// How far ahead of the bytes compared the hot loop asks for memory.
const PREFETCH: usize = 1024;

/// The hot loop: from `i` on, counts newlines 64 bytes at a time up to the first round
/// that flags a position (or holds `pending`); returns that round's offset with its
/// newline and flag bits (its newlines not counted), or where the block ends for it.
///
/// # Safety
/// The CPU must have AVX2, and `reach` must equal `k.reach()` (the loop relies on it to
/// keep every read inside `block`).
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
        // SAFETY: `i + 64 + reach <= block.len()` (the loop condition), so `i` is within
        // `block` and the offset stays in its allocation.
        let p = unsafe { block.as_ptr().add(i) };
        // A hint only: prefetching never faults, whatever the address.
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(PREFETCH).cast());
        // SAFETY: the CPU has AVX2 (this function's contract), and
        // `p..p + 32 + k.reach()` is `i..i + 32 + reach`, inside `block` since
        // `reach == k.reach()` (the contract) and `i + 64 + reach <= block.len()`.
        let (n0, s0, f0) = unsafe { probe(p, k) };
        // SAFETY: the CPU has AVX2 (this function's contract); one bound covers the offset
        // and the probe's reads: `p + 32` is `i + 32`, and `p + 32..p + 64 + k.reach()` is
        // `i + 32..i + 64 + reach`, inside `block` by the loop condition (the furthest byte
        // read is `i + 32 + 31 + reach < block.len()`).
        let (n1, s1, f1) = unsafe { probe(p.add(32), k) };
        let mut starts = _mm256_or_si256(s0, s1);
        if G > 0 {
            starts = _mm256_or_si256(starts, _mm256_or_si256(f0, f1));
        }
        let matches = !PAIR && G == 0;
        if _mm256_testz_si256(starts, starts) == 0 || (matches && pending < i + 64) {
            *newlines = counts;
            // SAFETY: the CPU has AVX2 (this function's contract).
            let mut starts = unsafe { bits(s0, s1) };
            if G > 0 {
                // The bytes with some literal's bit set.
                let zero = _mm256_setzero_si256();
                let (none0, none1) = (_mm256_cmpeq_epi8(f0, zero), _mm256_cmpeq_epi8(f1, zero));
                // SAFETY: the CPU has AVX2 (this function's contract).
                let none = unsafe { bits(none0, none1) };
                starts |= !none;
            }
            // SAFETY: the CPU has AVX2 (this function's contract).
            let newline_bits = unsafe { bits(n0, n1) };
            return (i, newline_bits, starts);
        }
        // SAFETY: the CPU has AVX2 (this function's contract).
        unsafe { counts.add(n0, n1) };
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
/// The CPU must have AVX2 and POPCNT.
#[target_feature(enable = "avx2,popcnt")]
unsafe fn run<const PAIR: bool, const G: usize>(
    c: &mut Checker<'_>,
    pair: Pair,
    tables: &Tables,
) -> (usize, u64) {
    let block = c.block;
    let lanes = |t: &[u8; 16]| {
        // SAFETY: `t` is a reference to 16 bytes, exactly what the load reads; the load is
        // unaligned, so any address will do.
        _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(t.as_ptr().cast()) })
    };
    let k = Probes::<PAIR, G> {
        newline: _mm256_set1_epi8(b'\n' as i8),
        backslash: _mm256_set1_epi8(b'\\' as i8),
        u: _mm256_set1_epi8(b'u' as i8),
        bytes: pair.byte.map(|b| _mm256_set1_epi8(b as i8)),
        fold: pair.fold.map(|b| _mm256_set1_epi8(b as i8)),
        at: pair.at,
        low: std::array::from_fn(|g| tables.low[g].each_ref().map(lanes)),
        high: std::array::from_fn(|g| tables.high[g].each_ref().map(lanes)),
        nibble: _mm256_set1_epi8(15),
    };
    let reach = k.reach();
    // SAFETY: the CPU has AVX2 (this function's contract).
    let mut newlines = unsafe { Newlines::new() };
    // Several literals: the next match not yet flagged.
    let mut flagged = c.next;
    let mut pending = c.next_match();
    let mut i = 0usize;
    loop {
        // SAFETY: the CPU has AVX2 (this function's contract), and `reach` is `k.reach()`
        // (set just above from the same `k`).
        let (at, nl, mut starts) =
            unsafe { next_round(block, &k, reach, i, pending, &mut newlines) };
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
                    // SAFETY: the CPU has AVX2 (this function's contract).
                    let counted = unsafe { newlines.total() };
                    (
                        counted + u64::from(before.count_ones()),
                        line_start(block, j),
                    )
                }
            };
            c.check(j, index, start);
        }
        newlines.counted += u64::from(nl.count_ones());
        i += 64;
    }
    // SAFETY: the CPU has AVX2 (this function's contract).
    (i, unsafe { newlines.total() })
}

/// The fused pass over `c.block`: flagged positions are checked by `c`; returns the
/// number of lines.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT.
unsafe fn hits(c: &mut Checker<'_>) -> u64 {
    let none = Pair {
        at: [0, 0],
        byte: [0, 0],
        fold: [0, 0],
    };
    let empty = Tables::default();
    let (mut i, mut newlines) = match &c.filter.search {
        Search::One { pair, .. } => {
            let pair = *pair;
            // SAFETY: the CPU has AVX2 and POPCNT (this function's contract).
            unsafe { run::<true, 0>(c, pair, &empty) }
        }
        Search::Few {
            literals, tables, ..
        } => {
            let tables: &Tables = tables;
            if literals.len() <= 8 {
                // SAFETY: the CPU has AVX2 and POPCNT (this function's contract).
                unsafe { run::<false, 1>(c, none, tables) }
            } else {
                // SAFETY: the CPU has AVX2 and POPCNT (this function's contract).
                unsafe { run::<false, 2>(c, none, tables) }
            }
        }
        // SAFETY: the CPU has AVX2 and POPCNT (this function's contract).
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

impl LineFilter {
    /// The fused pass: one read of the block (after an Aho-Corasick pass when there are
    /// more than [`FEW`](super::plan::FEW) literals).
    ///
    /// # Safety
    /// The CPU must have AVX2 and POPCNT (as `fused_available` checks at run time).
    pub(super) unsafe fn hits_fused(&self, block: &[u8], out: &mut Hits) -> u64 {
        out.reset(self.words);
        let mut matches = Vec::new();
        if let Search::Many(ac) = &self.search {
            matches.extend(self.ac_matches(ac, block));
            matches.sort_by_key(|m| m.0);
        }
        let mut c = Checker {
            filter: self,
            block,
            out,
            matches,
            next: 0,
        };
        // SAFETY: the CPU has AVX2 and POPCNT (this function's contract).
        unsafe { hits(&mut c) }
    }
}
