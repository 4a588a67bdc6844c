//! Field-selective decoding: one pass over a JSON line that keeps exactly the values the
//! compiled rule set reads and skips everything else without building it.
//!
//! The rule set's field names (see the generated `FIELDS` tables) are matched against keys as
//! the scanner goes, under the dotted-key rule of `field.rs`: at each object a key matches a
//! field when it spells the field's remaining name up to a dot (descend) or to its end (a
//! value). Arrays are transparent. Strings borrow from the line unless they hold escapes.
//!
//! The scanner validates the whole line as serde_json would (grammar, escapes, surrogates,
//! nesting depth, trailing characters), so a line is an event on the fast path exactly when it
//! is one for a full parse, with one deliberate exception: a number beyond the f64 range is
//! accepted (as infinity), where serde_json rejects the line; the full parse then falls back
//! to this decoder (see `io::input`). The one shape it does not follow, a duplicate key
//! that a rule reads, is reported as [`DecodeError::Fallback`] so the caller uses the full parse.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

/// serde_json's nesting limit: 127 nested arrays/objects parse, 128 do not.
const MAX_DEPTH: usize = 128;

/// The field names one event shape is decoded for, with what the decoder and lookups need
/// to find them fast (built at compile time, or on first use).
#[derive(Debug)]
pub struct FieldTable {
    /// Field names (dotted), sorted, indexed by field id.
    pub names: &'static [&'static str],
    /// Some rule searches every value (keywords): keep every scalar leaf too.
    pub all_leaves: bool,
    /// For each first byte, the range of names starting with it (`lo..hi`).
    by_first: [(u16, u16); 256],
    /// Ids of names looked up so far, by the address and length of the caller's text (a
    /// direct-mapped cache; see [`FieldTable::id_of`]).
    ids: [AtomicU64; ID_SLOTS],
}

const ID_SLOTS: usize = 128;

impl FieldTable {
    /// A table over `names`, which must be sorted and unique (the generator writes them so).
    pub const fn new(names: &'static [&'static str], all_leaves: bool) -> FieldTable {
        let mut by_first = [(0u16, 0u16); 256];
        let mut k = 0;
        while k < names.len() {
            let bytes = names[k].as_bytes();
            if !bytes.is_empty() {
                let b = bytes[0] as usize;
                if by_first[b].1 == 0 {
                    by_first[b].0 = k as u16;
                }
                by_first[b].1 = k as u16 + 1;
            }
            k += 1;
        }
        FieldTable {
            names,
            all_leaves,
            by_first,
            ids: [const { AtomicU64::new(0) }; ID_SLOTS],
        }
    }

    /// The id of a field name (names are sorted by the generator).
    #[inline]
    pub fn id(&self, name: &str) -> Option<usize> {
        self.names.binary_search(&name).ok()
    }

    /// The fields of `names` this table has, as bit words of their ids (`(word, bits)`, the
    /// words with a bit set): what [`Slots::reaches`] checks. Names it lacks are left out.
    pub fn mask(&self, names: &[&str]) -> Vec<(usize, u64)> {
        let mut words: Vec<(usize, u64)> = Vec::new();
        for id in names.iter().filter_map(|n| self.id(n)) {
            match words.iter_mut().find(|(w, _)| *w == id / 64) {
                Some((_, bits)) => *bits |= 1 << (id % 64),
                None => words.push((id / 64, 1 << (id % 64))),
            }
        }
        words
    }

    /// The id of a field name that lives as long as the program (generated code names fields
    /// with string literals): remembered by the text's address and length, which identify its
    /// contents, so most calls cost a load or two.
    #[inline(always)]
    pub fn id_of(&self, name: &'static str) -> Option<usize> {
        let addr = name.as_ptr() as u64;
        // Entry: address (48 bits) | length (8) | id + 1 (8); 0 is empty. Names or ids that
        // do not fit are not remembered. Two ways per set, so that two names whose addresses
        // collide do not evict each other on every event.
        let fits = addr < 1 << 48 && name.len() < 256 && self.names.len() < 255;
        let key = addr << 16 | (name.len() as u64) << 8;
        let set = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize * 2;
        for slot in &self.ids[set..set + 2] {
            let entry = slot.load(Ordering::Relaxed);
            if fits && entry != 0 && entry & !0xFF == key {
                return Some((entry & 0xFF) as usize - 1);
            }
        }
        let id = self.id(name);
        if let (true, Some(id)) = (fits, id) {
            // The empty way, else the second (the first keeps the older name).
            let way = usize::from(self.ids[set].load(Ordering::Relaxed) != 0);
            self.ids[set + way].store(key | (id as u64 + 1), Ordering::Relaxed);
        }
        id
    }
}

