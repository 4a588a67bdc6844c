//! [`FieldTable`]: the field names one event shape is decoded for, their first-byte ranges,
//! the id cache of names looked up, and field masks.

use std::sync::atomic::{AtomicU64, Ordering};

/// The field names one event shape is decoded for, with what the decoder and lookups need
/// to find them fast (built at compile time, or on first use).
#[derive(Debug)]
pub struct FieldTable {
    /// Field names (dotted), sorted, indexed by field id.
    pub names: &'static [&'static str],
    /// Some rule searches every value (keywords): keep every scalar leaf too.
    pub all_leaves: bool,
    /// For each first byte, the range of names starting with it (`lo..hi`).
    pub(super) by_first: [(u16, u16); 256],
    /// Ids of names looked up so far, by the address and length of the caller's text (a
    /// direct-mapped cache; see [`FieldTable::id_of`]).
    ids: [AtomicU64; ID_SLOTS],
}

/// Slots of the id cache: two ways per set. Enough for the thousands of field names of a
/// large rule set (each rule file names its fields with its own string literals).
const ID_SLOTS: usize = 4096;

/// Bits of the set index: `ID_SLOTS / 2` sets.
const SET_BITS: u32 = (ID_SLOTS / 2).trailing_zeros();

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
    /// words with a bit set): what [`Slots::reaches`](super::Slots::reaches) checks. Names it
    /// lacks are left out.
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
    /// with string literals): remembered by the text's address, so most calls cost a load or
    /// two. A cached id is used only when its name has the text's length: then the text is
    /// the very bytes it was cached for.
    #[inline(always)]
    pub fn id_of(&self, name: &'static str) -> Option<usize> {
        let addr = name.as_ptr() as u64;
        // Entry: address (48 bits) | id + 1 (16 bits); 0 is empty. Addresses or ids that do
        // not fit are not remembered. Two ways per set, so that two names whose addresses
        // collide do not evict each other on every event.
        let fits = addr < 1 << 48 && self.names.len() < 0xFFFF;
        let key = addr << 16;
        let set = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SET_BITS)) as usize * 2;
        for slot in &self.ids[set..set + 2] {
            let entry = slot.load(Ordering::Relaxed);
            if fits && entry != 0 && entry & !0xFFFF == key {
                let id = (entry & 0xFFFF) as usize - 1;
                if self.names.get(id).is_some_and(|n| n.len() == name.len()) {
                    return Some(id);
                }
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

/// The fields a value's position continues into: `names[lo..hi]`, which all start with the
/// position's dotted path and a dot, `off` bytes in all (sorted names sharing a prefix are
/// contiguous). Which field a value completes is its whole dotted path, so at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cont {
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) off: usize,
}

impl Cont {
    pub(super) const NONE: Cont = Cont {
        lo: 0,
        hi: 0,
        off: 0,
    };
}
