//! One field's prefix, suffix and contains needles, found in a folded value in one pass by a
//! *gram filter*: each needle is filed under one of its 4-byte substrings (its whole text for
//! 2- and 3-byte needles), the one fewest of the field's needles hold (the field's needles are
//! the best guess at what its values hold: `.exe` is in thousands of them, and in most
//! values). The value's every 4-byte window is hashed into a bitmap of the filed grams; only where a bit is
//! set is the gram looked up, and its needles compared in place, with their anchoring (a prefix
//! must start the value, a suffix end it).
//!
//! The cost per value is its length times a hash and a bit test, whatever the number of
//! needles (the corpus's Windows `CommandLine` has about 11,000): an Aho-Corasick automaton
//! that size misses the cache at almost every byte and reports each overlapping match, and a
//! trie of suffixes walks deep into the paths the needles share (`.exe`, `\\windows\\`).

use std::collections::{BTreeMap, HashMap};

/// Where a needle must sit in the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    Start,
    End,
    Anywhere,
}

/// The prefix, suffix and contains needles of one field.
#[derive(Debug, Default)]
pub(super) struct Literals {
    grams4: Grams<4>,
    grams3: Grams<3>,
    grams2: Grams<2>,
}

/// Gathers a field's needles: per (text, anchoring), the needle ids it stands for.
#[derive(Debug, Default)]
pub(super) struct LiteralsBuild {
    needles: BTreeMap<(&'static str, Anchor), Vec<u32>>,
}

/// The shortest needle a gram filter finds.
const MIN_LEN: usize = 2;

impl LiteralsBuild {
    /// Whether a needle of this text can be added (the generator emits no shorter prefix,
    /// suffix or contains needle; a rule whose gate names one must run on every event).
    pub(super) fn takes(text: &str) -> bool {
        text.len() >= MIN_LEN
    }

    /// Adds needle `id`: `text` at the start of the value.
    pub(super) fn prefix(&mut self, text: &'static str, id: u32) {
        self.add(text, Anchor::Start, id);
    }

    /// Adds needle `id`: `text` at the end of the value.
    pub(super) fn suffix(&mut self, text: &'static str, id: u32) {
        self.add(text, Anchor::End, id);
    }

    /// Adds needle `id`: `text` anywhere in the value.
    pub(super) fn contains(&mut self, text: &'static str, id: u32) {
        self.add(text, Anchor::Anywhere, id);
    }

    /// Needles must be at least [`MIN_LEN`] bytes long: see [`LiteralsBuild::takes`].
    fn add(&mut self, text: &'static str, anchor: Anchor, id: u32) {
        self.needles.entry((text, anchor)).or_default().push(id);
    }

    /// The needles' texts.
    pub(super) fn texts(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.needles.keys().map(|&(text, _)| text)
    }