/// How many emptied strings [`Slots`] keep for reuse, and the largest capacity kept.
const SPARES: usize = 64;
const SPARE_CAPACITY: usize = 4096;

/// A decoded scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string (borrowed unless it had escapes).
    Str(Cow<'a, str>),
    /// A number, as written.
    Num(&'a str),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An object (present and not null, no text form).
    Object,
}

/// The decoded values of one event: which fields are present and their leaves, flat (one
/// allocation each, reused across events through [`Slots::recycle`]).
#[derive(Debug, Default)]
pub struct Slots<'a> {
    /// Bit f set: field f was reached.
    present: Vec<u64>,
    /// (field id, leaf, index + 1 of the field's next leaf or 0), in document order.
    leaves: Vec<(u16, Scalar<'a>, u32)>,
    /// Per field id: index + 1 of its first and last leaf (0: none).
    chains: Vec<(u32, u32)>,
    /// Every scalar leaf, when the table asks for them (keyword search).
    pub(crate) all: Vec<Scalar<'a>>,
    /// The decoder's work stack (kept here so that it is reused too): what each key that
    /// matched a field in the objects being read leads to, to notice a duplicate (two keys of
    /// one object lead to the same fields only if they are equal).
    keys: Vec<(Cont, Option<u16>)>,
    /// Emptied strings kept for reuse: unescaped text (request URIs often hold `\u0026`)
    /// is written into one of these rather than a new allocation per event.
    spare: Vec<String>,
}

impl<'a> Slots<'a> {
    /// True when the field with this id was reached (with any value).
    #[inline]
    pub fn present(&self, id: usize) -> bool {
        self.present
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// True when every field of `mask` (see [`FieldTable::mask`]) was reached.
    #[inline]
    pub fn reaches(&self, mask: &[(usize, u64)]) -> bool {
        mask.iter()
            .all(|&(w, bits)| self.present.get(w).is_some_and(|p| p & bits == bits))
    }

    /// The leaves of the field with this id, in document order.
    #[inline(always)]
    pub fn leaves(&self, id: usize) -> impl Iterator<Item = &Scalar<'a>> {
        let first = self.chains.get(id).map_or(0, |c| c.0);
        std::iter::successors((first != 0).then_some(first), |&at| {
            let next = self.leaves[at as usize - 1].2;
            (next != 0).then_some(next)
        })
        .map(|at| &self.leaves[at as usize - 1].1)
    }

    fn push_leaf(&mut self, f: u16, v: Scalar<'a>) {
        let at = self.leaves.len() as u32 + 1;
        self.leaves.push((f, v, 0));
        let chain = &mut self.chains[f as usize];
        if chain.0 == 0 {
            chain.0 = at;
        } else {
            self.leaves[chain.1 as usize - 1].2 = at;
        }
        chain.1 = at;
    }

    /// The same (emptied) allocations, for an event of another line.
    pub fn recycle<'b>(mut self) -> Slots<'b> {
        // Unescaped strings go back to the spares, emptied (a few, and none so long that
        // keeping it would hold on to much memory after one huge line).
        let owned = |s: Scalar<'a>| match s {
            Scalar::Str(Cow::Owned(mut text)) if text.capacity() <= SPARE_CAPACITY => {
                text.clear();
                Some(text)
            }
            _ => None,
        };
        let mut spare = std::mem::take(&mut self.spare);
        spare.extend(self.leaves.drain(..).filter_map(|(_, s, _)| owned(s)));
        spare.extend(self.all.drain(..).filter_map(owned));
        spare.truncate(SPARES);
        fn empty<T, U>(mut v: Vec<T>) -> Vec<U> {
            // `T` and `U` differ only in lifetime: collecting an emptied vector into the other
            // reuses its allocation.
            v.clear();
            v.into_iter()
                .map(|_| unreachable!("the vector is empty"))
                .collect()
        }
        Slots {
            present: self.present,
            leaves: empty(self.leaves),
            chains: self.chains,
            all: empty(self.all),
            keys: self.keys,
            spare,
        }
    }

    fn reset(&mut self, n: usize) {
        self.present.clear();
        self.present.resize(n.div_ceil(64), 0);
        self.leaves.clear();
        self.chains.clear();
        self.chains.resize(n, (0, 0));
        self.all.clear();
        self.keys.clear();
    }
}

/// Why a line was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON: the message says why.
    Invalid(String),
    /// Valid so far, but the line is not an object: what it is (`an array`, `null`, ...).
    NotAnObject(&'static str),
    /// Valid, but a key the rules read appears twice in one object: decode with a full parse.
    Fallback,
}

/// Decodes one line into `slots` (which are cleared first). `table.names` must be sorted.
pub fn decode<'a>(
    line: &'a [u8],
    table: &FieldTable,
    slots: &mut Slots<'a>,
) -> Result<(), DecodeError> {
    debug_assert!(
        table.names.windows(2).all(|w| w[0] < w[1]),
        "unsorted table"
    );
    slots.reset(table.names.len());
    let mut d = Decoder {
        s: line,
        i: 0,
        table,
        slots,
        depth: 0,
        duplicate: false,
        wide: false,
    };
    let result = d.root();
    match result {
        // UTF-8 is checked only where the scanner meets a non-ASCII byte; on a bad line whose
        // first fault is bad UTF-8, say so as a full parse would.
        Err(DecodeError::Invalid(_) | DecodeError::NotAnObject(_)) => {
            match std::str::from_utf8(line) {
                Err(e) => Err(DecodeError::Invalid(format!(
                    "invalid UTF-8 at byte {}",
                    e.valid_up_to()
                ))),
                Ok(_) => result,
            }
        }
        Ok(()) if d.duplicate => Err(DecodeError::Fallback),
        other => other,
    }
}

/// Byte equality for short slices (keys), without a call into `memcmp`.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The index of the first byte at or after `from` that ends a run of plain ASCII string
/// content: a quote, a backslash, a control character (which JSON forbids in strings) or a
/// non-ASCII byte (whose UTF-8 the caller checks); `s.len()` if none.
#[inline(always)]
fn special(s: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // Sixteen bytes at a time with SSE2 (part of every x86_64 target). A signed compare
        // below 0x20 catches control characters and every byte from 0x80 up.
        while i + 16 <= s.len() {
            // SAFETY: `i + 16 <= s.len()`, so the unaligned 16-byte load stays inside `s`, and
            // the cfg above guarantees SSE2.
            let mask = unsafe {
                let v = _mm_loadu_si128(s.as_ptr().add(i).cast::<__m128i>());
                let hits = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
                    ),
                    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                );
                _mm_movemask_epi8(hits)
            };
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    // Eight bytes at a time: for each word, a zero byte of `x ^ '"'` or `x ^ '\\'`, a byte
    // below 0x20 or a byte from 0x80 up sets that byte's high bit (borrows can only add false
    // hits above a true one, and the lowest hit is the one taken).
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let q = x ^ (LO * b'"' as u64);
        let b = x ^ (LO * b'\\' as u64);
        let hits =
            ((q.wrapping_sub(LO) & !q) | (b.wrapping_sub(LO) & !b) | x.wrapping_sub(LO * 0x20) | x)
                & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !matches!(s[i], b'"' | b'\\' | 0..=0x1f | 0x80..) {
        i += 1;
    }
    i
}