    /// Whether no needle was added.
    pub(super) fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    pub(super) fn finish(self) -> Literals {
        // 4 bytes or more, 3, 2: each length its own table.
        let mut by_len: [Vec<_>; 3] = Default::default();
        for (key, ids) in self.needles {
            by_len[4 - key.0.len().min(4)].push((key, ids));
        }
        let [four, three, two] = by_len;
        Literals {
            grams4: Grams::new(four),
            grams3: Grams::new(three),
            grams2: Grams::new(two),
        }
    }
}

impl Literals {
    /// Calls `hit` with the id of every needle the folded value `v` holds (an id may come more
    /// than once).
    #[inline]
    pub(super) fn scan(&self, v: &[u8], hit: &mut impl FnMut(u32)) {
        let (two, three) = (!self.grams2.is_empty(), !self.grams3.is_empty());
        if !two && !three {
            self.grams4.scan(v, hit);
            return;
        }
        // One pass for every gram length: each window's 4 bytes (fewer at the end, padded
        // with zeros) give the 2-, 3- and 4-byte grams starting there.
        let four = !self.grams4.is_empty();
        for i in 0..v.len() {
            let left = v.len() - i;
            let g = if left >= 4 {
                gram::<4>(v, i)
            } else {
                let mut w = [0u8; 4];
                w[..left].copy_from_slice(&v[i..]);
                u32::from_le_bytes(w)
            };
            if four && left >= 4 {
                self.grams4.test(g, v, i, hit);
            }
            if three && left >= 3 {
                self.grams3.test(g & 0xff_ffff, v, i, hit);
            }
            if two && left >= 2 {
                self.grams2.test(g & 0xffff, v, i, hit);
            }
        }
    }
}

/// Needles of at least `Q` bytes, each filed under one `Q`-byte gram of it.
#[derive(Debug)]
struct Grams<const Q: usize> {
    /// One bit per hash of a filed gram: a value's window whose bit is clear starts no
    /// needle's gram.
    bitmap: Vec<u64>,
    /// `64 - log2(bits)`: the hash's top bits index the bitmap.
    bitmap_shift: u32,
    /// Open addressing over the filed grams: `(gram, range of entries)`; `u32::MAX` starts an
    /// empty slot.
    slots: Vec<(u32, u32, u32)>,
    slot_shift: u32,
    /// Per filed needle: where its text is in `bytes`, the gram's offset in it, its anchoring
    /// and its ids.
    entries: Vec<Entry>,
    bytes: Vec<u8>,
    ids: Vec<u32>,
}

/// A needle under its gram: its text and anchoring, the gram's offset in it, its ids.
type Filed = ((&'static str, Anchor), u32, Vec<u32>);

#[derive(Debug, Clone, Copy)]
struct Entry {
    text: (u32, u32),
    offset: u32,
    anchor: Anchor,
    ids: (u32, u32),
}

impl<const Q: usize> Default for Grams<Q> {
    fn default() -> Self {
        Grams::new(Vec::new())
    }
}

/// Multiplicative hashing of a gram.
#[inline(always)]
fn mix(gram: u32) -> u64 {
    (gram as u64 ^ 0x9e37_79b9).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<const Q: usize> Grams<Q> {
    fn new(needles: Vec<((&'static str, Anchor), Vec<u32>)>) -> Grams<Q> {
        // How many times each gram occurs in the needles.
        let mut seen: HashMap<u32, u32> = HashMap::new();
        for ((text, _), _) in &needles {
            let b = text.as_bytes();
            if b.len() >= Q {
                for o in 0..=b.len() - Q {
                    *seen.entry(gram::<Q>(b, o)).or_default() += 1;
                }
            }
        }
        // Each needle under its least common gram.
        let mut by_gram: BTreeMap<u32, Vec<Filed>> = BTreeMap::new();
        for (key, ids) in needles {
            let b = key.0.as_bytes();
            if b.len() < Q {
                continue;
            }
            let offset = (0..=b.len() - Q)
                .min_by_key(|&o| seen[&gram::<Q>(b, o)])
                .unwrap_or(0);
            by_gram
                .entry(gram::<Q>(b, offset))
                .or_default()
                .push((key, offset as u32, ids));
        }
        let grams = by_gram.len();
        // About 16 bitmap bits per gram, so that few windows without a needle pass the test.
        let bitmap_bits = (grams * 16).next_power_of_two().max(64);
        let slot_count = (grams * 2).next_power_of_two().max(2);
        let mut g = Grams {
            bitmap: vec![0; bitmap_bits / 64],
            bitmap_shift: 64 - bitmap_bits.trailing_zeros(),
            slots: vec![(0, u32::MAX, u32::MAX); slot_count],
            slot_shift: 64 - slot_count.trailing_zeros(),
            entries: Vec::new(),
            bytes: Vec::new(),
            ids: Vec::new(),
        };
        for (gram, needles) in by_gram {
            let h = mix(gram);
            let bit = (h >> g.bitmap_shift) as usize;
            g.bitmap[bit / 64] |= 1 << (bit % 64);
            let e0 = g.entries.len() as u32;
            for ((text, anchor), offset, ids) in needles {
                let t0 = g.bytes.len() as u32;
                g.bytes.extend_from_slice(text.as_bytes());
                let i0 = g.ids.len() as u32;
                g.ids.extend(ids);
                g.entries.push(Entry {
                    text: (t0, g.bytes.len() as u32),
                    offset,
                    anchor,
                    ids: (i0, g.ids.len() as u32),
                });
            }
            let mask = g.slots.len() - 1;
            let mut s = (h >> g.slot_shift) as usize;
            while g.slots[s].1 != u32::MAX {
                s = (s + 1) & mask;
            }
            g.slots[s] = (gram, e0, g.entries.len() as u32);
        }
        g
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn scan(&self, v: &[u8], hit: &mut impl FnMut(u32)) {
        if self.entries.is_empty() {
            return;
        }
        for (i, w) in v.windows(Q).enumerate() {
            self.test(gram::<Q>(w, 0), v, i, hit);
        }
    }

    /// The needles whose gram is `gram`, sitting at `at` in `v`.
    #[inline(always)]
    fn test(&self, gram: u32, v: &[u8], at: usize, hit: &mut impl FnMut(u32)) {
        let h = mix(gram);
        let bit = (h >> self.bitmap_shift) as usize;
        if self.bitmap[bit / 64] & (1 << (bit % 64)) != 0 {
            self.probe(gram, h, v, at, hit);
        }
    }

    /// The needles filed under `gram`, compared with the value where the gram sits at `at`.
    #[inline(never)]
    fn probe(&self, gram: u32, h: u64, v: &[u8], at: usize, hit: &mut impl FnMut(u32)) {
        let mask = self.slots.len() - 1;
        let mut s = (h >> self.slot_shift) as usize;
        loop {
            let (g, e0, e1) = self.slots[s];
            if e0 == u32::MAX {
                return;
            }
            if g == gram {
                for e in &self.entries[e0 as usize..e1 as usize] {
                    let Some(start) = at.checked_sub(e.offset as usize) else {
                        continue;
                    };
                    let text = &self.bytes[e.text.0 as usize..e.text.1 as usize];
                    let placed = match e.anchor {
                        Anchor::Anywhere => true,
                        Anchor::Start => start == 0,
                        Anchor::End => start + text.len() == v.len(),
                    };
                    if placed && v.get(start..start + text.len()) == Some(text) {
                        for &id in &self.ids[e.ids.0 as usize..e.ids.1 as usize] {
                            hit(id);
                        }
                    }
                }
                return;
            }
            s = (s + 1) & mask;
        }
    }
}

/// The `Q` bytes at `at` as a number (`Q` is 2, 3 or 4).
#[inline(always)]
fn gram<const Q: usize>(b: &[u8], at: usize) -> u32 {
    let mut g = [0u8; 4];
    g[..Q].copy_from_slice(&b[at..at + Q]);
    u32::from_le_bytes(g)
}

/// See `FastHash` in the parent module.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        let mut last = 0u64;
        for (k, &b) in chunks.remainder().iter().enumerate() {
            last |= u64::from(b) << (8 * k);
        }
        self.0 =
            (self.0.rotate_left(5) ^ last ^ bytes.len() as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[derive(Clone, Copy)]
    enum K {
        Prefix,
        Suffix,
        Contains,
    }

    fn build(needles: &[(K, &'static str, u32)]) -> Literals {
        let mut b = LiteralsBuild::default();
        for &(k, t, id) in needles {
            match k {
                K::Prefix => b.prefix(t, id),
                K::Suffix => b.suffix(t, id),
                K::Contains => b.contains(t, id),
            }
        }
        b.finish()
    }

    fn found(l: &Literals, v: &str) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        l.scan(v.as_bytes(), &mut |id| {
            out.insert(id);
        });
        out
    }

    fn naive(needles: &[(K, &'static str, u32)], v: &str) -> BTreeSet<u32> {
        needles
            .iter()
            .filter(|(k, t, _)| match k {
                K::Prefix => v.starts_with(t),
                K::Suffix => v.ends_with(t),
                K::Contains => v.contains(t),
            })
            .map(|&(_, _, id)| id)
            .collect()
    }

    #[test]
    fn anchoring_overlaps_and_shared_texts() {
        let needles = [
            (K::Prefix, "c:\\win", 0),
            (K::Prefix, "c:\\windows\\", 1),
            (K::Suffix, "\\cmd.exe", 2),
            (K::Suffix, ".exe", 3),
            (K::Contains, "whoami", 4),
            (K::Contains, "ami", 5),
            (K::Contains, "whoami", 6),
            (K::Contains, "/all", 7),
            (K::Contains, "\\cmd.exe", 8),
        ];
        let l = build(&needles);
        for v in [
            "c:\\windows\\system32\\cmd.exe",
            "cmd.exe /c whoami /all",
            "x c:\\windows\\cmd.exe y",
            "c:\\wi",
            "",
            "ami",
            "whoam",
            "/al",
            "c:\\windows\\cmd.exe.exe",
        ] {
            assert_eq!(found(&l, v), naive(&needles, v), "on {v:?}");
        }
        assert_eq!(
            found(&l, "c:\\windows\\cmd.exe whoami"),
            BTreeSet::from([0, 1, 4, 5, 6, 8])
        );
    }

    #[test]
    fn empty_and_non_ascii() {
        let l = build(&[]);
        assert!(found(&l, "anything at all").is_empty());
        let needles = [
            (K::Contains, "ärger", 0),
            (K::Prefix, "är", 1),
            (K::Suffix, "rß", 2),
            (K::Contains, "gerß", 3),
        ];
        let l = build(&needles);
        for v in ["ärgerß", "x ärger", "ärß", "aerger", "ärgeß", "ärgerrß"] {
            assert_eq!(found(&l, v), naive(&needles, v), "on {v:?}");
        }
    }

    /// Random needle sets over a small alphabet (so that needles overlap, share grams and sit
    /// inside each other) against `starts_with` / `ends_with` / `contains` on random values.
    #[test]
    fn random_sets_equal_the_naive_search() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let alphabet = b"ab.\\x";
        for round in 0..300 {
            let mut needles: Vec<(K, &'static str, u32)> = Vec::new();
            for id in 0..(1 + next(40)) as u32 {
                let len = 2 + next(7) as usize;
                let text: String = (0..len)
                    .map(|_| alphabet[next(alphabet.len() as u64) as usize] as char)
                    .collect();
                let kind = [K::Prefix, K::Suffix, K::Contains][next(3) as usize];
                needles.push((kind, Box::leak(text.into_boxed_str()), id));
            }
            let l = build(&needles);
            for _ in 0..50 {
                let len = next(24) as usize;
                let v: String = (0..len)
                    .map(|_| alphabet[next(alphabet.len() as u64) as usize] as char)
                    .collect();
                assert_eq!(found(&l, &v), naive(&needles, &v), "round {round}, {v:?}");
            }
        }
    }
}