/// The first index in `lo..hi` where `before` turns false (it must be true, then false).
#[inline(always)]
fn lower_bound(mut lo: usize, mut hi: usize, before: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The fields a value's position continues into: `names[lo..hi]`, which all start with the
/// position's dotted path and a dot, `off` bytes in all (sorted names sharing a prefix are
/// contiguous). Which field a value completes is its whole dotted path, so at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cont {
    lo: usize,
    hi: usize,
    off: usize,
}

impl Cont {
    const NONE: Cont = Cont {
        lo: 0,
        hi: 0,
        off: 0,
    };
}

struct Decoder<'a, 's> {
    s: &'a [u8],
    i: usize,
    table: &'s FieldTable,
    slots: &'s mut Slots<'a>,
    depth: usize,
    /// A key the rules read appeared twice in one object.
    duplicate: bool,
    /// The last run of string content read held a non-ASCII character.
    wide: bool,
}

/// Bytes the scanner has seen are all ASCII, as text.
#[inline]
fn ascii(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: callers pass only bytes the scanner has checked are ASCII (`plain_run` without a
    // non-ASCII byte, or a validated number token), and ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl<'a> Decoder<'a, '_> {
    /// The whole line: one object, then only whitespace.
    fn root(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.peek() != Some(b'{') {
            return Err(match self.peek() {
                None => DecodeError::Invalid("EOF while parsing a value".into()),
                Some(b'[') => DecodeError::NotAnObject("an array"),
                Some(b'"') => DecodeError::NotAnObject("a string"),
                Some(b't' | b'f') => DecodeError::NotAnObject("a boolean"),
                Some(b'n') => DecodeError::NotAnObject("null"),
                Some(b'-' | b'0'..=b'9') => DecodeError::NotAnObject("a number"),
                Some(_) => self.err("expected value"),
            });
        }
        let all = Cont {
            lo: 0,
            hi: self.table.names.len(),
            off: 0,
        };
        self.value(all, None)?;
        self.ws();
        if self.i != self.s.len() {
            return Err(self.err("trailing characters"));
        }
        Ok(())
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> DecodeError {
        DecodeError::Invalid(format!("{what} at column {}", self.i + 1))
    }

    #[inline(always)]
    fn expect(&mut self, b: u8) -> Result<(), DecodeError> {
        if self.peek() == Some(b) {
            self.i += 1;
            return Ok(());
        }
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", b as char)))
        }
    }

    #[inline]
    fn record(&mut self, end: Option<u16>, v: Scalar<'a>) {
        if self.table.all_leaves && !matches!(v, Scalar::Object) {
            self.slots.all.push(v.clone());
        }
        if let Some(f) = end {
            self.slots.push_leaf(f, v);
        }
    }

    /// The fields a key continues and completes, from the fields `c` of its object.
    #[inline]
    fn lookup(&self, c: Cont, key: &[u8]) -> (Cont, Option<u16>) {
        let names = self.table.names;
        let off = c.off;
        let (mut lo, mut hi) = (c.lo, c.hi);
        // Narrow a long list to the names whose rest starts with the key's first byte (two
        // binary searches on one byte), then compare the few left.
        if let (Some(&b0), 0) = (key.first(), off) {
            // At the top level: the names starting with the key's first byte, from the table.
            let (a, b) = self.table.by_first[b0 as usize];
            (lo, hi) = (a as usize, b as usize);
        } else if let (Some(&b0), true) = (key.first(), hi - lo > 8) {
            // The byte at `off` of each name, or -1 where the name ends there.
            let at = |k: usize| names[k].as_bytes().get(off).map_or(-1, |&b| i32::from(b));
            let b0 = i32::from(b0);
            lo = lower_bound(lo, hi, |k| at(k) < b0);
            hi = lower_bound(lo, hi, |k| at(k) <= b0);
        }
        let (mut end, mut cont) = (None, Cont::NONE);
        for (k, name) in (lo..hi).zip(&names[lo..hi]) {
            let rest = &name.as_bytes()[off..];
            // The name must end, or have a dot, where the key ends: checked first, it rules
            // out most names without comparing bytes.
            let after = rest.get(key.len());
            if !matches!(after, None | Some(b'.'))
                || rest.len() < key.len()
                || !bytes_eq(&rest[..key.len()], key)
            {
                continue;
            }
            match after {
                None => end = Some(k as u16),
                Some(b'.') => {
                    if cont.hi == 0 {
                        cont = Cont {
                            lo: k,
                            hi: k + 1,
                            off: off + key.len() + 1,
                        };
                    } else {
                        cont.hi = k + 1;
                    }
                }
                Some(_) => {}
            }
        }
        (cont, end)
    }

    /// A value at a position that continues the fields `cont` and completes `end`.
    fn value(&mut self, cont: Cont, end: Option<u16>) -> Result<(), DecodeError> {
        if let Some(f) = end {
            self.slots.present[f as usize / 64] |= 1 << (f % 64);
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.enter()?;
                if end.is_some() {
                    self.record(end, Scalar::Object);
                }
                self.object(cont)?;
                self.depth -= 1;
            }
            Some(b'[') => self.array(|d| d.value(cont, end))?,
            // A scalar is built only when some field ends here or every leaf is kept.
            Some(b'"') if end.is_some() || self.table.all_leaves => {
                let s = self.string()?;
                self.record(end, Scalar::Str(s));
            }
            Some(b'-' | b'0'..=b'9') if end.is_some() || self.table.all_leaves => {
                let n = self.number()?;
                self.record(end, Scalar::Num(n));
            }
            Some(b't' | b'f' | b'n') if end.is_some() || self.table.all_leaves => {
                let v = match self.s[self.i] {
                    b't' => (b"true".as_slice(), Scalar::Bool(true)),
                    b'f' => (b"false".as_slice(), Scalar::Bool(false)),
                    _ => (b"null".as_slice(), Scalar::Null),
                };
                self.literal(v.0)?;
                self.record(end, v.1);
            }
            Some(b'"') => self.skip_string()?,
            Some(b'-' | b'0'..=b'9') => self.skip_number()?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(_) => return Err(self.err("expected value")),
            None => return Err(self.err("EOF while parsing a value")),
        }
        Ok(())
    }

    /// An array (the cursor on its `[`): `each` reads every element (arrays are transparent,
    /// so decoding and skipping only differ in what they do per element).
    #[inline]
    fn array(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        self.enter()?;
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                each(self)?;
                if !self.separator(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// After an element of an object or array: true after a `,` (another element follows),
    /// false after the closing `close`.
    #[inline(always)]
    fn separator(&mut self, close: u8) -> Result<bool, DecodeError> {
        if self.peek() == Some(b',') {
            self.i += 1;
            return Ok(true);
        }
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ if close == b'}' => Err(self.err("expected `,` or `}`")),
            _ => Err(self.err("expected `,` or `]`")),
        }
    }

    #[inline]
    fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        Ok(())
    }

    fn object(&mut self, cont: Cont) -> Result<(), DecodeError> {
        self.i += 1; // `{`
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let base = self.slots.keys.len();
        // One bit per matched key, by what it leads to: a key is compared with the earlier
        // ones only when its bit is already set (so, nearly never).
        let mut seen = 0u64;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("key must be a string"));
            }
            if cont.lo == cont.hi {
                // No field goes on below here: keys need no reading.
                self.skip_string()?;
                self.expect(b':')?;
                if self.table.all_leaves {
                    self.value(Cont::NONE, None)?;
                } else {
                    self.skip_value()?;
                }
            } else {
                let key = self.key()?;
                self.expect(b':')?;
                let (inner, end) = self.lookup(cont, &key);
                if inner.lo == inner.hi && end.is_none() {
                    if self.table.all_leaves {
                        self.value(inner, None)?;
                    } else {
                        self.skip_value()?;
                    }
                } else {
                    let led = (inner, end);
                    let bit = 1u64 << ((inner.lo ^ inner.off ^ end.map_or(0x3f, usize::from)) & 63);
                    if seen & bit != 0 && self.slots.keys[base..].contains(&led) {
                        self.duplicate = true; // reported once the whole line is validated
                    }
                    seen |= bit;
                    self.slots.keys.push(led);
                    self.value(inner, end)?;
                }
            }
            if !self.separator(b'}')? {
                self.slots.keys.truncate(base);
                return Ok(());
            }
        }
    }

    /// Skips one value, validating it, without building anything: one loop over its tokens
    /// with the open containers kept as bits (1 = object) instead of recursion.
    fn skip(&mut self) -> Result<(), DecodeError> {
        let mut objects: u128 = 0;
        let mut open = 0u32;
        loop {
            // A value is due.
            self.ws();
            match self.peek() {
                Some(b'"') => self.skip_string()?,
                Some(b'{') => {
                    self.enter()?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        self.depth -= 1;
                    } else {
                        objects |= 1 << open;
                        open += 1;
                        self.skip_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.enter()?;
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        self.depth -= 1;
                    } else {
                        objects &= !(1 << open);
                        open += 1;
                        continue;
                    }
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.skip_number()?,
                Some(_) => return Err(self.err("expected value")),
                None => return Err(self.err("EOF while parsing a value")),
            }
            // After a value: close containers until one has another element.
            loop {
                if open == 0 {
                    return Ok(());
                }
                let in_object = objects >> (open - 1) & 1 == 1;
                if self.separator(if in_object { b'}' } else { b']' })? {
                    if in_object {
                        self.skip_key()?;
                    }
                    break;
                }
                open -= 1;
                self.depth -= 1;
            }
        }
    }

    /// [`skip`](Self::skip), with the commonest value, a string right at the cursor, read
    /// without a call.
    #[inline(always)]
    fn skip_value(&mut self) -> Result<(), DecodeError> {
        if self.peek() == Some(b'"') {
            self.skip_string()
        } else {
            self.skip()
        }
    }

    /// Skips an object key and its colon.
    #[inline(always)]
    fn skip_key(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("key must be a string"));
        }
        self.skip_string()?;
        self.expect(b':')
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Result<(), DecodeError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected value"))
        }
    }

    /// A number token, validated as JSON.
    fn number(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.i;
        self.skip_number()?;
        // The token is made of ASCII digits, signs, `.`, `e` and `E`.
        Ok(ascii(&self.s[start..self.i]))
    }

    /// Skips a number token, validating it as JSON.
    #[inline]
    fn skip_number(&mut self) -> Result<(), DecodeError> {
        let start = self.i;
        let s = self.s;
        let mut i = self.i;
        if s.get(i) == Some(&b'-') {
            i += 1;
        }
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while s.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        let int_end = i;
        if s.get(i) == Some(&b'.') {
            i += 1;
            let d = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let d = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        if s.get(start) == Some(&b'0')
            || (s.get(start) == Some(&b'-') && s.get(start + 1) == Some(&b'0'))
        {
            // A leading zero may only stand alone before `.`/`e`: `01` is invalid.
            let digits_start = if s[start] == b'-' { start + 1 } else { start };
            if int_end - digits_start > 1 {
                self.i = digits_start + 1;
                return Err(self.err("invalid number"));
            }
        }
        self.i = i;
        // A number beyond the f64 range is kept (it reads as infinity), as Python's json and so
        // the reference evaluator keep it: serde_json would reject the whole line, which would
        // let one such number in a request body hide an event from every rule.
        Ok(())
    }

    /// `s[start..end]`, string content the scanner has read, as text: UTF-8 is checked
    /// again only when the content was not all ASCII.
    fn text(&self, start: usize, end: usize) -> Result<&'a str, DecodeError> {
        let bytes = &self.s[start..end];
        if self.wide {
            std::str::from_utf8(bytes).map_err(|e| {
                DecodeError::Invalid(format!("invalid UTF-8 at byte {}", start + e.valid_up_to()))
            })
        } else {
            Ok(ascii(bytes))
        }
    }

    /// From `from` inside a string, past plain content to the next quote or backslash (its
    /// index); control characters, bad UTF-8 and the end of the line are errors.
    #[inline(always)]
    fn plain_run(&mut self, from: usize) -> Result<usize, DecodeError> {
        self.wide = false;
        let mut i = from;
        loop {
            i = special(self.s, i);
            match self.s.get(i) {
                Some(b'"' | b'\\') => return Ok(i),
                Some(&c) if c >= 0x80 => i = self.utf8_char(i)?,
                _ => return Err(self.string_fault(i)),
            }
        }
    }

    /// The error for what stopped a string at `i`: a control character or the line's end.
    #[cold]
    fn string_fault(&mut self, i: usize) -> DecodeError {
        self.i = i;
        match self.s.get(i) {
            Some(_) => self.err("control character (\\u0000-\\u001F) found while parsing a string"),
            None => self.err("EOF while parsing a string"),
        }
    }

    /// Past the UTF-8 sequence that starts at `i` (a byte from 0x80 up), if it is one.
    #[cold]
    fn utf8_char(&mut self, i: usize) -> Result<usize, DecodeError> {
        self.wide = true;
        let width = match self.s[i] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        match self.s.get(i..i + width) {
            Some(seq) if width > 0 && std::str::from_utf8(seq).is_ok() => Ok(i + width),
            _ => Err(DecodeError::Invalid(format!("invalid UTF-8 at byte {i}"))),
        }
    }

    /// A key (the cursor on its opening quote): borrowed bytes unless it has escapes.
    #[inline]
    fn key(&mut self) -> Result<Cow<'a, [u8]>, DecodeError> {
        let start = self.i + 1;
        let end = self.plain_run(start)?;
        if self.s[end] == b'"' {
            self.i = end + 1;
            Ok(Cow::Borrowed(&self.s[start..end]))
        } else {
            self.i = start;
            self.string_escaped().map(|s| Cow::Owned(s.into_bytes()))
        }
    }

    /// A string token: borrowed when it has no escapes, unescaped otherwise.
    fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        let start = self.i + 1;
        let end = self.plain_run(start)?;
        if self.s[end] == b'"' {
            self.i = end + 1;
            self.text(start, end).map(Cow::Borrowed)
        } else {
            self.i = start;
            self.string_escaped().map(Cow::Owned)
        }
    }

    /// The rest of a string with escapes, from its content's start at the cursor.
    fn string_escaped(&mut self) -> Result<String, DecodeError> {
        let mut out = self.slots.spare.pop().unwrap_or_default();
        loop {
            let end = self.plain_run(self.i)?;
            out.push_str(self.text(self.i, end)?);
            self.i = end + 1;
            if self.s[end] == b'"' {
                return Ok(out);
            }
            let c = match self.s.get(self.i) {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    self.i += 1;
                    let c = self.unicode_escape()?;
                    out.push(c);
                    continue;
                }
                _ => return Err(self.err("invalid escape")),
            };
            out.push(c);
            self.i += 1;
        }
    }

    /// The char of a `\\uXXXX` escape (the `\\u` already read), a surrogate pair included.
    fn unicode_escape(&mut self) -> Result<char, DecodeError> {
        let hi = self.hex4()?;
        let c = if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.i) != Some(&b'\\') || self.s.get(self.i + 1) != Some(&b'u') {
                return Err(self.err("unexpected end of hex escape"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("lone leading surrogate in hex escape"));
            }
            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        } else if (0xDC00..0xE000).contains(&hi) {
            return Err(self.err("lone leading surrogate in hex escape"));
        } else {
            char::from_u32(hi)
        };
        c.ok_or_else(|| self.err("invalid escape"))
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("EOF while parsing a string"))?;
        let mut n = 0u32;
        for d in digits {
            n = n * 16
                + (*d as char)
                    .to_digit(16)
                    .ok_or_else(|| self.err("invalid escape"))?;
        }
        self.i += 4;
        Ok(n)
    }

    /// Skips a string (the cursor on its opening quote), validating it.
    #[inline(always)]
    fn skip_string(&mut self) -> Result<(), DecodeError> {
        let mut i = self.i + 1;
        loop {
            let end = self.plain_run(i)?;
            self.i = end + 1;
            if self.s[end] == b'"' {
                return Ok(());
            }
            match self.s.get(self.i) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                Some(b'u') => {
                    self.i += 1;
                    self.unicode_escape()?;
                }
                _ => return Err(self.err("invalid escape")),
            }
            i = self.i;
        }
    }
}
